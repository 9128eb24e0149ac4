// The JIT tier against the host CPU: the same differential cases as fuzz.test.ts, but every case
// is compiled to wasm by src/jit/ before it runs (threshold 1), so each instruction the JIT
// translates is checked, including its fault exits. Integer forms only (the JIT leaves SSE to the
// interpreter). Seed: FUZZ_SEED or time-based; FUZZ_JIT_CASES overrides the count.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatReport, fuzz } from './run.ts';
import { INTEGER_FORMS } from './forms.ts';

const wasm = resolve(import.meta.dirname, '../../build/core.wasm');
const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
const cases = Number(process.env.FUZZ_JIT_CASES ?? 30_000);

describe('differential fuzz: JIT-compiled code vs host CPU', () => {
  it(`${cases} cases, seed ${seed} (replay: FUZZ_SEED=${seed})`, () => {
    expect(existsSync(wasm), 'build/core.wasm missing: run npm run build:wasm').toBe(true);
    expect(INTEGER_FORMS).toBeGreaterThan(300);
    console.log(`fuzz-jit seed ${seed} (replay: FUZZ_SEED=${seed} npx vitest run tests/fuzz/fuzz-jit.test.ts)`);
    const report = fuzz({ seed, cases, examplesPerForm: 1, jit: true, filter: ':integer' });
    const text = formatReport(report);
    console.log(text);
    expect(report.count).toBe(cases);
    expect({ failed: report.failed, unimplemented: report.unimplemented, errors: report.errors }, text.slice(-20000)).toEqual({ failed: 0, unimplemented: 0, errors: 0 });
    // The JIT really ran: most integer cases start with an instruction it translates.
    expect(report.jit?.errors, report.jit?.lastError).toBe(0);
    expect(report.jit!.blocks).toBeGreaterThan(cases / 3);
  }, 600_000);
});
