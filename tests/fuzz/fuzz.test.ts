// The differential fuzz gate: >= 300,000 random cases over every instruction form (integer and MMX/SSE), run on the host
// CPU and on build/core.wasm; any mismatch, unimplemented form or core error fails the test.
// Seed: FUZZ_SEED (replay) or time-based; FUZZ_CASES overrides the case count.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatReport, fuzz } from './run.ts';

const wasm = resolve(import.meta.dirname, '../../build/core.wasm');
const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
const cases = Number(process.env.FUZZ_CASES ?? 300_000); // ~40% integer forms, ~60% MMX/SSE forms

describe('differential fuzz: core vs host CPU', () => {
  it(`${cases} cases, seed ${seed} (replay: FUZZ_SEED=${seed})`, () => {
    expect(existsSync(wasm), 'build/core.wasm missing: run npm run build:wasm').toBe(true);
    console.log(`fuzz seed ${seed} (replay: FUZZ_SEED=${seed} npx vitest run tests/fuzz/fuzz.test.ts, or npm run fuzz -- --seed ${seed} --cases ${cases})`);
    const report = fuzz({ seed, cases, examplesPerForm: 1 });
    const text = formatReport(report);
    console.log(text);
    expect(report.count).toBe(cases);
    expect({ failed: report.failed, unimplemented: report.unimplemented, errors: report.errors }, text.slice(-20000)).toEqual({ failed: 0, unimplemented: 0, errors: 0 });
  }, 600_000);
});
