// Runs one static Linux program on the core and prints its output and outcome:
//   npx tsx tests/userprog/run.ts build/userprog/hash [args...]
import { readFileSync } from 'node:fs';
import { runLinuxUser } from './linux-user.ts';

const [bin, ...args] = process.argv.slice(2);
if (!bin) {
  console.error('usage: tsx tests/userprog/run.ts <static-elf> [args...]');
  process.exit(2);
}
const r = await runLinuxUser(readFileSync(bin), { argv: [bin, ...args], envp: ['USERPROG=1'] });
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
const mips = r.instructions / r.seconds / 1e6;
console.error(`--- ${r.outcome.kind === 'exit' ? `exit status ${r.outcome.status}` : r.outcome.message}`);
console.error(`--- ${r.instructions} instructions in ${r.seconds.toFixed(2)} s (${mips.toFixed(1)} MIPS); syscalls ${JSON.stringify(Object.fromEntries(r.syscalls))}`);
process.exit(r.outcome.kind === 'exit' ? r.outcome.status : 1);
