// Shifts and rotates: group 2 (C0 C1 D0 D1 D2 D3), SHLD/SHRD. Count masking and the flags each
// count defines follow the SDM; counts of zero leave flags and destination untouched.
import { setResultFlags, setStatusFlags, getCF, sizeMask, signBit } from "../cpu/flags";
import { RFLAGS_CF, RFLAGS_OF } from "../layout";
import { fault, raiseUD } from "../cpu/fault";
import { readReg } from "../cpu/state";
import { decodeModrm, readE, writeE, readG, regField, fetch8, opsize, isMem, eaLinear, lock } from "../cpu/decode";
import { probeWrite } from "../cpu/mmu";

/** Group 2: op = ModRM.reg; count already fetched (imm8, 1 or CL). */
export function shiftE(size: i32, op: i32, rawCount: u32): void {
  if (lock) { raiseUD(); return; }
  const count = <i32>(rawCount & (size == 8 ? 0x3f : 0x1f));
  if (isMem) probeWrite(eaLinear(), size);
  const a = readE(size);
  if (fault) return;
  if (count == 0) { if (size == 4 && !isMem) writeE(4, a); return; }
  // The destination is known writable (probed), so setting the flags first cannot outlive a fault.
  writeE(size, shiftValue(size, op, a, count));
}

/** Shift or rotate `a` by a nonzero masked `count`; sets the flags, returns the result. */
export function shiftValue(size: i32, op: i32, a: u64, count: i32): u64 {
  const bits = size << 3;
  const m = sizeMask(size);
  const sb = signBit(size);
  let r: u64 = 0;
  let cf: bool = false;
  let ovf: bool = false;
  switch (op) {
    case 0: { // ROL
      const c = <u64>(count % bits);
      r = c == 0 ? a : ((a << c) | (a >> (<u64>bits - c))) & m;
      cf = (r & 1) != 0;
      ovf = ((r & sb) != 0) != cf;
      setStatusFlags((cf ? RFLAGS_CF : 0) | (ovf ? RFLAGS_OF : 0), RFLAGS_CF | RFLAGS_OF);
      return r;
    }
    case 1: { // ROR
      const c = <u64>(count % bits);
      r = c == 0 ? a : ((a >> c) | (a << (<u64>bits - c))) & m;
      cf = (r & sb) != 0;
      ovf = cf != ((r & (sb >> 1)) != 0);
      setStatusFlags((cf ? RFLAGS_CF : 0) | (ovf ? RFLAGS_OF : 0), RFLAGS_CF | RFLAGS_OF);
      return r;
    }
    case 2: case 3: { // RCL, RCR: rotate through CF, modulo bits+1
      const c = count % (bits + 1);
      let carry: u64 = getCF() ? 1 : 0;
      const oldCarry = carry;
      r = a;
      if (op == 2) {
        for (let i = 0; i < c; i++) {
          const out = (r & sb) != 0 ? <u64>1 : 0;
          r = ((r << 1) | carry) & m;
          carry = out;
        }
        ovf = ((r & sb) != 0) != (carry != 0);
      } else {
        ovf = ((a & sb) != 0) != (oldCarry != 0);
        for (let i = 0; i < c; i++) {
          const out = r & 1;
          r = (r >> 1) | (carry != 0 ? sb : 0);
          carry = out;
        }
      }
      setStatusFlags((carry != 0 ? RFLAGS_CF : 0) | (ovf ? RFLAGS_OF : 0), RFLAGS_CF | RFLAGS_OF);
      return r;
    }
    case 4: case 6: { // SHL/SAL
      const c = <u64>count;
      r = c >= <u64>bits ? 0 : (a << c) & m;
      cf = c > <u64>bits ? false : ((a >> (<u64>bits - c)) & 1) != 0;
      ovf = ((r & sb) != 0) != cf;
      break;
    }
    case 5: { // SHR
      const c = <u64>count;
      r = c >= <u64>bits ? 0 : a >> c;
      cf = c > <u64>bits ? false : ((a >> (c - 1)) & 1) != 0;
      ovf = (a & sb) != 0;
      break;
    }
    default: { // SAR
      const sh = <u64>(64 - bits);
      const s = (<i64>(a << sh)) >> sh;
      const c = <u64>(count > bits ? bits : count);
      r = <u64>(c >= 64 ? (s >> 63) : (s >> <i64>c)) & m;
      cf = ((s >> <i64>(c - 1)) & 1) != 0;
      ovf = false;
      break;
    }
  }
  setResultFlags(r, size, cf, ovf, false);
  return r;
}

/** C0/C1 (imm8), D0/D1 (1), D2/D3 (CL). */
export function group2(opcode: u32): void {
  const size = (opcode & 1) == 0 ? 1 : opsize;
  decodeModrm();
  let count: u32;
  if (opcode <= 0xc1) count = fetch8();
  else if (opcode <= 0xd1) count = 1;
  else count = <u32>readReg(1, 2) & 0xff; // CL
  if (fault) return;
  shiftE(size, regField & 7, count);
}

/** SHLD (0F A4/A5) and SHRD (0F AC/AD). */
export function shiftDouble(opcode: u32): void {
  decodeModrm();
  if (lock) { raiseUD(); return; }
  const size = opsize;
  const bits = <u64>(size << 3);
  const raw = (opcode & 1) == 0 ? fetch8() : <u32>readReg(1, 2) & 0xff; // imm8 or CL
  const count = <u64>(raw & (size == 8 ? 0x3f : 0x1f));
  if (isMem) probeWrite(eaLinear(), size);
  const a = readE(size);
  if (fault) return;
  if (count == 0) { if (size == 4 && !isMem) writeE(4, a); return; }
  const b = readG(size);
  const m = sizeMask(size);
  const sb = signBit(size);
  let r: u64;
  let cf: bool;
  const left = opcode < 0xa8;
  if (size == 2 && count > 16) {
    // Result and flags are undefined (SDM); shift the 48-bit chain dst:src:dst, as Intel parts do.
    const chain: u64 = left ? ((a << 32) | (b << 16) | a) : ((a << 32) | (b << 16) | a);
    if (left) { r = (chain >> (32 - count)) & 0xffff; cf = ((chain >> (48 - count)) & 1) != 0; }
    else { r = (chain >> count) & 0xffff; cf = ((chain >> (count - 1)) & 1) != 0; }
  } else if (left) {
    r = ((a << count) | (b >> (bits - count))) & m;
    cf = ((a >> (bits - count)) & 1) != 0;
  } else {
    r = ((a >> count) | (b << (bits - count))) & m;
    cf = ((a >> (count - 1)) & 1) != 0;
  }
  const ovf = ((r ^ a) & sb) != 0;
  writeE(size, r);
  setResultFlags(r, size, cf, ovf, false);
}
