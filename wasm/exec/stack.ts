// Stack instructions: PUSH/POP (register, immediate, r/m, segment), PUSHF/POPF with their privilege
// rules, PUSHA/POPA, ENTER/LEAVE.
import {
  SEG_SS, SEG_FS, SEG_GS, RFLAGS_VM, RFLAGS_RF, RFLAGS_IOPL, RFLAGS_IF, RFLAGS_AC, RFLAGS_ID, RFLAGS_NT,
  RFLAGS_VIF, RFLAGS_VIP,
} from "../layout";
import { getFlags, setFlags } from "../cpu/flags";
import { fault, raiseUD } from "../cpu/fault";
import { reg64, setReg64, readReg, writeReg, segSel, cpl, protectedMode, mode64, stackSize } from "../cpu/state";
import { decodeModrm, readE, writeE, fetch8, fetch16, fetchS8, fetchImmZ, rexB, opsize, stackOpsize, isMem, regField } from "../cpu/decode";
import { push, pop, peek, stackPtr, setStackPtr } from "../cpu/stack";
import { loadSegment } from "../cpu/segments";
import { readN, writeN, probeWrite } from "../cpu/mmu";
import { linear } from "../cpu/decode";

/** 50..57 PUSH r. */
export function pushReg(opcode: u32): void {
  const s = stackOpsize();
  push(readReg(<i32>(opcode & 7) | rexB, s), s);
}

/** 58..5F POP r. */
export function popReg(opcode: u32): void {
  const s = stackOpsize();
  const v = pop(s);
  if (!fault) writeReg(<i32>(opcode & 7) | rexB, s, v);
}

/** 68 PUSH Iz, 6A PUSH Ib (sign-extended to the operand size). */
export function pushImm(opcode: u32): void {
  const s = stackOpsize();
  const v = opcode == 0x6a ? fetchS8() : fetchImmZ(s == 8 ? 8 : s);
  if (!fault) push(v, s);
}

/** FF /6 PUSH Ev (ModRM already decoded). */
export function pushE(): void {
  const s = stackOpsize();
  const v = readE(s);
  if (!fault) push(v, s);
}

/** 8F /0 POP Ev: the address is computed after RSP has been incremented. */
export function popE(): void {
  const s = stackOpsize();
  const v = peek(0, s);
  if (fault) return;
  const oldSp = reg64(4);
  setStackPtr(stackPtr() + <u64>s);
  decodeModrm();
  if ((regField & 7) != 0) { setReg64(4, oldSp); raiseUD(); return; }
  writeE(s, v);
  if (fault) setReg64(4, oldSp);
}

/** PUSH Sreg. */
export function pushSeg(seg: i32): void {
  const s = stackOpsize();
  push(<u64>segSel(seg), s);
}

/** POP Sreg (POP SS also starts an interrupt shadow; the caller sets it). */
export function popSeg(seg: i32): void {
  const s = stackOpsize();
  const v = peek(0, s);
  if (fault) return;
  loadSegment(seg, <u32>(v & 0xffff));
  if (fault) return;
  setStackPtr(stackPtr() + <u64>s);
}

/** 9C PUSHF: VM and RF are never pushed as set. */
export function pushf(): void {
  const s = stackOpsize();
  push(getFlags() & ~(RFLAGS_VM | RFLAGS_RF), s);
}

/** 9D POPF: which bits may change depends on CPL and IOPL (SDM POPF). */
export function popf(): void {
  const s = stackOpsize();
  const v = pop(s);
  if (fault) return;
  const old = getFlags();
  let mutable: u64 = 0x3f7fd5 & ~(RFLAGS_VM | RFLAGS_VIF | RFLAGS_VIP | RFLAGS_RF);
  if (protectedMode) {
    const iopl = <i32>((old >> 12) & 3);
    if (cpl > 0) mutable &= ~RFLAGS_IOPL;
    if (cpl > iopl) mutable &= ~RFLAGS_IF;
  }
  if (s == 2) mutable &= 0xffff;
  setFlags((old & ~mutable) | (v & mutable));
}

/** 60 PUSHA / 61 POPA (legacy modes only). */
export function pusha(): void {
  const s = opsize;
  const sp = reg64(4);
  const base = stackPtr();
  // Probe the whole frame first so a fault leaves RSP unchanged.
  for (let i = 0; i < 8; i++) {
    const v = i == 4 ? sp : reg64(i);
    writeN(linear(SEG_SS, wrapStack(base - <u64>((i + 1) * s))), s, v);
    if (fault) return;
  }
  setStackPtr(base - <u64>(8 * s));
}
export function popa(): void {
  const s = opsize;
  const base = stackPtr();
  for (let i = 7; i >= 0; i--) {
    const v = readN(linear(SEG_SS, wrapStack(base + <u64>((7 - i) * s))), s);
    if (fault) return;
    if (i != 4) writeReg(i, s, v);
  }
  setStackPtr(base + <u64>(8 * s));
}

function wrapStack(v: u64): u64 { return stackSize == 4 ? v & 0xffffffff : stackSize == 2 ? v & 0xffff : v; }

/** C8 ENTER imm16, imm8. */
export function enter(): void {
  const size = <u64>fetch16();
  const level = fetch8() & 31;
  if (fault) return;
  const s = stackOpsize();
  const rbp = readReg(5, s);
  let sp = stackPtr();
  sp = wrapStack(sp - <u64>s);
  writeN(linear(SEG_SS, sp), s, rbp);
  if (fault) return;
  const frame = sp;
  if (level > 0) {
    let bp = wrapStack(reg64(5));
    for (let i: u32 = 1; i < level; i++) {
      bp = wrapStack(bp - <u64>s);
      const v = readN(linear(SEG_SS, bp), s);
      if (fault) return;
      sp = wrapStack(sp - <u64>s);
      writeN(linear(SEG_SS, sp), s, v);
      if (fault) return;
    }
    sp = wrapStack(sp - <u64>s);
    writeN(linear(SEG_SS, sp), s, frame);
    if (fault) return;
  }
  const newSp = wrapStack(sp - size);
  probeWrite(linear(SEG_SS, newSp), 1);
  if (fault) return;
  writeReg(5, s, frame);
  setStackPtr(newSp);
}

/** C9 LEAVE. */
export function leave(): void {
  const s = stackOpsize();
  const bp = stackSize == 8 ? reg64(5) : stackSize == 4 ? (reg64(5) & 0xffffffff) : (reg64(5) & 0xffff);
  const v = readN(linear(SEG_SS, bp), s);
  if (fault) return;
  setStackPtr(bp + <u64>s);
  writeReg(5, s, v);
}
