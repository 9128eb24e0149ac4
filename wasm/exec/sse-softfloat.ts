// IEEE binary32/binary64 arithmetic with MXCSR semantics: the four rounding modes, DAZ, FTZ, the x86
// NaN rules, and exact exception flags (IE DE ZE OE UE PE; tininess detected after rounding).
//
// Method: a result is produced as (sign, exponent, 64-bit significand with a sticky bit) and rounded
// once by roundPack. The significand comes from exact computations: f32 products and f32 -> f64
// conversions are exact in f64; sums use wasm's round-to-nearest f64 add plus the TwoSum error term
// (whose sign is all the directed modes need); f64 products use a 64x64->128 integer multiply, f64
// quotients an integer long division, f64 square roots the RN result corrected by an exact
// comparison of its square. f32 quotients and square roots computed in f64 are innocuous to round
// again (their f64 tails are never exactly on an f32 rounding boundary unless exact).
import { MX_IE, MX_DE, MX_ZE, MX_OE, MX_UE, MX_PE, mxcsr } from "./sse-common";

export let sfFlags: u32 = 0;
export function setSfFlags(f: u32): void { sfFlags = f; }
export let rc: i32 = 0; // 0 RN, 1 RD, 2 RU, 3 RZ
let ftz: bool = false;
let daz: bool = false;
let ueUnmasked: bool = false;
let oeUnmasked: bool = false;

export const RN = 0, RD = 1, RU = 2, RZ = 3;

/** Start an instruction: latch MXCSR controls, clear the accumulated flags. */
export function sfBegin(): void {
  const m = mxcsr();
  rc = <i32>((m >> 13) & 3);
  ftz = (m & 0x8000) != 0;
  daz = (m & 0x40) != 0;
  ueUnmasked = (m & (1 << 11)) == 0;
  oeUnmasked = (m & (1 << 10)) == 0;
  sfFlags = 0;
}

// ---- format helpers (d = binary64) ----
@inline export function signOf(x: u64, d: bool): bool { return d ? (x >> 63) != 0 : ((x >> 31) & 1) != 0; }
@inline export function expOf(x: u64, d: bool): u32 { return d ? <u32>((x >> 52) & 0x7ff) : <u32>((x >> 23) & 0xff); }
@inline export function fracOf(x: u64, d: bool): u64 { return d ? x & 0xfffffffffffff : x & 0x7fffff; }
@inline export function expAll(d: bool): u32 { return d ? 0x7ff : 0xff; }
@inline export function isNaN_(x: u64, d: bool): bool { return expOf(x, d) == expAll(d) && fracOf(x, d) != 0; }
@inline export function isSNaN_(x: u64, d: bool): bool { return isNaN_(x, d) && (x & (d ? (<u64>1 << 51) : (<u64>1 << 22))) == 0; }
@inline export function isInf_(x: u64, d: bool): bool { return expOf(x, d) == expAll(d) && fracOf(x, d) == 0; }
@inline export function isZero_(x: u64, d: bool): bool { return (x & (d ? 0x7fffffffffffffff : 0x7fffffff)) == 0; }
@inline export function isDenorm_(x: u64, d: bool): bool { return expOf(x, d) == 0 && fracOf(x, d) != 0; }
@inline export function quiet(x: u64, d: bool): u64 { return x | (d ? (<u64>1 << 51) : (<u64>1 << 22)); }
@inline export function defaultNaN(d: bool): u64 { return d ? 0xfff8000000000000 : 0xffc00000; }
@inline export function signBit(d: bool): u64 { return d ? (<u64>1 << 63) : (<u64>1 << 31); }
@inline export function infOf(neg: bool, d: bool): u64 { return (d ? 0x7ff0000000000000 : 0x7f800000) | (neg ? signBit(d) : 0); }
@inline export function zeroOf(neg: bool, d: bool): u64 { return neg ? signBit(d) : 0; }

/** Apply DAZ to a source operand, or flag it as denormal (DE). */
export function dazIn(x: u64, d: bool): u64 {
  if (isDenorm_(x, d)) {
    if (daz) return x & signBit(d);
    sfFlags |= MX_DE;
  }
  return x;
}
/** DAZ without the DE flag (operations that do not report denormal operands). */
export function dazOnly(x: u64, d: bool): u64 {
  if (daz && isDenorm_(x, d)) return x & signBit(d);
  return x;
}

/** The value of a (non-NaN) operand as f64 (exact for both formats). */
@inline export function toF64(x: u64, d: bool): f64 {
  if (d) return reinterpret<f64>(x);
  return <f64>reinterpret<f32>(<u32>x);
}

// ---- rounding ----
@inline function roundInc(neg: bool, lsb: u64, rem: u64, half: u64): bool {
  if (rc == RN) return rem > half || (rem == half && lsb != 0);
  if (rc == RZ) return false;
  if (rc == RD) return neg && rem != 0;
  return !neg && rem != 0;
}

/**
 * Round sign * sig * 2^(e - 63) (sig normalized: bit 63 set; any nonzero low bits act as sticky)
 * to the format, with overflow, underflow (tininess after rounding), FTZ and inexact handling.
 */
export function roundPack(neg: bool, e: i32, sig: u64, d: bool): u64 {
  const p = d ? 53 : 24;
  const bias = d ? 1023 : 127;
  const sh = <u64>(64 - p);
  const half: u64 = <u64>1 << (sh - 1);
  const remMask: u64 = (<u64>1 << sh) - 1;
  const sgn = neg ? signBit(d) : 0;
  let E = e + bias;
  if (E >= 1) {
    let q = sig >> sh;
    const rem = sig & remMask;
    if (roundInc(neg, q & 1, rem, half)) q++;
    if ((q >> <u64>p) != 0) { q >>= 1; E++; }
    if (E >= <i32>expAll(d)) return overflow(neg, d, rem != 0);
    if (rem != 0) sfFlags |= MX_PE;
    return sgn | (<u64>E << <u64>(p - 1)) | (q & ((<u64>1 << <u64>(p - 1)) - 1));
  }
  // tiny before rounding: after rounding with unbounded exponent?
  let tiny = true;
  if (E == 0) {
    const q0 = sig >> sh;
    if (roundInc(neg, q0 & 1, sig & remMask, half) && q0 + 1 == (<u64>1 << <u64>p)) tiny = false;
  }
  const shift = 1 - E;
  let s2: u64;
  if (shift >= 64) s2 = sig != 0 ? 1 : 0;
  else s2 = (sig >> <u64>shift) | ((sig << <u64>(64 - shift)) != 0 ? 1 : 0);
  let q = s2 >> sh;
  const rem = s2 & remMask;
  if (roundInc(neg, q & 1, rem, half)) q++;
  const inexact = rem != 0;
  if (tiny && ftz && !ueUnmasked) {
    sfFlags |= MX_UE | MX_PE;
    return sgn;
  }
  if (tiny && ueUnmasked) {
    // unmasked: #XM; PE reports whether the result rounded with unbounded exponent is inexact
    sfFlags |= MX_UE | ((sig & remMask) != 0 ? MX_PE : 0);
    return sgn | q;
  }
  if (tiny && inexact) sfFlags |= MX_UE;
  if (inexact) sfFlags |= MX_PE;
  return sgn | q;
}

function overflow(neg: bool, d: bool, inexact: bool): u64 {
  // unmasked: #XM; PE reports whether the result rounded with unbounded exponent is inexact
  sfFlags |= oeUnmasked && !inexact ? MX_OE : MX_OE | MX_PE;
  const maxv: u64 = d ? 0x7fefffffffffffff : 0x7f7fffff;
  let toInf = rc == RN || (rc == RU && !neg) || (rc == RD && neg);
  return (neg ? signBit(d) : 0) | (toInf ? infOf(false, d) : maxv);
}

// Decomposition of a finite nonzero f64 into (neg, e, sig normalized at bit 63).
let dNeg: bool = false;
let dE: i32 = 0;
let dSig: u64 = 0;
function decomp(x: f64): void {
  const b = reinterpret<u64>(x);
  dNeg = (b >> 63) != 0;
  const E = <i32>((b >> 52) & 0x7ff);
  const f = b & 0xfffffffffffff;
  if (E == 0) {
    const lz = <i32>clz(f);
    dSig = f << <u64>lz;
    dE = (63 - lz) - 1074;
  } else {
    dSig = (f | (<u64>1 << 52)) << 11;
    dE = E - 1023;
  }
}

/** Round the f64 value s, whose exact value is s + err (|err| < half an ulp of s), times 2^eadj. */
function packF64(s: f64, err: f64, eadj: i32, d: bool): u64 {
  decomp(s);
  let sig = dSig, e = dE + eadj;
  if (dNeg) err = -err; // err is applied to the magnitude
  if (err > 0) sig |= 1;
  else if (err < 0) {
    sig -= 1;
    if ((sig >> 63) == 0) { sig = (sig << 1) | 1; e--; }
  }
  return roundPack(dNeg, e, sig, d);
}

// 64x64 -> 128 multiply
let mulHi: u64 = 0;
function mul128(a: u64, b: u64): u64 {
  const a0 = a & 0xffffffff, a1 = a >> 32, b0 = b & 0xffffffff, b1 = b >> 32;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  mulHi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
  return (mid << 32) | (p00 & 0xffffffff);
}

// ---- the arithmetic operations on non-NaN, DAZ-applied operands ----
function addF(a: f64, b: f64, d: bool): u64 {
  if (a == 0 && b == 0) {
    const na = (reinterpret<u64>(a) >> 63) != 0, nb = (reinterpret<u64>(b) >> 63) != 0;
    return zeroOf(na == nb ? na : rc == RD, d);
  }
  const s = a + b;
  if (s == 0) return zeroOf(rc == RD, d);
  if (isFinite<f64>(s)) {
    const bb = s - a;
    const err = (a - (s - bb)) + (b - bb);
    return packF64(s, err, 0, d);
  }
  const ha = a * 0.5, hb = b * 0.5;
  const s2 = ha + hb;
  const bb2 = s2 - ha;
  const err2 = (ha - (s2 - bb2)) + (hb - bb2);
  return packF64(s2, err2, 1, d);
}

function mulF(a: f64, b: f64, d: bool): u64 {
  if (!d) return packF64(a * b, 0, 0, false);
  decomp(a);
  const na = dNeg, ea = dE, sa = dSig;
  decomp(b);
  const lo = mul128(sa, dSig);
  const hi = mulHi;
  let e = ea + dE;
  let sig: u64;
  if ((hi >> 63) != 0) { e++; sig = hi | (lo != 0 ? 1 : 0); }
  else sig = (hi << 1) | (lo >> 63) | ((lo << 1) != 0 ? 1 : 0);
  return roundPack(na != dNeg, e, sig, true);
}

function divF(a: f64, b: f64, d: bool): u64 {
  if (!d) return packF64(a / b, 0, 0, false);
  decomp(a);
  const na = dNeg, ea = dE;
  let ma = dSig >> 11;
  decomp(b);
  const mb = dSig >> 11;
  let e = ea - dE;
  if (ma < mb) { ma <<= 1; e--; }
  let q: u64 = 0, r = ma;
  for (let i = 0; i < 55; i++) {
    q <<= 1;
    if (r >= mb) { r -= mb; q |= 1; }
    r <<= 1;
  }
  // q has 55 bits: value q * 2^(e - 54)
  return roundPack(na != dNeg, e, (q << 9) | (r != 0 ? 1 : 0), true);
}

function sqrtF(a: f64, d: bool): u64 {
  const s = Math.sqrt(a);
  if (!d) return packF64(s, 0, 0, false);
  // sign of a - s*s, exactly
  decomp(a);
  const mx = dSig >> 11; // 53 bits, a = mx * 2^(dE - 52)
  const ex = dE - 52;
  decomp(s);
  const ms = dSig >> 11;
  const es = dE - 52;
  const lo = mul128(ms, ms);
  const hi = mulHi;
  const dsh = ex - 2 * es; // compare ms^2 with mx << dsh (dsh in 51..53)
  const xhi = mx >> <u64>(64 - dsh), xlo = mx << <u64>dsh;
  let err: f64 = 0;
  if (xhi > hi || (xhi == hi && xlo > lo)) err = 1;
  else if (xhi < hi || (xhi == hi && xlo < lo)) err = -1;
  return packF64(s, err, 0, true);
}

// ---- instruction-level operations (x = first operand / destination, y = second / source) ----
export const OP_ADD = 0, OP_SUB = 1, OP_MUL = 2, OP_DIV = 3, OP_MIN = 4, OP_MAX = 5, OP_SQRT = 6;

export function arith(op: i32, x: u64, y: u64, d: bool): u64 {
  if (op == OP_MIN || op == OP_MAX) {
    if (isNaN_(x, d) || isNaN_(y, d)) { sfFlags |= MX_IE; return dazOnly(y, d); }
    x = dazIn(x, d); y = dazIn(y, d);
    const a = toF64(x, d), b = toF64(y, d);
    if (op == OP_MIN) return a < b ? x : y;
    return a > b ? x : y;
  }
  if (op == OP_SQRT) {
    if (isNaN_(y, d)) { if (isSNaN_(y, d)) sfFlags |= MX_IE; return quiet(y, d); }
    y = dazOnly(y, d);
    if (isZero_(y, d)) return y;
    if (signOf(y, d)) { sfFlags |= MX_IE; return defaultNaN(d); }
    y = dazIn(y, d);
    if (isInf_(y, d)) return y;
    return sqrtF(toF64(y, d), d);
  }
  const xn = isNaN_(x, d), yn = isNaN_(y, d);
  if (xn || yn) {
    if (isSNaN_(x, d) || isSNaN_(y, d)) sfFlags |= MX_IE;
    return xn ? quiet(x, d) : quiet(y, d);
  }
  const before = sfFlags;
  x = dazIn(x, d); y = dazIn(y, d);
  if (op == OP_SUB) { y ^= signBit(d); op = OP_ADD; }
  const xi = isInf_(x, d), yi = isInf_(y, d);
  const xz = isZero_(x, d), yz = isZero_(y, d);
  const neg = signOf(x, d) != signOf(y, d);
  switch (op) {
    case OP_ADD:
      if (xi || yi) {
        if (xi && yi && neg) { sfFlags |= MX_IE; return defaultNaN(d); }
        return xi ? x : y;
      }
      return addF(toF64(x, d), toF64(y, d), d);
    case OP_MUL:
      if (xi || yi) {
        if (xz || yz) { sfFlags |= MX_IE; return defaultNaN(d); }
        return infOf(neg, d);
      }
      if (xz || yz) return zeroOf(neg, d);
      return mulF(toF64(x, d), toF64(y, d), d);
    default: // DIV
      if (xi) {
        if (yi) { sfFlags |= MX_IE; return defaultNaN(d); }
        return infOf(neg, d);
      }
      if (yi) return zeroOf(neg, d);
      if (yz) {
        if (xz) { sfFlags |= MX_IE; return defaultNaN(d); }
        sfFlags = before | MX_ZE; // divide-by-zero is reported instead of a denormal dividend
        return infOf(neg, d);
      }
      if (xz) return zeroOf(neg, d);
      return divF(toF64(x, d), toF64(y, d), d);
  }
}

/** CMPPS/CMPSS predicate 0..7 (imm8[2:0]): all-ones or zero. */
export function cmpPred(pred: i32, x: u64, y: u64, d: bool): bool {
  const un = isNaN_(x, d) || isNaN_(y, d);
  const signaling = pred == 1 || pred == 2 || pred == 5 || pred == 6;
  if (un) {
    if (signaling || isSNaN_(x, d) || isSNaN_(y, d)) sfFlags |= MX_IE;
  } else { x = dazIn(x, d); y = dazIn(y, d); }
  const a = toF64(x, d), b = toF64(y, d);
  switch (pred & 7) {
    case 0: return !un && a == b;
    case 1: return !un && a < b;
    case 2: return !un && a <= b;
    case 3: return un;
    case 4: return un || a != b;
    case 5: return un || !(a < b);
    case 6: return un || !(a <= b);
    default: return !un;
  }
}

/** COMIS/UCOMIS: returns 0 greater, 1 less, 2 equal, 3 unordered. */
export function compare(x: u64, y: u64, d: bool, signaling: bool): i32 {
  if (isNaN_(x, d) || isNaN_(y, d)) {
    if (signaling || isSNaN_(x, d) || isSNaN_(y, d)) sfFlags |= MX_IE;
    return 3;
  }
  x = dazIn(x, d); y = dazIn(y, d);
  const a = toF64(x, d), b = toF64(y, d);
  return a > b ? 0 : a < b ? 1 : 2;
}

/** Integer (signed, 64-bit container) to float. */
export function fromInt(v: i64, d: bool): u64 {
  if (v == 0) return 0;
  const neg = v < 0;
  const m: u64 = neg ? <u64>(-v) : <u64>v;
  const lz = <i32>clz(m);
  return roundPack(neg, 63 - lz, m << <u64>lz, d);
}

/** Float to signed integer of 32 or 64 bits (trunc: round toward zero), integer indefinite on #IA. */
export function toInt(x: u64, d: bool, bits64: bool, trunc: bool): u64 {
  const indef: u64 = bits64 ? 0x8000000000000000 : 0x80000000;
  if (isNaN_(x, d) || isInf_(x, d)) { sfFlags |= MX_IE; return indef; }
  x = dazOnly(x, d);
  const a = toF64(x, d);
  const r = roundInt(a, trunc ? RZ : rc);
  if (bits64 ? (r >= 9223372036854775808.0 || r < -9223372036854775808.0) : (r > 2147483647.0 || r < -2147483648.0)) {
    sfFlags |= MX_IE;
    return indef;
  }
  if (r != a) sfFlags |= MX_PE;
  const v = <i64>r;
  return bits64 ? <u64>v : <u64>(<u32>v);
}

export function roundInt(a: f64, mode: i32): f64 {
  if (mode == RN) return Math.round(a) == a ? a : nearestEven(a);
  if (mode == RD) return Math.floor(a);
  if (mode == RU) return Math.ceil(a);
  return Math.trunc(a);
}
@inline function nearestEven(a: f64): f64 { return nearest<f64>(a); }

/** float -> float conversion (CVTSS2SD / CVTSD2SS). */
export function convert(x: u64, fromD: bool): u64 {
  const toD = !fromD;
  if (isNaN_(x, fromD)) {
    if (isSNaN_(x, fromD)) sfFlags |= MX_IE;
    const q = quiet(x, fromD);
    if (toD) return ((q >> 31) << 63) | (<u64>0x7ff << 52) | ((q & 0x7fffff) << 29);
    return ((q >> 63) << 31) | (<u64>0xff << 23) | ((q & 0xfffffffffffff) >> 29);
  }
  x = dazIn(x, fromD);
  if (isInf_(x, fromD)) return infOf(signOf(x, fromD), toD);
  if (isZero_(x, fromD)) return zeroOf(signOf(x, fromD), toD);
  const a = toF64(x, fromD);
  if (toD) return reinterpret<u64>(a);
  return packF64(a, 0, 0, false);
}

/** ROUNDSS/SD lane: mode 0-3 or -1 for MXCSR.RC; noPE suppresses the precision exception. */
export function roundLane(x: u64, d: bool, mode: i32, noPE: bool): u64 {
  if (isNaN_(x, d)) { if (isSNaN_(x, d)) sfFlags |= MX_IE; return quiet(x, d); }
  x = dazOnly(x, d);
  if (isInf_(x, d) || isZero_(x, d)) return x;
  const a = toF64(x, d);
  const r = roundInt(a, mode < 0 ? rc : mode);
  if (r != a && !noPE) sfFlags |= MX_PE;
  if (d) return reinterpret<u64>(r);
  return <u64>reinterpret<u32>(<f32>r);
}

/** RCP / RSQRT approximations (f32): within the SDM's 1.5 * 2^-12 relative error. */
export function approx(x: u64, rsqrt: bool): u64 {
  const neg = signOf(x, false);
  if (isNaN_(x, false)) return quiet(x, false);
  if (isZero_(x, false) || isDenorm_(x, false)) return infOf(neg, false);
  if (isInf_(x, false)) return rsqrt ? (neg ? defaultNaN(false) : 0) : zeroOf(neg, false);
  if (rsqrt && neg) return defaultNaN(false);
  const a = toF64(x, false);
  const r: f64 = rsqrt ? 1.0 / Math.sqrt(a) : 1.0 / a;
  const f = <f32>r;
  let b = <u64>reinterpret<u32>(f);
  // Tiny results are flushed. Hardware's approximation of 1/2^126 lands just below the smallest
  // normal, so RCP of any |x| >= 2^126 gives a signed zero (measured on the host).
  if (isDenorm_(b, false) || (!rsqrt && (x & 0x7f800000) >= 0x7e800000)) b &= 0x80000000;
  return b;
}

export { MX_IE, MX_DE, MX_ZE, MX_OE, MX_UE, MX_PE };
