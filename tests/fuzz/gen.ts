// Case generation: turns (seed, count, filter) into the binary case file both the native harness
// and the core runner consume, plus the per-case metadata the comparison needs.
import { Rng } from './prng.ts';
import { Ctx, FORMS, INTEGER_FORMS, DATA_SIZE, type Form } from './forms.ts';

export const POOL_SIZE = 1 << 20;
export const REC_IN = 384;
/** SIMD state block (see harness.c): XMM 256 bytes, x87 R0..R7 in 16-byte slots, MXCSR/FSW/FTW. */
export const SIMD_SIZE = 392;
export const SIMD_TAG = 0x10000;
export const NXOVR = 4;
export const NPATCH = 4;
export const HEADER = 16;

export interface CaseMeta {
  form: Int32Array; // index into FORMS
  undef: Int32Array; // RFLAGS bits the SDM leaves undefined for this case
  ignoreGpr: Int32Array; // GPRs whose result is undefined
  ignoreMem: ([number, number][] | undefined)[]; // data-region byte ranges whose result is undefined
  cr2Page: Uint8Array; // 1: compare only CR2's page
  approx: Int32Array; // XMM registers whose f32 lanes are compared with the RCP/RSQRT error bound
}

export interface CaseSet {
  seed: number;
  first: number; // index of the first case in the run
  count: number;
  forms: Form[];
  buf: Uint8Array; // header + pool + records (the harness input)
  meta: CaseMeta;
}

export function caseSeed(seed: number, i: number): number {
  let z = (seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x2c1b3c6d) >>> 0;
  return (z ^ (z >>> 12)) >>> 0;
}

export function selectForms(filter?: string): Form[] {
  if (!filter) return FORMS;
  if (filter === ':integer') return FORMS.slice(0, INTEGER_FORMS); // the general-purpose forms only
  const f = filter.toLowerCase();
  return FORMS.filter((x) => x.name.toLowerCase().includes(f));
}

/** Cases first..first+count-1 of the run `seed` (each case depends only on seed, index and filter). */
export function generate(seed: number, count: number, filter?: string, first = 0): CaseSet {
  const forms = selectForms(filter);
  if (!forms.length) throw new Error(`no form matches ${filter}`);
  const buf = new Uint8Array(HEADER + POOL_SIZE + count * REC_IN);
  const dv = new DataView(buf.buffer);
  buf.set(new TextEncoder().encode('WPVHFUZ1'), 0);
  dv.setUint32(8, count, true);
  dv.setUint32(12, POOL_SIZE, true);
  const pr = new Rng(seed ^ 0x5eed);
  for (let i = 0; i < POOL_SIZE; i += 4) {
    // mostly random bytes, with runs of 00 / FF so zero and all-ones operands appear in memory too
    const k = pr.int(16);
    dv.setUint32(HEADER + i, k === 0 ? 0 : k === 1 ? 0xffffffff : pr.u32(), true);
  }
  const meta: CaseMeta = {
    form: new Int32Array(count),
    undef: new Int32Array(count),
    ignoreGpr: new Int32Array(count),
    ignoreMem: new Array(count),
    cr2Page: new Uint8Array(count),
    approx: new Int32Array(count),
  };
  const formIndex = new Map(FORMS.map((f, i) => [f, i]));
  for (let i = 0; i < count; i++) {
    const r = new Rng(caseSeed(seed, first + i));
    const form = forms[r.int(forms.length)];
    const c = new Ctx(r);
    form.gen(c);
    const code = c.assemble();
    if (code.length > 15) throw new Error(`${form.name}: ${code.length}-byte instruction`);
    if (c.patches.length > NPATCH) throw new Error(`${form.name}: too many patches`);
    const o = HEADER + POOL_SIZE + i * REC_IN;
    buf.set(code, o);
    dv.setUint32(o + 16, code.length, true);
    dv.setUint32(o + 20, r.int((POOL_SIZE - DATA_SIZE) / 8) * 8, true);
    for (let g = 0; g < 16; g++) dv.setBigUint64(o + 24 + g * 8, c.gpr[g], true);
    dv.setBigUint64(o + 152, BigInt(c.flags), true);
    c.patches.forEach((p, j) => {
      dv.setUint32(o + 160 + j * 24, p.off, true);
      dv.setUint32(o + 164 + j * 24, p.bytes.length, true);
      buf.set(p.bytes, o + 168 + j * 24);
    });
    dv.setUint32(o + 256, r.int((POOL_SIZE - 512) / 16) * 16, true);
    dv.setUint32(o + 260, c.mxcsr, true);
    dv.setUint16(o + 264, c.fsw, true);
    buf[o + 266] = c.ftw;
    if (c.simdSet.length > NXOVR) throw new Error(`${form.name}: too many SIMD register values`);
    for (let k = 0; k < NXOVR; k++) {
      const e = c.simdSet[k];
      dv.setUint32(o + 272 + k * 24, e ? e.idx : 0xffffffff, true);
      if (e) buf.set(e.bytes.subarray(0, 16), o + 280 + k * 24);
    }
    meta.approx[i] = c.approx;
    meta.form[i] = formIndex.get(form)!;
    meta.undef[i] = c.undef;
    meta.ignoreGpr[i] = c.ignoreGpr;
    if (c.ignoreMem.length) meta.ignoreMem[i] = c.ignoreMem;
    meta.cr2Page[i] = c.cr2Page ? 1 : 0;
  }
  return { seed, first, count, forms, buf, meta };
}

export interface ManualCase {
  code: number[];
  gpr?: Partial<Record<number, bigint>>;
  rflags?: number;
  patches?: { off: number; bytes: number[] }[];
}

/** A case set from explicit cases (data region filled with zeros), for hand-written checks. */
export function manualCases(cases: ManualCase[]): CaseSet {
  const count = cases.length;
  const buf = new Uint8Array(HEADER + POOL_SIZE + count * REC_IN);
  const dv = new DataView(buf.buffer);
  buf.set(new TextEncoder().encode('WPVHFUZ1'), 0);
  dv.setUint32(8, count, true);
  dv.setUint32(12, POOL_SIZE, true);
  cases.forEach((c, i) => {
    const o = HEADER + POOL_SIZE + i * REC_IN;
    buf.set(c.code, o);
    dv.setUint32(o + 16, c.code.length, true);
    dv.setUint32(o + 20, 0, true);
    for (let g = 0; g < 16; g++) dv.setBigUint64(o + 24 + g * 8, c.gpr?.[g] ?? 0n, true);
    dv.setBigUint64(o + 152, BigInt(c.rflags ?? 0x202), true);
    dv.setUint32(o + 260, 0x1f80, true);
    for (let k = 0; k < NXOVR; k++) dv.setUint32(o + 272 + k * 24, 0xffffffff, true);
    (c.patches ?? []).forEach((p, j) => {
      dv.setUint32(o + 160 + j * 24, p.off, true);
      dv.setUint32(o + 164 + j * 24, p.bytes.length, true);
      buf.set(p.bytes, o + 168 + j * 24);
    });
  });
  return {
    seed: 0,
    first: 0,
    count,
    forms: [],
    buf,
    meta: { form: new Int32Array(count), undef: new Int32Array(count), ignoreGpr: new Int32Array(count), ignoreMem: new Array(count), cr2Page: new Uint8Array(count), approx: new Int32Array(count) },
  };
}
