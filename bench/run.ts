// npm run bench: the core's speed on a fixed integer workload, next to the host running the same C.
// Prints instructions, seconds and MIPS for the core (best of N runs) and the native time.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Machine } from '../src/vm/machine.ts';
import { GUEST_RAM_BASE, CORE_STATE_END } from '../wasm/layout.ts';
// @ts-expect-error plain ESM build script without types
import { buildBench } from './build.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const { guest, native } = buildBench() as { guest: string; native: string };
const wasm = readFileSync(new URL('../build/core.wasm', import.meta.url));
const kernel = readFileSync(guest);

function parseChecksum(text: string): string {
  const m = /checksum ([0-9a-f]{16})/.exec(text);
  if (!m) throw new Error(`no checksum in output: ${JSON.stringify(text)}`);
  return m[1];
}

async function runCore(): Promise<{ instructions: number; seconds: number; checksum: string }> {
  let out = '';
  const m = await Machine.create(wasm, { kernel, memoryMiB: 64 }, { console: (b) => { out += Buffer.from(b).toString(); } });
  let instructions = 0;
  const t0 = performance.now();
  for (;;) {
    const r = m.runSlice(10_000_000);
    instructions += r.instructions;
    if (r.shutdown) break;
  }
  return { instructions, seconds: (performance.now() - t0) / 1000, checksum: parseChecksum(out) };
}

const nativeRuns = Array.from({ length: RUNS }, () => execFileSync(native, { encoding: 'utf8' }));
const nativeSeconds = Math.min(...nativeRuns.map((t) => Number(/seconds ([0-9.]+)/.exec(t)![1])));
const nativeChecksum = parseChecksum(nativeRuns[0]);

let best = { instructions: 0, seconds: Infinity, checksum: '' };
for (let i = 0; i < RUNS; i++) {
  const r = await runCore();
  if (r.seconds < best.seconds) best = r;
}
const mips = best.instructions / best.seconds / 1e6;
console.log('workload: sieve + quicksort + crc32 + 64-bit modexp (bench/guest/workload.c)');
console.log(`core:    ${best.instructions} instructions in ${best.seconds.toFixed(3)} s = ${mips.toFixed(1)} MIPS (best of ${RUNS})`);
console.log(`native:  ${nativeSeconds.toFixed(4)} s (${(best.instructions / nativeSeconds / 1e6).toFixed(0)} MIPS-equivalent); core is ${(best.seconds / nativeSeconds).toFixed(0)}x slower`);
console.log(`checksum: core ${best.checksum}, native ${nativeChecksum} ${best.checksum === nativeChecksum ? '(match)' : '(MISMATCH)'}`);
console.log(`core memory beyond guest RAM: ${(GUEST_RAM_BASE / 1048576).toFixed(0)} MiB reserved, ${(CORE_STATE_END / 1048576).toFixed(0)} MiB in use (vCPU blocks + TLBs)`);
if (best.checksum !== nativeChecksum) process.exit(1);
