// The x87 differential fuzz gate: >= 50,000 random cases over every D8-DF form plus FXSAVE/FXRSTOR and
// FWAIT, run on the host CPU (tests/fuzz-x87/harness.c) and on build/core.wasm. Registers, status,
// control and tag words, EFLAGS, RAX, memory and exceptions must match bit for bit, except the x87
// instruction/data pointers (see x87fuzz.ts) and, for the eight transcendentals, results may differ
// by 1 ulp and C1 is not compared (the host's own results are up to ~0.6 ulp from exact); their
// exception flags, C2, stack and tags must match. The gate is strict for every form.
// Seed: FUZZ_SEED (replay) or time-based; X87_CASES overrides the case count.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatReport, fuzz } from './x87fuzz.ts';

const wasm = resolve(import.meta.dirname, '../../build/core.wasm');
const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
const cases = Number(process.env.X87_CASES ?? 60_000);

describe('x87 differential fuzz: core vs host CPU', () => {
  it(`${cases} cases, seed ${seed} (replay: FUZZ_SEED=${seed})`, () => {
    expect(existsSync(wasm), 'build/core.wasm missing: run npm run build:wasm').toBe(true);
    console.log(`x87 fuzz seed ${seed} (replay: FUZZ_SEED=${seed} npx vitest run tests/fuzz-x87, or npx tsx tests/fuzz-x87/x87fuzz.ts --seed ${seed} --cases ${cases})`);
    const report = fuzz(seed, cases);
    const text = formatReport(report);
    console.log(text);
    expect(report.cases).toBe(cases);
    expect({ failed: report.failed, unimplemented: report.unimplemented }, text.slice(-20000)).toEqual({ failed: 0, unimplemented: 0 });
  }, 300_000);
});
