// x87 differential fuzzer: random FPU states (hard values: zeros, infinities, QNaN/SNaN/indefinite,
// denormals, pseudo-denormals, unnormals, pseudo-NaNs, rounding boundaries for every precision
// control, integer-overflow magnitudes) and one x87 instruction per case, run on the host CPU
// (harness.c) and on build/core.wasm in a small 64-bit CPL0 environment. Each case's code is
//   FRSTOR [rsi]; PUSH imm32; POPFQ; MOV RAX, imm64; <insn on [rdi]>; FXSAVE64 [r8]; PUSHFQ;
//   POP [rcx]; MOV [rcx+8], RAX; [FWAIT]; FNSAVE [rdx]
// and the two sides' FXSAVE/FNSAVE images, flags, RAX, memory operand and exception must match.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import * as L from '../../wasm/layout.ts';
import { Rng } from '../fuzz/prng.ts';

const here = import.meta.dirname ?? '.';
const root = resolve(here, '..', '..');
export const REC_IN = 96 + 8 + 512 + 112;
export const REC_OUT = 512 + 112 + 16 + 512 + 8;

// ---------------------------------------------------------------- values
const M64 = (1n << 64n) - 1n;
const TOP = 1n << 63n;
export interface F80 { se: number; sig: bigint }

function rsig(r: Rng): bigint { return r.u64() | TOP; }
/** significand with a pattern around the rounding position of `keep` bits */
function boundarySig(r: Rng, keep: number): bigint {
  let s = rsig(r);
  if (keep >= 64) {
    const k = r.int(4);
    return k === 0 ? M64 : k === 1 ? TOP : k === 2 ? TOP | 1n : s;
  }
  const sh = BigInt(64 - keep);
  const lowMask = (1n << sh) - 1n;
  const half = 1n << (sh - 1n);
  const low = [0n, half, half - 1n, half + 1n, lowMask, 1n][r.int(6)];
  s = (s & ~lowMask) | low;
  if (r.bool(0.2)) s |= ((1n << BigInt(keep)) - 1n) << sh; // all ones above: carry out
  return s & M64;
}
export function genF80(r: Rng): F80 {
  const sign = r.bool() ? 0x8000 : 0;
  const k = r.int(30);
  switch (k) {
    case 0: return { se: sign, sig: 0n };
    case 1: return { se: sign | 0x7fff, sig: TOP };
    case 2: return { se: sign | 0x7fff, sig: TOP | (1n << 62n) | (r.bool() ? 0n : r.u64() & ((1n << 62n) - 1n)) }; // QNaN
    case 3: return { se: sign | 0x7fff, sig: TOP | ((r.u64() & ((1n << 62n) - 1n)) || 1n) }; // SNaN
    case 4: return { se: 0xffff, sig: 0xc000000000000000n }; // indefinite
    case 5: return { se: sign, sig: (r.u64() >> BigInt(1 + r.int(63))) || 1n }; // denormal
    case 6: return { se: sign, sig: rsig(r) }; // pseudo-denormal
    case 7: return { se: sign | (1 + r.int(0x7ffe)), sig: r.u64() & ~TOP }; // unnormal
    case 8: return { se: sign | 0x7fff, sig: r.u64() & ~TOP }; // pseudo-NaN / pseudo-infinity
    case 9: return { se: sign | 0x7ffe, sig: r.bool() ? M64 : rsig(r) }; // near max
    case 10: return { se: sign | r.int(3), sig: rsig(r) }; // near min normal
    case 11: return { se: sign | 0x3fff, sig: TOP }; // 1.0
    case 12: case 13: { // integers and halves around FIST/FRNDINT boundaries
      const e = [0, 1, 14, 15, 16, 30, 31, 32, 62, 63, 64, r.int(64)][r.int(12)];
      let s = rsig(r);
      if (r.bool(0.5)) s = r.bool() ? TOP : M64;
      if (r.bool(0.3)) s = TOP | (1n << BigInt(Math.max(0, 62 - e))); // x.5
      return { se: sign | (0x3fff + e), sig: s };
    }
    case 14: case 15: case 16: { // rounding boundaries for the precision controls and f32/f64 stores
      const keep = r.pick([24, 53, 64]);
      return { se: sign | (0x3fff + r.range(-70, 70)), sig: boundarySig(r, keep) };
    }
    case 17: case 18: { // exponents at the f32/f64 range edges
      const e = r.pick([127, 128, -126, -127, -149, -150, -140, 1023, 1024, -1022, -1023, -1074, -1075, -1060]);
      return { se: sign | (0x3fff + e + r.range(-1, 1)), sig: r.bool() ? boundarySig(r, r.pick([24, 53])) : rsig(r) };
    }
    case 19: { // small exponent differences
      return { se: sign | (0x3fff + r.range(-3, 3)), sig: r.bool() ? rsig(r) : TOP | (r.u64() & 0xffn) };
    }
    case 20: return { se: sign | (0x3fff + r.range(-16382, 16383)), sig: rsig(r) };
    case 21: return { se: sign | (r.bool() ? r.range(1, 80) : r.range(0x7ffe - 80, 0x7ffe)), sig: rsig(r) };
    default: return { se: sign | (0x3fff + r.range(-40, 40)), sig: rsig(r) };
  }
}
const PI66 = 0x3243f6a8885a308d3n; // floor(pi * 2^64): P/2 = PI66 * 2^-65
/** k * P/2 rounded to 64 bits, plus a few ulps, for a random k up to 2^62 */
function nearHalfPi(r: Rng): F80 {
  const k = (r.u64() >> BigInt(r.int(63))) || 1n;
  const x = k * PI66; // value x * 2^-65
  const bits = x.toString(2).length;
  let sig = bits > 64 ? (x + (1n << BigInt(bits - 65))) >> BigInt(bits - 64) : x << BigInt(64 - bits);
  let e = bits - 1 - 65;
  if (sig >> 64n) { sig >>= 1n; e++; }
  sig = (sig + BigInt(r.range(-4, 4))) & M64;
  if (!(sig & TOP)) sig |= TOP;
  return { se: (r.bool() ? 0x8000 : 0) | (0x3fff + e), sig };
}
function genF32(r: Rng): bigint {
  const s = r.bool() ? 0x80000000 : 0;
  const k = r.int(12);
  const m = r.u32() & 0x7fffff;
  let v: number;
  switch (k) {
    case 0: v = s; break;
    case 1: v = s | 0x7f800000; break;
    case 2: v = s | 0x7fc00000 | (m & 0x3fffff); break;
    case 3: v = s | 0x7f800000 | ((m & 0x3fffff) || 1); break;
    case 4: v = s | (m || 1); break; // denormal
    case 5: v = s | ((r.range(1, 254) << 23) >>> 0) | m; break;
    default: v = s | ((r.range(127 - 30, 127 + 30) << 23) >>> 0) | (r.bool(0.3) ? m & 0x7f0000 : m); break;
  }
  return BigInt(v >>> 0);
}
function genF64(r: Rng): bigint {
  const s = r.bool() ? 1n << 63n : 0n;
  const m = r.u64() & ((1n << 52n) - 1n);
  switch (r.int(12)) {
    case 0: return s;
    case 1: return s | (0x7ffn << 52n);
    case 2: return s | (0x7ffn << 52n) | (1n << 51n) | (m & ((1n << 51n) - 1n));
    case 3: return s | (0x7ffn << 52n) | ((m & ((1n << 51n) - 1n)) || 1n);
    case 4: return s | (m || 1n);
    case 5: return s | (BigInt(r.range(1, 2046)) << 52n) | m;
    default: return s | (BigInt(r.range(1023 - 60, 1023 + 60)) << 52n) | (r.bool(0.3) ? m & (0xffn << 44n) : m);
  }
}
function genInt(r: Rng, bits: number): bigint {
  const lim = 1n << BigInt(bits - 1);
  const edge = [0n, 1n, -1n, lim - 1n, -lim, lim - 2n, -lim + 1n, 10n, -10n];
  let v = r.bool(0.4) ? r.pick(edge) : BigInt.asIntN(bits, r.u64());
  if (r.bool(0.3)) v = BigInt.asIntN(bits, r.u64() >> BigInt(r.int(bits)));
  return BigInt.asUintN(bits, v);
}

// ---------------------------------------------------------------- state images
export interface State { cw: number; sw: number; regs: F80[]; empty: boolean[] } // regs in physical order

function tagOf(v: F80): number {
  const e = v.se & 0x7fff;
  if (e === 0x7fff) return 2;
  if (e === 0) return v.sig === 0n ? 1 : 2;
  return v.sig & TOP ? 0 : 2;
}
export function genState(r: Rng): State {
  const masks = r.bool(0.6) ? 0x3f : r.bool(0.5) ? r.u32() & 0x3f : 0;
  const pc = r.bool(0.05) ? 1 : r.pick([0, 2, 3, 3]);
  const rc = r.int(4);
  const cw = masks | 0x40 | (pc << 8) | (rc << 10) | (r.bool(0.1) ? 0x1000 : 0);
  let flags = r.bool(0.5) ? r.u32() & 0x3f & masks : 0;
  if (r.bool(0.5)) flags = 0;
  const top = r.int(8);
  let sw = flags | (r.u32() & 0x4700) | (top << 11);
  if (r.bool(0.01)) sw |= r.u32() & 0x3f; // occasionally a pending unmasked exception
  if ((sw & ~cw & 0x3f) !== 0) sw |= 0x8080;
  const pEmpty = r.pick([0, 0, 0.1, 0.3, 0.7]);
  const regs: F80[] = [], empty: boolean[] = [];
  for (let i = 0; i < 8; i++) { regs.push(genF80(r)); empty.push(r.bool(pEmpty)); }
  return { cw, sw, regs, empty };
}
/** FNSAVE 32-bit protected-mode image (108 bytes). */
export function fsaveImage(s: State, out: Uint8Array, off: number) {
  const dv = new DataView(out.buffer, out.byteOffset + off);
  let tw = 0;
  for (let p = 0; p < 8; p++) tw |= (s.empty[p] ? 3 : tagOf(s.regs[p])) << (2 * p);
  dv.setUint32(0, 0xffff0000 | s.cw, true);
  dv.setUint32(4, 0xffff0000 | s.sw, true);
  dv.setUint32(8, 0xffff0000 | tw, true);
  const top = (s.sw >> 11) & 7;
  for (let i = 0; i < 8; i++) {
    const v = s.regs[(top + i) & 7];
    dv.setBigUint64(28 + 10 * i, v.sig, true);
    dv.setUint16(36 + 10 * i, v.se, true);
  }
}

// ---------------------------------------------------------------- forms
type MemKind = 'none' | 'f32' | 'f64' | 'f80' | 'i16' | 'i32' | 'i64' | 'bcd' | 'env' | 'env16' | 'save' | 'save16' | 'fx' | 'cw';
export interface Form { name: string; bytes: number[]; mem: MemKind; trans?: boolean; fxrstor?: boolean; wait?: boolean }

export const FORMS: Form[] = [];
function f(name: string, bytes: number[], mem: MemKind = 'none', extra: Partial<Form> = {}) { FORMS.push({ name, bytes, mem, ...extra }); }
const ARITH = ['FADD', 'FMUL', 'FCOM', 'FCOMP', 'FSUB', 'FSUBR', 'FDIV', 'FDIVR'];
const m = (op: number, reg: number) => [op, (reg << 3) | 7];
for (let g = 0; g < 8; g++) {
  f(`${ARITH[g]} m32fp`, m(0xd8, g), 'f32');
  f(`${ARITH[g]} m64fp`, m(0xdc, g), 'f64');
  f(`FI${ARITH[g].slice(1)} m32int`, m(0xda, g), 'i32');
  f(`FI${ARITH[g].slice(1)} m16int`, m(0xde, g), 'i16');
  f(`${ARITH[g]} ST0,STi`, [0xd8, 0xc0 | (g << 3)]);
}
for (const [n, r] of [['FADD', 0], ['FMUL', 1], ['FSUBR', 4], ['FSUB', 5], ['FDIVR', 6], ['FDIV', 7]] as [string, number][]) {
  f(`${n} STi,ST0`, [0xdc, 0xc0 | (r << 3)]);
  f(`${n}P STi,ST0`, [0xde, 0xc0 | (r << 3)]);
}
f('FCOM2 (DC D0)', [0xdc, 0xd0]); f('FCOMP3 (DC D8)', [0xdc, 0xd8]); f('FCOMP5 (DE D0)', [0xde, 0xd0]);
f('FCOMPP', [0xde, 0xd9]);
f('FLD m32fp', m(0xd9, 0), 'f32'); f('FST m32fp', m(0xd9, 2), 'f32'); f('FSTP m32fp', m(0xd9, 3), 'f32');
f('FLDENV', m(0xd9, 4), 'env'); f('FLDCW', m(0xd9, 5), 'cw'); f('FNSTENV', m(0xd9, 6), 'env'); f('FNSTCW', m(0xd9, 7), 'cw');
f('FLDENV 16-bit', [0x66, ...m(0xd9, 4)], 'env16'); f('FNSTENV 16-bit', [0x66, ...m(0xd9, 6)], 'env16');
f('FLD STi', [0xd9, 0xc0]); f('FXCH', [0xd9, 0xc8]); f('FNOP', [0xd9, 0xd0]); f('FSTP1 (D9 D8)', [0xd9, 0xd8]);
for (const [n, b] of [['FCHS', 0xe0], ['FABS', 0xe1], ['FTST', 0xe4], ['FXAM', 0xe5], ['FLD1', 0xe8], ['FLDL2T', 0xe9],
  ['FLDL2E', 0xea], ['FLDPI', 0xeb], ['FLDLG2', 0xec], ['FLDLN2', 0xed], ['FLDZ', 0xee], ['FXTRACT', 0xf4], ['FPREM1', 0xf5],
  ['FDECSTP', 0xf6], ['FINCSTP', 0xf7], ['FPREM', 0xf8], ['FSQRT', 0xfa], ['FRNDINT', 0xfc], ['FSCALE', 0xfd]] as [string, number][]) f(n, [0xd9, b]);
for (const [n, b] of [['F2XM1', 0xf0], ['FYL2X', 0xf1], ['FPTAN', 0xf2], ['FPATAN', 0xf3], ['FYL2XP1', 0xf9], ['FSINCOS', 0xfb],
  ['FSIN', 0xfe], ['FCOS', 0xff]] as [string, number][]) f(n, [0xd9, b], 'none', { trans: true });
for (const [n, b] of [['FCMOVB', 0xc0], ['FCMOVE', 0xc8], ['FCMOVBE', 0xd0], ['FCMOVU', 0xd8]] as [string, number][]) {
  f(n, [0xda, b]); f(n.replace('FCMOV', 'FCMOVN'), [0xdb, b]);
}
f('FUCOMPP', [0xda, 0xe9]);
f('FILD m32int', m(0xdb, 0), 'i32'); f('FISTTP m32int', m(0xdb, 1), 'i32'); f('FIST m32int', m(0xdb, 2), 'i32');
f('FISTP m32int', m(0xdb, 3), 'i32'); f('FLD m80fp', m(0xdb, 5), 'f80'); f('FSTP m80fp', m(0xdb, 7), 'f80');
f('FNCLEX', [0xdb, 0xe2]); f('FNINIT', [0xdb, 0xe3]); f('FNENI/FNDISI/FNSETPM', [0xdb, 0xe0]);
f('FUCOMI', [0xdb, 0xe8]); f('FCOMI', [0xdb, 0xf0]);
f('FLD m64fp', m(0xdd, 0), 'f64'); f('FISTTP m64int', m(0xdd, 1), 'i64'); f('FST m64fp', m(0xdd, 2), 'f64');
f('FSTP m64fp', m(0xdd, 3), 'f64'); f('FRSTOR', m(0xdd, 4), 'save'); f('FNSAVE', m(0xdd, 6), 'save'); f('FNSTSW m16', m(0xdd, 7), 'cw');
f('FRSTOR 16-bit', [0x66, ...m(0xdd, 4)], 'save16'); f('FNSAVE 16-bit', [0x66, ...m(0xdd, 6)], 'save16');
f('FFREE', [0xdd, 0xc0]); f('FXCH4 (DD C8)', [0xdd, 0xc8]); f('FST STi', [0xdd, 0xd0]); f('FSTP STi', [0xdd, 0xd8]);
f('FUCOM', [0xdd, 0xe0]); f('FUCOMP', [0xdd, 0xe8]);
f('FILD m16int', m(0xdf, 0), 'i16'); f('FISTTP m16int', m(0xdf, 1), 'i16'); f('FIST m16int', m(0xdf, 2), 'i16');
f('FISTP m16int', m(0xdf, 3), 'i16'); f('FBLD', m(0xdf, 4), 'bcd'); f('FILD m64int', m(0xdf, 5), 'i64');
f('FBSTP', m(0xdf, 6), 'bcd'); f('FISTP m64int', m(0xdf, 7), 'i64');
f('FFREEP', [0xdf, 0xc0]); f('FXCH7 (DF C8)', [0xdf, 0xc8]); f('FSTP8 (DF D0)', [0xdf, 0xd0]); f('FSTP9 (DF D8)', [0xdf, 0xd8]);
f('FNSTSW AX', [0xdf, 0xe0]); f('FUCOMIP', [0xdf, 0xe8]); f('FCOMIP', [0xdf, 0xf0]);
f('FXSAVE', [0x0f, 0xae, 0x07], 'fx'); f('FXSAVE64', [0x48, 0x0f, 0xae, 0x07], 'fx');
f('FXRSTOR', [0x0f, 0xae, 0x0f], 'fx', { fxrstor: true }); f('FXRSTOR64', [0x48, 0x0f, 0xae, 0x0f], 'fx', { fxrstor: true });
f('FWAIT', [0x9b]);

// ---------------------------------------------------------------- case generation
export interface CaseSet { n: number; buf: Uint8Array; form: Int32Array; codeLen: Int32Array; insnOff: Int32Array; disp: Int32Array }

export function caseRng(seed: number, i: number): Rng { return new Rng((seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0); }

export function generate(seed: number, n: number, filter?: string): CaseSet {
  // filter: substrings separated by '|' (any matches), or 'trans' for the eight transcendentals
  const alts = filter ? filter.toLowerCase().split('|') : [];
  const forms = filter ? FORMS.filter((x) => alts.some((a) => a === 'trans' ? !!x.trans : x.name.toLowerCase().includes(a))) : FORMS;
  if (!forms.length) throw new Error(`no form matches ${filter}`);
  const buf = new Uint8Array(4 + n * REC_IN);
  new DataView(buf.buffer).setUint32(0, n, true);
  const form = new Int32Array(n), codeLen = new Int32Array(n), insnOff = new Int32Array(n), disps = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = caseRng(seed, i);
    const fm = forms[r.int(forms.length)];
    form[i] = FORMS.indexOf(fm);
    const rec = 4 + i * REC_IN;
    const dv = new DataView(buf.buffer, rec);
    const st = genState(r);
    if (fm.trans && r.bool(0.2)) { // near a multiple of pi/2 (x87's 66-bit pi): the reduction's cancellation
      const t = (st.sw >> 11) & 7;
      st.regs[t] = nearHalfPi(r);
      if (fm.name === 'FPATAN' || fm.name.startsWith('FYL2X')) st.regs[(t + 1) & 7] = nearHalfPi(r);
    }
    // memory: random bytes, operand at a small offset
    const mem = buf.subarray(rec + 104, rec + 104 + 512);
    for (let k = 0; k < 512; k += 4) dv.setUint32(104 + k, r.u32(), true);
    let disp = 0;
    if (fm.mem === 'fx') disp = r.bool(0.05) ? r.pick([8, 4, 1]) : 0;
    else if (fm.mem !== 'none') disp = r.bool(0.5) ? 0 : r.int(8) * 8 + r.int(2);
    disps[i] = disp;
    const mv = new DataView(mem.buffer, mem.byteOffset + disp);
    switch (fm.mem) {
      case 'f32': mv.setUint32(0, Number(genF32(r)), true); break;
      case 'f64': mv.setBigUint64(0, genF64(r), true); break;
      case 'f80': { const v = genF80(r); mv.setBigUint64(0, v.sig, true); mv.setUint16(8, v.se, true); break; }
      case 'i16': mv.setUint16(0, Number(genInt(r, 16)), true); break;
      case 'i32': mv.setUint32(0, Number(genInt(r, 32)), true); break;
      case 'i64': mv.setBigUint64(0, genInt(r, 64), true); break;
      case 'bcd': {
        for (let k = 0; k < 9; k++) mv.setUint8(k, r.bool(0.97) ? (r.int(10) << 4) | r.int(10) : r.u32() & 0xff);
        if (r.bool(0.3)) for (let k = r.int(9); k < 9; k++) mv.setUint8(k, 0);
        mv.setUint8(9, r.bool() ? 0x80 : 0);
        break;
      }
      case 'cw': mv.setUint16(0, r.bool(0.7) ? genState(r).cw : r.u32() & 0xffff, true); break;
      case 'env': case 'save': {
        const s2 = genState(r);
        const img = new Uint8Array(112);
        fsaveImage(s2, img, 0);
        if (fm.mem === 'env') mem.set(img.subarray(0, 28), disp); else mem.set(img.subarray(0, 108), disp);
        break;
      }
      case 'env16': case 'save16': {
        const s2 = genState(r);
        const img = new Uint8Array(112);
        fsaveImage(s2, img, 0);
        const iv = new DataView(img.buffer);
        mv.setUint16(0, s2.cw, true); mv.setUint16(2, s2.sw, true); mv.setUint16(4, iv.getUint16(8, true), true);
        if (fm.mem === 'save16') mem.set(img.subarray(28, 108), disp + 14);
        break;
      }
      case 'fx': {
        if (!fm.fxrstor) break;
        const s2 = genState(r);
        const top = (s2.sw >> 11) & 7;
        mv.setUint16(0, s2.cw, true); mv.setUint16(2, s2.sw, true);
        let t = 0; for (let p = 0; p < 8; p++) if (!s2.empty[p]) t |= 1 << p;
        mv.setUint8(4, t); mv.setUint8(5, 0);
        mv.setUint32(24, r.bool(0.9) ? (r.u32() & 0xffbf) : r.u32() & (r.bool() ? 0xffff : 0xffffffff), true);
        for (let k = 0; k < 8; k++) {
          const v = s2.regs[(top + k) & 7];
          mv.setBigUint64(32 + 16 * k, v.sig, true); mv.setUint16(40 + 16 * k, v.se, true);
        }
        break;
      }
    }
    // code
    const code: number[] = [0xdd, 0x26]; // frstor [rsi]
    const fl = 0x202 | (r.u32() & 0x8d5);
    code.push(0x68, fl & 0xff, (fl >> 8) & 0xff, 0, 0, 0x9d); // push imm32; popfq
    code.push(0x48, 0xb8); for (let k = 0; k < 8; k++) code.push(r.u32() & 0xff); // mov rax, imm64
    insnOff[i] = code.length;
    let ib = fm.bytes.slice();
    if (ib.length >= 2 && ib[ib.length - 2] >= 0xd8 && ib[ib.length - 2] <= 0xdf && (ib[ib.length - 1] & 0xc0) === 0xc0) {
      const b = ib[ib.length - 1];
      if ((b & 7) === 0 && !(ib[ib.length - 2] === 0xd9 && b >= 0xe0) && !(ib[ib.length - 2] === 0xdb && b >= 0xe0 && b < 0xe8) &&
        !(b === 0xd9 && ib[ib.length - 2] === 0xde) && !(ib[ib.length - 2] === 0xdf && b === 0xe0) && !(ib[ib.length - 2] === 0xd9 && b === 0xd0)) {
        ib[ib.length - 1] = b | r.int(8);
      }
    }
    if (fm.mem !== 'none' && disp !== 0) {
      // [rdi] -> [rdi+disp8]
      const k = ib.length - 1;
      ib[k] = (ib[k] & 0x38) | 0x47;
      ib.push(disp);
    }
    code.push(...ib);
    code.push(0x49, 0x0f, 0xae, 0x00); // fxsave64 [r8]
    code.push(0x9c, 0x8f, 0x01); // pushfq; pop [rcx]
    code.push(0x48, 0x89, 0x41, 0x08); // mov [rcx+8], rax
    if (r.bool(0.3)) code.push(0x9b); // fwait: #MF for unmasked exceptions
    code.push(0xdd, 0x32); // fnsave [rdx]
    codeLen[i] = code.length;
    code.push(0xc3);
    buf.set(code, rec);
    dv.setUint32(96, code.length, true);
    fsaveImage(st, buf, rec + 104 + 512);
  }
  return { n, buf, form, codeLen, insnOff, disp: disps };
}

// ---------------------------------------------------------------- native side
export const HARNESS_BIN = join(root, 'build', 'fuzz-x87', 'harness');
export function ensureHarness(): string {
  if (process.arch !== 'x64' || process.platform !== 'linux') throw new Error('the x87 oracle needs an x86-64 Linux host');
  const src = join(here, 'harness.c');
  if (!existsSync(HARNESS_BIN) || statSync(src).mtimeMs > statSync(HARNESS_BIN).mtimeMs) {
    mkdirSync(dirname(HARNESS_BIN), { recursive: true });
    execFileSync('gcc', ['-O2', '-Wall', '-Werror', '-o', HARNESS_BIN, src], { stdio: 'inherit' });
  }
  return HARNESS_BIN;
}
export function runNative(set: CaseSet): Uint8Array {
  const bin = ensureHarness();
  const dir = mkdtempSync(join(tmpdir(), 'webpvh-x87-'));
  try {
    writeFileSync(join(dir, 'in.bin'), set.buf);
    execFileSync(bin, [join(dir, 'in.bin'), join(dir, 'out.bin')], { stdio: 'inherit' });
    return new Uint8Array(readFileSync(join(dir, 'out.bin')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- core side
const RAM = 1 << 20;
const PML4 = 0x1000, PDPT = 0x2000, PD = 0x3000, GDT = 0x4000, IDT = 0x5000, STUBS = 0x6000, TSS = 0x7000;
const CODE = 0x10000, MEM = 0x20000, IMAGE = 0x21000, FNSAVE_OUT = 0x22000, REGS_OUT = 0x23000, FXSAVE_OUT = 0x24000, STACK = 0x30000;

export class X87Core {
  private mem: WebAssembly.Memory;
  private u8: Uint8Array;
  private dv: DataView;
  private exp: any;
  private cpu = L.VCPU_BASE;
  constructor(wasmPath = join(root, 'build', 'core.wasm')) {
    const pages = (L.GUEST_RAM_BASE + RAM) / L.WASM_PAGE;
    this.mem = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const inst = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmPath)), {
      env: { memory: this.mem, abort: () => { throw new Error('core abort'); }, jitCompile: () => 0, seed: () => 0, trace: () => {} },
    });
    this.exp = inst.exports;
    this.u8 = new Uint8Array(this.mem.buffer);
    this.dv = new DataView(this.mem.buffer);
    this.exp.setRamSize(RAM);
    this.exp.resetVcpu(0);
    const R = L.GUEST_RAM_BASE;
    const pw = (pa: number, v: bigint) => this.dv.setBigUint64(R + pa, v, true);
    pw(PML4, BigInt(PDPT) | 3n);
    pw(PDPT, BigInt(PD) | 3n);
    pw(PD, 0x83n); // 2 MiB identity page
    pw(GDT + 8, 0x00af9b000000ffffn);
    pw(GDT + 16, 0x00cf93000000ffffn);
    for (let v = 0; v < 32; v++) {
      const off = BigInt(STUBS + v * 16);
      pw(IDT + v * 16, (off & 0xffffn) | (8n << 16n) | (0x8en << 40n) | (((off >> 16n) & 0xffffn) << 48n));
      pw(IDT + v * 16 + 8, 0n);
      this.u8.set([0x0f, 0x01, 0xc1, 0xf4], R + STUBS + v * 16);
    }
    this.exp.flushTlb(0);
  }
  private v64(off: number, v: bigint) { this.dv.setBigUint64(this.cpu + off, v, true); }
  private v32(off: number, v: number) { this.dv.setUint32(this.cpu + off, v, true); }
  private seg(s: number, sel: number, attr: number, limit: number, base: bigint) {
    const o = L.V_SEG + s * L.SEG_SIZE;
    this.v32(o + L.SEG_SEL, sel); this.v32(o + L.SEG_ATTR, attr); this.v32(o + L.SEG_LIMIT, limit); this.v64(o + L.SEG_BASE, base);
  }
  /** run case i; returns the output record (REC_OUT bytes), plus a note for unimplemented/errors */
  run(set: CaseSet, i: number): { out: Uint8Array; note: string } {
    const R = L.GUEST_RAM_BASE;
    const rec = 4 + i * REC_IN;
    const b = set.buf;
    const len = new DataView(b.buffer, b.byteOffset + rec).getUint32(96, true);
    const codeLen = set.codeLen[i];
    this.u8.fill(0xcc, R + CODE, R + CODE + 128);
    this.u8.set(b.subarray(rec, rec + codeLen), R + CODE);
    this.u8.set([0x0f, 0x01, 0xc1], R + CODE + codeLen); // VMCALL instead of RET
    void len;
    this.exp.invalidateCode(CODE, 128);
    this.u8.set(b.subarray(rec + 104, rec + 104 + 512), R + MEM);
    this.u8.set(b.subarray(rec + 616, rec + 616 + 112), R + IMAGE);
    this.u8.fill(0xa5, R + FNSAVE_OUT, R + FNSAVE_OUT + 112);
    this.u8.fill(0xa5, R + REGS_OUT, R + REGS_OUT + 16);
    this.u8.fill(0xa5, R + FXSAVE_OUT, R + FXSAVE_OUT + 512);
    // system state
    this.v64(L.V_CR0, 0x80000033n); this.v64(L.V_CR3, BigInt(PML4)); this.v64(L.V_CR4, 0x620n); this.v64(L.V_EFER, 0xd01n);
    this.v64(L.V_GDTR_BASE, BigInt(GDT)); this.v32(L.V_GDTR_LIMIT, 0x1f);
    this.v64(L.V_IDTR_BASE, BigInt(IDT)); this.v32(L.V_IDTR_LIMIT, 32 * 16 - 1);
    this.seg(L.SEG_CS, 8, 0xa09b, 0xffffffff, 0n);
    for (const s of [L.SEG_SS, L.SEG_DS, L.SEG_ES, L.SEG_FS, L.SEG_GS]) this.seg(s, 0x10, 0xc093, 0xffffffff, 0n);
    this.seg(L.SEG_LDTR, 0, 0x82, 0, 0n);
    this.seg(L.SEG_TR, 0x18, 0x8b, 0x67, BigInt(TSS));
    for (const k of [L.V_PENDING_VALID, L.V_EXTINT_VALID, L.V_HALTED, L.V_INT_SHADOW, L.V_FAULT_COUNT, L.V_IO_PENDING]) this.v32(k, 0);
    // FPU as the native harness leaves it between cases: FNINIT, MXCSR 1F80
    const fx = this.cpu + L.V_FXSAVE;
    this.dv.setUint16(fx + L.FX_FCW, 0x37f, true); this.dv.setUint16(fx + L.FX_FSW, 0, true); this.u8[fx + L.FX_FTW] = 0;
    this.dv.setUint32(fx + L.FX_MXCSR, 0x1f80, true);
    const gpr = [0n, BigInt(REGS_OUT), BigInt(FNSAVE_OUT), 0n, BigInt(STACK), 0n, BigInt(IMAGE), BigInt(MEM), BigInt(FXSAVE_OUT)];
    for (let g = 0; g < 16; g++) this.v64(L.V_GPR + 8 * g, gpr[g] ?? 0n);
    this.v64(L.V_RIP, BigInt(CODE));
    this.v64(L.V_RFLAGS, 2n);
    let trap = 0xffffffff, note = '';
    for (let round = 0; round < 10; round++) {
      const exit = this.exp.run(0, 1000);
      if (exit === L.EXIT_BUDGET) continue;
      const rip = Number(this.dv.getBigUint64(this.cpu + L.V_RIP, true));
      if (exit === L.EXIT_HYPERCALL) {
        if (rip === CODE + codeLen + 3) break;
        const v = (rip - 3 - STUBS) / 16;
        if (Number.isInteger(v) && v >= 0 && v < 32) { trap = v; break; }
        note = `VMCALL from ${rip.toString(16)}`; break;
      }
      if (exit === L.EXIT_UNIMPLEMENTED) {
        const bytes = Array.from(this.u8.subarray(this.cpu + L.V_EXIT_BYTES, this.cpu + L.V_EXIT_BYTES + 8), (x) => x.toString(16).padStart(2, '0')).join(' ');
        note = `unimplemented ${bytes} at +${(rip - CODE).toString(16)}`; break;
      }
      note = `exit ${exit}`; break;
    }
    const out = new Uint8Array(REC_OUT);
    out.set(this.u8.subarray(R + FXSAVE_OUT, R + FXSAVE_OUT + 512), 0);
    out.set(this.u8.subarray(R + FNSAVE_OUT, R + FNSAVE_OUT + 112), 512);
    out.set(this.u8.subarray(R + REGS_OUT, R + REGS_OUT + 16), 624);
    out.set(this.u8.subarray(R + MEM, R + MEM + 512), 640);
    const ov = new DataView(out.buffer);
    ov.setUint32(1152, trap, true);
    ov.setUint32(1156, 0, true);
    return { out, note };
  }
}

// ---------------------------------------------------------------- comparison
/** byte ranges not compared: x87 pointer registers (FOP/FIP/FDP/FCS/FDS; AMD saves them only with
 *  ES set, Intel may deprecate FCS/FDS) and MXCSR_MASK (the host's differs from the advertised CPU) */
const FX_IGNORE: [number, number][] = [[6, 24], [28, 32]];
const FN_IGNORE: [number, number][] = [[12, 28]];

function ignored(ranges: [number, number][], k: number) { return ranges.some(([a, b]) => k >= a && k < b); }

/** 80-bit values within one unit in the last place (same sign). */
function within1ulp(a: Uint8Array, b: Uint8Array): boolean {
  const dva = new DataView(a.buffer, a.byteOffset), dvb = new DataView(b.buffer, b.byteOffset);
  const sa = dva.getUint16(8, true), sb = dvb.getUint16(8, true);
  if ((sa & 0x8000) !== (sb & 0x8000)) return false;
  const va = (BigInt(sa & 0x7fff) << 64n) | dva.getBigUint64(0, true);
  const vb = (BigInt(sb & 0x7fff) << 64n) | dvb.getBigUint64(0, true);
  let d = va - vb; if (d < 0n) d = -d;
  if (d <= 1n) return true;
  // across a binade boundary: (e, FFFF...) vs (e+1, 8000...)
  const lo = va < vb ? va : vb, hi = va < vb ? vb : va;
  return (hi >> 64n) === (lo >> 64n) + 1n && (lo & M64) === M64 && (hi & M64) === TOP;
}

export interface Mismatch { i: number; form: string; what: string }
/** Largest register difference (0 or 1 ulp) of the last transcendental case compared. */
let lastUlps = 0;
let lastC1 = false;

export function compareCase(set: CaseSet, i: number, nat: Uint8Array, core: Uint8Array): string | null {
  const fm = FORMS[set.form[i]];
  const diffs: string[] = [];
  const nv = new DataView(nat.buffer, nat.byteOffset), cv = new DataView(core.buffer, core.byteOffset);
  const ntrap = nv.getUint32(1152, true), ctrap = cv.getUint32(1152, true);
  if (ntrap !== ctrap) diffs.push(`exception: host ${ntrap === 0xffffffff ? 'none' : ntrap} core ${ctrap === 0xffffffff ? 'none' : ctrap}`);
  const fxFull = fm.fxrstor;
  const precision: string[] = [];
  // fxsave
  for (let k = 0; k < 512; k++) {
    if (ignored(FX_IGNORE, k)) continue;
    if (!fxFull && k >= 160 && k < 416) continue;
    if (fm.trans && k >= 32 && k < 160) continue; // registers compared with tolerance below
    if (fm.trans && (k === 3)) { if ((nat[k] & ~0x02) !== (core[k] & ~0x02)) { diffs.push(`fsw high byte: host ${nat[k].toString(16)} core ${core[k].toString(16)}`); } continue; } // C1
    if (nat[k] !== core[k]) {
      if (k < 6) diffs.push(`fxsave: host fcw ${hx(nat, 0)} fsw ${hx(nat, 2)} ftw ${nat[4].toString(16)} | core fcw ${hx(core, 0)} fsw ${hx(core, 2)} ftw ${core[4].toString(16)}`);
      else diffs.push(`fxsave +${k}: host ${hex(nat, k)} core ${hex(core, k)}`);
      break;
    }
  }
  for (let k = 0; k < 108; k++) {
    if (ignored(FN_IGNORE, k)) continue;
    if (fm.trans && k >= 28) continue;
    if (fm.trans && k === 5) { if ((nat[512 + k] & ~0x02) !== (core[512 + k] & ~0x02)) diffs.push(`fnsave C1..`); continue; }
    if (nat[512 + k] !== core[512 + k]) { diffs.push(`fnsave +${k}: host ${hex(nat, 512 + k)} core ${hex(core, 512 + k)}`); break; }
  }
  if (fm.trans) {
    let ulps = 0;
    for (let r = 0; r < 8; r++) {
      const a = nat.subarray(32 + 16 * r, 42 + 16 * r), b = core.subarray(32 + 16 * r, 42 + 16 * r);
      if (!a.every((x, j) => x === b[j])) {
        if (!within1ulp(a, b)) precision.push(`ST${r}: host ${f80str(a)} core ${f80str(b)} (beyond 1 ulp)`);
        else ulps = 1;
      }
    }
    // C1 ("rounded up") is not compared: it can differ even with identical results, when the host's
    // internal approximation lies on the other side of the representable result than the exact value
    // (counted in the report). Exception flags and everything else must match.
    lastC1 = ((nat[3] ^ core[3]) & 0x02) !== 0 && ntrap === ctrap;
    lastUlps = ulps;
  }
  const nfl = nv.getBigUint64(624, true) & 0x8d5n, cfl = cv.getBigUint64(624, true) & 0x8d5n;
  if (nv.getBigUint64(624, true) !== 0xa5a5a5a5a5a5a5a5n || cv.getBigUint64(624, true) !== 0xa5a5a5a5a5a5a5a5n) {
    if (nfl !== cfl) diffs.push(`rflags: host ${nfl.toString(16)} core ${cfl.toString(16)}`);
  }
  if (nv.getBigUint64(632, true) !== cv.getBigUint64(632, true)) diffs.push(`rax: host ${nv.getBigUint64(632, true).toString(16)} core ${cv.getBigUint64(632, true).toString(16)}`);
  const memIgnore: [number, number][] = [];
  const d0 = set.disp[i];
  if (fm.mem === 'fx') memIgnore.push([d0 + 6, d0 + 24], [d0 + 28, d0 + 32]);
  if (fm.mem === 'fx' && !fm.fxrstor) memIgnore.push([d0 + 160, d0 + 416]); // the host's XMM registers are not controlled
  if (fm.mem === 'env' || fm.mem === 'save') memIgnore.push([d0 + 12, d0 + 28]);
  if (fm.mem === 'env16' || fm.mem === 'save16') memIgnore.push([d0 + 6, d0 + 14]);
  for (let k = 0; k < 512; k++) if (!ignored(memIgnore, k) && nat[640 + k] !== core[640 + k]) { diffs.push(`mem +${k}: host ${hex(nat, 640 + k)} core ${hex(core, 640 + k)}`); break; }
  if (!diffs.length && precision.length) return 'PRECISION ' + precision.join('; ');
  return diffs.length ? diffs.concat(precision).join('; ') : null;
}
function hx(b: Uint8Array, k: number) { return (b[k] | (b[k + 1] << 8)).toString(16); }
function hex(b: Uint8Array, k: number) { return Array.from(b.subarray(k, k + 8), (x) => x.toString(16).padStart(2, '0')).join(''); }
export function f80str(b: Uint8Array): string {
  const dv = new DataView(b.buffer, b.byteOffset);
  return `${dv.getUint16(8, true).toString(16).padStart(4, '0')}:${dv.getBigUint64(0, true).toString(16).padStart(16, '0')}`;
}

/** Describe the input state of case i (for failure reports). */
export function describeCase(set: CaseSet, i: number): string {
  const rec = 4 + i * REC_IN;
  const b = set.buf;
  const img = b.subarray(rec + 616, rec + 616 + 108);
  const dv = new DataView(img.buffer, img.byteOffset);
  const code = Array.from(b.subarray(rec + set.insnOff[i], rec + set.codeLen[i]), (x) => x.toString(16).padStart(2, '0')).join(' ');
  const regs = [];
  for (let k = 0; k < 8; k++) regs.push(`ST${k}=${f80str(img.subarray(28 + 10 * k, 38 + 10 * k))}`);
  const memHex = Array.from(b.subarray(rec + 104, rec + 104 + 24), (x) => x.toString(16).padStart(2, '0')).join('');
  return `code ${code} | cw ${dv.getUint16(0, true).toString(16)} sw ${dv.getUint16(4, true).toString(16)} tw ${dv.getUint16(8, true).toString(16)} | ${regs.join(' ')} | mem ${memHex}`;
}

export interface FormStats { n: number; fail: number; example?: string; examples: number; ulp1: number; c1: number }
export interface Report { seed: number; cases: number; failed: number; unimplemented: number; byForm: Map<string, FormStats> }

export function fuzz(seed: number, cases: number, filter?: string, maxExamples = 1): Report {
  const set = generate(seed, cases, filter);
  const nat = runNative(set);
  const core = new X87Core();
  const byForm = new Map<string, FormStats>();
  let failed = 0, unimpl = 0;
  for (let i = 0; i < cases; i++) {
    const name = FORMS[set.form[i]].name;
    let e = byForm.get(name);
    if (!e) { e = { n: 0, fail: 0, examples: 0, ulp1: 0, c1: 0 }; byForm.set(name, e); }
    e.n++;
    const { out, note } = core.run(set, i);
    let d: string | null;
    lastUlps = 0; lastC1 = false;
    if (note) { d = note; if (note.startsWith('unimplemented')) unimpl++; }
    else d = compareCase(set, i, nat.subarray(i * REC_OUT, (i + 1) * REC_OUT), out);
    if (!d && lastUlps) e.ulp1++;
    if (!d && lastC1) e.c1++;
    if (d) {
      failed++; e.fail++;
      if (e.examples < maxExamples) { e.examples++; e.example = (e.example ? e.example + '\n    ' : '') + `#${i}: ${d}\n      ${describeCase(set, i)}`; }
    }
  }
  return { seed, cases, failed, unimplemented: unimpl, byForm };
}

export function formatReport(r: Report): string {
  const lines = [`x87 fuzz seed ${r.seed}: ${r.cases} cases, ${r.failed} failed, ${r.unimplemented} unimplemented`];
  const trans = [...r.byForm].filter(([name]) => FORMS.find((f) => f.name === name)?.trans).sort();
  if (trans.length) {
    lines.push('  transcendentals: cases / results 1 ulp from the host (all others bit-exact) / C1 differs (not compared):');
    lines.push('    ' + trans.map(([name, e]) => `${name} ${e.n}/${e.ulp1}/${e.c1}`).join(', '));
  }
  for (const [name, e] of [...r.byForm].sort()) {
    if (e.fail) lines.push(`  ${name}: ${e.fail}/${e.n} failed\n    ${e.example}`);
  }
  return lines.join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(here, 'x87fuzz.ts')) {
  const args = process.argv.slice(2);
  const get = (k: string) => { const j = args.indexOf(k); return j >= 0 ? args[j + 1] : undefined; };
  const seed = Number(get('--seed') ?? (Date.now() >>> 0)) >>> 0;
  const cases = Number(get('--cases') ?? 20000);
  const t0 = Date.now();
  const r = fuzz(seed, cases, get('--form'), Number(get('--examples') ?? 1));
  console.log(formatReport(r));
  console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
