// Transcendental kernels on wide numbers (float80-wide.ts) for the x87 F2XM1/FYL2X/FYL2XP1/FPATAN/
// FSIN/FCOS/FSINCOS/FPTAN. Every kernel is accurate to well beyond 2^-100 relative, so rounding its
// result to the 64-bit x87 significand is correct except within ~2^-36 ulp of a rounding boundary.
//
// Algorithms (series from the textbook definitions; constants from a 400-bit evaluation):
//   sin r, cos r (|r| <= pi/4): Taylor series, Horner form in r^2, 14 terms.
//   expm1 t (|t| < 0.7): t * (1 + t/2 * (1 + t/3 * (...))), 30 terms.
//   ln m (m in [sqrt(1/2), sqrt(2))): 2 atanh(s), s = (m - 1)/(m + 1), |s| <= 0.172, 24 terms.
//   atan t (0 < t <= 1): atan(j/16) from a table plus atan((t - c)/(1 + t c)), |.| <= 1/32, 12 terms.
//   Trigonometric argument reduction: exact, by the x87's 66-bit approximation of pi (see x87-trans.ts).
import { wS, wE, wH, wL, wNorm, wMul, wAdd, wDiv, wDivU32, wFromInt, wToF64 } from "./float80-wide";

const ONE_H: u64 = 0x8000000000000000;

export const LN2_E: i32 = -1, LN2_H: u64 = 0xb17217f7d1cf79ab, LN2_L: u64 = 0xc9e3b39803f2f6af;
export const LOG2E_E: i32 = 0, LOG2E_H: u64 = 0xb8aa3b295c17f0bb, LOG2E_L: u64 = 0xbe87fed0691d3e89;
export const PI_E: i32 = 1, PI_H: u64 = 0xc90fdaa22168c234, PI_L: u64 = 0xc4c6628b80dc1cd1;

// atan(j/16) for j = 1..16: exponent, high, low (index (j-1)*3)
const ATAN_TAB: StaticArray<u64> = [
  <u64>-5, 0xffaaddb967ef4e36, 0xcb2792dc0e2e0d51,
  <u64>-4, 0xfeadd4d5617b6e32, 0xc897989f3e888ef8,
  <u64>-3, 0xbdcbda5e72d81134, 0x7b0b4f881c9c7488,
  <u64>-3, 0xfadbafc96406eb15, 0x6dc79ef5f7a217e6,
  <u64>-2, 0x9b13b9b83f5e5e69, 0xc5abb498d27af328,
  <u64>-2, 0xb7b0ca0f26f78473, 0x8aa32122dcfe4483,
  <u64>-2, 0xd327761e611fe5b6, 0x427c95e9001e7136,
  <u64>-2, 0xed63382b0dda7b45, 0x6fe445ecbc3a8d03,
  <u64>-1, 0x832bf4a6d9867e2a, 0x4b6a09cb61a515c1,
  <u64>-1, 0x8f005d5ef7f59f9b, 0x5c835e1665c43748,
  <u64>-1, 0x9a2f80e671bdda20, 0x4226f8e2204ff3bd,
  <u64>-1, 0xa4bc7d1934f70924, 0x19a87f2a457dac9f,
  <u64>-1, 0xaeac4c38b4d8c080, 0x14725e2f3e52070a,
  <u64>-1, 0xb8053e2bc2319e73, 0xcb2da55210a4443d,
  <u64>-1, 0xc0ce85b8ac526640, 0x89dd62c46e92fa25,
  <u64>-1, 0xc90fdaa22168c234, 0xc4c6628b80dc1cd1,
];

/** sin r (|r| <= pi/4). */
export function wSin(rs: u32, re: i32, rh: u64, rl: u64): void {
  wMul(0, re, rh, rl, 0, re, rh, rl);
  const qe = wE, qh = wH, ql = wL;
  let ts: u32 = 0, te: i32 = 0, th: u64 = ONE_H, tl: u64 = 0;
  for (let k = 14; k >= 1; k--) {
    wMul(ts, te, th, tl, 0, qe, qh, ql);
    wDivU32(wS, wE, wH, wL, <u32>((2 * k) * (2 * k + 1)));
    wAdd(0, 0, ONE_H, 0, wS ^ 1, wE, wH, wL);
    ts = wS; te = wE; th = wH; tl = wL;
  }
  wMul(rs, re, rh, rl, ts, te, th, tl);
}

/** cos r (|r| <= pi/4). */
export function wCos(re: i32, rh: u64, rl: u64): void {
  wMul(0, re, rh, rl, 0, re, rh, rl);
  const qe = wE, qh = wH, ql = wL;
  let ts: u32 = 0, te: i32 = 0, th: u64 = ONE_H, tl: u64 = 0;
  for (let k = 14; k >= 1; k--) {
    wMul(ts, te, th, tl, 0, qe, qh, ql);
    wDivU32(wS, wE, wH, wL, <u32>((2 * k - 1) * (2 * k)));
    wAdd(0, 0, ONE_H, 0, wS ^ 1, wE, wH, wL);
    ts = wS; te = wE; th = wH; tl = wL;
  }
}

/** e^t - 1 (|t| < 0.7). */
export function wExpm1(s: u32, e: i32, h: u64, l: u64): void {
  let ps: u32 = 0, pe: i32 = 0, ph: u64 = ONE_H, pl: u64 = 0;
  for (let k = 30; k >= 2; k--) {
    wMul(ps, pe, ph, pl, s, e, h, l);
    wDivU32(wS, wE, wH, wL, <u32>k);
    wAdd(0, 0, ONE_H, 0, wS, wE, wH, wL);
    ps = wS; pe = wE; ph = wH; pl = wL;
  }
  wMul(s, e, h, l, ps, pe, ph, pl);
}

/** 2 atanh(s) = ln((1 + s)/(1 - s)) for |s| <= 0.18. */
export function wLnAtanh(s: u32, e: i32, h: u64, l: u64): void {
  wMul(0, e, h, l, 0, e, h, l);
  const qe = wE, qh = wH, ql = wL;
  wDivU32(0, 0, ONE_H, 0, 49);
  let pe = wE, ph = wH, pl = wL;
  for (let n = 23; n >= 0; n--) {
    wMul(0, pe, ph, pl, 0, qe, qh, ql);
    const me = wE, mh = wH, ml = wL;
    wDivU32(0, 0, ONE_H, 0, <u32>(2 * n + 1));
    wAdd(0, wE, wH, wL, 0, me, mh, ml);
    pe = wE; ph = wH; pl = wL;
  }
  wMul(s, e + 1, h, l, 0, pe, ph, pl);
}

/** log2 of a positive wide number; sets `log2Exact` when the result is exact (a power of two). */
export let log2Exact: bool = false;
export function wLog2(e: i32, h: u64, l: u64): void {
  log2Exact = false;
  if (h == ONE_H && l == 0) { wFromInt(<i64>e); log2Exact = true; return; }
  // m in [sqrt(1/2), sqrt(2)): m = h:l * 2^me
  let E = e, me: i32 = 0;
  if (h >= 0xb504f333f9de6484) { E = e + 1; me = -1; }
  wAdd(0, me, h, l, 1, 0, ONE_H, 0); // m - 1 (exact)
  const ns = wS, ne = wE, nh = wH, nl = wL;
  wAdd(0, me, h, l, 0, 0, ONE_H, 0); // m + 1
  wDiv(ns, ne, nh, nl, wS, wE, wH, wL);
  wLnAtanh(wS, wE, wH, wL);
  wMul(wS, wE, wH, wL, 0, LOG2E_E, LOG2E_H, LOG2E_L);
  if (E == 0) return;
  const fs = wS, fe = wE, fh = wH, fl = wL;
  wFromInt(<i64>E);
  wAdd(wS, wE, wH, wL, fs, fe, fh, fl);
}

/** log2(1 + x) for a tiny x (|x| < 2^-60): 2 atanh(x / (2 + x)) * log2(e). */
export function wLog2p1Tiny(s: u32, e: i32, h: u64, l: u64): void {
  wAdd(0, 1, ONE_H, 0, s, e, h, l);
  wDiv(s, e, h, l, wS, wE, wH, wL);
  wLnAtanh(wS, wE, wH, wL);
  wMul(wS, wE, wH, wL, 0, LOG2E_E, LOG2E_H, LOG2E_L);
}

/** atan t for 0 < t <= 1 (positive result). */
export function wAtan01(e: i32, h: u64, l: u64): void {
  let us: u32 = 0, ue = e, uh = h, ul = l;
  let j: i32 = 0;
  if (e >= -5) {
    j = <i32>Math.round(wToF64(0, e, h) * 16.0);
    if (j > 16) j = 16;
    if (j >= 1) {
      // u = (t - c) / (1 + t c), c = j/16
      wFromInt(<i64>j);
      const ce = wE - 4, ch = wH, cl = wL;
      wAdd(0, e, h, l, 1, ce, ch, cl);
      const ds = wS, de = wE, dh = wH, dl = wL;
      wMul(0, e, h, l, 0, ce, ch, cl);
      wAdd(0, 0, ONE_H, 0, 0, wE, wH, wL);
      wDiv(ds, de, dh, dl, wS, wE, wH, wL);
      us = wS; ue = wE; uh = wH; ul = wL;
    }
  }
  // atan u = u * (1 - u^2/3 + u^4/5 - ...)
  if (uh != 0) {
    wMul(0, ue, uh, ul, 0, ue, uh, ul);
    const qe = wE, qh = wH, ql = wL;
    wDivU32(0, 0, ONE_H, 0, 25);
    let ps: u32 = 0, pe = wE, ph = wH, pl = wL;
    for (let n = 11; n >= 0; n--) {
      wMul(ps, pe, ph, pl, 1, qe, qh, ql);
      const ms = wS, me = wE, mh = wH, ml = wL;
      wDivU32(0, 0, ONE_H, 0, <u32>(2 * n + 1));
      wAdd(0, wE, wH, wL, ms, me, mh, ml);
      ps = wS; pe = wE; ph = wH; pl = wL;
    }
    wMul(us, ue, uh, ul, ps, pe, ph, pl);
  } else { wS = 0; wE = 0; wH = 0; wL = 0; }
  if (j >= 1) {
    const k = (j - 1) * 3;
    wAdd(0, <i32>ATAN_TAB[k], ATAN_TAB[k + 1], ATAN_TAB[k + 2], wS, wE, wH, wL);
  }
}

// ---- trigonometric argument reduction ----
// The x87 reduces by a 66-bit pi (Intel documents this; measured on AMD too): P = Pi66 * 2^-64 with
// Pi66 = floor(pi * 2^64) = 0x3_243F6A88_85A308D3. The reduction x - k P/2, k = nearest integer to
// x / (P/2), is exact here: in units of 2^-65, P/2 is the integer Pi66 and x (>= 1/2) an integer.
const PI66_HI: u64 = 0x3;
const PI66_LO: u64 = 0x243f6a8885a308d3;

/** Quadrant k mod 4 of the last reduction; the reduced argument is in the wide globals. */
export let redK: i32 = 0;
/** Reduce |x| (se: exponent/sign word, sig: significand, unbiased exponent E in [-1, 62]). */
export function reduce(sig: u64, E: i32): void {
  // X = sig << (E + 2) as a 128-bit integer (E + 2 in [1, 64])
  const sh = E + 2;
  let xh: u64, xl: u64;
  if (sh == 64) { xh = sig; xl = 0; }
  else { xh = sig >> <u64>(64 - sh); xl = sig << <u64>sh; }
  // long division by Pi66 (remainder < 2^67 fits in (rh:rl) with rh < 8)
  let rh: u64 = 0, rl: u64 = 0, q: u64 = 0;
  for (let i = 0; i < 128; i++) {
    const bit = xh >> 63;
    xh = (xh << 1) | (xl >> 63); xl <<= 1;
    rh = (rh << 1) | (rl >> 63); rl = (rl << 1) | bit;
    q <<= 1;
    if (rh > PI66_HI || (rh == PI66_HI && rl >= PI66_LO)) {
      const b: u64 = rl < PI66_LO ? 1 : 0;
      rl -= PI66_LO; rh = rh - PI66_HI - b;
      q |= 1;
    }
  }
  // nearest: 2R > Pi66 -> k + 1, r = R - Pi66 (Pi66 is odd: no ties)
  const th = (rh << 1) | (rl >> 63), tl = rl << 1;
  let s: u32 = 0;
  if (th > PI66_HI || (th == PI66_HI && tl > PI66_LO)) {
    q++;
    const b: u64 = PI66_LO < rl ? 1 : 0;
    rl = PI66_LO - rl; rh = PI66_HI - rh - b;
    s = 1;
  }
  redK = <i32>(q & 3);
  wNorm(s, 62, rh, rl, 0);
}
