// Bit instructions: BT/BTS/BTR/BTC (register, immediate and memory bit-string forms), BSF/BSR,
// TZCNT/LZCNT/POPCNT, BSWAP, MOVBE.
import { setFlagBit, setStatusFlags, STATUS_FLAGS, sizeMask } from "../cpu/flags";
import { RFLAGS_CF, RFLAGS_ZF } from "../layout";
import { fault, raiseUD } from "../cpu/fault";
import { reg64, setReg64, reg32, setReg32, readReg, writeReg } from "../cpu/state";
import {
  decodeModrm, readE, writeE, readG, writeG, regField, rmField, fetch8, opsize, adsize, isMem, eaSeg,
  effectiveOffset, linear, lock, rep, regIndex, rexB,
} from "../cpu/decode";
import { readN, writeN, probeWrite, atomicHost } from "../cpu/mmu";
import { atomicBits, BIT_OR, BIT_AND, BIT_XOR } from "../cpu/atomics";

/** op: 0 BT, 1 BTS, 2 BTR, 3 BTC. `imm` selects the 0F BA form (offset from imm8, no address adjust). */
function bitOp(op: i32, imm: bool): void {
  const size = opsize;
  const bits = size << 3;
  let offset: u64;
  if (imm) offset = <u64>fetch8();
  else offset = readG(size);
  if (fault) return;
  if (lock && (!isMem || op == 0)) { raiseUD(); return; }
  if (!isMem) {
    const idx = regIndex(rmField, size);
    const v = readReg(idx, size);
    const bit = offset & <u64>(bits - 1);
    const r = bitOpValue(op, v, <u64>1 << bit);
    if (op != 0) writeReg(idx, size, r);
    return;
  }
  // Memory: the bit string starts at the operand; a register offset is signed and selects the
  // operand-sized word holding the bit. The whole word is accessed, as hardware does.
  let off = effectiveOffset();
  let bit: u64;
  if (imm) {
    bit = offset & <u64>(bits - 1);
  } else {
    const sh = <u64>(64 - bits);
    const signed = (<i64>(offset << sh)) >> sh;
    off += <u64>((signed >> <i64>(bits == 16 ? 4 : bits == 32 ? 5 : 6)) * <i64>size);
    bit = <u64>signed & <u64>(bits - 1);
  }
  if (adsize == 4) off &= 0xffffffff; else if (adsize == 2) off &= 0xffff;
  const lin = linear(eaSeg, off);
  const mask: u64 = <u64>1 << bit;
  if (op == 0) {
    const v = readN(lin, size);
    if (fault) return;
    setFlagBit(RFLAGS_CF, (v & mask) != 0);
    return;
  }
  if (lock) {
    const h = atomicHost(lin, size);
    if (fault) return;
    if (h != 0) { setFlagBit(RFLAGS_CF, (atomicBitOp(h, size, op, mask) & mask) != 0); return; }
  }
  probeWrite(lin, size);
  const v = readN(lin, size);
  if (fault) return;
  writeN(lin, size, bitOpValue(op, v, mask));
}

/** CF = the bit of `v` in `mask`; returns `v` with that bit set (1), cleared (2), flipped (3) or kept (0 BT). */
export function bitOpValue(op: i32, v: u64, mask: u64): u64 {
  setFlagBit(RFLAGS_CF, (v & mask) != 0);
  return op == 1 ? (v | mask) : op == 2 ? (v & ~mask) : op == 3 ? (v ^ mask) : v;
}

/** Atomic BTS/BTR/BTC on the word at host address h; returns the old value. */
function atomicBitOp(h: usize, size: i32, op: i32, mask: u64): u64 {
  return op == 1 ? atomicBits(h, size, BIT_OR, mask) : op == 2 ? atomicBits(h, size, BIT_AND, ~mask) : atomicBits(h, size, BIT_XOR, mask);
}

/** 0F A3 BT, 0F AB BTS, 0F B3 BTR, 0F BB BTC. */
export function btG(opcode: u32): void {
  decodeModrm();
  bitOp(<i32>((opcode >> 3) & 3), false);
}

/** 0F BA group 8: /4 BT, /5 BTS, /6 BTR, /7 BTC with imm8. */
export function group8(): boolean {
  decodeModrm();
  const op = regField & 7;
  if (op < 4) return false;
  bitOp(op - 4, true);
  return true;
}

/** 0F BC BSF / F3 0F BC TZCNT, 0F BD BSR / F3 0F BD LZCNT. */
export function bitScan(opcode: u32): void {
  decodeModrm();
  const size = opsize;
  const v = readE(size) & sizeMask(size);
  if (fault) return;
  const kind = (rep == 0xf3 ? SCAN_TZCNT : SCAN_BSF) + <i32>(opcode & 1);
  const n = bitScanValue(kind, size, v);
  if (v != 0 || kind >= SCAN_TZCNT) writeG(size, n); // BSF/BSR of 0 leave the destination unchanged
}

/** F3 0F B8 POPCNT. */
export function popcntG(): void {
  decodeModrm();
  const v = readE(opsize) & sizeMask(opsize);
  if (fault) return;
  writeG(opsize, bitScanValue(SCAN_POPCNT, opsize, v));
}

export const SCAN_BSF = 0;
export const SCAN_BSR = 1;
export const SCAN_TZCNT = 2;
export const SCAN_LZCNT = 3;
export const SCAN_POPCNT = 4;

/** The count `kind` makes of `v` (zero-extended from `size`), with the flags set. */
export function bitScanValue(kind: i32, size: i32, v: u64): u64 {
  const bits = <u64>(size << 3);
  if (kind == SCAN_POPCNT) {
    setStatusFlags(v == 0 ? RFLAGS_ZF : 0, STATUS_FLAGS);
    return popcnt<u64>(v);
  }
  if (kind >= SCAN_TZCNT) {
    const n: u64 = v == 0 ? bits : kind == SCAN_TZCNT ? ctz<u64>(v) : <u64>clz<u64>(v) - (64 - bits);
    setStatusFlags((v == 0 ? RFLAGS_CF : 0) | (n == 0 ? RFLAGS_ZF : 0), RFLAGS_CF | RFLAGS_ZF);
    return n;
  }
  if (v == 0) { setStatusFlags(RFLAGS_ZF, STATUS_FLAGS); return 0; }
  setStatusFlags(0, STATUS_FLAGS);
  return kind == SCAN_BSF ? ctz<u64>(v) : 63 - clz<u64>(v);
}

/** 0F C8+r BSWAP. */
export function bswapReg(opcode: u32): void {
  const r = <i32>(opcode & 7) | rexB;
  if (opsize == 8) setReg64(r, bswap<u64>(reg64(r)));
  else if (opsize == 4) setReg32(r, bswap<u32>(reg32(r)));
  else writeReg(r, 2, 0); // BSWAP of a 16-bit register is undefined; hardware yields zero
}

/** 0F 38 F0/F1 MOVBE. */
export function movbe(opcode: u32): void {
  decodeModrm();
  if (!isMem) { raiseUD(); return; }
  const size = opsize;
  if (opcode == 0xf0) {
    const v = readE(size);
    if (fault) return;
    writeG(size, swapN(v, size));
  } else {
    writeE(size, swapN(readG(size), size));
  }
}

function swapN(v: u64, size: i32): u64 {
  if (size == 8) return bswap<u64>(v);
  if (size == 4) return <u64>bswap<u32>(<u32>v);
  return <u64>bswap<u16>(<u16>v);
}
