// The differential run: generate cases, run them on the host CPU and on the core, compare, report.
import type { JitStats } from '../../src/jit/jit.ts';
import { CoreRunner, hex, type CoreOutcome } from './core-runner.ts';
import { FORMS, INSN_VA, REG64, DATA_SIZE, CF, PF, AF, ZF, SF, DF, OF } from './forms.ts';
import { generate, HEADER, POOL_SIZE, REC_IN, type CaseSet } from './gen.ts';
import { nativeResult, runNative, type Result } from './native.ts';

/** RFLAGS bits compared: status flags, TF, IF, DF, IOPL, NT, AC, ID (not RF, which faults set). */
export const FLAGS_COMPARED = 0x247fd5n;
const ERR_COMPARED = new Set([8, 10, 11, 12, 13, 14, 17]);

export interface FormStats {
  name: string;
  cases: number;
  passed: number;
  failed: number;
  unimplemented: number;
  errors: number;
  examples: string[];
  unimplementedBytes: Map<string, number>;
}

export interface FuzzReport {
  seed: number;
  count: number;
  forms: FormStats[];
  failed: number;
  unimplemented: number;
  errors: number;
  passed: number;
  genMs: number;
  nativeMs: number;
  coreMs: number;
  /** JIT statistics when o.jit was set. */
  jit?: JitStats;
}

export interface FuzzOptions {
  seed: number;
  cases: number;
  filter?: string;
  first?: number;
  examplesPerForm?: number;
  /** Compile every case with the JIT tier (threshold 1) instead of interpreting it. */
  jit?: boolean;
  verbose?: boolean;
  log?: (s: string) => void;
}

export function fuzz(o: FuzzOptions): FuzzReport {
  const log = o.log ?? (() => {});
  const t0 = Date.now();
  const set = generate(o.seed, o.cases, o.filter, o.first ?? 0);
  const t1 = Date.now();
  const native = runNative(set);
  const t2 = Date.now();
  const core = new CoreRunner(process.env.FUZZ_CORE_WASM || undefined, o.jit ? 1 : 0);
  const stats = new Map<number, FormStats>();
  const maxEx = o.examplesPerForm ?? 3;
  let failed = 0, unimpl = 0, errors = 0, passed = 0;
  for (let i = 0; i < set.count; i++) {
    const fi = set.meta.form[i];
    let st = stats.get(fi);
    if (!st) {
      st = { name: FORMS[fi].name, cases: 0, passed: 0, failed: 0, unimplemented: 0, errors: 0, examples: [], unimplementedBytes: new Map() };
      stats.set(fi, st);
    }
    st.cases++;
    const rec = HEADER + POOL_SIZE + i * REC_IN;
    const len = set.buf[rec + 16];
    const code = set.buf.subarray(rec, rec + len);
    const n = nativeResult(native, i, INSN_VA + BigInt(len));
    const c = core.runCase(set.buf, i);
    if (c.kind === 'unimplemented') {
      st.unimplemented++;
      unimpl++;
      const key = c.note.replace(/^unimplemented: /, '').split(' ').slice(0, Math.min(len + 0, 15)).join(' ');
      st.unimplementedBytes.set(key, (st.unimplementedBytes.get(key) ?? 0) + 1);
      if (o.verbose) log(`  case ${set.first + i}: ${st.name}: ${c.note}`);
      continue;
    }
    const problems = c.kind === 'error' ? [c.note] : compare(set, i, n, c, core);
    if (!problems.length) {
      st.passed++;
      passed++;
      continue;
    }
    if (c.kind === 'error') {
      st.errors++;
      errors++;
    } else {
      st.failed++;
      failed++;
    }
    if (st.examples.length < maxEx || o.verbose) {
      const text = describe(set, i, code, n, c, problems);
      if (st.examples.length < maxEx) st.examples.push(text);
      if (o.verbose) log(text);
    }
  }
  const t3 = Date.now();
  const forms = [...stats.values()].sort((a, b) => a.name.localeCompare(b.name));
  return { seed: o.seed, count: set.count, forms, failed, unimplemented: unimpl, errors, passed, genMs: t1 - t0, nativeMs: t2 - t1, coreMs: t3 - t2, jit: core.jit ? { ...core.jit.stats } : undefined };
}

function h64(v: bigint) {
  return v.toString(16).padStart(16, '0');
}

function vecName(v: number): string {
  const names: Record<number, string> = { 0: '#DE', 1: '#DB', 3: '#BP', 4: '#OF', 5: '#BR', 6: '#UD', 7: '#NM', 8: '#DF', 10: '#TS', 11: '#NP', 12: '#SS', 13: '#GP', 14: '#PF', 16: '#MF', 17: '#AC', 18: '#MC', 19: '#XM' };
  return v === -1 ? 'completed' : v < -1 ? 'no result' : `${names[v] ?? 'vector'} (${v})`;
}

function compare(set: CaseSet, i: number, n: Result, c: CoreOutcome, core: CoreRunner): string[] {
  const p: string[] = [];
  if (n.vector !== c.vector) p.push(`outcome: native ${vecName(n.vector)}, core ${vecName(c.vector)}`);
  if (n.rip !== c.rip) p.push(`rip: native ${n.rip.toString(16)}, core ${c.rip.toString(16)}`);
  if (n.vector === c.vector && ERR_COMPARED.has(n.vector)) {
    const m = n.vector === 14 ? 0x1fn : 0xffffn;
    if ((n.err & m) !== (c.err & m)) p.push(`error code: native ${n.err.toString(16)}, core ${c.err.toString(16)}`);
    const cm = set.meta.cr2Page[i] ? ~0xfffn : -1n;
    if (n.vector === 14 && (n.cr2 & cm) !== (c.cr2 & cm)) p.push(`cr2: native ${n.cr2.toString(16)}, core ${c.cr2.toString(16)}`);
  }
  const ig = set.meta.ignoreGpr[i];
  for (let g = 0; g < 16; g++) {
    if (ig & (1 << g)) continue;
    if (n.gpr[g] !== c.gpr[g]) p.push(`${REG64[g]}: native ${h64(n.gpr[g])}, core ${h64(c.gpr[g])}`);
  }
  const undef = n.vector === -1 || n.vector === 3 ? BigInt(set.meta.undef[i]) : 0n;
  const fm = FLAGS_COMPARED & ~undef;
  if ((n.rflags & fm) !== (c.rflags & fm)) {
    p.push(`rflags: native ${flagStr(n.rflags)}, core ${flagStr(c.rflags)} (differ: ${flagStr((n.rflags ^ c.rflags) & fm)}; undefined: ${flagStr(undef)})`);
  }
  // memory: every word of the data region must equal the native result (native diff, else unchanged)
  const ignore = set.meta.ignoreMem[i];
  const words = new Set<number>([...n.diff.keys(), ...core.changedWords()]);
  for (const off of [...words].sort((a, b) => a - b)) {
    const exp = n.diff.get(off) ?? core.initialWord(off);
    const got = core.dataWord(off);
    let m = 0xffffffffffffffffn;
    if (ignore) for (const [o, l] of ignore) for (let b = o; b < o + l; b++) if (b >= off && b < off + 8) m &= ~(0xffn << BigInt(8 * (b - off)));
    if ((exp & m) !== (got & m)) p.push(`mem[data+0x${off.toString(16)}]: native ${h64(exp)}, core ${h64(got)} (was ${h64(core.initialWord(off))})`);
  }
  compareSimd(set, i, n, core, p);
  if (c.note) p.push(`note: ${c.note}`);
  return p;
}

function simdName(off: number): string {
  if (off < 256) return `xmm${off >> 4}.${(off & 8) ? 'hi' : 'lo'}`;
  if (off < 384) return `R${(off - 256) >> 4}${(off & 8) ? '.exp' : '.mant'}`;
  return 'mxcsr/fsw/ftw';
}

/** |a - b| within the RCP/RSQRT bound (both results within 1.5*2^-12 of the true value). */
function approxF32(a: number, b: number): boolean {
  const fa = new Float32Array(new Uint32Array([a]).buffer)[0];
  const fb = new Float32Array(new Uint32Array([b]).buffer)[0];
  if (a === b) return true;
  if (!Number.isFinite(fa) || !Number.isFinite(fb) || fa === 0 || fb === 0) return false;
  if (Math.sign(fa) !== Math.sign(fb)) return false;
  return Math.abs(fa - fb) <= 3 * 2 ** -12 * Math.abs(fa);
}

function compareSimd(set: CaseSet, i: number, n: Result, core: CoreRunner, p: string[]) {
  const init = new DataView(core.simdInitial.buffer);
  const nowB = core.simdNow();
  const now = new DataView(nowB.buffer);
  const approx = set.meta.approx[i];
  for (let off = 0; off < nowB.length; off += 8) {
    const was = init.getBigUint64(off, true);
    const exp = n.simd.get(off) ?? was;
    const got = now.getBigUint64(off, true);
    if (exp === got) continue;
    if (off < 256 && approx & (1 << (off >> 4))) {
      const ok = approxF32(Number(exp & 0xffffffffn), Number(got & 0xffffffffn)) && approxF32(Number(exp >> 32n), Number(got >> 32n));
      if (ok) continue;
    }
    p.push(`${simdName(off)}: native ${h64(exp)}, core ${h64(got)} (was ${h64(was)})`);
  }
}

export function flagStr(f: bigint): string {
  const names: [bigint, string][] = [[BigInt(OF), 'OF'], [BigInt(DF), 'DF'], [0x200n, 'IF'], [0x100n, 'TF'], [BigInt(SF), 'SF'], [BigInt(ZF), 'ZF'], [BigInt(AF), 'AF'], [BigInt(PF), 'PF'], [BigInt(CF), 'CF'], [0x4000n, 'NT'], [0x40000n, 'AC'], [0x200000n, 'ID']];
  const s = names.filter(([b]) => f & b).map(([, n]) => n);
  return `${f.toString(16)}[${s.join(' ')}]`;
}

function describe(set: CaseSet, i: number, code: Uint8Array, n: Result, c: CoreOutcome, problems: string[]): string {
  const rec = HEADER + POOL_SIZE + i * REC_IN;
  const dv = new DataView(set.buf.buffer, set.buf.byteOffset);
  const lines: string[] = [];
  lines.push(`  case ${set.first + i} (seed ${set.seed}): ${FORMS[set.meta.form[i]].name}   bytes: ${hex(code)}`);
  const ins: string[] = [];
  for (let g = 0; g < 16; g++) ins.push(`${REG64[g]}=${h64(dv.getBigUint64(rec + 24 + g * 8, true))}`);
  for (let k = 0; k < 16; k += 4) lines.push(`    in   ${ins.slice(k, k + 4).join(' ')}`);
  lines.push(`    in   rflags=${flagStr(dv.getBigUint64(rec + 152, true))} undefined-mask=${flagStr(BigInt(set.meta.undef[i]))}`);
  {
    const sdv = new DataView(set.buf.buffer, set.buf.byteOffset);
    const mx = sdv.getUint32(rec + 260, true);
    const regs: string[] = [];
    for (let k = 0; k < 4; k++) {
      const idx = sdv.getUint32(rec + 272 + k * 24, true);
      if (idx === 0xffffffff) continue;
      const b = set.buf.subarray(rec + 280 + k * 24, rec + 280 + k * 24 + (idx < 16 ? 16 : 10));
      regs.push(`${idx < 16 ? 'xmm' + idx : 'mm' + (idx - 16)}=${hex(Uint8Array.from(b).reverse()).replace(/ /g, '')}`);
    }
    lines.push(`    in   mxcsr=${mx.toString(16)} ftw=${set.buf[rec + 266].toString(16)} ${regs.join(' ')}`);
  }
  for (let p = 0; p < 4; p++) {
    const plen = dv.getUint32(rec + 164 + p * 24, true);
    if (plen) lines.push(`    in   mem[data+0x${dv.getUint32(rec + 160 + p * 24, true).toString(16)}] = ${hex(set.buf.subarray(rec + 168 + p * 24, rec + 168 + p * 24 + plen))}`);
  }
  lines.push(`    native: ${vecName(n.vector)} rip=${n.rip.toString(16)}${n.vector >= 0 ? ` err=${n.err.toString(16)} cr2=${n.cr2.toString(16)}` : ''}`);
  lines.push(`    core:   ${vecName(c.vector)} rip=${c.rip.toString(16)}${c.vector >= 0 ? ` err=${c.err.toString(16)} cr2=${c.cr2.toString(16)}` : ''}`);
  for (const p of problems.slice(0, 12)) lines.push(`    ! ${p}`);
  if (problems.length > 12) lines.push(`    ! ... ${problems.length - 12} more`);
  return lines.join('\n');
}

export function formatReport(r: FuzzReport, opts: { all?: boolean } = {}): string {
  const out: string[] = [];
  const rows = r.forms.filter((f) => opts.all || f.failed || f.unimplemented || f.errors);
  out.push(`${'form'.padEnd(34)} ${'cases'.padStart(7)} ${'passed'.padStart(7)} ${'failed'.padStart(7)} ${'unimpl'.padStart(7)} ${'error'.padStart(6)}`);
  for (const f of opts.all ? r.forms : rows) {
    out.push(`${f.name.padEnd(34)} ${String(f.cases).padStart(7)} ${String(f.passed).padStart(7)} ${String(f.failed).padStart(7)} ${String(f.unimplemented).padStart(7)} ${String(f.errors).padStart(6)}`);
  }
  if (!opts.all && rows.length < r.forms.length) out.push(`(${r.forms.length - rows.length} more forms passed every case; --all lists them)`);
  const bad = r.forms.filter((f) => f.failed || f.errors).sort((a, b) => b.failed + b.errors - (a.failed + a.errors));
  if (bad.length) {
    out.push('', 'Failures (first examples per form):');
    for (const f of bad) {
      out.push(`- ${f.name}: ${f.failed} failed, ${f.errors} errors of ${f.cases}`);
      out.push(...f.examples);
    }
  }
  const un = r.forms.filter((f) => f.unimplemented);
  if (un.length) {
    out.push('', 'Unimplemented (core exit EXIT_UNIMPLEMENTED):');
    for (const f of un) {
      const top = [...f.unimplementedBytes].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k} (x${v})`);
      out.push(`- ${f.name}: ${f.unimplemented} of ${f.cases}, e.g. ${top.join('; ')}`);
    }
  }
  const total = r.genMs + r.nativeMs + r.coreMs;
  out.push('');
  out.push(`seed ${r.seed}: ${r.count} cases, ${r.passed} passed, ${r.failed} failed, ${r.unimplemented} unimplemented, ${r.errors} errors (${r.forms.length} forms)`);
  if (r.jit) out.push(`jit: ${r.jit.blocks} blocks compiled (${r.jit.instructions} instructions), ${r.jit.refused} refused, ${r.jit.errors} errors${r.jit.lastError ? ` (last: ${r.jit.lastError})` : ''}, ${Math.round(r.jit.compileMs)} ms compiling`);
  out.push(`time: generate ${r.genMs} ms, native ${r.nativeMs} ms, core+compare ${r.coreMs} ms; ${Math.round((r.count / total) * 1000)} cases/s overall, core ${Math.round((r.count / Math.max(1, r.coreMs)) * 1000)} cases/s`);
  return out.join('\n');
}

void DATA_SIZE;
