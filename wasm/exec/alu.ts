// Integer arithmetic: the eight ALU operations, INC/DEC/NEG/NOT, MUL/IMUL/DIV/IDIV, and the LOCK
// read-modify-write path that keeps locked memory operations atomic in shared wasm memory.
import {
  setLazy, setResultFlags, setIncDec, setIncDecCarry, getCF, lzA, lzRes, sizeMask, signBit,
  FL_ADD, FL_ADC, FL_SUB, FL_SBB, FL_LOGIC, FL_INC, FL_DEC, FL_NEG,
} from "../cpu/flags";
import { fault, raise, raiseUD, EXC_DE } from "../cpu/fault";
import { readReg, writeReg } from "../cpu/state";
import {
  decodeModrm, readE, writeE, readG, writeG, isMem, eaLinear, lock, regField, fetchImm, fetchS8, fetchImmZ,
  opsize, rmField, regIndex,
} from "../cpu/decode";
import { readN, writeN, probeWrite, atomicHost } from "../cpu/mmu";
import { atomicLoad, atomicCas, atomicBits, BIT_XOR } from "../cpu/atomics";

export const ALU_ADD = 0;
export const ALU_OR = 1;
export const ALU_ADC = 2;
export const ALU_SBB = 3;
export const ALU_AND = 4;
export const ALU_SUB = 5;
export const ALU_XOR = 6;
export const ALU_CMP = 7;

/** Compute a op b at `size` bytes, set the lazy flags, return the (masked) result. */
export function aluOp(op: i32, a: u64, b: u64, size: i32): u64 {
  const m = sizeMask(size);
  let r: u64;
  switch (op) {
    case ALU_ADD: r = (a + b) & m; setLazy(FL_ADD, a & m, b & m, r, size); break;
    case ALU_OR: r = (a | b) & m; setLazy(FL_LOGIC, a, b, r, size); break;
    case ALU_ADC: {
      const c: u64 = getCF() ? 1 : 0;
      r = (a + b + c) & m; setLazy(c != 0 ? FL_ADC : FL_ADD, a & m, b & m, r, size); break;
    }
    case ALU_SBB: {
      const c: u64 = getCF() ? 1 : 0;
      r = (a - b - c) & m; setLazy(c != 0 ? FL_SBB : FL_SUB, a & m, b & m, r, size); break;
    }
    case ALU_AND: r = (a & b) & m; setLazy(FL_LOGIC, a, b, r, size); break;
    case ALU_XOR: r = (a ^ b) & m; setLazy(FL_LOGIC, a, b, r, size); break;
    default: r = (a - b) & m; setLazy(FL_SUB, a & m, b & m, r, size); break; // SUB, CMP
  }
  return r;
}

/**
 * Apply `op` with operand `b` to the r/m destination. Memory destinations under LOCK use a
 * compare-and-swap loop on naturally aligned data so another vCPU never sees a torn update.
 */
export function aluToE(op: i32, b: u64, size: i32): void {
  if (!isMem) {
    const idx = regIndex(rmField, size);
    const r = aluOp(op, readReg(idx, size), b, size);
    if (op != ALU_CMP) writeReg(idx, size, r);
    return;
  }
  const lin = eaLinear();
  if (op == ALU_CMP) { const a = readN(lin, size); if (!fault) aluOp(op, a, b, size); return; }
  if (lock) {
    const h = atomicHost(lin, size);
    if (fault) return;
    if (h != 0) { lockedRmw(h, size, op, b); return; }
  }
  probeWrite(lin, size);
  if (fault) return;
  const a = readN(lin, size);
  if (fault) return;
  writeN(lin, size, aluOp(op, a, b, size));
}

function lockedRmw(h: usize, size: i32, op: i32, b: u64): void {
  while (true) {
    const old = atomicLoad(h, size);
    const r = aluOp(op, old, b, size);
    if (atomicCas(h, size, old, r) == old) return;
  }
}

/** Opcodes 00..3F: forms 0..5 of the eight ALU operations. */
export function aluForm(opcode: u32): void {
  const op = <i32>((opcode >> 3) & 7);
  const form = opcode & 7;
  const size = (form & 1) == 0 ? 1 : opsize;
  if (form <= 1) { // Eb,Gb / Ev,Gv
    decodeModrm();
    if (lock && !isMem) { raiseUD(); return; }
    const b = readG(size);
    aluToE(op, b, size);
  } else if (form <= 3) { // Gb,Eb / Gv,Ev
    decodeModrm();
    if (lock) { raiseUD(); return; }
    const b = readE(size);
    if (fault) return;
    const r = aluOp(op, readG(size), b, size);
    if (op != ALU_CMP) writeG(size, r);
  } else { // AL,Ib / eAX,Iz
    if (lock) { raiseUD(); return; }
    const b = fetchImm(size);
    if (fault) return;
    const r = aluOp(op, readReg(0, size), b, size);
    if (op != ALU_CMP) writeReg(0, size, r);
  }
}

/** 80, 81, 83: group 1, r/m with an immediate. */
export function group1(opcode: u32): void {
  const size = opcode == 0x80 ? 1 : opsize;
  decodeModrm();
  const op = regField & 7;
  const b = opcode == 0x83 ? fetchS8() & sizeMask(size) : fetchImm(size);
  if (fault) return;
  if (lock && (!isMem || op == ALU_CMP)) { raiseUD(); return; }
  aluToE(op, b, size);
}

/** INC/DEC on the r/m operand (FE/FF /0 /1) or a register (40..4F outside 64-bit mode). */
export function incDecE(size: i32, dec: bool): void {
  if (lock && !isMem) { raiseUD(); return; }
  const op = dec ? FL_DEC : FL_INC;
  const m = sizeMask(size);
  if (isMem) {
    const lin = eaLinear();
    if (lock) {
      const h = atomicHost(lin, size);
      if (fault) return;
      if (h != 0) {
        // INC/DEC keep CF: capture it, let the CAS loop run as ADD/SUB 1, then restate the flags.
        const cf = getCF();
        lockedRmw(h, size, dec ? ALU_SUB : ALU_ADD, 1);
        setIncDecCarry(op, lzA, lzRes, size, cf);
        return;
      }
    }
    probeWrite(lin, size);
    if (fault) return;
    const a = readN(lin, size);
    if (fault) return;
    const r = (dec ? a - 1 : a + 1) & m;
    writeN(lin, size, r);
    setIncDec(op, a, r, size);
    return;
  }
  const idx = regIndex(rmField, size);
  const a = readReg(idx, size);
  const r = (dec ? a - 1 : a + 1) & m;
  writeReg(idx, size, r);
  setIncDec(op, a, r, size);
}

/** F6/F7 group 3: TEST, NOT, NEG, MUL, IMUL, DIV, IDIV. */
export function group3(opcode: u32): void {
  const size = opcode == 0xf6 ? 1 : opsize;
  decodeModrm();
  const op = regField & 7;
  if (lock && (!isMem || !(op == 2 || op == 3))) { raiseUD(); return; }
  switch (op) {
    case 0: case 1: { // TEST r/m, imm
      const b = fetchImm(size);
      const a = readE(size);
      if (fault) return;
      aluOp(ALU_AND, a, b, size);
      return;
    }
    case 2: { // NOT (no flags)
      if (isMem && lock) {
        const h = atomicHost(eaLinear(), size);
        if (fault) return;
        if (h != 0) { lockedNot(h, size); return; }
      }
      if (isMem) probeWrite(eaLinear(), size);
      const a = readE(size);
      if (fault) return;
      writeE(size, ~a & sizeMask(size));
      return;
    }
    case 3: { // NEG
      if (isMem && lock) {
        const h = atomicHost(eaLinear(), size);
        if (fault) return;
        if (h != 0) { lockedNeg(h, size); return; }
      }
      if (isMem) probeWrite(eaLinear(), size);
      const a = readE(size);
      if (fault) return;
      const r = (0 - a) & sizeMask(size);
      writeE(size, r);
      setLazy(FL_NEG, a, 0, r, size);
      return;
    }
    case 4: { const b = readE(size); if (!fault) mul(b, size, false); return; }
    case 5: { const b = readE(size); if (!fault) mul(b, size, true); return; }
    case 6: { const b = readE(size); if (!fault) div(b, size, false); return; }
    default: { const b = readE(size); if (!fault) div(b, size, true); return; }
  }
}

function lockedNot(h: usize, size: i32): void { atomicBits(h, size, BIT_XOR, sizeMask(size)); }

function lockedNeg(h: usize, size: i32): void {
  while (true) {
    const old = atomicLoad(h, size);
    const r = (0 - old) & sizeMask(size);
    if (atomicCas(h, size, old, r) == old) { setLazy(FL_NEG, old, 0, r, size); return; }
  }
}

// ---- multiply ----
/** High 64 bits of the unsigned 128-bit product a*b (the low half is a*b). */
export function mulHiU64(a: u64, b: u64): u64 {
  const aLo = a & 0xffffffff, aHi = a >> 32, bLo = b & 0xffffffff, bHi = b >> 32;
  const ll = aLo * bLo, lh = aLo * bHi, hl = aHi * bLo, hh = aHi * bHi;
  const mid = (ll >> 32) + (lh & 0xffffffff) + (hl & 0xffffffff);
  return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}
export function mulHiS64(a: u64, b: u64): u64 {
  let hi = mulHiU64(a, b);
  if (<i64>a < 0) hi -= b;
  if (<i64>b < 0) hi -= a;
  return hi;
}

@inline function sext(v: u64, size: i32): i64 {
  const sh = <u64>(64 - (size << 3));
  return (<i64>(v << sh)) >> sh;
}

/** Results beyond a return value (the JIT reads them too): mulValue's high half or divValue's remainder, and divValue's quotient. */
export let mulDivHi: u64 = 0;
export let mulDivLo: u64 = 0;

/** One-operand MUL/IMUL: rDX:rAX (or AX) = rAX * src. */
function mul(src: u64, size: i32, signed: bool): void {
  const lo = mulValue(readReg(0, size), src, size, signed);
  if (size == 1) { writeReg(0, 2, lo); return; }
  writeReg(0, size, lo);
  writeReg(2, size, mulDivHi);
}

/** a * src at `size` with the flags set: returns the low half (the whole of AX for bytes), the high half in mulDivHi. */
export function mulValue(a: u64, src: u64, size: i32, signed: bool): u64 {
  const m = sizeMask(size);
  if (size == 1) {
    const r: u64 = signed ? <u64>(sext(a, 1) * sext(src, 1)) & 0xffff : (a * src) & 0xffff;
    const over = signed ? sext(r, 2) != sext(r & 0xff, 1) : (r >> 8) != 0;
    setResultFlags(r & 0xff, 1, over, over, false);
    mulDivHi = 0;
    return r;
  }
  let lo: u64, hi: u64;
  if (size == 8) {
    lo = a * src;
    hi = signed ? mulHiS64(a, src) : mulHiU64(a, src);
  } else {
    const p: u64 = signed ? <u64>(sext(a, size) * sext(src, size)) : a * src;
    lo = p & m;
    hi = (p >> (<u64>size << 3)) & m;
  }
  const over = signed ? hi != ((lo & signBit(size)) != 0 ? m : 0) : hi != 0;
  setResultFlags(lo, size, over, over, false);
  mulDivHi = hi;
  return lo;
}

/** Two- and three-operand IMUL: returns the truncated product and sets CF/OF. */
export function imulTrunc(a: u64, b: u64, size: i32): u64 {
  const m = sizeMask(size);
  let r: u64;
  let over: bool;
  if (size == 8) {
    r = a * b;
    const hi = mulHiS64(a, b);
    over = hi != (<i64>r < 0 ? <u64>-1 : 0);
  } else {
    const p = sext(a, size) * sext(b, size);
    r = <u64>p & m;
    over = p != sext(r, size);
  }
  setResultFlags(r, size, over, over, false);
  return r;
}

// ---- divide ----
let qLo: u64 = 0;
let rem: u64 = 0;
/** Unsigned 128/64 division; returns false when the quotient does not fit in 64 bits. */
function divU128(hi: u64, lo: u64, d: u64): bool {
  if (hi >= d) return false;
  if (hi == 0) { qLo = lo / d; rem = lo % d; return true; }
  let r = hi;
  let q: u64 = 0;
  for (let i = 63; i >= 0; i--) {
    const top = r >> 63;
    r = (r << 1) | ((lo >> <u64>i) & 1);
    q <<= 1;
    if (top != 0 || r >= d) { r -= d; q |= 1; }
  }
  qLo = q; rem = r;
  return true;
}

function div(src: u64, size: i32, signed: bool): void {
  if (!divValue(readReg(0, size == 1 ? 2 : size), size == 1 ? 0 : readReg(2, size), src, size, signed)) return;
  if (size == 1) { writeReg(0, 2, (mulDivHi << 8) | mulDivLo); return; }
  writeReg(0, size, mulDivLo);
  writeReg(2, size, mulDivHi);
}

/**
 * hi:lo / src at `size` (for bytes, lo is AX and hi unused): quotient in mulDivLo, remainder in
 * mulDivHi. Returns false after raising #DE (zero divisor, or a quotient that does not fit).
 */
export function divValue(lo: u64, hi: u64, src: u64, size: i32, signed: bool): bool {
  const m = sizeMask(size);
  if ((src & m) == 0) { raise(EXC_DE, -1); return false; }
  let q: u64, r: u64;
  if (size == 1) {
    if (signed) {
      const n = sext(lo, 2), d = sext(src, 1);
      const qs = n / d;
      if (qs > 127 || qs < -128) { raise(EXC_DE, -1); return false; }
      q = <u64>qs & 0xff; r = <u64>(n % d) & 0xff;
    } else {
      const qu = lo / src;
      if (qu > 0xff) { raise(EXC_DE, -1); return false; }
      q = qu; r = lo % src;
    }
  } else if (size == 8) {
    if (!signed) {
      if (!divU128(hi, lo, src)) { raise(EXC_DE, -1); return false; }
      q = qLo; r = rem;
    } else {
      const negN = <i64>hi < 0, negD = <i64>src < 0;
      let nHi = hi, nLo = lo;
      if (negN) { nLo = ~lo + 1; nHi = ~hi + (nLo == 0 ? 1 : 0); }
      const d = negD ? 0 - src : src;
      if (!divU128(nHi, nLo, d)) { raise(EXC_DE, -1); return false; }
      const negQ = negN != negD;
      if (negQ ? qLo > 0x8000000000000000 : qLo > 0x7fffffffffffffff) { raise(EXC_DE, -1); return false; }
      q = negQ ? 0 - qLo : qLo;
      r = negN ? 0 - rem : rem;
    }
  } else {
    const bits = <u64>(size << 3);
    const n = (hi << bits) | lo;
    if (!signed) {
      const qu = n / src;
      if (qu > m) { raise(EXC_DE, -1); return false; }
      q = qu; r = n % src;
    } else {
      const ns = size == 2 ? sext(n, 4) : <i64>n, d = sext(src, size);
      if (d == -1 && ns == i64.MIN_VALUE) { raise(EXC_DE, -1); return false; }
      const qs = ns / d;
      const lim = <i64>1 << <i64>(bits - 1);
      if (qs >= lim || qs < -lim) { raise(EXC_DE, -1); return false; }
      q = <u64>qs & m; r = <u64>(ns % d) & m;
    }
  }
  mulDivLo = q & m;
  mulDivHi = r & m;
  return true;
}

/** 0F AF: IMUL Gv, Ev. */
export function imulGE(): void {
  decodeModrm();
  const b = readE(opsize);
  if (fault) return;
  writeG(opsize, imulTrunc(readG(opsize), b, opsize));
}

/** 69 / 6B: IMUL Gv, Ev, Iz / Ib. */
export function imulGEI(opcode: u32): void {
  decodeModrm();
  const imm = opcode == 0x6b ? fetchS8() : fetchImmZ(opsize);
  const a = readE(opsize);
  if (fault) return;
  writeG(opsize, imulTrunc(a, imm, opsize));
}

