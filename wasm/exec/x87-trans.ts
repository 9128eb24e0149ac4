// x87 transcendentals: F2XM1, FYL2X, FYL2XP1, FPTAN, FPATAN, FSIN, FCOS, FSINCOS.
// Special operands (empty, NaN, unsupported, infinities, zeros, out-of-range |x| >= 2^63) follow the
// SDM and measurements on an AMD host; finite results come from 128-bit kernels (cpu/float80-trans.ts)
// rounded once to the 64-bit significand per the rounding control (precision control does not apply).
// PE is raised for every nonzero result, even an exact one (as the hardware does); C1 is "rounded up".
import {
  EX_IE, EX_DE, EX_ZE, EX_PE, EX_UE, SIG_TOP, QNAN_SE, QNAN_SIG, BIAS, fexc, rSE, rSig, setResult,
  setIndefinite, setFexc, setUp, C_ZERO, C_FIN, C_INF, C_BAD, classify, isDenormal,
  isNaNClass, normalize, nExp, nSig, propagateNaN, pack80, fUp,
} from "../cpu/float80";
import { wS, wE, wH, wL, wFrom80, wMul, wAdd, wDiv, wDivU32 } from "../cpu/float80-wide";
import {
  wSin, wCos, wExpm1, wLog2, log2Exact, wLog2p1Tiny, wAtan01, reduce, redK,
  LN2_E, LN2_H, LN2_L, PI_E, PI_H, PI_L,
} from "../cpu/float80-trans";
import {
  begin, commit, blocked, stackUnderflow, stackOverflow, stEmpty, stSE, stSig, setST, pop, push,
  getFSW, setFSW,
} from "./x87";

const SW_C1: u32 = 0x0200;
const SW_C2: u32 = 0x0400;
const ONE_H: u64 = 0x8000000000000000;

let curK: i32 = 0;
/** C1, and C2 for the trigonometric forms (the others leave C2 alone). */
function setC(c1: bool, c2: bool): void {
  const trig = curK == 2 || curK == 11 || curK == 14 || curK == 15;
  let sw = getFSW() & ~(trig ? (SW_C1 | SW_C2) : SW_C1);
  if (c1) sw |= SW_C1;
  if (c2) sw |= SW_C2;
  setFSW(sw);
}

/** Round a wide result to the 80-bit format into rSE/rSig; `exact`: no bits beyond the 128. PE always. */
function roundWide(s: u32, e: i32, h: u64, l: u64, exact: bool): void {
  if (h == 0) { setResult(s << 15, 0); return; }
  pack80(s, e + BIAS, h, exact ? l : (l | 1), 64);
  // the hardware treats every result as inexact: PE, and UE for a tiny one even when it is exact
  let f = fexc | EX_PE;
  if (exact && e + BIAS < 1) f |= EX_UE;
  setFexc(f);
}
/** A wide constant rounded (PE, C1). */
function roundConst(s: u32, e: i32, h: u64, l: u64): void { roundWide(s, e, h, l, false); }

/** k: 0 F2XM1, 1 FYL2X, 2 FPTAN, 3 FPATAN, 9 FYL2XP1, 11 FSINCOS, 14 FSIN, 15 FCOS. */
export function x87Transcendental(k: i32): void {
  begin();
  curK = k;
  const two = k == 1 || k == 3 || k == 9;
  if (stEmpty(0) || (two && stEmpty(1))) {
    setC(false, false);
    if (stackUnderflow()) {
      if (two) { setST(1, QNAN_SE, QNAN_SIG); pop(); }
      else {
        setST(0, QNAN_SE, QNAN_SIG);
        if (k == 2 || k == 11) push(QNAN_SE, QNAN_SIG);
      }
    }
    commit(); return;
  }
  if ((k == 2 || k == 11) && !stEmpty(7)) {
    setC(false, false);
    if (stackOverflow()) { setST(0, QNAN_SE, QNAN_SIG); push(QNAN_SE, QNAN_SIG); }
    commit(); return;
  }
  const aSE = stSE(0), aSig = stSig(0);
  const ca = classify(aSE, aSig);
  if (two) { binary(k, aSE, aSig, ca); return; }
  // unary: F2XM1, FPTAN, FSIN, FCOS, FSINCOS
  if (ca == C_BAD || isNaNClass(ca)) {
    if (ca == C_BAD) { setFexc(fexc | EX_IE); setIndefinite(); }
    else propagateNaN(aSE, aSig, ca, aSE, aSig, ca);
    setC(false, false);
    if (blocked()) { commit(); return; }
    setST(0, rSE, rSig);
    if (k == 2 || k == 11) push(rSE, rSig);
    setC(false, false);
    commit(); return;
  }
  if (ca == C_INF && k != 0) {
    setFexc(fexc | EX_IE);
    setC(false, false);
    if (blocked()) { commit(); return; }
    setST(0, QNAN_SE, QNAN_SIG);
    if (k == 2 || k == 11) push(QNAN_SE, QNAN_SIG);
    setC(false, false);
    commit(); return;
  }
  if (isDenormal(aSE, aSig)) setFexc(fexc | EX_DE);
  if (blocked()) { setC(false, false); commit(); return; }
  const sign = aSE >> 15;
  if (k == 0) { f2xm1(aSE, aSig, ca); return; }
  if (ca == C_FIN) {
    normalize(aSE, aSig);
    if (nExp - BIAS >= 63) { setC(false, true); commit(); return; } // out of range: C2=1, unchanged
  }
  if (ca == C_ZERO) { // sin/tan keep the signed zero, cos is 1; exact (no PE)
    if (k == 15) setST(0, 0x3fff, SIG_TOP);
    else if (k == 11) { setST(0, aSE, aSig); push(0x3fff, SIG_TOP); }
    else if (k == 2) { setST(0, aSE, aSig); push(0x3fff, SIG_TOP); }
    setC(false, false);
    commit(); return;
  }
  // reduce |x| = nSig * 2^(E - 63) by the 66-bit pi
  const E = nExp - BIAS;
  let rs: u32 = 0, re: i32, rh: u64, rl: u64, q: i32 = 0;
  if (E < -1) { wFrom80(aSE & 0x7fff, aSig); re = wE; rh = wH; rl = wL; }
  else { reduce(nSig, E); rs = wS; re = wE; rh = wH; rl = wL; q = redK; }
  // S = sin r, C = cos r
  let ss: u32 = 0, se: i32 = 0, sh: u64 = 0, sl: u64 = 0;
  let cs: u32 = 0, ce: i32 = 0, ch: u64 = 0, cl: u64 = 0;
  if (k != 15 || (q & 1) != 0) { wSin(rs, re, rh, rl); ss = wS; se = wE; sh = wH; sl = wL; }
  if (k != 14 || (q & 1) != 0) { wCos(re, rh, rl); cs = wS; ce = wE; ch = wH; cl = wL; }
  // sin(|x|) = [S, C, -S, -C][q]; cos(|x|) = [C, -S, -C, S][q]
  let vs: u32, ve: i32, vh: u64, vl: u64; // sin(x)
  if ((q & 1) == 0) { vs = ss; ve = se; vh = sh; vl = sl; } else { vs = cs; ve = ce; vh = ch; vl = cl; }
  if ((q & 2) != 0) vs ^= 1;
  vs ^= sign;
  let us: u32, ue: i32, uh: u64, ul: u64; // cos(x)
  if ((q & 1) == 0) { us = cs; ue = ce; uh = ch; ul = cl; } else { us = ss ^ 1; ue = se; uh = sh; ul = sl; }
  if ((q & 2) != 0) us ^= 1;
  if (k == 14) {
    roundWide(vs, ve, vh, vl, false);
    setST(0, rSE, rSig);
  } else if (k == 15) {
    roundWide(us, ue, uh, ul, false);
    setST(0, rSE, rSig);
  } else if (k == 11) { // FSINCOS: ST0 = sin, then push cos (ST0 = cos, ST1 = sin)
    roundWide(vs, ve, vh, vl, false);
    const s1 = rSE, g1 = rSig, up1 = fUp;
    roundWide(us, ue, uh, ul, false);
    setST(0, s1, g1);
    push(rSE, rSig);
    setUp(up1);
  } else { // FPTAN: tan = sin/cos, then push 1
    if (E < -40) { // tan r = r (1 + r^2/3 + ...): keeps the tiny correction's direction (above r)
      wMul(0, re, rh, rl, 0, re, rh, rl);
      wDivU32(0, wE, wH, wL, 3);
      wAdd(0, 0, ONE_H, 0, 0, wE, wH, wL);
      wMul(rs ^ sign, re, rh, rl, 0, wE, wH, wL);
    } else wDiv(vs, ve, vh, vl, us, ue, uh, ul);
    roundWide(wS, wE, wH, wL, false);
    setST(0, rSE, rSig);
    push(0x3fff, SIG_TOP);
  }
  setC(fUp, false);
  commit();
}

function f2xm1(aSE: u32, aSig: u64, ca: i32): void {
  if (ca == C_INF) { // +inf -> +inf, -inf -> -1 (exact)
    if ((aSE & 0x8000) != 0) setST(0, 0xbfff, SIG_TOP);
    setC(false, false); commit(); return;
  }
  if (ca == C_ZERO) { setC(false, false); commit(); return; }
  normalize(aSE, aSig);
  const E = nExp - BIAS;
  const neg = (aSE & 0x8000) != 0;
  if (E > 0 || (E == 0 && nSig != SIG_TOP)) { // |x| > 1: unchanged, PE (measured)
    setFexc(fexc | EX_PE); setC(false, false); commit(); return;
  }
  if (E == 0 && neg) { // x = -1: exactly -1/2 with PE (measured)
    setST(0, 0xbffe, SIG_TOP); setFexc(fexc | EX_PE); setC(false, false); commit(); return;
  }
  // 2^x - 1 = expm1(x ln 2); x = +1 lands just below 1 like the hardware's (rounds per RC)
  wFrom80(aSE, aSig);
  wMul(wS, wE, wH, wL, 0, LN2_E, LN2_H, LN2_L);
  wExpm1(wS, wE, wH, wL);
  roundWide(wS, wE, wH, wL, false);
  setST(0, rSE, rSig);
  setC(fUp, false);
  commit();
}

function binary(k: i32, aSE: u32, aSig: u64, ca: i32): void {
  const bSE = stSE(1), bSig = stSig(1);
  const cb = classify(bSE, bSig);
  const sa = aSE >> 15, sb = bSE >> 15;
  setUp(false);
  if (ca == C_BAD || cb == C_BAD) { setFexc(fexc | EX_IE); setIndefinite(); finish(); return; }
  if (isNaNClass(ca) || isNaNClass(cb)) { propagateNaN(aSE, aSig, ca, bSE, bSig, cb); finish(); return; }
  if (k == 1 && sa != 0 && ca != C_ZERO) { setFexc(fexc | EX_IE); setIndefinite(); finish(); return; }
  // decided before the denormal check (measured): log2(0) (ZE or IE) and FYL2XP1(-inf) (IE)
  if (k == 1 && ca == C_ZERO) { fyl2x(aSE, aSig, ca, bSE, bSig, cb); finish(); return; }
  if (k == 9 && ca == C_INF && sa != 0) { setFexc(fexc | EX_IE); setIndefinite(); finish(); return; }
  if (isDenormal(aSE, aSig) || isDenormal(bSE, bSig)) setFexc(fexc | EX_DE);
  if (blocked()) { setC(false, false); commit(); return; }
  if (k == 3) fpatan(aSE, aSig, ca, bSE, bSig, cb);
  else if (k == 1) fyl2x(aSE, aSig, ca, bSE, bSig, cb);
  else fyl2xp1(aSE, aSig, ca, bSE, bSig, cb);
  finish();
}

// FPATAN: ST1 = atan(ST1 / ST0) in (-pi, pi]; x = ST0, y = ST1
function fpatan(xSE: u32, xSig: u64, cx: i32, ySE: u32, ySig: u64, cy: i32): void {
  const sx = xSE >> 15, sy = ySE >> 15;
  if (cy == C_ZERO) {
    if (sx == 0) setResult(ySE, ySig); // +-0
    else roundConst(sy, PI_E, PI_H, PI_L); // +-pi
    return;
  }
  if (cx == C_ZERO) { roundConst(sy, PI_E - 1, PI_H, PI_L); return; } // +-pi/2
  if (cy == C_INF) {
    if (cx == C_INF) {
      if (sx == 0) { roundConst(sy, PI_E - 2, PI_H, PI_L); return; } // pi/4
      // 3pi/4 = pi - pi/4
      wAdd(0, PI_E, PI_H, PI_L, 1, PI_E - 2, PI_H, PI_L);
      roundConst(sy, wE, wH, wL); return;
    }
    roundConst(sy, PI_E - 1, PI_H, PI_L); return;
  }
  if (cx == C_INF) {
    if (sx == 0) setResult(sy << 15, 0);
    else roundConst(sy, PI_E, PI_H, PI_L);
    return;
  }
  // both finite nonzero
  wFrom80(xSE & 0x7fff, xSig);
  const xe = wE, xh = wH, xl = wL;
  wFrom80(ySE & 0x7fff, ySig);
  const ye = wE, yh = wH, yl = wL;
  const swap = ye > xe || (ye == xe && (yh > xh || (yh == xh && yl > xl)));
  if (swap) wDiv(0, xe, xh, xl, 0, ye, yh, yl);
  else wDiv(0, ye, yh, yl, 0, xe, xh, xl);
  wAtan01(wE, wH, wL);
  if (swap) wAdd(0, PI_E - 1, PI_H, PI_L, 1, wE, wH, wL); // pi/2 - a
  if (sx != 0) wAdd(0, PI_E, PI_H, PI_L, 1, wE, wH, wL); // pi - a
  roundWide(sy, wE, wH, wL, false);
}

// FYL2X: ST1 = ST1 * log2(ST0); x = ST0 (not negative here), y = ST1
function fyl2x(xSE: u32, xSig: u64, cx: i32, ySE: u32, ySig: u64, cy: i32): void {
  const sy = ySE >> 15;
  if (cx == C_ZERO) {
    if (cy == C_ZERO) { setFexc(fexc | EX_IE); setIndefinite(); return; }
    if (cy != C_INF) setFexc(fexc | EX_ZE);
    setResult(((sy ^ 1) << 15) | 0x7fff, SIG_TOP); return; // -y * inf
  }
  if (cx == C_INF) {
    if (cy == C_ZERO) { setFexc(fexc | EX_IE); setIndefinite(); return; }
    setResult((sy << 15) | 0x7fff, SIG_TOP); return;
  }
  // x finite positive
  wFrom80(xSE, xSig);
  const isOne = wE == 0 && wH == ONE_H;
  if (cy == C_INF) {
    if (isOne) { setFexc(fexc | EX_IE); setIndefinite(); return; }
    const neg = wE < 0; // log2 x < 0
    setResult(((sy ^ (neg ? 1 : 0)) << 15) | 0x7fff, SIG_TOP); return;
  }
  if (cy == C_ZERO) { // +-0 * log2 x
    const neg = wE < 0;
    setResult((sy ^ (neg ? 1 : 0)) << 15, 0); return;
  }
  wLog2(wE, wH, wL);
  mulY(ySE, ySig, log2Exact);
}

/** Multiply the wide log in the globals by y and round. */
function mulY(ySE: u32, ySig: u64, exact: bool): void {
  const ls = wS, le = wE, lh = wH, ll = wL;
  if (lh == 0) { // log is exactly 0: +-0 without PE
    setResult(ySE & 0x8000, 0); return;
  }
  wFrom80(ySE, ySig);
  wMul(wS, wE, wH, wL, ls, le, lh, ll);
  roundWide(wS, wE, wH, wL, exact);
}

// FYL2XP1: ST1 = ST1 * log2(ST0 + 1)
function fyl2xp1(xSE: u32, xSig: u64, cx: i32, ySE: u32, ySig: u64, cy: i32): void {
  const sx = xSE >> 15, sy = ySE >> 15;
  if (cx == C_ZERO) {
    if (cy == C_INF) { setFexc(fexc | EX_IE); setIndefinite(); return; }
    setResult((sx ^ sy) << 15, 0); return;
  }
  if (cx == C_INF) {
    if (sx != 0 || cy == C_ZERO) { setFexc(fexc | EX_IE); setIndefinite(); return; }
    setResult((sy << 15) | 0x7fff, SIG_TOP); return;
  }
  normalize(xSE, xSig);
  const E = nExp - BIAS;
  if (sx != 0 && E >= 0) { // x <= -1 (measured): y * (negative) for a zero or infinite y, else x with PE
    if (cy == C_INF) setResult(((sy ^ 1) << 15) | 0x7fff, SIG_TOP);
    else if (cy == C_ZERO) setResult((sy ^ 1) << 15, 0);
    else { setResult(xSE, xSig); setFexc(fexc | EX_PE); }
    return;
  }
  if (cy == C_INF) {
    setResult(((sy ^ sx) << 15) | 0x7fff, SIG_TOP); return;
  }
  if (cy == C_ZERO) { setResult((sy ^ sx) << 15, 0); return; }
  wFrom80(xSE, xSig);
  if (E < -60) {
    wLog2p1Tiny(wS, wE, wH, wL);
    mulY(ySE, ySig, false);
    return;
  }
  wAdd(0, 0, ONE_H, 0, wS, wE, wH, wL); // 1 + x, exact for |x| < 2^64
  const exactSum = E < 64;
  wLog2(wE, wH, wL);
  mulY(ySE, ySig, log2Exact && exactSum);
}

function finish(): void {
  if (blocked()) { setC(false, false); commit(); return; }
  setST(1, rSE, rSig);
  pop();
  setC(fUp, false);
  commit();
}
