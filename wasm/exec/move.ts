// Data movement: MOV (all forms), MOVZX/MOVSX/MOVSXD, LEA, XCHG, CMOVcc, SETcc, CBW/CWD family,
// LAHF/SAHF, XLAT, CMPXCHG/CMPXCHG8B/CMPXCHG16B, XADD, MOV Sreg.
import { SEG_CS, SEG_SS, RFLAGS_ZF, RFLAGS_CF, RFLAGS_PF, RFLAGS_AF, RFLAGS_SF } from "../layout";
import { cond, getFlags, setStatusFlags, setFlagBit, sizeMask } from "../cpu/flags";
import { fault, raise, raiseUD, EXC_GP } from "../cpu/fault";
import { reg64, setReg64, readReg, writeReg, segSel, mode64 } from "../cpu/state";
import {
  decodeModrm, readE, writeE, readG, writeG, regField, rmField, opsize, adsize, isMem, eaLinear, effectiveOffset,
  fetch8, fetchImm, fetch64, fetch32, fetch16, lock, rex, rexB, regIndex, dataSeg, linear, rep,
} from "../cpu/decode";
import { readN, writeN, probeWrite, atomicHost, read8 } from "../cpu/mmu";
import { aluOp, ALU_CMP, ALU_ADD } from "./alu";
import { atomicXchg, atomicCas, atomicAdd } from "../cpu/atomics";
import { loadSegment } from "../cpu/segments";
import { byteRegOffset } from "../cpu/state";

/** 88..8B: MOV Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev. */
export function movForm(opcode: u32): void {
  const size = (opcode & 1) == 0 ? 1 : opsize;
  decodeModrm();
  if (opcode <= 0x89) writeE(size, readG(size));
  else { const v = readE(size); if (!fault) writeG(size, v); }
}

/** C6/C7 /0: MOV Eb/Ev, imm. */
export function movEI(opcode: u32): boolean {
  const size = opcode == 0xc6 ? 1 : opsize;
  decodeModrm();
  if ((regField & 7) != 0) return false;
  const v = fetchImm(size);
  if (fault) return true;
  writeE(size, v & sizeMask(size));
  return true;
}

/** B0..B7 MOV r8, imm8; B8..BF MOV r, imm (imm64 with REX.W). */
export function movRI(opcode: u32): void {
  const r = <i32>(opcode & 7) | rexB;
  if (opcode < 0xb8) { const v = fetch8(); if (!fault) writeReg(byteRegOffset(r, rex != 0), 1, <u64>v); return; }
  const size = opsize;
  const v: u64 = size == 8 ? fetch64() : size == 4 ? <u64>fetch32() : <u64>fetch16();
  if (!fault) writeReg(r, size, v);
}

/** A0..A3: MOV AL/eAX <-> moffs. */
export function movMoffs(opcode: u32): void {
  const size = (opcode & 1) == 0 ? 1 : opsize;
  const off: u64 = adsize == 8 ? fetch64() : adsize == 4 ? <u64>fetch32() : <u64>fetch16();
  if (fault) return;
  const lin = linear(dataSeg(), off);
  if (opcode <= 0xa1) { const v = readN(lin, size); if (!fault) writeReg(0, size, v); }
  else writeN(lin, size, readReg(0, size));
}

/** 0F B6/B7 MOVZX, 0F BE/BF MOVSX, 63 MOVSXD. */
export function movExtend(srcSize: i32, signed: bool): void {
  decodeModrm();
  const v = readE(srcSize);
  if (fault) return;
  let r = v;
  if (signed) {
    const sh = <u64>(64 - (srcSize << 3));
    r = <u64>((<i64>(v << sh)) >> sh);
  }
  writeG(opsize, r & sizeMask(opsize));
}

/** 8D LEA. */
export function lea(): void {
  decodeModrm();
  if (!isMem) { raiseUD(); return; }
  writeG(opsize, effectiveOffset() & sizeMask(opsize));
}

/** 86/87 XCHG r/m, r (always locked on memory). */
export function xchgForm(opcode: u32): void {
  const size = opcode == 0x86 ? 1 : opsize;
  decodeModrm();
  if (lock && !isMem) { raiseUD(); return; }
  const g = readG(size);
  if (!isMem) {
    const idx = regIndex(rmField, size);
    const e = readReg(idx, size);
    writeReg(idx, size, g);
    writeG(size, e);
    return;
  }
  const lin = eaLinear();
  const h = atomicHost(lin, size);
  if (fault) return;
  let old: u64;
  if (h != 0) {
    old = atomicXchg(h, size, g);
  } else {
    old = readN(lin, size);
    if (fault) return;
    writeN(lin, size, g);
    if (fault) return;
  }
  writeG(size, old);
}

/** 91..97 XCHG rAX, r (90 with REX.B is XCHG rAX, r8). */
export function xchgAx(opcode: u32): void {
  const r = <i32>(opcode & 7) | rexB;
  const size = opsize;
  const a = readReg(0, size);
  writeReg(0, size, readReg(r, size));
  writeReg(r, size, a);
}

/** 0F 40..4F CMOVcc: a 32-bit destination is zero-extended even when the condition is false. */
export function cmov(opcode: u32): void {
  decodeModrm();
  const v = readE(opsize);
  if (fault) return;
  if (cond(<i32>(opcode & 0xf))) writeG(opsize, v);
  else if (opsize == 4) writeG(4, readG(4));
}

/** 0F 90..9F SETcc. */
export function setcc(opcode: u32): void {
  decodeModrm();
  writeE(1, cond(<i32>(opcode & 0xf)) ? 1 : 0);
}

/** 98: CBW/CWDE/CDQE. */
export function cbw(): void {
  const s = opsize;
  const half = s >> 1;
  const v = readReg(0, half);
  const sh = <u64>(64 - (half << 3));
  writeReg(0, s, <u64>((<i64>(v << sh)) >> sh) & sizeMask(s));
}

/** 99: CWD/CDQ/CQO. */
export function cwd(): void {
  const s = opsize;
  const neg = (readReg(0, s) >> <u64>((s << 3) - 1)) & 1;
  writeReg(2, s, neg != 0 ? sizeMask(s) : 0);
}

/** 9E SAHF, 9F LAHF. */
export function sahf(): void {
  const ah = (reg64(0) >> 8) & 0xff;
  setStatusFlags(ah, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF | RFLAGS_CF);
}
export function lahf(): void {
  const f = (getFlags() & 0xd5) | 2;
  setReg64(0, (reg64(0) & ~(<u64>0xff00)) | (f << 8));
}

/** D7 XLAT. */
export function xlat(): void {
  let off = reg64(3) + (reg64(0) & 0xff);
  if (adsize == 4) off &= 0xffffffff; else if (adsize == 2) off &= 0xffff;
  const v = read8(linear(dataSeg(), off));
  if (!fault) writeReg(0, 1, v);
}

/** 0F B0/B1 CMPXCHG. */
export function cmpxchg(opcode: u32): void {
  const size = opcode == 0xb0 ? 1 : opsize;
  decodeModrm();
  if (lock && !isMem) { raiseUD(); return; }
  const acc = readReg(0, size);
  const src = readG(size);
  if (!isMem) {
    const idx = regIndex(rmField, size);
    const d = readReg(idx, size);
    aluOp(ALU_CMP, acc, d, size);
    if (d == acc) writeReg(idx, size, src);
    else { writeReg(idx, size, d); writeReg(0, size, d); } // SDM: DEST <- TEMP on failure too
    return;
  }
  const lin = eaLinear();
  const h = atomicHost(lin, size);
  if (fault) return;
  let d: u64;
  if (h != 0) {
    d = atomicCas(h, size, acc, src);
  } else {
    d = readN(lin, size);
    if (fault) return;
    writeN(lin, size, d == acc ? src : d); // the destination is always written
    if (fault) return;
  }
  aluOp(ALU_CMP, acc, d, size);
  if (d != acc) writeReg(0, size, d);
}

/** 0F C7 /1: CMPXCHG8B / CMPXCHG16B (REX.W). */
export function cmpxchg8b16b(): void {
  if (!isMem) { raiseUD(); return; }
  const lin = eaLinear();
  if (opsize == 8) {
    if ((lin & 15) != 0) { raise(EXC_GP, 0); return; }
    probeWrite(lin, 16);
    const lo = readN(lin, 8), hi = readN(lin + 8, 8);
    if (fault) return;
    const eq = lo == reg64(0) && hi == reg64(2);
    if (eq) { writeN(lin, 8, reg64(3)); writeN(lin + 8, 8, reg64(1)); }
    else { writeN(lin, 8, lo); writeN(lin + 8, 8, hi); }
    if (fault) return;
    if (!eq) { setReg64(0, lo); setReg64(2, hi); }
    setFlagBit(RFLAGS_ZF, eq);
    return;
  }
  const expected = (readReg(2, 4) << 32) | readReg(0, 4);
  const repl = (readReg(1, 4) << 32) | readReg(3, 4);
  const h = atomicHost(lin, 8);
  if (fault) return;
  let d: u64;
  if (h != 0) d = atomicCas(h, 8, expected, repl);
  else {
    d = readN(lin, 8);
    if (fault) return;
    writeN(lin, 8, d == expected ? repl : d);
    if (fault) return;
  }
  const eq = d == expected;
  if (!eq) { writeReg(0, 4, d & 0xffffffff); writeReg(2, 4, d >> 32); }
  setFlagBit(RFLAGS_ZF, eq);
}

/** 0F C0/C1 XADD. */
export function xadd(opcode: u32): void {
  const size = opcode == 0xc0 ? 1 : opsize;
  decodeModrm();
  if (lock && !isMem) { raiseUD(); return; }
  const src = readG(size);
  if (!isMem) {
    const idx = regIndex(rmField, size);
    const d = readReg(idx, size);
    const r = aluOp(ALU_ADD, d, src, size);
    writeG(size, d);
    writeReg(idx, size, r);
    return;
  }
  const lin = eaLinear();
  const h = atomicHost(lin, size);
  if (fault) return;
  let d: u64;
  if (h != 0) {
    d = atomicAdd(h, size, src);
    aluOp(ALU_ADD, d, src, size);
  } else {
    d = readN(lin, size);
    if (fault) return;
    writeN(lin, size, aluOp(ALU_ADD, d, src, size));
    if (fault) return;
  }
  writeG(size, d);
}

/** 8C: MOV Ev, Sreg. */
export function movFromSreg(): void {
  decodeModrm();
  const s = regField & 7;
  if (s > 5) { raiseUD(); return; }
  const v = <u64>segSel(s);
  if (isMem) writeE(2, v); else writeReg(rmField, opsize == 2 ? 2 : opsize, v);
}

/** 8E: MOV Sreg, Ew. Loading CS is #UD; SS starts an interrupt shadow (done by the caller). */
export function movToSreg(): void {
  decodeModrm();
  const s = regField & 7;
  if (s > 5 || s == SEG_CS) { raiseUD(); return; }
  const v = <u32>readE(2);
  if (fault) return;
  loadSegment(s, v);
}

export { SEG_SS, mode64, rep };
