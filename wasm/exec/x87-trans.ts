// x87 transcendentals: F2XM1, FYL2X, FYL2XP1, FPTAN, FPATAN, FSIN, FCOS, FSINCOS.
// Special operands (empty, NaN, unsupported, infinities, zeros, out-of-range |x| >= 2^63) follow the
// SDM; finite results are computed in double precision and widened (see the report: not yet 1 ulp
// of the 64-bit significand).
import {
  EX_IE, EX_DE, EX_ZE, EX_PE, SIG_TOP, QNAN_SE, QNAN_SIG, BIAS, fexc, fMask, rSE, rSig, setResult,
  setIndefinite, setFexc, setUp, C_ZERO, C_FIN, C_INF, C_QNAN, C_SNAN, C_BAD, classify, isDenormal,
  isNaNClass, normalize, nExp, nSig, propagateNaN, fromF64,
} from "../cpu/float80";
import {
  begin, commit, blocked, stackUnderflow, stackOverflow, stEmpty, stSE, stSig, setST, pop, push,
  getFSW, setFSW,
} from "./x87";

const SW_C1: u32 = 0x0200;
const SW_C2: u32 = 0x0400;

function toF64(se: u32, sig: u64): f64 {
  normalize(se, sig);
  const v = <f64>nSig * Math.pow(2.0, <f64>(nExp - BIAS - 63));
  return (se & 0x8000) != 0 ? -v : v;
}
function fromDouble(x: f64): void {
  const save = fexc;
  fromF64(reinterpret<u64>(x));
  setFexc(save);
}
let curK: i32 = 0;
/** C1, and C2 for the trigonometric forms (the others leave C2 alone). */
function setC(c1: bool, c2: bool): void {
  const trig = curK == 2 || curK == 11 || curK == 14 || curK == 15;
  let sw = getFSW() & ~(trig ? (SW_C1 | SW_C2) : SW_C1);
  if (c1) sw |= SW_C1;
  if (c2) sw |= SW_C2;
  setFSW(sw);
}

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
  if (blocked()) { commit(); return; }
  if (k != 0 && ca == C_FIN) {
    normalize(aSE, aSig);
    if (nExp - BIAS >= 63) { setC(false, true); commit(); return; } // out of range: C2=1, unchanged
  }
  const x = toF64(aSE, aSig);
  let r: f64 = 0, r2: f64 = 0;
  switch (k) {
    case 0: r = ca == C_INF ? (x > 0 ? Infinity : -1.0) : Math.expm1(x * Math.LN2); break;
    case 2: r = Math.tan(x); r2 = 1.0; break;
    case 11: r = Math.sin(x); r2 = Math.cos(x); break;
    case 14: r = Math.sin(x); break;
    default: r = Math.cos(x); break;
  }
  if (ca == C_ZERO && k != 15) { setResult(aSE, aSig); }
  else { fromDouble(r); if (ca != C_ZERO) setFexc(fexc | EX_PE); }
  const s1 = rSE, g1 = rSig;
  if (k == 11) { // FSINCOS: ST0 = cos, then push sin
    fromDouble(r2);
    setST(0, rSE, rSig);
    push(s1, g1);
  } else if (k == 2) {
    setST(0, s1, g1);
    push(0x3fff, SIG_TOP);
  } else setST(0, s1, g1);
  setC(false, false);
  setUp(false);
  commit();
}

function binary(k: i32, aSE: u32, aSig: u64, ca: i32): void {
  const bSE = stSE(1), bSig = stSig(1);
  const cb = classify(bSE, bSig);
  if (ca == C_BAD || cb == C_BAD) { setFexc(fexc | EX_IE); setIndefinite(); }
  else if (isNaNClass(ca) || isNaNClass(cb)) propagateNaN(aSE, aSig, ca, bSE, bSig, cb);
  else {
    if (k == 1 && (aSE & 0x8000) != 0 && ca != C_ZERO) { setFexc(fexc | EX_IE); setIndefinite(); finish(); return; }
    if (isDenormal(aSE, aSig) || isDenormal(bSE, bSig)) setFexc(fexc | EX_DE);
    if (blocked()) { commit(); return; }
    const x = toF64(aSE, aSig), y = toF64(bSE, bSig);
    let r: f64;
    if (k == 3) r = Math.atan2(y, x);
    else if (k == 1) {
      if (x < 0 || (ca == C_ZERO && cb == C_ZERO) || (ca == C_INF && cb == C_ZERO) || (x == 1 && cb == C_INF)) { setFexc(fexc | EX_IE); setIndefinite(); finish(); return; }
      if (ca == C_ZERO) { setFexc(fexc | EX_ZE); }
      r = y * Math.log2(x);
    } else r = y * Math.log1p(x) / Math.LN2;
    fromDouble(r);
    if (r != 0) setFexc(fexc | EX_PE);
  }
  finish();
}

function finish(): void {
  if (blocked()) { commit(); return; }
  setST(1, rSE, rSig);
  pop();
  setC(false, false);
  commit();
}
