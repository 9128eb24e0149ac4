// A small 128-bit-significand soft float for the x87 transcendentals ("wide" numbers).
//
// A wide number is (s: u32 sign, e: i32 exponent, h: u64, l: u64) with value
//   (-1)^s * (h * 2^64 + l) * 2^(e - 127),
// normalized so that bit 63 of h is set (value in [2^e, 2^(e+1))); zero is h == l == 0.
// The exponent is an unbounded i32, so intermediate results never overflow or underflow.
// Operations truncate to 128 bits (relative error below 2^-126 per operation), which leaves the
// transcendentals far more precision than the 64-bit x87 significand needs.
//
// Results come back in the module globals wS/wE/wH/wL (no allocation, thread-safe: wasm globals
// are per instance). Operands are passed as four scalars each.
import { mul64, hi128, lo128 } from "./float80";

export let wS: u32 = 0;
export let wE: i32 = 0;
export let wH: u64 = 0;
export let wL: u64 = 0;

@inline function setW(s: u32, e: i32, h: u64, l: u64): void { wS = s; wE = e; wH = h; wL = l; }

/** Normalize (h:l:x) (x: bits below l) into the globals. */
export function wNorm(s: u32, e: i32, h: u64, l: u64, x: u64): void {
  if (h == 0) {
    if (l == 0) {
      if (x == 0) { setW(s, 0, 0, 0); return; }
      h = x; x = 0; e -= 128;
    } else { h = l; l = x; x = 0; e -= 64; }
  }
  const z = <i32>clz<u64>(h);
  if (z != 0) {
    const zz = <u64>z;
    h = (h << zz) | (l >> (64 - zz));
    l = (l << zz) | (x >> (64 - zz));
    e -= z;
  }
  setW(s, e, h, l);
}

/** An 80-bit finite value (se, sig) as a wide number (exact). */
export function wFrom80(se: u32, sig: u64): void {
  let e = <i32>(se & 0x7fff);
  if (e == 0) e = 1;
  // value = sig * 2^(e - 16383 - 63) = (sig * 2^64) * 2^((e - 16383) - 127)
  wNorm(se >> 15, e - 16383, sig, 0, 0);
}

/** A signed integer (exact). */
export function wFromInt(v: i64): void {
  const s: u32 = v < 0 ? 1 : 0;
  const m: u64 = v < 0 ? <u64>(-v) : <u64>v;
  wNorm(s, 63, m, 0, 0);
}

/** A positive finite double (exact). */
export function wFromF64(v: f64): void {
  const b = reinterpret<u64>(v);
  const s = <u32>(b >> 63);
  const ex = <i32>((b >> 52) & 0x7ff);
  const f = b & 0xfffffffffffff;
  if (ex == 0) { wNorm(s, -1022 - 52 + 63, f, 0, 0); return; }
  wNorm(s, ex - 1023, (f | 0x10000000000000) << 11, 0, 0);
}

/** Approximate value as a double (for starting guesses). */
export function wToF64(s: u32, e: i32, h: u64): f64 {
  if (h == 0) return 0;
  let v = <f64>h * Math.pow(2.0, <f64>(e - 63));
  return s != 0 ? -v : v;
}

/** a * b, truncated to 128 bits. */
export function wMul(as: u32, ae: i32, ah: u64, al: u64, bs: u32, be: i32, bh: u64, bl: u64): void {
  const s = as ^ bs;
  if (ah == 0 || bh == 0) { setW(s, 0, 0, 0); return; }
  mul64(ah, bh); const hh1 = hi128, hh0 = lo128;
  mul64(ah, bl); const hl1 = hi128, hl0 = lo128;
  mul64(al, bh); const lh1 = hi128, lh0 = lo128;
  mul64(al, bl); const ll1 = hi128;
  // word 1
  let w1 = hl0 + lh0;
  let c1: u64 = w1 < hl0 ? 1 : 0;
  const w1b = w1 + ll1;
  c1 += w1b < w1 ? 1 : 0;
  w1 = w1b;
  // word 2
  let w2 = hh0 + hl1;
  let c2: u64 = w2 < hh0 ? 1 : 0;
  let t = w2 + lh1; c2 += t < w2 ? 1 : 0; w2 = t;
  t = w2 + c1; c2 += t < w2 ? 1 : 0; w2 = t;
  const w3 = hh1 + c2;
  if ((w3 >> 63) != 0) { setW(s, ae + be + 1, w3, w2); return; }
  setW(s, ae + be, (w3 << 1) | (w2 >> 63), (w2 << 1) | (w1 >> 63));
}

/** Compare magnitudes: -1, 0, 1. */
function cmpMag(ae: i32, ah: u64, al: u64, be: i32, bh: u64, bl: u64): i32 {
  if (ah == 0) return bh == 0 ? 0 : -1;
  if (bh == 0) return 1;
  if (ae != be) return ae > be ? 1 : -1;
  if (ah != bh) return ah > bh ? 1 : -1;
  if (al != bl) return al > bl ? 1 : -1;
  return 0;
}

/** a + b (keeps one extra word below the aligned operand, so a subtraction loses nothing visible). */
export function wAdd(as: u32, ae: i32, ah: u64, al: u64, bs: u32, be: i32, bh: u64, bl: u64): void {
  if (bh == 0) { setW(as, ae, ah, al); if (ah == 0) wS = as & bs; return; }
  if (ah == 0) { setW(bs, be, bh, bl); return; }
  if (cmpMag(ae, ah, al, be, bh, bl) < 0) {
    const ts = as; as = bs; bs = ts;
    const te = ae; ae = be; be = te;
    const th = ah; ah = bh; bh = th;
    const tl = al; al = bl; bl = tl;
  }
  // align b to a: shift (bh:bl:0) right by d into (h:l:x)
  const d = ae - be;
  // bits shifted out below x are jammed into its lowest bit, so a subtraction never comes out above
  // the exact difference (the transcendentals rely on this direction for tiny corrections)
  let h: u64 = 0, l: u64 = 0, x: u64 = 0, lost = false;
  if (d == 0) { h = bh; l = bl; }
  else if (d < 64) {
    const dd = <u64>d;
    x = bl << (64 - dd); l = (bl >> dd) | (bh << (64 - dd)); h = bh >> dd;
  } else if (d == 64) { x = bl; l = bh; }
  else if (d < 128) {
    const dd = <u64>(d - 64);
    lost = (bl << (64 - dd)) != 0;
    x = (bl >> dd) | (bh << (64 - dd)); l = bh >> dd;
  } else if (d == 128) { x = bh; lost = bl != 0; }
  else if (d < 192) { const dd = <u64>(d - 128); x = bh >> dd; lost = bl != 0 || (bh << (64 - dd)) != 0; }
  else lost = true;
  if (lost) x |= 1;
  if (as == bs) {
    const nx = x;
    let nl = al + l; let c: u64 = nl < al ? 1 : 0;
    let nh = ah + h; const c2: u64 = nh < ah ? 1 : 0;
    const nh2 = nh + c; const c3: u64 = nh2 < nh ? 1 : 0;
    nh = nh2;
    if ((c2 | c3) != 0) {
      setW(as, ae + 1, (nh >> 1) | 0x8000000000000000, (nl >> 1) | (nh << 63));
      return;
    }
    wNorm(as, ae, nh, nl, nx);
    return;
  }
  // magnitude subtraction (a) - (b aligned)
  const rx = <u64>0 - x;
  let bx: u64 = x != 0 ? 1 : 0;
  const rl0 = al - l;
  let bl2: u64 = al < l ? 1 : 0;
  const rl = rl0 - bx;
  bl2 += rl0 < bx ? 1 : 0;
  const rh = ah - h - bl2;
  wNorm(as, ae, rh, rl, rx);
}

/** a / d for a small positive integer d (< 2^32). */
export function wDivU32(as: u32, ae: i32, ah: u64, al: u64, d: u32): void {
  if (ah == 0) { setW(as, 0, 0, 0); return; }
  const dd = <u64>d;
  let r: u64 = 0;
  let cur = (r << 32) | (ah >> 32); const q4 = cur / dd; r = cur % dd;
  cur = (r << 32) | (ah & 0xffffffff); const q3 = cur / dd; r = cur % dd;
  cur = (r << 32) | (al >> 32); const q2 = cur / dd; r = cur % dd;
  cur = (r << 32) | (al & 0xffffffff); const q1 = cur / dd; r = cur % dd;
  cur = r << 32; const q0 = cur / dd; r = cur % dd;
  cur = r << 32; const qm = cur / dd;
  wNorm(as, ae, (q4 << 32) | q3, (q2 << 32) | q1, (q0 << 32) | qm);
}

/** a / b (b nonzero): Newton reciprocal from a double guess, two steps, then a * (1/b). */
export function wDiv(as: u32, ae: i32, ah: u64, al: u64, bs: u32, be: i32, bh: u64, bl: u64): void {
  const s = as ^ bs;
  if (ah == 0) { setW(s, 0, 0, 0); return; }
  // 1/|b| ~ 2^(63 - be) / bh
  wFromF64(1.0 / <f64>bh);
  let rs: u32 = 0, re = wE + 63 - be, rh = wH, rl = wL;
  for (let i = 0; i < 2; i++) {
    // err = 1 - |b| * r ; r += r * err
    wMul(0, be, bh, bl, rs, re, rh, rl);
    wAdd(0, 0, 0x8000000000000000, 0, wS ^ 1, wE, wH, wL);
    wMul(rs, re, rh, rl, wS, wE, wH, wL);
    wAdd(rs, re, rh, rl, wS, wE, wH, wL);
    rs = wS; re = wE; rh = wH; rl = wL;
  }
  wMul(as, ae, ah, al, rs, re, rh, rl);
  wS = s;
}
