// npm run bench (second part): boot-to-shell of the committed minimal Linux 6.12 PVH kernel with the
// busybox initramfs at 1, 2 and 4 vCPUs. Prints wall seconds and guest instructions until the first
// shell prompt, per vCPU count. Deterministic mode: virtual time follows instructions and idle time
// jumps to the next timer, so the wall time is the emulation work only and runs are repeatable.
// BENCH_BOOT_VCPUS="1 2 4" chooses the counts, BENCH_RUNS the repetitions (best wall time kept).
import { readFileSync } from 'node:fs';
import { Machine } from '../src/vm/machine.ts';

const root = new URL('..', import.meta.url);
const wasm = readFileSync(new URL('build/core.wasm', root));
const kernel = readFileSync(new URL('public/guests/vmlinuz-6.12-pvh', root));
const initrd = readFileSync(new URL('public/guests/initramfs-busybox.cpio.gz', root));
const COUNTS = (process.env.BENCH_BOOT_VCPUS ?? '1 2 4').split(/\s+/).filter(Boolean).map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const LIMIT = 5_000_000_000n;
const PROMPT = /\n[~/][^\n]* # /;

interface BootResult {
  seconds: number;
  instructions: bigint;
  perVcpu: bigint[];
  ok: boolean;
}

async function bootToShell(vcpus: number): Promise<BootResult> {
  let text = '';
  let atPrompt = false;
  const dec = new TextDecoder();
  const m = await Machine.create(
    wasm,
    { kernel, initrd, cmdline: 'console=hvc0', memoryMiB: 256, vcpus, deterministic: true },
    {
      console: (b) => {
        text += dec.decode(b, { stream: true });
        if (!atPrompt && PROMPT.test(text.slice(-4096))) atPrompt = true;
      },
    },
  );
  const t0 = performance.now();
  while (!atPrompt) {
    const r = m.runSlice(2_000_000);
    if (r.shutdown || m.stats().instructions > LIMIT) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  const s = m.stats();
  return { seconds, instructions: s.instructions, perVcpu: (s.vcpus ?? []).map((v) => v.instructions), ok: atPrompt };
}

console.log('boot to shell: minimal Linux 6.12 PVH kernel + busybox initramfs, deterministic time');
console.log('vCPUs   wall s   guest instructions   MIPS   per-vCPU instructions');
let failed = false;
for (const n of COUNTS) {
  let best: BootResult | undefined;
  for (let i = 0; i < RUNS; i++) {
    const r = await bootToShell(n);
    if (!best || r.seconds < best.seconds) best = r;
  }
  const b = best!;
  if (!b.ok) failed = true;
  const mips = Number(b.instructions) / b.seconds / 1e6;
  console.log(
    `${String(n).padStart(5)}  ${b.seconds.toFixed(2).padStart(7)}  ${String(b.instructions).padStart(19)}  ${mips.toFixed(1).padStart(5)}   ${b.perVcpu.join(' ')}${b.ok ? '' : '  (NO SHELL PROMPT)'}`,
  );
}
if (failed) process.exit(1);
