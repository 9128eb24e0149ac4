// npm run bench: the core's speed on a fixed integer workload and a fixed floating-point workload,
// next to the host running the same C. Prints instructions, seconds and MIPS for the core (best of
// N runs) with the JIT tier on (the default) and on the interpreter alone, the native time, and
// the checksums (which must match bit for bit). Compile time is inside the JIT's wall time.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Machine } from '../src/vm/machine.ts';
import { GUEST_RAM_BASE, CORE_STATE_END, JIT_END } from '../wasm/layout.ts';
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

interface CoreRun { instructions: number; seconds: number; checksum: string; compiled: number; blocks: number; compileMs: number }
async function runCore(kernel: Uint8Array, jitThreshold?: number): Promise<CoreRun> {
  let out = '';
  const m = await Machine.create(wasm, { kernel, memoryMiB: 64, jitThreshold }, { console: (b) => { out += Buffer.from(b).toString(); } });
  let instructions = 0;
  const t0 = performance.now();
  for (;;) {
    const r = m.runSlice(10_000_000);
    instructions += r.instructions;
    if (r.shutdown) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  const jit = m.stats().jit;
  return { instructions, seconds, checksum: parseChecksum(out), compiled: jit?.executed ?? 0, blocks: jit?.blocks ?? 0, compileMs: jit?.compileMs ?? 0 };
}

async function bestOf(kernel: Uint8Array, jitThreshold?: number): Promise<CoreRun> {
  let best: CoreRun | undefined;
  for (let i = 0; i < RUNS; i++) {
    const r = await runCore(kernel, jitThreshold);
    if (!best || r.seconds < best.seconds) best = r;
  }
  return best!;
}

interface Result { mips: number; nativeSeconds: number; ok: boolean }
async function bench(title: string, p: Pair): Promise<Result> {
  const nativeRuns = Array.from({ length: RUNS }, () => execFileSync(p.native, { encoding: 'utf8' }));
  const nativeSeconds = Math.min(...nativeRuns.map((t) => Number(/seconds ([0-9.]+)/.exec(t)![1])));
  const nativeChecksum = parseChecksum(nativeRuns[0]);
  const kernel = readFileSync(p.guest);
  const best = await bestOf(kernel);
  const interp = await bestOf(kernel, 0);
  const mips = best.instructions / best.seconds / 1e6;
  const interpMips = interp.instructions / interp.seconds / 1e6;
  const ok = best.checksum === nativeChecksum && interp.checksum === nativeChecksum;
  console.log(`workload: ${title}`);
  console.log(`  core:     ${best.instructions} instructions in ${best.seconds.toFixed(3)} s = ${mips.toFixed(1)} MIPS (JIT tier, best of ${RUNS})`);
  console.log(`            ${((100 * best.compiled) / best.instructions).toFixed(1)}% of instructions ran compiled; ${best.blocks} blocks compiled in ${best.compileMs.toFixed(0)} ms`);
  console.log(`  interpreter alone: ${interp.seconds.toFixed(3)} s = ${interpMips.toFixed(1)} MIPS (--jit-threshold 0)`);
  console.log(`  native:   ${nativeSeconds.toFixed(4)} s (${(best.instructions / nativeSeconds / 1e6).toFixed(0)} MIPS-equivalent); core is ${(best.seconds / nativeSeconds).toFixed(0)}x slower`);
  console.log(`  checksum: JIT ${best.checksum}, interpreter ${interp.checksum}, native ${nativeChecksum} ${ok ? '(match)' : '(MISMATCH)'}`);
  return { mips, nativeSeconds, ok };
}

const int = await bench('integer: sieve + quicksort + crc32 + 64-bit modexp (bench/guest/workload.c)', pairs.int);
const fp = await bench('floating point: SSE2 n-body + matrix multiply + Mandelbrot, x87 long double series/sqrt/transcendentals (bench/guest/fpwork.c)', pairs.fp);
console.log(`FP vs integer: ${fp.mips.toFixed(1)} vs ${int.mips.toFixed(1)} MIPS (${(fp.mips / int.mips * 100).toFixed(0)}%)`);
console.log(
  `core memory beyond guest RAM: ${(GUEST_RAM_BASE / 1048576).toFixed(0)} MiB reserved, ${(JIT_END / 1048576).toFixed(0)} MiB in use ` +
    `(vCPU blocks + TLBs ${(CORE_STATE_END / 1048576).toFixed(0)} MiB, JIT page generations + block table + chaining cells ${((JIT_END - CORE_STATE_END) / 1048576).toFixed(0)} MiB); compiled code lives in the engine's code space`,
);
if (!int.ok || !fp.ok) process.exit(1);
