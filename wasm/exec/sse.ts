// MMX and SSE..SSE4.2: the 0F, 0F 38 and 0F 3A opcode maps not handled elsewhere, MXCSR, and the
// FXSAVE/FXRSTOR/LDMXCSR/STMXCSR members of group 15. XMM registers live at V_FXSAVE + FX_XMM.
//
// Conventions: every handler decodes ModRM, checks availability (sseOk/mmxOk: #UD/#NM/#MF before
// any memory access), fetches immediates (before eaLinear: RIP-relative addressing needs them),
// loads the r/m source into SRC, computes into RES and only then writes the destination, so a
// fault leaves the architectural state untouched. MMX forms (no prefix) work on 8 bytes in the
// x87 registers and make the x87 -> MMX transition (mmxEnter) once they complete.
import { unimplemented, decodeModrm, fetch8, regField, rmField, isMem, rexW, eaLinear, opsize } from "../cpu/decode";
import { fault, raiseUD, raiseGP } from "../cpu/fault";
import { cpu, readReg, writeReg } from "../cpu/state";
import { read32, write32, readN, writeN, read64, write64, read8, write8, read16, write16 } from "../cpu/mmu";
import { V_FXSAVE, FX_FTW } from "../layout";
import { x87FxsaveFxrstor } from "./x87";
import {
  SRC, RES, AUX, P_NONE, P_66, P_F3, P_F2, pfx, xmmPtr, mmPtr, mxcsr, setMxcsr, sseOk, mmxOk, mmxPendingOk, mmxEnter,
  setMm, getMm, eaAligned, loadSrcX, loadSrcMm, store128, copy16,
} from "./sse-common";
import * as I from "./sse-int";
import {
  fpArith, fpCmp, fpComi, cvt2A, cvt2C, cvt5A, cvt5B, cvtE6, fpRcp, fpHorizontal, fpAddSub, fpRound, fpDot,
  F_ADD, F_SUB, F_MUL, F_DIV, F_MIN, F_MAX, F_SQRT,
} from "./sse-fp";
import { pcmpstr } from "./sse-str";

// ---- prologue / epilogue shared by the vector forms ----
/** Destination of the current vector instruction and its width (8 = MMX, 16 = XMM). */
let D: usize = 0;
let W: i32 = 16;

/** Decode ModRM and check availability for a form that exists as MMX (no prefix, if `mmx`) and XMM (66). */
function beginVec(mmx: bool): bool {
  const p = pfx();
  decodeModrm();
  if (p == P_NONE && mmx) {
    if (!mmxOk()) return false;
    W = 8; D = mmPtr(regField);
    return true;
  }
  if (p != P_66) { raiseUD(); return false; }
  if (!sseOk()) return false;
  W = 16; D = xmmPtr(regField);
  return true;
}
/** Load the r/m source for the current vector form (m64 for MMX, aligned m128 for XMM). */
function srcVec(): bool {
  if (W == 8) return loadSrcMm(8);
  return loadSrcX(16, true);
}
function finishVec(): void {
  if (W == 8) { setMm(regField, load<u64>(RES)); mmxEnter(); }
  else copy16(D, RES);
}

function intBinop(id: i32, mmx: bool): void {
  if (!beginVec(mmx)) return;
  if (!srcVec()) return;
  I.binop(id, D, SRC, W);
  finishVec();
}

/** Bitwise PS/PD forms (ANDPS/ANDPD, ...): no prefix or 66, XMM only. */
function logicPs(id: i32): void {
  const p = pfx();
  decodeModrm();
  if (p != P_NONE && p != P_66) { raiseUD(); return; }
  if (!sseOk()) return;
  if (!loadSrcX(16, true)) return;
  const d = xmmPtr(regField);
  I.binop(id, d, SRC, 16);
  copy16(d, RES);
}

function unpackInsn(size: i32, hi: bool, mmx: bool): void {
  if (!beginVec(mmx)) return;
  if (W == 8 && !hi) { if (!loadSrcMm(4)) return; } // PUNPCKLxx mm, mm/m32
  else if (!srcVec()) return;
  I.unpack(D, SRC, W, size, hi);
  finishVec();
}

function packInsn(kind: i32, mmx: bool): void {
  if (!beginVec(mmx)) return;
  if (!srcVec()) return;
  I.pack(D, SRC, W, kind);
  finishVec();
}

/** PSRLW/PSRAW/PSLLx with the count in mm/m64 or xmm/m128. */
function shiftInsn(size: i32, kind: i32): void {
  if (!beginVec(true)) return;
  if (!srcVec()) return;
  I.shift(D, W, size, kind, load<u64>(SRC));
  finishVec();
}

/** 0F 71/72/73: shift groups with imm8 (register operand only). */
function shiftImmGroup(op: u32): void {
  const p = pfx();
  decodeModrm();
  const r = regField & 7;
  if (!isMem && p == P_66 && op == 0x73 && (r == 3 || r == 7)) {
    if (!sseOk()) return;
    const c = fetch8();
    if (fault) return;
    const d = xmmPtr(rmField);
    I.byteShift(d, c > 16 ? 16 : c, r == 7);
    copy16(d, RES);
    return;
  }
  let kind = -1;
  if (r == 2) kind = 1; else if (r == 4 && op != 0x73) kind = 2; else if (r == 6) kind = 0;
  if (isMem || kind < 0 || (p != P_NONE && p != P_66)) { raiseUD(); return; }
  const size = op == 0x71 ? 2 : op == 0x72 ? 4 : 8;
  if (p == P_NONE) {
    if (!mmxOk()) return;
    const c = fetch8();
    if (fault) return;
    const d = mmPtr(rmField);
    I.shift(d, 8, size, kind, <u64>c);
    setMm(rmField, load<u64>(RES));
    mmxEnter();
  } else {
    if (!sseOk()) return;
    const c = fetch8();
    if (fault) return;
    const d = xmmPtr(rmField);
    I.shift(d, 16, size, kind, <u64>c);
    copy16(d, RES);
  }
}

// ---- moves ----
/** 0F 10/11 MOVUPS/MOVUPD/MOVSS/MOVSD, 0F 28/29 MOVAPS/MOVAPD, 0F 6F/7F MOVQ/MOVDQA/MOVDQU. */
function movVec(op: u32): void {
  const p = pfx();
  decodeModrm();
  const isStore = op == 0x11 || op == 0x29 || op == 0x7f;
  if ((op == 0x6f || op == 0x7f) && p == P_NONE) {
    // MOVQ mm, mm/m64 and MOVQ mm/m64, mm
    if (!mmxOk()) return;
    if (!isStore) {
      if (!loadSrcMm(8)) return;
      setMm(regField, load<u64>(SRC));
    } else if (isMem) {
      write64(eaLinear(), getMm(regField));
      if (fault) return;
    } else setMm(rmField, getMm(regField));
    mmxEnter();
    return;
  }
  if ((op == 0x28 || op == 0x29) && p >= P_F3) { raiseUD(); return; }
  if ((op == 0x6f || op == 0x7f) && p == P_F2) { raiseUD(); return; }
  if (!sseOk()) return;
  const align = op == 0x28 || op == 0x29 || ((op == 0x6f || op == 0x7f) && p == P_66);
  const scalar = (op == 0x10 || op == 0x11) && p >= P_F3;
  const sz = scalar ? (p == P_F3 ? 4 : 8) : 16;
  if (!isStore) {
    if (scalar && !isMem) {
      // register form merges the low element
      const s = xmmPtr(rmField), d = xmmPtr(regField);
      if (sz == 4) store<u32>(d, load<u32>(s)); else store<u64>(d, load<u64>(s));
      return;
    }
    if (!loadSrcX(sz, align)) return;
    copy16(xmmPtr(regField), SRC);
    return;
  }
  const s = xmmPtr(regField);
  if (!isMem) {
    const d = xmmPtr(rmField);
    if (sz == 4) store<u32>(d, load<u32>(s));
    else if (sz == 8) store<u64>(d, load<u64>(s));
    else copy16(d, s);
    return;
  }
  const lin = eaAligned(align);
  if (fault) return;
  if (sz == 4) write32(lin, <u64>load<u32>(s));
  else if (sz == 8) write64(lin, load<u64>(s));
  else store128(lin, s);
}

/** 0F 12/13/16/17: MOVLPS/MOVHLPS/MOVLPD/MOVDDUP/MOVSLDUP and the high-half forms. */
function movHalf(op: u32): void {
  const p = pfx();
  decodeModrm();
  if (!sseOk()) return;
  const d = xmmPtr(regField);
  const hiHalf = op == 0x16 || op == 0x17;
  if (op == 0x13 || op == 0x17) {
    if (!isMem || p >= P_F3) { raiseUD(); return; }
    write64(eaLinear(), load<u64>(d + (hiHalf ? 8 : 0)));
    return;
  }
  if (p == P_F2) {
    if (op != 0x12) { raiseUD(); return; }
    // MOVDDUP xmm, xmm/m64
    if (!loadSrcX(8, false)) return;
    const v = load<u64>(SRC);
    store<u64>(d, v); store<u64>(d + 8, v);
    return;
  }
  if (p == P_F3) {
    // MOVSLDUP (12) / MOVSHDUP (16)
    if (!loadSrcX(16, true)) return;
    const o = op == 0x12 ? 0 : 4;
    const a = load<u32>(SRC + o), b = load<u32>(SRC + 8 + o);
    store<u32>(d, a); store<u32>(d + 4, a); store<u32>(d + 8, b); store<u32>(d + 12, b);
    return;
  }
  if (!isMem) {
    if (p == P_66) { raiseUD(); return; }
    const s = xmmPtr(rmField);
    if (op == 0x12) store<u64>(d, load<u64>(s + 8)); // MOVHLPS
    else store<u64>(d + 8, load<u64>(s)); // MOVLHPS
    return;
  }
  const v = read64(eaLinear());
  if (fault) return;
  store<u64>(d + (hiHalf ? 8 : 0), v);
}

/** 0F 6E MOVD/MOVQ mm/xmm, r/m32/64. */
function movdTo(): void {
  const p = pfx();
  decodeModrm();
  const size = rexW ? 8 : 4;
  if (p == P_NONE) {
    if (!mmxOk()) return;
    const v = isMem ? readN(eaLinear(), size) : readReg(rmField, size);
    if (fault) return;
    setMm(regField, v);
    mmxEnter();
    return;
  }
  if (p != P_66) { raiseUD(); return; }
  if (!sseOk()) return;
  const v = isMem ? readN(eaLinear(), size) : readReg(rmField, size);
  if (fault) return;
  const d = xmmPtr(regField);
  store<u64>(d, v); store<u64>(d + 8, 0);
}

/** 0F 7E MOVD/MOVQ r/m32/64, mm/xmm; F3 0F 7E MOVQ xmm, xmm/m64. */
function movdFrom(): void {
  const p = pfx();
  decodeModrm();
  if (p == P_F3) {
    if (!sseOk()) return;
    if (!loadSrcX(8, false)) return;
    const d = xmmPtr(regField);
    store<u64>(d, load<u64>(SRC)); store<u64>(d + 8, 0);
    return;
  }
  const size = rexW ? 8 : 4;
  let v: u64 = 0;
  if (p == P_NONE) {
    if (!mmxOk()) return;
    v = getMm(regField);
  } else if (p == P_66) {
    if (!sseOk()) return;
    v = load<u64>(xmmPtr(regField));
  } else { raiseUD(); return; }
  if (size == 4) v &= 0xffffffff;
  if (isMem) { writeN(eaLinear(), size, v); if (fault) return; }
  else writeReg(rmField, size, v);
  if (p == P_NONE) mmxEnter();
}

/** 0F D6: 66 MOVQ xmm/m64, xmm; F3 MOVQ2DQ xmm, mm; F2 MOVDQ2Q mm, xmm. */
function movqD6(): void {
  const p = pfx();
  decodeModrm();
  if (p == P_66) {
    if (!sseOk()) return;
    const v = load<u64>(xmmPtr(regField));
    if (isMem) { write64(eaLinear(), v); return; }
    const d = xmmPtr(rmField);
    store<u64>(d, v); store<u64>(d + 8, 0);
    return;
  }
  if (isMem || p == P_NONE) { raiseUD(); return; }
  if (!sseOk() || !mmxPendingOk()) return;
  if (p == P_F3) {
    const d = xmmPtr(regField);
    store<u64>(d, getMm(rmField)); store<u64>(d + 8, 0);
  } else {
    setMm(regField, load<u64>(xmmPtr(rmField)));
  }
  mmxEnter();
}

/** 0F 70 PSHUFW / PSHUFD / PSHUFHW / PSHUFLW. */
function pshuf(): void {
  const p = pfx();
  decodeModrm();
  if (p == P_NONE) {
    if (!mmxOk()) return;
    const imm = fetch8();
    if (fault || !loadSrcMm(8)) return;
    for (let i = 0; i < 4; i++) store<u16>(RES + 2 * i, load<u16>(SRC + 2 * ((imm >> (2 * i)) & 3)));
    setMm(regField, load<u64>(RES));
    mmxEnter();
    return;
  }
  if (!sseOk()) return;
  const imm = fetch8();
  if (fault || !loadSrcX(16, true)) return;
  if (p == P_66) {
    for (let i = 0; i < 4; i++) store<u32>(RES + 4 * i, load<u32>(SRC + 4 * ((imm >> (2 * i)) & 3)));
  } else {
    const o = p == P_F3 ? 8 : 0; // F3: high words, F2: low words
    copy16(RES, SRC);
    for (let i = 0; i < 4; i++) store<u16>(RES + o + 2 * i, load<u16>(SRC + o + 2 * ((imm >> (2 * i)) & 3)));
  }
  copy16(xmmPtr(regField), RES);
}

/** 0F C6 SHUFPS / SHUFPD. */
function shufp(): void {
  const p = pfx();
  decodeModrm();
  if (p != P_NONE && p != P_66) { raiseUD(); return; }
  if (!sseOk()) return;
  const imm = fetch8();
  if (fault || !loadSrcX(16, true)) return;
  const d = xmmPtr(regField);
  if (p == P_NONE) {
    store<u32>(RES, load<u32>(d + 4 * (imm & 3)));
    store<u32>(RES + 4, load<u32>(d + 4 * ((imm >> 2) & 3)));
    store<u32>(RES + 8, load<u32>(SRC + 4 * ((imm >> 4) & 3)));
    store<u32>(RES + 12, load<u32>(SRC + 4 * ((imm >> 6) & 3)));
  } else {
    store<u64>(RES, load<u64>(d + 8 * (imm & 1)));
    store<u64>(RES + 8, load<u64>(SRC + 8 * ((imm >> 1) & 1)));
  }
  copy16(d, RES);
}

/** 0F 14/15 UNPCKLPS/PD, UNPCKHPS/PD. */
function unpckp(op: u32): void {
  const p = pfx();
  decodeModrm();
  if (p != P_NONE && p != P_66) { raiseUD(); return; }
  if (!sseOk()) return;
  if (!loadSrcX(16, true)) return;
  const d = xmmPtr(regField);
  I.unpack(d, SRC, 16, p == P_NONE ? 4 : 8, op == 0x15);
  copy16(d, RES);
}

/** 0F 50 MOVMSKPS/PD, 0F D7 PMOVMSKB (register operands only). */
function movmsk(op: u32): void {
  const p = pfx();
  decodeModrm();
  if (!isMem && op == 0xd7 && p == P_NONE) {
    if (!mmxOk()) return;
    writeReg(regField, 8, <u64>I.pmovmskb(mmPtr(rmField), 8));
    mmxEnter();
    return;
  }
  if (isMem || (p != P_NONE && p != P_66) || (op == 0xd7 && p != P_66)) { raiseUD(); return; }
  if (!sseOk()) return;
  const s = xmmPtr(rmField);
  let m: u32 = 0;
  if (op == 0xd7) m = I.pmovmskb(s, 16);
  else if (p == P_NONE) { for (let i = 0; i < 4; i++) m |= (load<u32>(s + 4 * i) >> 31) << i; }
  else m = <u32>(load<u64>(s) >> 63) | (<u32>(load<u64>(s + 8) >> 63) << 1);
  writeReg(regField, 8, <u64>m);
}

/** 0F C4 PINSRW, 0F C5 PEXTRW. */
function pinsrw(): void {
  const p = pfx();
  decodeModrm();
  if (p != P_NONE && p != P_66) { raiseUD(); return; }
  if (p == P_NONE ? !mmxOk() : !sseOk()) return;
  const imm = fetch8();
  if (fault) return;
  const v = isMem ? read16(eaLinear()) : readReg(rmField, 2);
  if (fault) return;
  if (p == P_NONE) {
    const d = mmPtr(regField);
    store<u16>(d + 2 * (imm & 3), <u16>v);
    store<u16>(d + 8, 0xffff);
    mmxEnter();
  } else store<u16>(xmmPtr(regField) + 2 * (imm & 7), <u16>v);
}
function pextrwC5(): void {
  const p = pfx();
  decodeModrm();
  if (isMem || (p != P_NONE && p != P_66)) { raiseUD(); return; }
  if (p == P_NONE ? !mmxOk() : !sseOk()) return;
  const imm = fetch8();
  if (fault) return;
  const v = p == P_NONE ? load<u16>(mmPtr(rmField) + 2 * (imm & 3)) : load<u16>(xmmPtr(rmField) + 2 * (imm & 7));
  writeReg(regField, 8, <u64>v);
  if (p == P_NONE) mmxEnter();
}

/** 0F 2B MOVNTPS/PD, 0F E7 MOVNTQ/MOVNTDQ, 0F C3 MOVNTI (memory destinations only). */
function movnt(op: u32): void {
  const p = pfx();
  decodeModrm();
  if (!isMem) { raiseUD(); return; }
  if (op == 0xc3) {
    if (p != P_NONE) { raiseUD(); return; }
    const size = rexW ? 8 : 4;
    writeN(eaLinear(), size, readReg(regField, size));
    return;
  }
  if (op == 0xe7 && p == P_NONE) {
    if (!mmxOk()) return;
    write64(eaLinear(), getMm(regField));
    if (!fault) mmxEnter();
    return;
  }
  if ((op == 0x2b && p != P_NONE && p != P_66) || (op == 0xe7 && p != P_66)) { raiseUD(); return; }
  if (!sseOk()) return;
  const lin = eaAligned(true);
  if (fault) return;
  store128(lin, xmmPtr(regField));
}

/** 0F F7 MASKMOVQ / MASKMOVDQU: byte-masked store to DS:[rDI]. */
function maskmov(): void {
  const p = pfx();
  decodeModrm();
  if (!isMem == false || (p != P_NONE && p != P_66)) { raiseUD(); return; }
  const n = p == P_NONE ? 8 : 16;
  if (p == P_NONE ? !mmxOk() : !sseOk()) return;
  const s = p == P_NONE ? mmPtr(regField) : xmmPtr(regField);
  const m = p == P_NONE ? mmPtr(rmField) : xmmPtr(rmField);
  const lin = maskmovBase();
  // check every selected byte is writable before storing any
  for (let i = 0; i < n; i++) {
    if ((load<u8>(m + i) & 0x80) != 0) { const b = read8(lin + <u64>i); if (fault) return; write8(lin + <u64>i, b); if (fault) return; }
  }
  for (let i = 0; i < n; i++) {
    if ((load<u8>(m + i) & 0x80) != 0) { write8(lin + <u64>i, <u64>load<u8>(s + i)); if (fault) return; }
  }
  if (p == P_NONE) mmxEnter();
}
import { linear, adsize, segOverride } from "../cpu/decode";
import { reg64 } from "../cpu/state";
import { SEG_DS } from "../layout";
function maskmovBase(): u64 {
  let off = reg64(7);
  if (adsize == 4) off &= 0xffffffff; else if (adsize == 2) off &= 0xffff;
  return linear(segOverride >= 0 ? segOverride : SEG_DS, off);
}

// ---- the 0F map ----
export function sseTwoByte(op: u32): bool {
  switch (op) {
    case 0x0e: raiseUD(); return true; // FEMMS (3DNow!): #UD on this CPU
    case 0x10: case 0x11: case 0x28: case 0x29: movVec(op); return true;
    case 0x12: case 0x13: case 0x16: case 0x17: movHalf(op); return true;
    case 0x14: case 0x15: unpckp(op); return true;
    case 0x2a: cvt2A(); return true;
    case 0x2b: case 0xe7: case 0xc3: movnt(op); return true;
    case 0x2c: case 0x2d: cvt2C(op == 0x2c); return true;
    case 0x2e: case 0x2f: fpComi(op == 0x2f); return true;
    case 0x50: movmsk(op); return true;
    case 0x51: fpArith(F_SQRT); return true;
    case 0x52: case 0x53: fpRcp(op == 0x52); return true;
    case 0x54: logicPs(I.PAND); return true;
    case 0x55: logicPs(I.PANDN); return true;
    case 0x56: logicPs(I.POR); return true;
    case 0x57: logicPs(I.PXOR); return true;
    case 0x58: fpArith(F_ADD); return true;
    case 0x59: fpArith(F_MUL); return true;
    case 0x5a: cvt5A(); return true;
    case 0x5b: cvt5B(); return true;
    case 0x5c: fpArith(F_SUB); return true;
    case 0x5d: fpArith(F_MIN); return true;
    case 0x5e: fpArith(F_DIV); return true;
    case 0x5f: fpArith(F_MAX); return true;
    case 0x60: unpackInsn(1, false, true); return true;
    case 0x61: unpackInsn(2, false, true); return true;
    case 0x62: unpackInsn(4, false, true); return true;
    case 0x63: packInsn(0, true); return true;
    case 0x64: intBinop(I.PCMPGTB, true); return true;
    case 0x65: intBinop(I.PCMPGTW, true); return true;
    case 0x66: intBinop(I.PCMPGTD, true); return true;
    case 0x67: packInsn(1, true); return true;
    case 0x68: unpackInsn(1, true, true); return true;
    case 0x69: unpackInsn(2, true, true); return true;
    case 0x6a: unpackInsn(4, true, true); return true;
    case 0x6b: packInsn(2, true); return true;
    case 0x6c: unpackInsn(8, false, false); return true;
    case 0x6d: unpackInsn(8, true, false); return true;
    case 0x6e: movdTo(); return true;
    case 0x6f: case 0x7f: movVec(op); return true;
    case 0x70: pshuf(); return true;
    case 0x71: case 0x72: case 0x73: shiftImmGroup(op); return true;
    case 0x74: intBinop(I.PCMPEQB, true); return true;
    case 0x75: intBinop(I.PCMPEQW, true); return true;
    case 0x76: intBinop(I.PCMPEQD, true); return true;
    case 0x77: emms(); return true;
    case 0x7c: case 0x7d: fpHorizontal(op == 0x7d); return true;
    case 0x7e: movdFrom(); return true;
    case 0xc2: fpCmp(); return true;
    case 0xc4: pinsrw(); return true;
    case 0xc5: pextrwC5(); return true;
    case 0xc6: shufp(); return true;
    case 0xd0: fpAddSub(); return true;
    case 0xd1: shiftInsn(2, 1); return true;
    case 0xd2: shiftInsn(4, 1); return true;
    case 0xd3: shiftInsn(8, 1); return true;
    case 0xd4: intBinop(I.PADDQ, true); return true;
    case 0xd5: intBinop(I.PMULLW, true); return true;
    case 0xd6: movqD6(); return true;
    case 0xd7: movmsk(op); return true;
    case 0xd8: intBinop(I.PSUBUSB, true); return true;
    case 0xd9: intBinop(I.PSUBUSW, true); return true;
    case 0xda: intBinop(I.PMINUB, true); return true;
    case 0xdb: intBinop(I.PAND, true); return true;
    case 0xdc: intBinop(I.PADDUSB, true); return true;
    case 0xdd: intBinop(I.PADDUSW, true); return true;
    case 0xde: intBinop(I.PMAXUB, true); return true;
    case 0xdf: intBinop(I.PANDN, true); return true;
    case 0xe0: intBinop(I.PAVGB, true); return true;
    case 0xe1: shiftInsn(2, 2); return true;
    case 0xe2: shiftInsn(4, 2); return true;
    case 0xe3: intBinop(I.PAVGW, true); return true;
    case 0xe4: intBinop(I.PMULHUW, true); return true;
    case 0xe5: intBinop(I.PMULHW, true); return true;
    case 0xe6: cvtE6(); return true;
    case 0xe8: intBinop(I.PSUBSB, true); return true;
    case 0xe9: intBinop(I.PSUBSW, true); return true;
    case 0xea: intBinop(I.PMINSW, true); return true;
    case 0xeb: intBinop(I.POR, true); return true;
    case 0xec: intBinop(I.PADDSB, true); return true;
    case 0xed: intBinop(I.PADDSW, true); return true;
    case 0xee: intBinop(I.PMAXSW, true); return true;
    case 0xef: intBinop(I.PXOR, true); return true;
    case 0xf0: lddqu(); return true;
    case 0xf1: shiftInsn(2, 0); return true;
    case 0xf2: shiftInsn(4, 0); return true;
    case 0xf3: shiftInsn(8, 0); return true;
    case 0xf4: intBinop(I.PMULUDQ, true); return true;
    case 0xf5: intBinop(I.PMADDWD, true); return true;
    case 0xf6: intBinop(I.PSADBW, true); return true;
    case 0xf7: maskmov(); return true;
    case 0xf8: intBinop(I.PSUBB, true); return true;
    case 0xf9: intBinop(I.PSUBW, true); return true;
    case 0xfa: intBinop(I.PSUBD, true); return true;
    case 0xfb: intBinop(I.PSUBQ, true); return true;
    case 0xfc: intBinop(I.PADDB, true); return true;
    case 0xfd: intBinop(I.PADDW, true); return true;
    case 0xfe: intBinop(I.PADDD, true); return true;
  }
  return false;
}

function emms(): void {
  if (pfx() != P_NONE) { raiseUD(); return; }
  if (!mmxOk()) return;
  store<u8>(cpu + V_FXSAVE + FX_FTW, 0);
}

function lddqu(): void {
  const p = pfx();
  decodeModrm();
  if (p != P_F2 || !isMem) { raiseUD(); return; }
  if (!sseOk()) return;
  if (!loadSrcX(16, false)) return;
  copy16(xmmPtr(regField), SRC);
}

// ---- 0F 38 ----
function ssse3(id: i32): void {
  // the MMX (no prefix) and XMM (66) forms of the SSSE3 lane operations
  if (!beginVec(true)) return;
  if (!srcVec()) return;
  switch (id) {
    case 0x00: I.pshufb(D, SRC, W); break;
    case 0x01: I.horiz(D, SRC, W, 2, 0); break;
    case 0x02: I.horiz(D, SRC, W, 4, 0); break;
    case 0x03: I.horiz(D, SRC, W, 2, 2); break;
    case 0x04: I.binop(I.PMADDUBSW, D, SRC, W); break;
    case 0x05: I.horiz(D, SRC, W, 2, 1); break;
    case 0x06: I.horiz(D, SRC, W, 4, 1); break;
    case 0x07: I.horiz(D, SRC, W, 2, 3); break;
    case 0x08: I.binop(I.PSIGNB, D, SRC, W); break;
    case 0x09: I.binop(I.PSIGNW, D, SRC, W); break;
    case 0x0a: I.binop(I.PSIGND, D, SRC, W); break;
    case 0x0b: I.binop(I.PMULHRSW, D, SRC, W); break;
    case 0x1c: I.pabs(SRC, W, 1); break;
    case 0x1d: I.pabs(SRC, W, 2); break;
    default: I.pabs(SRC, W, 4); break;
  }
  finishVec();
}

/** 66 0F 38 xx SSE4.1 forms on xmm, xmm/m128. */
function sse41(op: u32): void {
  if (!beginVec(false)) return;
  const d = D;
  if ((op >= 0x20 && op <= 0x25) || (op >= 0x30 && op <= 0x35)) {
    // PMOVSX/ZX: source is m16/m32/m64 by the element count
    const k = op & 0xf;
    const from = k <= 2 ? 1 : k <= 4 ? 2 : 4;
    const to2 = k == 0 ? 2 : k == 1 ? 4 : k == 2 ? 8 : k == 3 ? 4 : k == 4 ? 8 : 8;
    const srcBytes = (16 / to2) * from;
    if (!loadSrcX(srcBytes, false)) return;
    I.pmovx(SRC, from, to2, op < 0x30);
    copy16(d, RES);
    return;
  }
  if (op == 0x2a) { // MOVNTDQA xmm, m128
    if (!isMem) { raiseUD(); return; }
    if (!loadSrcX(16, true)) return;
    copy16(d, SRC);
    return;
  }
  if (!loadSrcX(16, true)) return;
  switch (op) {
    case 0x10: case 0x14: case 0x15: {
      // PBLENDVB / BLENDVPS / BLENDVPD with the implicit mask XMM0
      const m = xmmPtr(0);
      const sz = op == 0x10 ? 1 : op == 0x14 ? 4 : 8;
      for (let i = 0; i < 16; i += sz) {
        const sel = (load<u8>(m + i + sz - 1) & 0x80) != 0;
        for (let j = 0; j < sz; j++) store<u8>(RES + i + j, load<u8>((sel ? SRC : d) + i + j));
      }
      break;
    }
    case 0x17: { // PTEST
      const a0 = load<u64>(d), a1 = load<u64>(d + 8), b0 = load<u64>(SRC), b1 = load<u64>(SRC + 8);
      const zf = ((a0 & b0) | (a1 & b1)) == 0;
      const cf = ((~a0 & b0) | (~a1 & b1)) == 0;
      setFlagsPtest(zf, cf);
      return;
    }
    case 0x28: I.binop(I.PMULDQ, d, SRC, 16); break;
    case 0x29: I.binop(I.PCMPEQQ, d, SRC, 16); break;
    case 0x2b: I.pack(d, SRC, 16, 3); break;
    case 0x37: I.binop(I.PCMPGTQ, d, SRC, 16); break;
    case 0x38: I.binop(I.PMINSB, d, SRC, 16); break;
    case 0x39: I.binop(I.PMINSD, d, SRC, 16); break;
    case 0x3a: I.binop(I.PMINUW, d, SRC, 16); break;
    case 0x3b: I.binop(I.PMINUD, d, SRC, 16); break;
    case 0x3c: I.binop(I.PMAXSB, d, SRC, 16); break;
    case 0x3d: I.binop(I.PMAXSD, d, SRC, 16); break;
    case 0x3e: I.binop(I.PMAXUW, d, SRC, 16); break;
    case 0x3f: I.binop(I.PMAXUD, d, SRC, 16); break;
    case 0x40: I.binop(I.PMULLD, d, SRC, 16); break;
    case 0x41: I.phminposuw(SRC); break;
    default: raiseUD(); return;
  }
  copy16(d, RES);
}

import { setStatusFlags } from "../cpu/flags";
import { RFLAGS_CF, RFLAGS_ZF } from "../layout";
function setFlagsPtest(zf: bool, cf: bool): void {
  setStatusFlags((zf ? RFLAGS_ZF : 0) | (cf ? RFLAGS_CF : 0), 0x8d5);
}

/** F2 0F 38 F0/F1 CRC32 r32/64, r/m8/16/32/64. */
function crc32Insn(op: u32): void {
  decodeModrm();
  const size = op == 0xf0 ? 1 : rexW ? 8 : opsize == 2 ? 2 : 4;
  const v = isMem ? readN(eaLinear(), size) : readReg(size == 1 ? regIndexByte(rmField) : rmField, size);
  if (fault) return;
  const c = I.crc32c(<u32>readReg(regField, 4), v, size);
  writeReg(regField, rexW ? 8 : 4, <u64>c);
}
import { regIndex } from "../cpu/decode";
@inline function regIndexByte(r: i32): i32 { return regIndex(r, 1); }

export function sse0F38(op: u32): bool {
  if (op == 0xf0 || op == 0xf1) {
    if (rep == 0xf2) { crc32Insn(op); return true; }
    return false;
  }
  if (op <= 0x0b || (op >= 0x1c && op <= 0x1e)) { ssse3(<i32>op); return true; }
  if (op == 0x10 || op == 0x14 || op == 0x15 || op == 0x17 || (op >= 0x20 && op <= 0x25) || (op >= 0x28 && op <= 0x2b) ||
      (op >= 0x30 && op <= 0x35) || (op >= 0x37 && op <= 0x41)) { sse41(op); return true; }
  return false;
}
import { rep } from "../cpu/decode";

// ---- 0F 3A ----
function palignrInsn(): void {
  if (!beginVec(true)) return;
  const imm = fetch8();
  if (fault || !srcVec()) return;
  I.palignr(D, SRC, W, <i32>imm);
  finishVec();
}

function blendImm(op: u32): void {
  if (!beginVec(false)) return;
  const imm = fetch8();
  if (fault || !loadSrcX(16, true)) return;
  const sz = op == 0x0c ? 4 : op == 0x0d ? 8 : 2;
  for (let i = 0, k = 0; i < 16; i += sz, k++) {
    const sel = ((imm >> k) & 1) != 0;
    for (let j = 0; j < sz; j++) store<u8>(RES + i + j, load<u8>((sel ? SRC : D) + i + j));
  }
  copy16(D, RES);
}

/** PEXTRB/PEXTRW/PEXTRD/PEXTRQ/EXTRACTPS r/m, xmm, imm8. */
function pextr(op: u32): void {
  if (!beginVec(false)) return;
  const imm = <i32>fetch8();
  if (fault) return;
  const s = xmmPtr(regField);
  let size = 4;
  let v: u64 = 0;
  if (op == 0x14) { size = 1; v = <u64>load<u8>(s + (imm & 15)); }
  else if (op == 0x15) { size = 2; v = <u64>load<u16>(s + 2 * (imm & 7)); }
  else if (op == 0x16 && rexW) { size = 8; v = load<u64>(s + 8 * (imm & 1)); }
  else v = <u64>load<u32>(s + 4 * (imm & 3));
  if (isMem) { writeN(eaLinear(), size, v); return; }
  writeReg(rmField, size == 8 ? 8 : 4, v); // register destinations are zero-extended (64-bit for 32-bit forms)
}

/** PINSRB / INSERTPS / PINSRD / PINSRQ. */
function pinsr(op: u32): void {
  if (!beginVec(false)) return;
  const imm = <i32>fetch8();
  if (fault) return;
  const d = D;
  if (op == 0x21) {
    // INSERTPS
    let v: u32;
    if (isMem) { v = <u32>read32(eaLinear()); if (fault) return; }
    else v = load<u32>(xmmPtr(rmField) + 4 * ((imm >> 6) & 3));
    store<u32>(d + 4 * ((imm >> 4) & 3), v);
    for (let i = 0; i < 4; i++) if (((imm >> i) & 1) != 0) store<u32>(d + 4 * i, 0);
    return;
  }
  const size = op == 0x20 ? 1 : rexW ? 8 : 4;
  const v = isMem ? readN(eaLinear(), size) : readReg(rmField, size == 1 ? 4 : size);
  if (fault) return;
  if (size == 1) store<u8>(d + (imm & 15), <u8>v);
  else if (size == 4) store<u32>(d + 4 * (imm & 3), <u32>v);
  else store<u64>(d + 8 * (imm & 1), v);
}

function mpsadbwInsn(): void {
  if (!beginVec(false)) return;
  const imm = <i32>fetch8();
  if (fault || !loadSrcX(16, true)) return;
  I.mpsadbw(D, SRC, imm);
  copy16(D, RES);
}

export function sse0F3A(op: u32): bool {
  switch (op) {
    case 0x0f: palignrInsn(); return true;
    case 0x08: case 0x09: case 0x0a: case 0x0b: fpRound(op); return true;
    case 0x0c: case 0x0d: case 0x0e: blendImm(op); return true;
    case 0x14: case 0x15: case 0x16: case 0x17: pextr(op); return true;
    case 0x20: case 0x21: case 0x22: pinsr(op); return true;
    case 0x40: case 0x41: fpDot(op == 0x41); return true;
    case 0x42: mpsadbwInsn(); return true;
    case 0x60: case 0x61: case 0x62: case 0x63: pcmpstr(op); return true;
  }
  return false;
}

/** 0F AE memory forms /2 LDMXCSR, /3 STMXCSR (ModRM already decoded); /0 /1 go to the x87 engine. */
export function fxGroup15(reg: i32): bool {
  if (reg == 0 || reg == 1) return x87FxsaveFxrstor(reg == 0);
  if (reg == 2 || reg == 3) {
    if (pfx() != P_NONE) { raiseUD(); return true; }
    if (!sseOk()) return true;
    const lin = eaLinear();
    if (reg == 2) {
      const v = <u32>read32(lin);
      if (fault) return true;
      if ((v & 0xffff0000) != 0) { raiseGP(0); return true; }
      setMxcsr(v);
    } else write32(lin, <u64>mxcsr());
    return true;
  }
  return false;
}

export { unimplemented, AUX, P_F2, read64, write16, writeN, readN };
