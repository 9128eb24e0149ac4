// Stack primitives: push/pop through SS honouring the stack address size (SP, ESP or RSP).
import { SEG_SS } from "../layout";
import { reg64, setReg64, stackSize } from "./state";
import { fault } from "./fault";
import { linear } from "./decode";
import { readN, writeN } from "./mmu";

const RSP = 4;

/** RSP with the stack address size applied. */
@inline export function stackPtr(): u64 {
  const sp = reg64(RSP);
  return stackSize == 8 ? sp : stackSize == 4 ? (sp & 0xffffffff) : (sp & 0xffff);
}

/** Write back a new stack pointer, touching only the bits the stack size owns. */
export function setStackPtr(v: u64): void {
  if (stackSize == 8) setReg64(RSP, v);
  else if (stackSize == 4) setReg64(RSP, v & 0xffffffff);
  else setReg64(RSP, (reg64(RSP) & ~(<u64>0xffff)) | (v & 0xffff));
}

@inline function wrapSp(v: u64): u64 {
  return stackSize == 8 ? v : stackSize == 4 ? (v & 0xffffffff) : (v & 0xffff);
}

export function push(v: u64, size: i32): void {
  const sp = wrapSp(stackPtr() - <u64>size);
  writeN(linear(SEG_SS, sp), size, v);
  if (fault) return;
  setStackPtr(sp);
}

/** Pop without committing RSP: read the value at [RSP + offset]. */
export function peek(offset: u64, size: i32): u64 {
  return readN(linear(SEG_SS, wrapSp(stackPtr() + offset)), size);
}

export function pop(size: i32): u64 {
  const sp = stackPtr();
  const v = readN(linear(SEG_SS, sp), size);
  if (fault) return 0;
  setStackPtr(wrapSp(sp + <u64>size));
  return v;
}

/** Discard `n` bytes of stack. */
export function adjustStack(n: u64): void { setStackPtr(wrapSp(stackPtr() + n)); }
