// The x87 FPU: D8..DF escapes with true 80-bit extended precision (soft-float in cpu/float80.ts),
// the control, status and tag words, FWAIT, the FSTENV/FSAVE images and FXSAVE/FXRSTOR.
//
// State lives in the FXSAVE image at V_FXSAVE: FCW, FSW (TOP in bits 11-13), the abridged tag (one
// bit per *physical* register, 1 = non-empty), FOP/FIP/FDP, and the registers R0..R7 in physical
// order at FX_ST + 16*i (MMX aliases them). Full 2-bit tags are derived from register contents when
// an FSTENV/FSAVE image is written, as hardware that keeps only the abridged tag does.
// V_X87_EXTRA holds the last instruction's CS (u16 at +0) and data segment selector (u16 at +2).
import {
  V_FXSAVE, FX_FCW, FX_FSW, FX_FTW, FX_FOP, FX_FIP, FX_FDP, FX_MXCSR, FX_MXCSR_MASK, FX_ST, FX_XMM,
  V_X87_EXTRA, V_CR0, CR0_EM, CR0_TS, CR0_MP, RFLAGS_VM, RFLAGS_CF, RFLAGS_PF, RFLAGS_ZF, RFLAGS_SF,
  RFLAGS_OF, RFLAGS_AF, SEG_CS,
} from "../layout";
import {
  unimplemented, decodeModrm, modrm, regField, isMem, eaLinear, effectiveOffset, eaSeg, opsize, rexW, startIp,
} from "../cpu/decode";
import { cpu, mode64, protectedMode, writeReg, segSel } from "../cpu/state";
import { fault, raise, raiseUD, raiseGP, EXC_NM, EXC_MF, NO_ERROR } from "../cpu/fault";
import { readN, writeN, probeWrite } from "../cpu/mmu";
import { setStatusFlags, getFlags, cond } from "../cpu/flags";
import {
  EX_IE, EX_DE, EX_ZE, EX_OE, EX_UE, EX_PE, EX_SF, RC_NEAR, RC_DOWN, RC_UP, RC_ZERO, BIAS, SIG_TOP,
  QNAN_SE, QNAN_SIG, fexc, fUp, fRC, fMask, fNoStore, rSE, rSig, fpBegin, setResult, setIndefinite,
  C_ZERO, C_FIN, C_INF, C_QNAN, C_SNAN, C_BAD, classify, isDenormal, isNaNClass, normalize, nExp, nSig,
  propagateNaN, screen2, addCore, mulCore, divCore, sqrtCore, compareValues, fromF32, fromF64, fromInt,
  toFloat, cvtBits, roundToInt, intBig, intInexact, intUp, pack80, normPack80, setFexc, setUp, cvtDenormal, srcDenormal, setSrcDenormal,
} from "../cpu/float80";
import { x87Transcendental } from "./x87-trans";

const SW_C0: u32 = 0x0100;
const SW_C1: u32 = 0x0200;
const SW_C2: u32 = 0x0400;
const SW_C3: u32 = 0x4000;
const SW_ES: u32 = 0x0080;
const SW_B: u32 = 0x8000;
const SW_CC: u32 = SW_C0 | SW_C1 | SW_C2 | SW_C3;

// ---- state access ----
@inline function fx(): usize { return cpu + V_FXSAVE; }
@inline export function getFCW(): u32 { return <u32>load<u16>(fx() + FX_FCW); }
@inline export function getFSW(): u32 { return <u32>load<u16>(fx() + FX_FSW); }
@inline export function setFSW(v: u32): void { store<u16>(fx() + FX_FSW, <u16>v); }
@inline function ftw(): u32 { return <u32>load<u8>(fx() + FX_FTW); }
@inline function setFtw(v: u32): void { store<u8>(fx() + FX_FTW, <u8>v); }
@inline function topOf(): i32 { return <i32>((getFSW() >> 11) & 7); }
function setTop(t: i32): void { setFSW((getFSW() & ~(<u32>0x3800)) | (<u32>(t & 7) << 11)); }
@inline function phys(i: i32): i32 { return (topOf() + i) & 7; }
@inline function regPtr(p: i32): usize { return fx() + FX_ST + (<usize>p << 4); }
@inline export function stEmpty(i: i32): bool { return ((ftw() >> <u32>phys(i)) & 1) == 0; }
@inline export function stSE(i: i32): u32 { return <u32>load<u16>(regPtr(phys(i)) + 8); }
@inline export function stSig(i: i32): u64 { return load<u64>(regPtr(phys(i))); }
export function setST(i: i32, se: u32, sig: u64): void {
  const p = phys(i);
  store<u64>(regPtr(p), sig);
  store<u16>(regPtr(p) + 8, <u16>se);
  setFtw(ftw() | (<u32>1 << <u32>p));
}
export function freeST(i: i32): void { setFtw(ftw() & ~(<u32>1 << <u32>phys(i))); }
export function pop(): void { freeST(0); setTop(topOf() + 1); }
/** Push a value (the caller checked ST(7) is empty or the overflow response is to overwrite). */
export function push(se: u32, sig: u64): void { setTop(topOf() - 1); setST(0, se, sig); }

/** Start an arithmetic operation: rounding control and masks from FCW, flags cleared. */
export function begin(): void {
  const cw = getFCW();
  fpBegin(<i32>((cw >> 10) & 3), cw & 0x3f);
}
/** Precision control in bits. */
export function precision(): i32 {
  const pc = (getFCW() >> 8) & 3;
  return pc == 0 ? 24 : (pc == 2 ? 53 : 64);
}
/** Merge the operation's exception flags into FSW; set ES/B for unmasked ones. */
export function commit(): void {
  let sw = getFSW() | (fexc & 0x7f);
  if ((fexc & ~fMask & 0x3f) != 0) sw |= SW_ES | SW_B;
  setFSW(sw);
}
@inline function setC1(on: bool): void { const sw = getFSW(); setFSW(on ? sw | SW_C1 : sw & ~SW_C1); }
function setCC(c3: bool, c2: bool, c1: bool, c0: bool): void {
  let sw = getFSW() & ~SW_CC;
  if (c3) sw |= SW_C3;
  if (c2) sw |= SW_C2;
  if (c1) sw |= SW_C1;
  if (c0) sw |= SW_C0;
  setFSW(sw);
}
/** True when an unmasked IE/DE/ZE was raised: the destination must not be written. */
@inline export function blocked(): bool { return (fexc & ~fMask & (EX_IE | EX_DE | EX_ZE)) != 0; }
@inline function ieUnmasked(): bool { return (fMask & EX_IE) == 0; }

/** Stack underflow response (IE|SF, C1=0). Returns true when masked (write indefinite). */
export function stackUnderflow(): bool {
  setFexc(fexc | EX_IE | EX_SF);
  setC1(false);
  return !ieUnmasked();
}
/** Stack overflow response (IE|SF, C1=1). Returns true when masked (push indefinite). */
export function stackOverflow(): bool {
  setFexc(fexc | EX_IE | EX_SF);
  setC1(true);
  return !ieUnmasked();
}

// ---- last instruction pointers ----
function recordInsn(op: u32): void {
  store<u16>(fx() + FX_FOP, <u16>(((op & 7) << 8) | modrm));
  store<u64>(fx() + FX_FIP, startIp);
  store<u16>(cpu + V_X87_EXTRA, <u16>segSel(SEG_CS));
  if (isMem) {
    store<u64>(fx() + FX_FDP, effectiveOffset());
    store<u16>(cpu + V_X87_EXTRA + 2, <u16>segSel(eaSeg));
  }
}

// ---- memory helpers ----
let memLin: u64 = 0;
function rd(off: u64, size: i32): u64 { return readN(memLin + off, size); }
function wr(off: u64, size: i32, v: u64): void { writeN(memLin + off, size, v); }

// ---- dispatch ----
function noWait(op: u32, reg: i32): bool {
  if (isMem) return (op == 0xd9 || op == 0xdd) && reg >= 6;
  if (op == 0xdb) return modrm >= 0xe0 && modrm <= 0xe4;
  if (op == 0xdf) return modrm == 0xe0;
  return false;
}

/** D8..DF: returns false when the form is not implemented (the caller reports it). */
export function x87Escape(op: u32): bool {
  decodeModrm();
  if (fault) return true;
  const cr0 = load<u64>(cpu + V_CR0);
  if ((cr0 & (CR0_EM | CR0_TS)) != 0) { raise(EXC_NM, NO_ERROR); return true; }
  const reg = regField & 7;
  if (!noWait(op, reg) && (getFSW() & SW_ES) != 0) { raise(EXC_MF, NO_ERROR); return true; }
  if (isMem) {
    memLin = eaLinear();
    return memForm(op, reg);
  }
  return regForm(op, reg, <i32>(modrm & 7));
}

/** 9B FWAIT: raise #MF for pending unmasked exceptions (CR0.NE), #NM per CR0.TS/MP. */
export function x87Wait(): void {
  const cr0 = load<u64>(cpu + V_CR0);
  if ((cr0 & CR0_TS) != 0 && (cr0 & CR0_MP) != 0) { raise(EXC_NM, NO_ERROR); return; }
  // CR0.NE=0 would assert FERR# to an external interrupt controller; treated like NE=1 (#MF).
  if ((getFSW() & SW_ES) != 0) raise(EXC_MF, NO_ERROR);
}

function memForm(op: u32, reg: i32): bool {
  switch (op) {
    case 0xd8: { // m32fp arithmetic
      const v = <u32>rd(0, 4); if (fault) return true;
      recordInsn(op); begin(); fromF32(v); memArith(reg); return true;
    }
    case 0xdc: {
      const v = rd(0, 8); if (fault) return true;
      recordInsn(op); begin(); fromF64(v); memArith(reg); return true;
    }
    case 0xda: {
      const v = <i64>(<i32>(<u32>rd(0, 4))); if (fault) return true;
      recordInsn(op); begin(); fromInt(v); memArith(reg); return true;
    }
    case 0xde: {
      const v = <i64>(<i16>(<u16>rd(0, 2))); if (fault) return true;
      recordInsn(op); begin(); fromInt(v); memArith(reg); return true;
    }
    case 0xd9:
      switch (reg) {
        case 0: { const v = <u32>rd(0, 4); if (fault) return true; recordInsn(op); begin(); fromF32(v); loadValue(true); return true; }
        case 1: raiseUD(); return true;
        case 2: case 3: recordInsn(op); storeFloat(false, reg == 3); return true;
        case 4: fldenv(false); return true;
        case 5: {
          const v = <u32>rd(0, 2); if (fault) return true;
          setFCW(v); return true;
        }
        case 6: fstenv(false); return true;
        default: wr(0, 2, <u64>getFCW()); return true;
      }
    case 0xdb:
      switch (reg) {
        case 0: { const v = <i64>(<i32>(<u32>rd(0, 4))); if (fault) return true; recordInsn(op); begin(); fromInt(v); loadValue(false); return true; }
        case 1: recordInsn(op); storeInt(4, true, true); return true;
        case 2: case 3: recordInsn(op); storeInt(4, reg == 3, false); return true;
        case 5: {
          const sig = rd(0, 8); if (fault) return true;
          const se = <u32>rd(8, 2); if (fault) return true;
          recordInsn(op); begin(); setResult(se, sig); loadValue(false); return true;
        }
        case 7: recordInsn(op); storeExt(); return true;
        default: raiseUD(); return true;
      }
    case 0xdd:
      switch (reg) {
        case 0: { const v = rd(0, 8); if (fault) return true; recordInsn(op); begin(); fromF64(v); loadValue(true); return true; }
        case 1: recordInsn(op); storeInt(8, true, true); return true;
        case 2: case 3: recordInsn(op); storeFloat(true, reg == 3); return true;
        case 4: fldenv(true); return true;
        case 5: raiseUD(); return true;
        case 6: fstenv(true); return true;
        default: wr(0, 2, <u64>getFSW()); return true;
      }
    default: // 0xdf
      switch (reg) {
        case 0: { const v = <i64>(<i16>(<u16>rd(0, 2))); if (fault) return true; recordInsn(op); begin(); fromInt(v); loadValue(false); return true; }
        case 1: recordInsn(op); storeInt(2, true, true); return true;
        case 2: case 3: recordInsn(op); storeInt(2, reg == 3, false); return true;
        case 4: recordInsn(op); fbld(); return true;
        case 5: { const v = <i64>rd(0, 8); if (fault) return true; recordInsn(op); begin(); fromInt(v); loadValue(false); return true; }
        case 6: recordInsn(op); fbstp(); return true;
        default: recordInsn(op); storeInt(8, true, false); return true;
      }
  }
}

function regForm(op: u32, reg: i32, i: i32): bool {
  switch (op) {
    case 0xd8:
      recordInsn(op);
      if (reg == 2 || reg == 3) { compareST(i, reg == 3 ? 1 : 0, false); return true; }
      regArith(reg, 0, i, false); return true;
    case 0xdc:
      recordInsn(op);
      if (reg == 2 || reg == 3) { compareST(i, reg == 3 ? 1 : 0, false); return true; }
      regArith(reg >= 4 ? reg ^ 1 : reg, i, 0, false); return true;
    case 0xde:
      recordInsn(op);
      if (reg == 2) { compareST(i, 1, false); return true; }
      if (reg == 3) { if (i != 1) { raiseUD(); return true; } compareST(1, 2, false); return true; }
      regArith(reg >= 4 ? reg ^ 1 : reg, i, 0, true); return true;
    case 0xd9: return d9reg(reg, i);
    case 0xda:
      if (reg < 4) { recordInsn(op); fcmov(reg, i, false); return true; }
      if (modrm == 0xe9) { recordInsn(op); compareST(1, 2, true); return true; }
      raiseUD(); return true;
    case 0xdb:
      if (reg < 4) { recordInsn(op); fcmov(reg, i, true); return true; }
      if (reg == 4) {
        switch (i) {
          case 0: case 1: case 4: return true; // FNENI, FNDISI, FNSETPM: no-ops since the 287
          case 2: setFSW(getFSW() & ~(<u32>0x80ff)); return true; // FNCLEX
          case 3: fninit(); return true;
          default: raiseUD(); return true;
        }
      }
      if (reg == 5 || reg == 6) { recordInsn(op); comi(i, reg == 5, false); return true; }
      raiseUD(); return true;
    case 0xdd:
      switch (reg) {
        case 0: recordInsn(op); freeST(i); setC1(false); return true; // FFREE
        case 1: recordInsn(op); fxch(i); return true;
        case 2: case 3: recordInsn(op); fstReg(i, reg == 3); return true;
        case 4: case 5: recordInsn(op); compareST(i, reg == 5 ? 1 : 0, true); return true;
        default: raiseUD(); return true;
      }
    default: // 0xdf
      switch (reg) {
        case 0: recordInsn(op); freeST(i); setC1(false); pop(); return true; // FFREEP
        case 1: recordInsn(op); fxch(i); return true;
        case 2: case 3: recordInsn(op); fstReg(i, true); return true;
        case 4:
          if (i == 0) { writeReg(0, 2, <u64>getFSW()); return true; }
          raiseUD(); return true;
        case 5: case 6: recordInsn(op); comi(i, reg == 5, true); return true;
        default: raiseUD(); return true;
      }
  }
}

function d9reg(reg: i32, i: i32): bool {
  const op: u32 = 0xd9;
  switch (reg) {
    case 0: { // FLD ST(i)
      recordInsn(op); begin();
      if (stEmpty(i)) {
        if (stackUnderflow()) push(QNAN_SE, QNAN_SIG);
        commit(); return true;
      }
      setResult(stSE(i), stSig(i));
      pushChecked(); commit(); return true;
    }
    case 1: recordInsn(op); fxch(i); return true;
    case 2: if (i == 0) { recordInsn(op); return true; } raiseUD(); return true; // FNOP
    case 3: // FSTP1 alias: an empty ST0 is popped without a stack fault (AMD)
      recordInsn(op);
      if (stEmpty(0)) { setC1(false); pop(); return true; }
      fstReg(i, true); return true;
    case 4:
      recordInsn(op);
      switch (i) {
        case 0: case 1: { // FCHS, FABS
          begin();
          if (stEmpty(0)) { if (stackUnderflow()) setST(0, QNAN_SE, QNAN_SIG); commit(); return true; }
          const se = stSE(0);
          setST(0, i == 0 ? se ^ 0x8000 : se & 0x7fff, stSig(0));
          setC1(false); return true;
        }
        case 4: ftst(); return true;
        case 5: fxam(); return true;
        default: raiseUD(); return true;
      }
    case 5:
      if (i == 7) { raiseUD(); return true; }
      recordInsn(op); loadConst(i); return true;
    case 6:
      recordInsn(op);
      switch (i) {
        case 4: fxtract(); return true;
        case 5: fprem(true); return true;
        case 6: setTop(topOf() - 1); setC1(false); return true; // FDECSTP
        case 7: setTop(topOf() + 1); setC1(false); return true; // FINCSTP
        default: x87Transcendental(i); return true; // F2XM1 FYL2X FPTAN FPATAN
      }
    default:
      recordInsn(op);
      switch (i) {
        case 0: fprem(false); return true;
        case 2: fsqrt(); return true;
        case 4: frndint(); return true;
        case 5: fscale(); return true;
        default: x87Transcendental(8 + i); return true; // FYL2XP1 FSINCOS FSIN FCOS
      }
  }
}

// ---- loads and stores ----
/** Push rSE/rSig, with the stack-overflow response. */
function pushChecked(): void {
  if (!stEmpty(7)) {
    if (!stackOverflow()) return;
    push(QNAN_SE, QNAN_SIG);
    return;
  }
  push(rSE, rSig);
  setC1(false);
}

/** FLD/FILD with the converted value in rSE/rSig; `screen`: quiet SNaNs (IE) for m32/m64 sources. */
function loadValue(screen: bool): void {
  if (screen && stEmpty(7)) {
    const c = classify(rSE, rSig);
    if (c == C_SNAN) { setFexc(fexc | EX_IE); setResult(rSE, rSig | QNAN_SIG); }
    else if (cvtDenormal) setFexc(fexc | EX_DE);
    if ((fexc & ~fMask & EX_IE) != 0) { setC1(false); commit(); return; }
  }
  pushChecked();
  commit();
}

export function setFCW(v: u32): void {
  const cw = (v & 0x1f3f) | 0x40;
  store<u16>(fx() + FX_FCW, <u16>cw);
  const sw = getFSW();
  setFSW((sw & ~0x3f & ~(SW_ES | SW_B)) == sw ? sw : sw); // keep flags
  if ((sw & ~cw & 0x3f) != 0) setFSW(sw | SW_ES | SW_B); else setFSW(sw & ~(SW_ES | SW_B));
}

function storeFloat(dbl: bool, doPop: bool): void {
  begin();
  let bits: u64;
  if (stEmpty(0)) {
    if (!stackUnderflow()) { commit(); return; }
    bits = dbl ? 0xfff8000000000000 : 0xffc00000;
  } else {
    toFloat(stSE(0), stSig(0), dbl);
    if (fNoStore) { setC1(false); commit(); return; }
    bits = cvtBits;
  }
  wr(0, dbl ? 8 : 4, bits);
  if (fault) return;
  setC1(fUp);
  commit();
  if (doPop) pop();
}

function storeExt(): void {
  begin();
  let se: u32, sig: u64;
  if (stEmpty(0)) {
    if (!stackUnderflow()) { commit(); return; }
    se = QNAN_SE; sig = QNAN_SIG;
  } else { se = stSE(0); sig = stSig(0); }
  probeWrite(memLin, 10);
  if (fault) return;
  wr(0, 8, sig); wr(8, 2, <u64>se);
  if (fault) return;
  setC1(false);
  commit();
  pop();
}

/** FIST/FISTP/FISTTP to a `size`-byte integer. */
function storeInt(size: i32, doPop: bool, trunc: bool): void {
  begin();
  const indef: u64 = size == 2 ? 0x8000 : (size == 4 ? 0x80000000 : 0x8000000000000000);
  let v: u64 = indef;
  let up = false;
  if (stEmpty(0)) {
    if (!stackUnderflow()) { commit(); return; }
  } else {
    const se = stSE(0), sig = stSig(0);
    const c = classify(se, sig);
    if (c == C_FIN || c == C_ZERO) {
      const sign = se >> 15;
      const mag = roundToInt(sign, se, sig, c, trunc ? RC_ZERO : fRC);
      const lim: u64 = <u64>1 << <u64>(size * 8 - 1);
      if (intBig || (sign == 0 && mag >= lim) || (sign != 0 && mag > lim)) {
        setFexc(fexc | EX_IE);
      } else {
        v = sign != 0 ? <u64>0 - mag : mag;
        if (intInexact) { setFexc(fexc | EX_PE); up = intUp; }
      }
    } else setFexc(fexc | EX_IE);
    if (blocked()) { setC1(false); commit(); return; }
  }
  wr(0, size, v);
  if (fault) return;
  setC1(up);
  commit();
  if (doPop) pop();
}

function fstReg(i: i32, doPop: bool): void {
  begin();
  if (stEmpty(0)) {
    if (!stackUnderflow()) { commit(); return; }
    setST(i, QNAN_SE, QNAN_SIG);
  } else {
    setST(i, stSE(0), stSig(0));
    setC1(false);
  }
  commit();
  if (doPop) pop();
}

function fxch(i: i32): void {
  begin();
  if (stEmpty(0) || stEmpty(i)) {
    if (!stackUnderflow()) { commit(); return; }
    if (stEmpty(0)) setST(0, QNAN_SE, QNAN_SIG);
    if (stEmpty(i)) setST(i, QNAN_SE, QNAN_SIG);
  } else setC1(false);
  const se = stSE(0), sig = stSig(0);
  setST(0, stSE(i), stSig(i));
  setST(i, se, sig);
  commit();
}

function fcmov(reg: i32, i: i32, negate: bool): void {
  // DA: B (CF), E (ZF), BE (CF|ZF), U (PF); DB: the negations
  let cc: i32;
  switch (reg) { case 0: cc = 2; break; case 1: cc = 4; break; case 2: cc = 6; break; default: cc = 10; break; }
  if (negate) cc |= 1;
  begin();
  if (stEmpty(0) || stEmpty(i)) {
    if (stackUnderflow()) setST(0, QNAN_SE, QNAN_SIG);
    commit();
    return;
  }
  if (cond(cc)) setST(0, stSE(i), stSig(i));
}

// ---- arithmetic ----
/** Compute dst OP src: 0 add, 1 mul, 4 dst-src, 5 src-dst, 6 dst/src, 7 src/dst. Result in rSE/rSig. */
function arith(op: i32, dSE: u32, dSig: u64, sSE: u32, sSig: u64): void {
  let aSE = dSE, aSig = dSig, bSE = sSE, bSig = sSig;
  if (op == 5 || op == 7) { aSE = sSE; aSig = sSig; bSE = dSE; bSig = dSig; }
  const ca = classify(aSE, aSig), cb = classify(bSE, bSig);
  if (screen2(aSE, aSig, ca, bSE, bSig, cb)) return;
  if (op >= 6 && cb == C_ZERO && ca != C_ZERO && ca != C_INF) setFexc(fexc & ~EX_DE); // x/0: ZE only
  if ((fexc & ~fMask & EX_DE) != 0) return;
  const keep = precision();
  const sa = aSE >> 15, sb = bSE >> 15;
  switch (op) {
    case 0: addCore(sa, aSE, aSig, ca, sb, bSE, bSig, cb, keep); break;
    case 1: mulCore(sa, aSE, aSig, ca, sb, bSE, bSig, cb, keep); break;
    case 4: case 5: addCore(sa, aSE, aSig, ca, sb ^ 1, bSE, bSig, cb, keep); break;
    default: divCore(sa, aSE, aSig, ca, sb, bSE, bSig, cb, keep); break;
  }
}

/** D8/DC/DA/DE memory forms with the converted operand in rSE/rSig. */
function memArith(reg: i32): void {
  const sSE = rSE, sSig = rSig;
  setSrcDenormal(cvtDenormal);
  if (reg == 2 || reg == 3) { compareWith(sSE, sSig, false, false, reg == 3 ? 1 : 0); return; }
  if (stEmpty(0)) {
    if (stackUnderflow()) setST(0, QNAN_SE, QNAN_SIG);
    commit(); return;
  }
  arith(reg, stSE(0), stSig(0), sSE, sSig);
  finishArith(0, false);
}

/** Register forms: ST(dst) = ST(dst) OP ST(src) (one of them is ST0); pop for the P forms. */
function regArith(op: i32, dst: i32, src: i32, doPop: bool): void {
  begin();
  setSrcDenormal(false);
  if (stEmpty(dst) || stEmpty(src)) {
    if (stackUnderflow()) { setST(dst, QNAN_SE, QNAN_SIG); commit(); if (doPop) pop(); return; }
    commit(); return;
  }
  arith(op, stSE(dst), stSig(dst), stSE(src), stSig(src));
  finishArith(dst, doPop);
}

function finishArith(dst: i32, doPop: bool): void {
  if (blocked()) { setC1(false); commit(); return; }
  setST(dst, rSE, rSig);
  setC1(fUp);
  commit();
  if (doPop) pop();
}

// ---- comparisons ----
/** Compare a with b; returns -1/0/1 or 2 for unordered (IE raised per `quiet`). */
function relation(aSE: u32, aSig: u64, bSE: u32, bSig: u64, quiet: bool): i32 {
  const ca = classify(aSE, aSig), cb = classify(bSE, bSig);
  if (ca == C_BAD || cb == C_BAD) { setFexc(fexc | EX_IE); return 2; }
  if (isNaNClass(ca) || isNaNClass(cb)) {
    if (!quiet || ca == C_SNAN || cb == C_SNAN) setFexc(fexc | EX_IE);
    return 2;
  }
  if (isDenormal(aSE, aSig) || isDenormal(bSE, bSig) || srcDenormal) setFexc(fexc | EX_DE);
  return compareValues(aSE, aSig, ca, bSE, bSig, cb);
}

function setCompareCC(rel: i32): void {
  setCC(rel == 0 || rel == 2, rel == 2, false, rel < 0 || rel == 2);
}

/** FCOM/FCOMP/FCOMPP/FUCOM*: ST0 vs ST(i); pops `pops` times. */
function compareST(i: i32, pops: i32, quiet: bool): void {
  begin();
  setSrcDenormal(false);
  if (stEmpty(0) || stEmpty(i)) {
    const masked = stackUnderflow();
    setCC(true, true, false, true); commit();
    if (masked) for (let k = 0; k < pops; k++) pop();
    return;
  }
  const rel = relation(stSE(0), stSig(0), stSE(i), stSig(i), quiet);
  setCompareCC(rel);
  commit();
  if (blocked()) return;
  for (let k = 0; k < pops; k++) pop();
}

/** FCOM m32/m64/FICOM with the operand in (se, sig). */
function compareWith(se: u32, sig: u64, quiet: bool, dummy: bool, pops: i32): void {
  if (stEmpty(0)) {
    const masked = stackUnderflow();
    setCC(true, true, false, true); commit();
    if (masked) for (let k = 0; k < pops; k++) pop();
    return;
  }
  const rel = relation(stSE(0), stSig(0), se, sig, quiet);
  setCompareCC(rel);
  commit();
  if (blocked()) return;
  for (let k = 0; k < pops; k++) pop();
}

function ftst(): void {
  begin();
  setSrcDenormal(false);
  compareWith(0, 0, false, false, 0);
}

/** FCOMI/FUCOMI(P): EFLAGS ZF PF CF, OF SF AF cleared. */
function comi(i: i32, quiet: bool, doPop: bool): void {
  begin();
  const mask: u64 = RFLAGS_ZF | RFLAGS_PF | RFLAGS_CF | RFLAGS_OF | RFLAGS_SF | RFLAGS_AF;
  setSrcDenormal(false);
  if (stEmpty(0) || stEmpty(i)) {
    const masked = stackUnderflow();
    setStatusFlags(RFLAGS_ZF | RFLAGS_PF | RFLAGS_CF, mask); commit();
    if (masked && doPop) pop();
    return;
  }
  const rel = relation(stSE(0), stSig(0), stSE(i), stSig(i), quiet);
  let f: u64 = 0;
  if (rel == 0) f = RFLAGS_ZF;
  else if (rel < 0) f = RFLAGS_CF;
  else if (rel == 2) f = RFLAGS_ZF | RFLAGS_PF | RFLAGS_CF;
  setStatusFlags(f, mask);
  commit();
  if (blocked()) return;
  if (doPop) pop();
}

function fxam(): void {
  const se = stSE(0), sig = stSig(0);
  const sign = (se & 0x8000) != 0;
  if (stEmpty(0)) { setCC(true, false, sign, true); return; }
  const e = se & 0x7fff;
  let c3 = false, c2 = false, c0 = false;
  if (e == 0x7fff) {
    if ((sig & SIG_TOP) == 0) { /* unsupported: 000 */ }
    else if ((sig << 1) == 0) { c2 = true; c0 = true; }
    else c0 = true;
  } else if (e == 0) {
    if (sig == 0) c3 = true; else { c3 = true; c2 = true; }
  } else if ((sig & SIG_TOP) != 0) c2 = true;
  setCC(c3, c2, sign, c0);
}

// ---- constants ----
// 1, log2(10), log2(e), pi, log10(2), ln(2), 0: significand, the 2 bits after it (10 = above half
// ... as: bit 1 = the next bit, bit 0 = any bit below), exponent.
function loadConst(i: i32): void {
  begin();
  let sig: u64 = 0, se: u32 = 0, next: u32 = 0;
  switch (i) {
    case 0: sig = SIG_TOP; se = 0x3fff; break;
    case 1: sig = 0xd49a784bcd1b8afe; se = 0x4000; next = 1; break; // 0.0100...
    case 2: sig = 0xb8aa3b295c17f0bb; se = 0x3fff; next = 3; break; // 0.1011...
    case 3: sig = 0xc90fdaa22168c234; se = 0x4000; next = 3; break; // 0.1100...
    case 4: sig = 0x9a209a84fbcff798; se = 0x3ffd; next = 3; break; // 0.1000 1111...
    case 5: sig = 0xb17217f7d1cf79ab; se = 0x3ffe; next = 3; break; // 0.1100...
    default: sig = 0; se = 0; break;
  }
  if (next != 0) {
    const rc = fRC;
    if ((rc == RC_NEAR && next == 3) || rc == RC_UP) sig += 1;
  }
  setResult(se, sig);
  pushChecked();
  commit();
}

// ---- FSQRT, FRNDINT, FSCALE, FXTRACT, FPREM ----
function fsqrt(): void {
  begin();
  if (stEmpty(0)) { if (stackUnderflow()) setST(0, QNAN_SE, QNAN_SIG); commit(); return; }
  const se = stSE(0), sig = stSig(0);
  const c = classify(se, sig);
  if (c == C_BAD) { setFexc(fexc | EX_IE); setIndefinite(); }
  else if (isNaNClass(c)) propagateNaN(se, sig, c, se, sig, c);
  else {
    if (isDenormal(se, sig) && (se & 0x8000) == 0) setFexc(fexc | EX_DE);
    if (blocked()) { setC1(false); commit(); return; }
    sqrtCore(se >> 15, se, sig, c, precision());
  }
  finishArith(0, false);
}

function frndint(): void {
  begin();
  if (stEmpty(0)) { if (stackUnderflow()) setST(0, QNAN_SE, QNAN_SIG); commit(); return; }
  const se = stSE(0), sig = stSig(0);
  const c = classify(se, sig);
  if (c == C_BAD) { setFexc(fexc | EX_IE); setIndefinite(); }
  else if (isNaNClass(c)) propagateNaN(se, sig, c, se, sig, c);
  else if (c == C_INF || c == C_ZERO) setResult(se, sig);
  else {
    if (isDenormal(se, sig)) setFexc(fexc | EX_DE);
    if (blocked()) { setC1(false); commit(); return; }
    const sign = se >> 15;
    const mag = roundToInt(sign, se, sig, c, fRC);
    if (intBig) setResult(se, sig); // |x| >= 2^64: already an integer
    else {
      normalize(se, sig);
      if (nExp - BIAS >= 63) setResult(se, sig);
      else {
        if (mag == 0) setResult(sign << 15, 0);
        else if ((mag >> 63) != 0) setResult((sign << 15) | <u32>(BIAS + 63), mag);
        else { fromInt(<i64>mag); setResult(rSE | (sign << 15), rSig); }
        if (intInexact) { setFexc(fexc | EX_PE); setUp(intUp); }
      }
    }
  }
  finishArith(0, false);
}

function fscale(): void {
  begin();
  if (stEmpty(0) || stEmpty(1)) { if (stackUnderflow()) setST(0, QNAN_SE, QNAN_SIG); commit(); return; }
  const aSE = stSE(0), aSig = stSig(0), bSE = stSE(1), bSig = stSig(1);
  const ca = classify(aSE, aSig), cb = classify(bSE, bSig);
  if (!screen2(aSE, aSig, ca, bSE, bSig, cb)) {
    if ((fexc & ~fMask & EX_DE) != 0) { setC1(false); commit(); return; }
    const sa = aSE >> 15, sb = bSE >> 15;
    if (cb == C_INF) {
      if (sb == 0) {
        if (ca == C_ZERO) { setFexc(fexc | EX_IE); setIndefinite(); }
        else setResult((sa << 15) | (ca == C_FIN || ca == C_INF ? 0x7fff : 0), ca == C_ZERO ? 0 : SIG_TOP);
      } else {
        if (ca == C_INF) { setFexc(fexc | EX_IE); setIndefinite(); }
        else setResult(sa << 15, 0);
      }
    } else if (ca == C_ZERO || ca == C_INF) setResult(aSE, aSig);
    else {
      // n = trunc(ST1), clamped far outside the exponent range
      let n: i32 = 0;
      if (cb == C_FIN) {
        normalize(bSE, bSig);
        const E = nExp - BIAS;
        if (E >= 0) {
          n = E >= 20 ? 0x100000 : <i32>(nSig >> <u64>(63 - E));
          if (sb != 0) n = -n;
        }
      }
      normalize(aSE, aSig);
      pack80(sa, nExp + n, nSig, 0, 64);
    }
  }
  finishArith(0, false);
}

function fxtract(): void {
  begin();
  if (stEmpty(0)) {
    if (stackUnderflow()) { setST(0, QNAN_SE, QNAN_SIG); push(QNAN_SE, QNAN_SIG); }
    commit(); return;
  }
  if (!stEmpty(7)) {
    if (stackOverflow()) { setST(0, QNAN_SE, QNAN_SIG); push(QNAN_SE, QNAN_SIG); }
    commit(); return;
  }
  const se = stSE(0), sig = stSig(0);
  const c = classify(se, sig);
  let eSE: u32, eSig: u64, mSE: u32, mSig: u64;
  if (c == C_BAD) { setFexc(fexc | EX_IE); eSE = QNAN_SE; eSig = QNAN_SIG; mSE = QNAN_SE; mSig = QNAN_SIG; }
  else if (isNaNClass(c)) {
    if (c == C_SNAN) setFexc(fexc | EX_IE);
    eSE = se; eSig = sig | QNAN_SIG; mSE = eSE; mSig = eSig;
  } else if (c == C_ZERO) {
    setFexc(fexc | EX_ZE);
    eSE = 0xffff; eSig = SIG_TOP; mSE = se; mSig = 0;
  } else if (c == C_INF) {
    eSE = 0x7fff; eSig = SIG_TOP; mSE = se; mSig = sig;
  } else {
    if (isDenormal(se, sig)) setFexc(fexc | EX_DE);
    normalize(se, sig);
    fromInt(<i64>(nExp - BIAS));
    eSE = rSE; eSig = rSig;
    mSE = (se & 0x8000) | 0x3fff; mSig = nSig;
  }
  if (blocked()) { setC1(false); commit(); return; }
  setST(0, eSE, eSig);
  push(mSE, mSig);
  setC1(false);
  commit();
}

/** FPREM (truncating quotient) / FPREM1 (IEEE, round to nearest). */
function fprem(ieee: bool): void {
  begin();
  if (stEmpty(0) || stEmpty(1)) {
    if (stackUnderflow()) setST(0, QNAN_SE, QNAN_SIG);
    setFSW(getFSW() & ~SW_C2);
    commit(); return;
  }
  const aSE = stSE(0), aSig = stSig(0), bSE = stSE(1), bSig = stSig(1);
  const ca = classify(aSE, aSig), cb = classify(bSE, bSig);
  if (screen2(aSE, aSig, ca, bSE, bSig, cb) || ca == C_INF || cb == C_ZERO) {
    if (!isNaNClass(ca) && !isNaNClass(cb) && (ca == C_INF || cb == C_ZERO)) { setFexc(fexc & ~EX_DE | EX_IE); setIndefinite(); }
    setFSW(getFSW() & ~(SW_C1 | SW_C2));
    finishArith(0, false); return;
  }
  if ((fexc & ~fMask & EX_DE) != 0) { setFSW(getFSW() & ~(SW_C1 | SW_C2)); commit(); return; }
  const sa = aSE >> 15;
  if (ca == C_ZERO || cb == C_INF) {
    setResult(aSE, aSig);
    if (ca != C_ZERO && isDenormal(aSE, aSig)) { normalize(aSE, aSig); pack80(sa, nExp, nSig, 0, 64); }
    setCC(false, false, false, false);
    finishRem();
    return;
  }
  normalize(aSE, aSig); const ea = nExp, ma = nSig;
  normalize(bSE, bSig); const eb = nExp, mb = nSig;
  const D = ea - eb;
  let q: u64 = 0;
  let r: u64 = ma;
  let re = ea;
  let s = sa;
  let partial = false;
  if (D >= 64) {
    partial = true;
    const N = 32 | (D & 31); // the exponent difference drops by a multiple of 32 (measured on hardware)
    // reduce by b * 2^(D-N): quotient truncated
    q = remLoop(ma, mb, N);
    r = remLoopR;
    re = eb + (D - N);
  } else if (D >= 0) {
    q = remLoop(ma, mb, D);
    r = remLoopR;
    re = eb;
    if (ieee && (r > mb - r || (r == mb - r && (q & 1) != 0))) { r = mb - r; q++; s ^= 1; }
  } else if (ieee && D == -1 && ma > mb) {
    // |a| in (|b|/2, |b|): quotient 1, remainder |b| - |a| with the opposite sign
    const hi = mb - (ma >> 1);
    const lo = (ma & 1) != 0 ? SIG_TOP : 0;
    // value = (mb*2 - ma) * 2^(ea - BIAS - 63) computed as (hi:lo) at exponent eb
    const h2 = lo != 0 ? hi - 1 : hi;
    normPack80(s ^ 1, eb, h2, lo, 64);
    q = 1;
    setCC((q & 2) != 0, false, (q & 1) != 0, (q & 4) != 0);
    finishRem();
    return;
  }
  if (r == 0) setResult(s << 15, 0);
  else normPack80(s, re, r, 0, 64);
  if (partial) setCC(false, true, false, false);
  else setCC((q & 2) != 0, false, (q & 1) != 0, (q & 4) != 0);
  finishRem();
}

function finishRem(): void {
  if (blocked()) { commit(); return; }
  setST(0, rSE, rSig);
  commit();
}

let remLoopR: u64 = 0;
/** Integer quotient of (ma * 2^d) / mb (d >= 0), remainder in remLoopR. */
function remLoop(ma: u64, mb: u64, d: i32): u64 {
  let r = ma, q: u64 = 0;
  for (let i = 0; i <= d; i++) {
    let top = false;
    if (i > 0) { top = (r >> 63) != 0; r <<= 1; }
    q <<= 1;
    if (top || r >= mb) { r -= mb; q |= 1; }
  }
  remLoopR = r;
  return q;
}

// ---- BCD ----
function fbld(): void {
  const lo = rd(0, 8); if (fault) return;
  const hi = <u32>rd(8, 2); if (fault) return;
  begin();
  let v: u64 = 0;
  for (let k = 8; k >= 0; k--) {
    const byte: u64 = k == 8 ? <u64>(hi & 0xff) : (lo >> <u64>(k * 8)) & 0xff;
    v = v * 100 + (byte >> 4) * 10 + (byte & 15);
  }
  const neg = (hi & 0x8000) != 0;
  if (v == 0) setResult(neg ? 0x8000 : 0, 0);
  else { fromInt(<i64>v); if (neg) setResult(rSE | 0x8000, rSig); }
  pushChecked();
  commit();
}

function fbstp(): void {
  begin();
  let lo: u64 = 0, hi: u64 = 0;
  let up = false;
  let ok = false;
  if (stEmpty(0)) {
    if (!stackUnderflow()) { commit(); return; }
  } else {
    const se = stSE(0), sig = stSig(0);
    const c = classify(se, sig);
    if (c == C_FIN || c == C_ZERO) {
      const sign = se >> 15;
      let mag = roundToInt(sign, se, sig, c, fRC);
      if (intBig || mag > 999999999999999999) setFexc(fexc | EX_IE);
      else {
        ok = true;
        if (intInexact) { setFexc(fexc | EX_PE); up = intUp; }
        for (let k = 0; k < 9; k++) {
          const d = mag % 100; mag /= 100;
          const byte = ((d / 10) << 4) | (d % 10);
          if (k < 8) lo |= byte << <u64>(k * 8); else hi |= byte;
        }
        if (sign != 0) hi |= 0x8000;
      }
    } else setFexc(fexc | EX_IE);
    if (blocked()) { setC1(false); commit(); return; }
  }
  if (!ok) { lo = 0xc000000000000000; hi = 0xffff; }
  probeWrite(memLin, 10);
  if (fault) return;
  wr(0, 8, lo); wr(8, 2, hi);
  if (fault) return;
  setC1(up);
  commit();
  pop();
}

// ---- control: FNINIT, FSTENV/FLDENV, FSAVE/FRSTOR ----
export function fninit(): void {
  store<u16>(fx() + FX_FCW, 0x37f);
  setFSW(0);
  setFtw(0);
  store<u16>(fx() + FX_FOP, 0);
  store<u64>(fx() + FX_FIP, 0);
  store<u64>(fx() + FX_FDP, 0);
  store<u32>(cpu + V_X87_EXTRA, 0);
}

/** The full 2-bit tag word derived from the abridged tag and the register contents. */
export function fullTag(): u32 {
  let tw: u32 = 0;
  const t = ftw();
  for (let p = 0; p < 8; p++) {
    let tag: u32;
    if (((t >> <u32>p) & 1) == 0) tag = 3;
    else {
      const rp = regPtr(p);
      const e = <u32>load<u16>(rp + 8) & 0x7fff;
      const sig = load<u64>(rp);
      if (e == 0x7fff) tag = 2;
      else if (e == 0) tag = sig == 0 ? 1 : 2;
      else tag = (sig & SIG_TOP) != 0 ? 0 : 2;
    }
    tw |= tag << <u32>(p * 2);
  }
  return tw;
}

function realFormat(): bool { return !protectedMode || (getFlags() & RFLAGS_VM) != 0; }

/** Write the environment at memLin; returns its size (14 or 28). */
function writeEnv(): i32 {
  const fip = load<u64>(fx() + FX_FIP), fdp = load<u64>(fx() + FX_FDP);
  const fop = <u64>load<u16>(fx() + FX_FOP) & 0x7ff;
  const fcs = <u64>load<u16>(cpu + V_X87_EXTRA), fds = <u64>load<u16>(cpu + V_X87_EXTRA + 2);
  const cw = <u64>getFCW(), sw = <u64>getFSW(), tw = <u64>fullTag();
  if (opsize == 2) {
    probeWrite(memLin, 14); if (fault) return 0;
    wr(0, 2, cw); wr(2, 2, sw); wr(4, 2, tw);
    if (realFormat()) {
      wr(6, 2, fip & 0xffff); wr(8, 2, ((fip >> 4) & 0xf000) | fop);
      wr(10, 2, fdp & 0xffff); wr(12, 2, (fdp >> 4) & 0xf000);
    } else {
      wr(6, 2, fip & 0xffff); wr(8, 2, fcs); wr(10, 2, fdp & 0xffff); wr(12, 2, fds);
    }
    return 14;
  }
  probeWrite(memLin, 28); if (fault) return 0;
  wr(0, 4, cw | 0xffff0000); wr(4, 4, sw | 0xffff0000); wr(8, 4, tw | 0xffff0000);
  if (realFormat()) {
    wr(12, 4, (fip & 0xffff) | 0xffff0000); wr(16, 4, ((fip >> 4) & 0x0ffff000) | fop);
    wr(20, 4, (fdp & 0xffff) | 0xffff0000); wr(24, 4, (fdp >> 4) & 0x0ffff000);
  } else {
    wr(12, 4, fip & 0xffffffff); wr(16, 4, fcs | (fop << 16));
    wr(20, 4, fdp & 0xffffffff); wr(24, 4, fds | 0xffff0000);
  }
  return 28;
}

/** Read the environment at memLin into the state; returns its size. Caller probed readability. */
function readEnv(): i32 {
  let cw: u32, sw: u32, tw: u32, fip: u64, fdp: u64, fop: u32 = 0, fcs: u32 = 0, fds: u32 = 0, size: i32;
  if (opsize == 2) {
    cw = <u32>rd(0, 2); sw = <u32>rd(2, 2); tw = <u32>rd(4, 2);
    if (realFormat()) {
      const w = <u32>rd(8, 2);
      fip = rd(6, 2) | (<u64>(w & 0xf000) << 4); fop = w & 0x7ff;
      fdp = rd(10, 2) | ((rd(12, 2) & 0xf000) << 4);
    } else { fip = rd(6, 2); fcs = <u32>rd(8, 2); fdp = rd(10, 2); fds = <u32>rd(12, 2); }
    size = 14;
  } else {
    cw = <u32>rd(0, 2); sw = <u32>rd(4, 2); tw = <u32>rd(8, 2);
    if (realFormat()) {
      const w = rd(16, 4);
      fip = rd(12, 2) | ((w & 0x0ffff000) << 4); fop = <u32>w & 0x7ff;
      fdp = rd(20, 2) | ((rd(24, 4) & 0x0ffff000) << 4);
    } else {
      fip = rd(12, 4); const w = <u32>rd(16, 4); fcs = w & 0xffff; fop = (w >> 16) & 0x7ff;
      fdp = rd(20, 4); fds = <u32>rd(24, 2);
    }
    size = 28;
  }
  if (fault) return 0;
  store<u16>(fx() + FX_FCW, <u16>((cw & 0x1f3f) | 0x40));
  setFSW(sw);
  let t: u32 = 0;
  for (let p: u32 = 0; p < 8; p++) if (((tw >> (p * 2)) & 3) != 3) t |= <u32>1 << p;
  setFtw(t);
  store<u16>(fx() + FX_FOP, <u16>fop);
  store<u64>(fx() + FX_FIP, fip);
  store<u64>(fx() + FX_FDP, fdp);
  store<u16>(cpu + V_X87_EXTRA, <u16>fcs);
  store<u16>(cpu + V_X87_EXTRA + 2, <u16>fds);
  const c = getFCW();
  const s = getFSW();
  setFSW((s & ~0x3f & 0) | s);
  if ((s & ~c & 0x3f) != 0) setFSW(s | SW_ES | SW_B); else setFSW(s & ~(SW_ES | SW_B));
  return size;
}

/** FNSTENV (save=false) / FNSAVE (save=true). */
function fstenv(save: bool): void {
  const size = opsize == 2 ? 14 : 28;
  if (save) { probeWrite(memLin, size + 80); if (fault) return; }
  const n = writeEnv();
  if (fault) return;
  if (save) {
    for (let i = 0; i < 8; i++) {
      wr(<u64>(n + i * 10), 8, stSig(i));
      wr(<u64>(n + i * 10 + 8), 2, <u64>stSE(i));
    }
    if (fault) return;
    fninit();
  } else {
    store<u16>(fx() + FX_FCW, <u16>(getFCW() | 0x3f));
    setFSW(getFSW() & ~(SW_ES | SW_B));
  }
}

/** FLDENV (restore=false) / FRSTOR (restore=true). */
function fldenv(restore: bool): void {
  const size = (opsize == 2 ? 14 : 28) + (restore ? 80 : 0);
  rd(0, 1); rd(<u64>(size - 1), 1);
  if (fault) return;
  // registers first (their stack order depends on the TOP being loaded)
  const n = size - (restore ? 80 : 0);
  const sw = <u32>rd(opsize == 2 ? 2 : 4, 2);
  if (restore) {
    const t = <i32>((sw >> 11) & 7);
    for (let i = 0; i < 8; i++) {
      const p = (t + i) & 7;
      store<u64>(regPtr(p), rd(<u64>(n + i * 10), 8));
      store<u16>(regPtr(p) + 8, <u16>rd(<u64>(n + i * 10 + 8), 2));
    }
  }
  readEnv();
}

// ---- FXSAVE / FXRSTOR ----
/**
 * 0F AE /0 FXSAVE and /1 FXRSTOR (ModRM decoded, memory operand): the whole 512-byte image,
 * including MXCSR and XMM registers, converting the x87 registers between the live representation
 * and the architectural stack order. Returns false if not implemented.
 */
export function x87FxsaveFxrstor(save: bool): bool {
  const cr0 = load<u64>(cpu + V_CR0);
  if ((cr0 & CR0_EM) != 0) { raiseUD(); return true; }
  if ((cr0 & CR0_TS) != 0) { raise(EXC_NM, NO_ERROR); return true; }
  memLin = eaLinear();
  if ((memLin & 15) != 0) { raiseGP(0); return true; }
  const wide = mode64 && rexW;
  const nxmm = mode64 ? 16 : 8;
  let mask = load<u32>(fx() + FX_MXCSR_MASK);
  if (mask == 0) mask = 0xffff;
  if (save) {
    probeWrite(memLin, 512); if (fault) return true;
    wr(0, 2, <u64>getFCW()); wr(2, 2, <u64>getFSW()); wr(4, 2, <u64>ftw());
    wr(6, 2, <u64>load<u16>(fx() + FX_FOP));
    const fip = load<u64>(fx() + FX_FIP), fdp = load<u64>(fx() + FX_FDP);
    if (wide) { wr(8, 8, fip); wr(16, 8, fdp); }
    else {
      wr(8, 4, fip & 0xffffffff); wr(12, 4, <u64>load<u16>(cpu + V_X87_EXTRA));
      wr(16, 4, fdp & 0xffffffff); wr(20, 4, <u64>load<u16>(cpu + V_X87_EXTRA + 2));
    }
    wr(24, 4, <u64>load<u32>(fx() + FX_MXCSR)); wr(28, 4, <u64>mask);
    for (let i = 0; i < 8; i++) {
      const o = <u64>(32 + i * 16);
      wr(o, 8, stSig(i)); wr(o + 8, 8, <u64>stSE(i));
    }
    for (let i = 0; i < nxmm; i++) {
      const o = <u64>(160 + i * 16);
      wr(o, 8, load<u64>(fx() + FX_XMM + (<usize>i << 4)));
      wr(o + 8, 8, load<u64>(fx() + FX_XMM + (<usize>i << 4) + 8));
    }
    return true;
  }
  const mx = <u32>rd(24, 4);
  rd(511, 1);
  if (fault) return true;
  if ((mx & ~mask) != 0) { raiseGP(0); return true; }
  const cw = <u32>rd(0, 2), sw = <u32>rd(2, 2), tw = <u32>rd(4, 1), fop = <u32>rd(6, 2);
  let fip: u64, fdp: u64;
  if (wide) { fip = rd(8, 8); fdp = rd(16, 8); }
  else {
    fip = rd(8, 4); fdp = rd(16, 4);
    store<u16>(cpu + V_X87_EXTRA, <u16>rd(12, 2));
    store<u16>(cpu + V_X87_EXTRA + 2, <u16>rd(20, 2));
  }
  store<u16>(fx() + FX_FCW, <u16>cw);
  setFSW(sw);
  setFtw(tw);
  store<u16>(fx() + FX_FOP, <u16>(fop & 0x7ff));
  store<u64>(fx() + FX_FIP, fip);
  store<u64>(fx() + FX_FDP, fdp);
  store<u32>(fx() + FX_MXCSR, mx);
  for (let i = 0; i < 8; i++) {
    const o = <u64>(32 + i * 16);
    setSTraw(i, <u32>rd(o + 8, 2), rd(o, 8));
  }
  for (let i = 0; i < nxmm; i++) {
    const o = <u64>(160 + i * 16);
    store<u64>(fx() + FX_XMM + (<usize>i << 4), rd(o, 8));
    store<u64>(fx() + FX_XMM + (<usize>i << 4) + 8, rd(o + 8, 8));
  }
  return true;
}

function setSTraw(i: i32, se: u32, sig: u64): void {
  const p = phys(i);
  store<u64>(regPtr(p), sig);
  store<u16>(regPtr(p) + 8, <u16>se);
}

export { unimplemented };
