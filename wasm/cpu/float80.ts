// Soft-float for the x87's 80-bit extended format (64-bit significand with explicit integer bit,
// 15-bit exponent, bias 16383) with the x87's rounding (precision control 24/53/64, four rounding
// modes), its exception flags (IE DE ZE OE UE PE in FSW bit positions) and C1 "rounded up", and the
// x87 responses for masked and unmasked overflow/underflow (bias-adjusted results for registers).
//
// Calling convention: operands are passed as (se: u32 sign/exponent word, sig: u64); results come
// back in the module globals rSE/rSig; exception flags accumulate in `fexc`. The caller sets fRC
// (rounding control 0..3), fMask (FCW exception masks, bits 0..5) before calling. No allocation.

export const EX_IE: u32 = 0x01;
export const EX_DE: u32 = 0x02;
export const EX_ZE: u32 = 0x04;
export const EX_OE: u32 = 0x08;
export const EX_UE: u32 = 0x10;
export const EX_PE: u32 = 0x20;
export const EX_SF: u32 = 0x40;

export const RC_NEAR: i32 = 0;
export const RC_DOWN: i32 = 1;
export const RC_UP: i32 = 2;
export const RC_ZERO: i32 = 3;

export const BIAS: i32 = 16383;
export const WRAP80: i32 = 24576; // bias adjust for unmasked overflow/underflow with register destinations
export const SIG_TOP: u64 = 0x8000000000000000;
export const QNAN_SE: u32 = 0xffff; // real indefinite: sign 1, exponent 7FFF, significand C000...
export const QNAN_SIG: u64 = 0xc000000000000000;

/** Exception flags raised by the operation(s) since the caller last cleared it. */
export let fexc: u32 = 0;
/** C1: the last rounding increased the magnitude. */
export let fUp: bool = false;
/** Rounding control (FCW bits 10-11). */
export let fRC: i32 = 0;
/** Exception masks (FCW bits 0-5). */
export let fMask: u32 = 0x3f;
/** Set by roundPack when an unmasked overflow/underflow forbids a memory store. */
export let fNoStore: bool = false;

export let rSE: u32 = 0;
export let rSig: u64 = 0;

export function fpBegin(rc: i32, mask: u32): void {
  fRC = rc; fMask = mask; fexc = 0; fUp = false; fNoStore = false; srcDenormal = false;
}
@inline export function setResult(se: u32, sig: u64): void { rSE = se; rSig = sig; }
@inline export function setIndefinite(): void { rSE = QNAN_SE; rSig = QNAN_SIG; }

// ---- classification ----
export const C_ZERO: i32 = 0;
export const C_FIN: i32 = 1; // normal or denormal (incl. pseudo-denormal)
export const C_INF: i32 = 2;
export const C_QNAN: i32 = 3;
export const C_SNAN: i32 = 4;
export const C_BAD: i32 = 5; // unnormal, pseudo-NaN, pseudo-infinity

export function classify(se: u32, sig: u64): i32 {
  const e = se & 0x7fff;
  if (e == 0x7fff) {
    if ((sig & SIG_TOP) == 0) return C_BAD;
    if ((sig << 1) == 0) return C_INF;
    return (sig & 0x4000000000000000) != 0 ? C_QNAN : C_SNAN;
  }
  if (e == 0) return sig == 0 ? C_ZERO : C_FIN;
  return (sig & SIG_TOP) != 0 ? C_FIN : C_BAD;
}
@inline export function isDenormal(se: u32, sig: u64): bool { return (se & 0x7fff) == 0 && sig != 0; }
@inline export function isNaNClass(c: i32): bool { return c == C_QNAN || c == C_SNAN; }

// Normalized finite operand: value = nSig * 2^(nExp - BIAS - 63), nSig bit 63 set (nExp may be <= 0).
export let nExp: i32 = 0;
export let nSig: u64 = 0;
export function normalize(se: u32, sig: u64): void {
  let e = <i32>(se & 0x7fff);
  if (e == 0) {
    e = 1;
    const s = <i32>clz<u64>(sig);
    sig <<= <u64>s;
    e -= s;
  }
  nExp = e; nSig = sig;
}

// ---- 128-bit helpers ----
export let hi128: u64 = 0;
export let lo128: u64 = 0;
export function mul64(a: u64, b: u64): void {
  const a0 = a & 0xffffffff, a1 = a >> 32, b0 = b & 0xffffffff, b1 = b >> 32;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  lo128 = (p00 & 0xffffffff) | (mid << 32);
  hi128 = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}
/** (hi:lo) >> n with the bits shifted out ORed into bit 0 (n >= 0). */
export function shrJam128(hi: u64, lo: u64, n: i32): void {
  if (n == 0) { hi128 = hi; lo128 = lo; return; }
  if (n < 64) {
    const lost = (lo << <u64>(64 - n)) != 0;
    lo128 = (lo >> <u64>n) | (hi << <u64>(64 - n)) | (lost ? 1 : 0);
    hi128 = hi >> <u64>n;
    return;
  }
  if (n < 128) {
    const m = n - 64;
    const lost = lo != 0 || (m > 0 && (hi << <u64>(64 - m)) != 0);
    lo128 = (m == 0 ? hi : (hi >> <u64>m)) | (lost ? 1 : 0);
    hi128 = 0;
    return;
  }
  hi128 = 0; lo128 = (hi | lo) != 0 ? 1 : 0;
}
/** Remainder of the last div128. */
export let remainder: u64 = 0;
/** (hi:lo) / d for hi < d: the 64-bit quotient; remainder in `remainder`. */
export function div128(hi: u64, lo: u64, d: u64): u64 {
  let r = hi, q: u64 = 0;
  for (let i = 0; i < 64; i++) {
    const top = (r >> 63) != 0;
    r = (r << 1) | (lo >> 63);
    lo <<= 1;
    q <<= 1;
    if (top || r >= d) { r -= d; q |= 1; }
  }
  remainder = r;
  return q;
}

// ---- rounding ----
let rcCarry: bool = false;
let rcInexact: bool = false;
let rcInc: bool = false;

/** Round (sig:extra) to `keep` significant bits counted from bit 63 of sig; bits below are cleared. */
function roundCore(sign: u32, sig: u64, extra: u64, keep: i32): u64 {
  let guard: bool, rest: bool, lsb: bool, trunc: u64, unit: u64;
  if (keep >= 64) {
    guard = (extra >> 63) != 0; rest = (extra << 1) != 0; lsb = (sig & 1) != 0;
    trunc = sig; unit = 1;
  } else {
    const sh = <u64>(64 - keep);
    unit = <u64>1 << sh;
    const low = sig & (unit - 1);
    const half = unit >> 1;
    guard = (low & half) != 0; rest = (low & (half - 1)) != 0 || extra != 0; lsb = (sig & unit) != 0;
    trunc = sig & ~(unit - 1);
  }
  rcInexact = guard || rest;
  let inc = false;
  switch (fRC) {
    case RC_NEAR: inc = guard && (rest || lsb); break;
    case RC_DOWN: inc = rcInexact && sign != 0; break;
    case RC_UP: inc = rcInexact && sign == 0; break;
    default: inc = false; break;
  }
  rcInc = inc;
  rcCarry = false;
  if (inc) {
    const r = trunc + unit;
    if (r < trunc) { rcCarry = true; return SIG_TOP; }
    return r;
  }
  return trunc;
}

/** Biased exponent of the last roundPack result (0 for zero/denormal). */
export let rExp: i32 = 0;

/**
 * Round sign * sig.extra * 2^(exp - bias - 63) (sig normalized, bit 63 set) to `keep` bits in a
 * format whose largest finite biased exponent is `emax`. `wrap` is the bias adjust applied to
 * unmasked overflow/underflow results (0: memory destination, which is then not stored: fNoStore).
 * Result in rExp/rSig (explicit integer bit at bit 63, denormals with rExp 0).
 */
export function roundPack(sign: u32, exp: i32, sig: u64, extra: u64, keep: i32, emax: i32, wrap: i32): void {
  if (exp >= 1) {
    let r = roundCore(sign, sig, extra, keep);
    let e = exp + (rcCarry ? 1 : 0);
    if (e > emax) {
      if ((fMask & EX_OE) == 0) {
        fexc |= EX_OE;
        if (wrap == 0) { fNoStore = true; return; }
        e -= wrap;
        if (e <= emax) {
          if (rcInexact) { fexc |= EX_PE; fUp = rcInc; }
          rExp = e; rSig = r;
          return;
        }
        // still out of range after the bias adjust: infinity, OE PE and C1 (measured)
        fexc |= EX_OE | EX_PE; rExp = emax + 1; rSig = SIG_TOP; fUp = true;
        return;
      }
      fexc |= EX_OE | EX_PE;
      const toInf = fRC == RC_NEAR || (fRC == RC_UP && sign == 0) || (fRC == RC_DOWN && sign != 0);
      if (toInf) { rExp = emax + 1; rSig = SIG_TOP; fUp = true; }
      else { rExp = emax; rSig = keep >= 64 ? <u64>-1 : ~((<u64>1 << <u64>(64 - keep)) - 1); fUp = false; }
      return;
    }
    if (rcInexact) { fexc |= EX_PE; fUp = rcInc; }
    rExp = e; rSig = r;
    return;
  }
  // exp <= 0: tiny unless rounding (with unbounded exponent) carries up to the smallest normal
  const r0 = roundCore(sign, sig, extra, keep);
  const tiny = exp < 0 || !rcCarry;
  let unmaskedTiny = false;
  if (tiny && (fMask & EX_UE) == 0) {
    fexc |= EX_UE;
    if (wrap == 0) { fNoStore = true; return; }
    const e = exp + (rcCarry ? 1 : 0) + wrap;
    if (e >= 1) {
      if (rcInexact) { fexc |= EX_PE; fUp = rcInc; }
      rExp = e; rSig = r0;
      return;
    }
    // still tiny after the bias adjust: a signed zero with PE (measured), UE already flagged
    fexc |= EX_PE; fUp = false; rExp = 0; rSig = 0;
    return;
  }
  shrJam128(sig, extra, 1 - exp);
  const r = roundCore(sign, hi128, lo128, keep);
  if (rcInexact) {
    fexc |= EX_PE; fUp = rcInc;
    if (tiny) fexc |= EX_UE;
  }
  if (unmaskedTiny) fUp = false;
  rExp = (r >> 63) != 0 ? 1 : 0;
  rSig = r;
}

/** roundPack to 80-bit with precision `keep`, result in rSE/rSig. */
export function pack80(sign: u32, exp: i32, sig: u64, extra: u64, keep: i32): void {
  roundPack(sign, exp, sig, extra, keep, 0x7ffe, WRAP80);
  rSE = (sign << 15) | (<u32>rExp & 0x7fff);
}

/** Normalize (sig:extra) (not both zero) and pack80. */
export function normPack80(sign: u32, exp: i32, sig: u64, extra: u64, keep: i32): void {
  if (sig == 0) { sig = extra; extra = 0; exp -= 64; }
  const s = <i32>clz<u64>(sig);
  if (s != 0) {
    sig = (sig << <u64>s) | (extra >> <u64>(64 - s));
    extra <<= <u64>s;
    exp -= s;
  }
  pack80(sign, exp, sig, extra, keep);
}

// ---- NaN rules ----
/** x87 NaN propagation for two operands, at least one a NaN; raises IE for SNaNs. */
export function propagateNaN(aSE: u32, aSig: u64, ca: i32, bSE: u32, bSig: u64, cb: i32): void {
  if (ca == C_SNAN || cb == C_SNAN) fexc |= EX_IE;
  const aNaN = isNaNClass(ca), bNaN = isNaNClass(cb);
  let pickA: bool;
  if (aNaN && bNaN) {
    if (ca == C_SNAN && cb == C_QNAN) pickA = false;
    else if (ca == C_QNAN && cb == C_SNAN) pickA = true;
    else {
      const ma = aSig & 0x7fffffffffffffff, mb = bSig & 0x7fffffffffffffff;
      if (ma != mb) pickA = ma > mb;
      else pickA = aSE < bSE;
    }
  } else pickA = aNaN;
  if (pickA) { rSE = aSE; rSig = aSig | QNAN_SIG; }
  else { rSE = bSE; rSig = bSig | QNAN_SIG; }
}

/**
 * Common operand screening for two-operand arithmetic. Returns true when the result is already
 * decided (NaN or invalid operand: rSE/rSig set). Sets DE for denormal operands otherwise.
 */
/** The memory operand of the current operation was a denormal f32/f64 (normalized on conversion). */
export let srcDenormal: bool = false;
export function setSrcDenormal(v: bool): void { srcDenormal = v; }
export function screen2(aSE: u32, aSig: u64, ca: i32, bSE: u32, bSig: u64, cb: i32): bool {
  if (ca == C_BAD || cb == C_BAD) { fexc |= EX_IE; setIndefinite(); return true; }
  if (isNaNClass(ca) || isNaNClass(cb)) { propagateNaN(aSE, aSig, ca, bSE, bSig, cb); return true; }
  if (isDenormal(aSE, aSig) || isDenormal(bSE, bSig) || srcDenormal) fexc |= EX_DE;
  return false;
}

// ---- arithmetic (operands already screened; classes passed in) ----
export function addCore(sa: u32, aSE: u32, aSig: u64, ca: i32, sb: u32, bSE: u32, bSig: u64, cb: i32, keep: i32): void {
  if (ca == C_INF || cb == C_INF) {
    if (ca == C_INF && cb == C_INF && sa != sb) { fexc |= EX_IE; setIndefinite(); return; }
    if (ca == C_INF) { rSE = (sa << 15) | 0x7fff; rSig = SIG_TOP; }
    else { rSE = (sb << 15) | 0x7fff; rSig = SIG_TOP; }
    return;
  }
  if (ca == C_ZERO && cb == C_ZERO) {
    const s: u32 = sa == sb ? sa : (fRC == RC_DOWN ? 1 : 0);
    rSE = s << 15; rSig = 0; return;
  }
  if (cb == C_ZERO) { normalize(aSE, aSig); pack80(sa, nExp, nSig, 0, keep); return; }
  if (ca == C_ZERO) { normalize(bSE, bSig); pack80(sb, nExp, nSig, 0, keep); return; }
  normalize(aSE, aSig); let ea = nExp, ma = nSig;
  normalize(bSE, bSig); let eb = nExp, mb = nSig;
  if (sa == sb) {
    if (ea < eb) { const te = ea; ea = eb; eb = te; const tm = ma; ma = mb; mb = tm; }
    shrJam128(mb, 0, ea - eb);
    let sum = ma + hi128;
    let lo = lo128;
    let e = ea;
    if (sum < ma) {
      lo = (lo >> 1) | (sum << 63) | (lo & 1);
      sum = (sum >> 1) | SIG_TOP;
      e++;
    }
    pack80(sa, e, sum, lo, keep);
    return;
  }
  let s = sa;
  if (ea < eb || (ea == eb && ma < mb)) {
    const te = ea; ea = eb; eb = te; const tm = ma; ma = mb; mb = tm; s = sb;
  } else if (ea == eb && ma == mb) {
    rSE = fRC == RC_DOWN ? 0x8000 : 0; rSig = 0; return;
  }
  shrJam128(mb, 0, ea - eb);
  const lo = <u64>0 - lo128;
  const hi = ma - hi128 - (lo128 != 0 ? 1 : 0);
  normPack80(s, ea, hi, lo, keep);
}

export function mulCore(sa: u32, aSE: u32, aSig: u64, ca: i32, sb: u32, bSE: u32, bSig: u64, cb: i32, keep: i32): void {
  const s = sa ^ sb;
  if (ca == C_INF || cb == C_INF) {
    if (ca == C_ZERO || cb == C_ZERO) { fexc |= EX_IE; setIndefinite(); return; }
    rSE = (s << 15) | 0x7fff; rSig = SIG_TOP; return;
  }
  if (ca == C_ZERO || cb == C_ZERO) { rSE = s << 15; rSig = 0; return; }
  normalize(aSE, aSig); const ea = nExp, ma = nSig;
  normalize(bSE, bSig); const eb = nExp, mb = nSig;
  mul64(ma, mb);
  let hi = hi128, lo = lo128;
  let e = ea + eb - BIAS + 1;
  if ((hi >> 63) == 0) { hi = (hi << 1) | (lo >> 63); lo <<= 1; e--; }
  pack80(s, e, hi, lo, keep);
}

export function divCore(sa: u32, aSE: u32, aSig: u64, ca: i32, sb: u32, bSE: u32, bSig: u64, cb: i32, keep: i32): void {
  const s = sa ^ sb;
  if (ca == C_INF) {
    if (cb == C_INF) { fexc |= EX_IE; setIndefinite(); return; }
    rSE = (s << 15) | 0x7fff; rSig = SIG_TOP; return;
  }
  if (cb == C_INF) { rSE = s << 15; rSig = 0; return; }
  if (cb == C_ZERO) {
    if (ca == C_ZERO) { fexc |= EX_IE; setIndefinite(); return; }
    fexc |= EX_ZE; rSE = (s << 15) | 0x7fff; rSig = SIG_TOP; return;
  }
  if (ca == C_ZERO) { rSE = s << 15; rSig = 0; return; }
  normalize(aSE, aSig); const ea = nExp, ma = nSig;
  normalize(bSE, bSig); const eb = nExp, mb = nSig;
  let q: u64, e: i32;
  if (ma >= mb) { q = div128(ma >> 1, ma << 63, mb); e = ea - eb + BIAS; }
  else { q = div128(ma, 0, mb); e = ea - eb + BIAS - 1; }
  const q2 = div128(remainder, 0, mb);
  const extra = q2 | (remainder != 0 ? 1 : 0);
  pack80(s, e, q, extra, keep);
}

export function sqrtCore(sa: u32, aSE: u32, aSig: u64, ca: i32, keep: i32): void {
  if (ca == C_ZERO) { rSE = aSE; rSig = aSig; return; }
  if (sa != 0) { fexc |= EX_IE; setIndefinite(); return; }
  if (ca == C_INF) { rSE = aSE; rSig = aSig; return; }
  normalize(aSE, aSig);
  const E = nExp - BIAS;
  let nh: u64, nl: u64;
  if ((E & 1) == 0) { nh = nSig >> 1; nl = nSig << 63; } else { nh = nSig; nl = 0; }
  let rh: u64 = 0, rl: u64 = 0, root: u64 = 0;
  for (let i = 0; i < 64; i++) {
    const two = nh >> 62;
    nh = (nh << 2) | (nl >> 62); nl <<= 2;
    rh = (rh << 2) | (rl >> 62); rl = (rl << 2) | two;
    const th = root >> 62, tl = (root << 2) | 1;
    if (rh > th || (rh == th && rl >= tl)) {
      const b: u64 = rl < tl ? 1 : 0;
      rl -= tl; rh = rh - th - b;
      root = (root << 1) | 1;
    } else root <<= 1;
  }
  let extra: u64 = 0;
  if (rh != 0 || rl != 0) extra = (rh != 0 || rl > root) ? 0xc000000000000000 : 0x4000000000000000;
  pack80(0, (E >> 1) + BIAS, root, extra, keep);
}

// ---- compare ----
/** Compare finite/infinite/zero values a and b: -1 less, 0 equal, 1 greater. */
export function compareValues(aSE: u32, aSig: u64, ca: i32, bSE: u32, bSig: u64, cb: i32): i32 {
  if (ca == C_ZERO && cb == C_ZERO) return 0;
  const sa = aSE >> 15, sb = bSE >> 15;
  if (ca == C_ZERO) return sb != 0 ? 1 : -1;
  if (cb == C_ZERO) return sa != 0 ? -1 : 1;
  if (sa != sb) return sa != 0 ? -1 : 1;
  let mag: i32;
  if (ca == C_INF || cb == C_INF) {
    mag = ca == cb ? 0 : (ca == C_INF ? 1 : -1);
  } else {
    normalize(aSE, aSig); const ea = nExp, ma = nSig;
    normalize(bSE, bSig); const eb = nExp, mb = nSig;
    if (ea != eb) mag = ea > eb ? 1 : -1;
    else mag = ma == mb ? 0 : (ma > mb ? 1 : -1);
  }
  return sa != 0 ? -mag : mag;
}

// ---- conversions ----
/** f32 bits to 80-bit (exact); SNaNs stay signaling (the operation raises IE); DE for denormals. */
export function fromF32(v: u32): void {
  cvtDenormal = false;
  const s = (v >> 31) << 15;
  const e = <i32>((v >> 23) & 0xff);
  const f = <u64>(v & 0x7fffff);
  if (e == 0xff) { rSE = s | 0x7fff; rSig = SIG_TOP | (f << 40); return; }
  if (e == 0) {
    if (f == 0) { rSE = s; rSig = 0; return; }
    cvtDenormal = true;
    const sh = <i32>clz<u64>(f);
    // value = f * 2^(-149): normalized sig = f << sh, exponent so that sig*2^(E-BIAS-63) = value
    rSig = f << <u64>sh;
    rSE = s | <u32>(-149 + 63 - sh + BIAS);
    return;
  }
  rSE = s | <u32>(e - 127 + BIAS); rSig = SIG_TOP | (f << 40);
}
export function fromF64(v: u64): void {
  cvtDenormal = false;
  const s = <u32>(v >> 63) << 15;
  const e = <i32>((v >> 52) & 0x7ff);
  const f = v & 0xfffffffffffff;
  if (e == 0x7ff) { rSE = s | 0x7fff; rSig = SIG_TOP | (f << 11); return; }
  if (e == 0) {
    if (f == 0) { rSE = s; rSig = 0; return; }
    cvtDenormal = true;
    const sh = <i32>clz<u64>(f);
    rSig = f << <u64>sh;
    rSE = s | <u32>(-1074 + 63 - sh + BIAS);
    return;
  }
  rSE = s | <u32>(e - 1023 + BIAS); rSig = SIG_TOP | (f << 11);
}
/** Signed 64-bit integer to 80-bit (exact). */
export function fromInt(v: i64): void {
  cvtDenormal = false;
  if (v == 0) { rSE = 0; rSig = 0; return; }
  const s: u32 = v < 0 ? 0x8000 : 0;
  const m: u64 = v < 0 ? <u64>(-v) : <u64>v;
  const sh = <i32>clz<u64>(m);
  rSig = m << <u64>sh;
  rSE = s | <u32>(BIAS + 63 - sh);
}

/** Conversion result for stores to f32/f64 (bits), valid unless fNoStore. */
export let cvtBits: u64 = 0;
/** Set by fromF32/fromF64 when the source was a denormal (DE is raised by the operation). */
export let cvtDenormal: bool = false;

/** 80-bit to f32 (keep=24) or f64 (keep=53) with IE/OE/UE/PE; NaNs quieted, invalid -> indefinite. */
export function toFloat(se: u32, sig: u64, dbl: bool): void {
  const c = classify(se, sig);
  const s = <u64>(se >> 15);
  const fb: u64 = dbl ? 52 : 23; // fraction bits
  const eb: u64 = dbl ? 11 : 8;
  const emaxAll: u64 = (<u64>1 << eb) - 1;
  const signPos: u64 = fb + eb;
  fNoStore = false;
  switch (c) {
    case C_ZERO: cvtBits = s << signPos; return;
    case C_INF: cvtBits = (s << signPos) | (emaxAll << fb); return;
    case C_QNAN: case C_SNAN:
      if (c == C_SNAN) { fexc |= EX_IE; if ((fMask & EX_IE) == 0) { fNoStore = true; return; } }
      cvtBits = (s << signPos) | (emaxAll << fb) | (((sig | QNAN_SIG) << 1) >> (64 - fb));
      return;
    case C_BAD:
      fexc |= EX_IE;
      if ((fMask & EX_IE) == 0) { fNoStore = true; return; }
      cvtBits = (<u64>1 << signPos) | (emaxAll << fb) | (<u64>1 << (fb - 1));
      return;
    default: break;
  }
  normalize(se, sig);
  const bias: i32 = dbl ? 1023 : 127;
  roundPack(<u32>s, nExp - BIAS + bias, nSig, 0, dbl ? 53 : 24, <i32>emaxAll - 1, 0);
  if (fNoStore) return;
  cvtBits = (s << signPos) | (<u64>rExp << fb) | ((rSig << 1) >> (64 - fb));
}

/**
 * Round a finite value to an integer magnitude per `rc`; returns the magnitude (saturating: sets
 * intBig when it does not fit in 64 bits). PE and C1 (fUp) are not raised here: see intInexact.
 */
export let intBig: bool = false;
export let intInexact: bool = false;
export let intUp: bool = false;
export function roundToInt(sign: u32, se: u32, sig: u64, c: i32, rc: i32): u64 {
  intBig = false; intInexact = false; intUp = false;
  if (c == C_ZERO) return 0;
  normalize(se, sig);
  const E = nExp - BIAS;
  if (E >= 64) { intBig = true; return 0; }
  if (E == 63) return nSig;
  let ip: u64, guard: bool, rest: bool;
  if (E >= 0) {
    const sh = <u64>(63 - E);
    ip = nSig >> sh;
    const low = nSig & ((<u64>1 << sh) - 1);
    const half = <u64>1 << (sh - 1);
    guard = (low & half) != 0; rest = (low & (half - 1)) != 0;
  } else {
    ip = 0;
    guard = E == -1; rest = E == -1 ? (nSig << 1) != 0 : true;
  }
  intInexact = guard || rest;
  let inc = false;
  switch (rc) {
    case RC_NEAR: inc = guard && (rest || (ip & 1) != 0); break;
    case RC_DOWN: inc = intInexact && sign != 0; break;
    case RC_UP: inc = intInexact && sign == 0; break;
    default: break;
  }
  intUp = inc;
  if (inc) { ip++; if (ip == 0) intBig = true; }
  return ip;
}

export function setFexc(v: u32): void { fexc = v; }
export function setUp(v: bool): void { fUp = v; }
