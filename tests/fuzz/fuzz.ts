// CLI: npm run fuzz -- --cases N --seed S [--filter text] [--case K] [--verbose] [--all] [--examples K]
// Differential fuzzing of build/core.wasm against the host CPU; exits 1 on any mismatch,
// unimplemented instruction or core error.
import { fuzz, formatReport } from './run.ts';
import { FORMS } from './forms.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const has = (name: string) => process.argv.includes(`--${name}`);

if (has('help')) {
  console.log('usage: npm run fuzz -- [--cases N] [--seed S] [--filter text] [--case K (replay one case)] [--verbose] [--all] [--examples K] [--list]');
  process.exit(0);
}
if (has('list')) {
  for (const f of FORMS) console.log(f.name);
  process.exit(0);
}
const seed = arg('seed') !== undefined ? Number(arg('seed')) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
const only = arg('case');
const cases = only !== undefined ? 1 : Number(arg('cases') ?? 20000);
console.log(`fuzz: seed ${seed}, ${cases} cases${arg('filter') ? `, filter "${arg('filter')}"` : ''}`);
const report = fuzz({
  seed,
  cases,
  filter: arg('filter'),
  first: only !== undefined ? Number(only) : 0,
  verbose: has('verbose') || only !== undefined,
  examplesPerForm: Number(arg('examples') ?? 3),
  log: (s) => console.log(s),
});
console.log(formatReport(report, { all: has('all') }));
console.log(`replay: npm run fuzz -- --seed ${seed} --cases ${cases}${arg('filter') ? ` --filter '${arg('filter')}'` : ''}`);
process.exit(report.failed || report.unimplemented || report.errors ? 1 : 0);
