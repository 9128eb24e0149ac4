// npm run bench: the core's speed on a fixed integer workload and a fixed floating-point workload,
// next to the host running the same C. Prints instructions, seconds and MIPS for the core (best of
// N runs), the native time, and both sides' checksums (which must match bit for bit).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Machine } from '../src/vm/machine.ts';
import { GUEST_RAM_BASE, CORE_STATE_END } from '../wasm/layout.ts';
// @ts-expect-error plain ESM build script without types
import { buildBench } from './build.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
type Pair = { guest: string; native: string };
const pairs = buildBench() as { int: Pair; fp: Pair };
const wasm = readFileSync(new URL('../build/core.wasm', import.meta.url));

function parseChecksum(text: string): string {
  const m = /checksum ([0-9a-f]{16})/.exec(text);
  if (!m) throw new Error(`no checksum in output: ${JSON.stringify(text)}`);
  return m[1];
}

async function runCore(kernel: Uint8Array): Promise<{ instructions: number; seconds: number; checksum: string }> {
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

interface Result { mips: number; nativeSeconds: number; ok: boolean }
async function bench(title: string, p: Pair): Promise<Result> {
  const nativeRuns = Array.from({ length: RUNS }, () => execFileSync(p.native, { encoding: 'utf8' }));
  const nativeSeconds = Math.min(...nativeRuns.map((t) => Number(/seconds ([0-9.]+)/.exec(t)![1])));
  const nativeChecksum = parseChecksum(nativeRuns[0]);
  const kernel = readFileSync(p.guest);
  let best = { instructions: 0, seconds: Infinity, checksum: '' };
  for (let i = 0; i < RUNS; i++) {
    const r = await runCore(kernel);
    if (r.seconds < best.seconds) best = r;
  }
  const mips = best.instructions / best.seconds / 1e6;
  const ok = best.checksum === nativeChecksum;
  console.log(`workload: ${title}`);
  console.log(`  core:     ${best.instructions} instructions in ${best.seconds.toFixed(3)} s = ${mips.toFixed(1)} MIPS (best of ${RUNS})`);
  console.log(`  native:   ${nativeSeconds.toFixed(4)} s (${(best.instructions / nativeSeconds / 1e6).toFixed(0)} MIPS-equivalent); core is ${(best.seconds / nativeSeconds).toFixed(0)}x slower`);
  console.log(`  checksum: core ${best.checksum}, native ${nativeChecksum} ${ok ? '(match)' : '(MISMATCH)'}`);
  return { mips, nativeSeconds, ok };
}

const int = await bench('integer: sieve + quicksort + crc32 + 64-bit modexp (bench/guest/workload.c)', pairs.int);
const fp = await bench('floating point: SSE2 n-body + matrix multiply + Mandelbrot, x87 long double series/sqrt/transcendentals (bench/guest/fpwork.c)', pairs.fp);
console.log(`FP vs integer: ${fp.mips.toFixed(1)} vs ${int.mips.toFixed(1)} MIPS (${(fp.mips / int.mips * 100).toFixed(0)}%)`);
console.log(`core memory beyond guest RAM: ${(GUEST_RAM_BASE / 1048576).toFixed(0)} MiB reserved, ${(CORE_STATE_END / 1048576).toFixed(0)} MiB in use (vCPU blocks + TLBs)`);
if (!int.ok || !fp.ok) process.exit(1);
