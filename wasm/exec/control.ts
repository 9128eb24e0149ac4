// Control transfer: Jcc/JMP/CALL/RET (near and far), LOOP/JrCXZ, INT n/INT3/INTO/INT1, IRET in
// every mode.
import {
  SEG_CS, SEG_SS, SEG_DS, SEG_ES, SEG_FS, SEG_GS, RFLAGS_VM, RFLAGS_IOPL, RFLAGS_IF, RFLAGS_VIF, RFLAGS_VIP,
  RFLAGS_RF, RFLAGS_NT, V_EFER, EFER_LMA, RFLAGS_OF,
} from "../layout";
import { cond, getFlags, setFlags } from "../cpu/flags";
import { fault, raise, raiseGP, raiseUD, EXC_GP, EXC_BP, EXC_OF, EXC_DB } from "../cpu/fault";
import {
  cpu, cpl, mode64, protectedMode, reg64, setReg64, readReg, segSel, segAttr, setSegment, setRip,
} from "../cpu/state";
import {
  nextIp, fetchS8, fetchS32, fetchS16, fetch16, fetch32, opsize, adsize, stackOpsize, decodeModrm, readE, isMem,
  eaLinear, rexW, markBranched,
} from "../cpu/decode";
import { push, pop, peek, stackPtr, setStackPtr, adjustStack } from "../cpu/stack";
import { readN, writeN, updateAccessMasks } from "../cpu/mmu";
import { checkCodeDescriptor, descLo, descBase, descLimit, descAttr, setCS, loadStackSegment, attrDpl, isCode } from "../cpu/segments";
import { deliver, INT_SOFTWARE, INT_SOFT_EXCEPTION } from "../cpu/interrupts";
import { linear } from "../cpu/decode";
import { stackSize } from "../cpu/state";


/** Truncate a near-branch target to the operand size outside 64-bit mode. */
@inline function target(t: u64, size: i32): u64 {
  if (mode64) return t;
  return size == 2 ? (t & 0xffff) : (t & 0xffffffff);
}

function jumpNear(t: u64, size: i32): void {
  setRip(target(t, size));
  markBranched();
}

/** 70..7F Jcc rel8, 0F 80..8F Jcc rel32 (rel16 with a 16-bit operand size outside 64-bit mode). */
export function jcc(cc: i32, wide: bool): void {
  let d: u64;
  if (!wide) d = fetchS8();
  else d = (!mode64 && opsize == 2) ? fetchS16() : fetchS32();
  if (fault) return;
  if (cond(cc)) jumpNear(nextIp() + d, mode64 ? 8 : opsize);
}

/** EB JMP rel8, E9 JMP rel32/16. */
export function jmpRel(short: bool): void {
  const d = short ? fetchS8() : ((!mode64 && opsize == 2) ? fetchS16() : fetchS32());
  if (fault) return;
  jumpNear(nextIp() + d, mode64 ? 8 : opsize);
}

/** E8 CALL rel32/16. */
export function callRel(): void {
  const d = (!mode64 && opsize == 2) ? fetchS16() : fetchS32();
  if (fault) return;
  const s = stackOpsize();
  push(nextIp(), s);
  if (fault) return;
  jumpNear(nextIp() + d, s);
}

/** C3 RET, C2 RET imm16. */
export function retNear(imm: bool): void {
  const n = imm ? <u64>fetch16() : 0;
  if (fault) return;
  const s = stackOpsize();
  const t = pop(s);
  if (fault) return;
  if (n != 0) adjustStack(n);
  jumpNear(t, s);
}

/** E0 LOOPNE, E1 LOOPE, E2 LOOP, E3 JrCXZ: the counter is CX/ECX/RCX by address size. */
export function loop(opcode: u32): void {
  const d = fetchS8();
  if (fault) return;
  const m: u64 = adsize == 8 ? <u64>-1 : adsize == 4 ? 0xffffffff : 0xffff;
  let c = reg64(1) & m;
  let take: bool;
  if (opcode == 0xe3) take = c == 0;
  else {
    c = (c - 1) & m;
    setReg64(1, adsize == 4 ? c : ((reg64(1) & ~m) | c));
    take = c != 0;
    if (opcode == 0xe0) take = take && !cond(4);
    else if (opcode == 0xe1) take = take && cond(4);
  }
  if (take) jumpNear(nextIp() + d, mode64 ? 8 : opsize);
}

/** FF /2 CALL Ev, /4 JMP Ev (ModRM decoded). */
export function indirectNear(call: bool): void {
  const s = stackOpsize();
  const t = readE(s);
  if (fault) return;
  if (call) { push(nextIp(), s); if (fault) return; }
  jumpNear(t, s);
}

// ---- far transfers ----
/** Jump to sel:off through a code-segment descriptor (gates are not supported). */
function farJump(sel: u32, off: u64, call: bool, s: i32): void {
  if (!protectedMode) {
    if (call) {
      push(<u64>segSel(SEG_CS), s); if (fault) return;
      push(nextIp(), s); if (fault) return;
    }
    setCS(sel, <u64>(sel << 4), 0xffff, segAttr(SEG_CS), 0);
    setRip(s == 2 ? off & 0xffff : off & 0xffffffff);
    markBranched();
    return;
  }
  if (!checkCodeDescriptor(sel, false)) return;
  const d = descLo;
  const a = descAttr(d);
  if ((a & 0x10) == 0) { raise(EXC_GP, <i32>(sel & 0xfffc)); return; } // system descriptor (gate)
  if (call) {
    push(<u64>segSel(SEG_CS), s); if (fault) return;
    push(nextIp(), s); if (fault) return;
  }
  setCS((sel & 0xfffc) | <u32>cpl, descBase(d), descLimit(d), a, cpl);
  setRip(mode64 ? off : (s == 2 ? off & 0xffff : off & 0xffffffff));
  markBranched();
}

/** EA JMP ptr16:16/32, 9A CALL ptr (legacy modes). */
export function farDirect(call: bool): void {
  const off: u64 = opsize == 2 ? <u64>fetch16() : <u64>fetch32();
  const sel = fetch16();
  if (fault) return;
  farJump(sel, off, call, opsize);
}

/** FF /3 CALL m16:xx, FF /5 JMP m16:xx. */
export function farIndirect(call: bool): void {
  if (!isMem) { raiseUD(); return; }
  const s = opsize;
  const lin = eaLinear();
  const off = readN(lin, s);
  const sel = <u32>readN(lin + <u64>s, 2);
  if (fault) return;
  farJump(sel, off, call, s);
}

/** CB RETF, CA RETF imm16. */
export function retFar(imm: bool): void {
  const n = imm ? <u64>fetch16() : 0;
  if (fault) return;
  const s = opsize;
  const off = peek(0, s);
  const sel = <u32>(peek(<u64>s, s) & 0xffff);
  if (fault) return;
  if (!protectedMode) {
    adjustStack(<u64>(2 * s) + n);
    setCS(sel, <u64>(sel << 4), 0xffff, segAttr(SEG_CS), 0);
    setRip(off & (s == 2 ? 0xffff : 0xffffffff));
    markBranched();
    return;
  }
  if (!checkCodeDescriptor(sel, true)) return;
  const d = descLo;
  const rpl = <i32>(sel & 3);
  if (rpl > cpl) {
    // Return to an outer privilege level: SS:RSP follow CS:RIP (and the imm16 bytes).
    const sp = peek(<u64>(2 * s) + n, s);
    const ss = <u32>(peek(<u64>(3 * s) + n, s) & 0xffff);
    if (fault) return;
    if (!loadStackSegment(ss, rpl, EXC_GP)) return;
    setCS(sel, descBase(d), descLimit(d), descAttr(d), rpl);
    setReg64(4, sp + n);
    nullInaccessibleDataSegments();
  } else {
    adjustStack(<u64>(2 * s) + n);
    setCS(sel, descBase(d), descLimit(d), descAttr(d), cpl);
  }
  setRip(mode64 ? off : off & (s == 2 ? 0xffff : 0xffffffff));
  markBranched();
}

/** After a return to an outer level, data segments the new CPL may not use become null. */
function nullInaccessibleDataSegments(): void {
  for (let seg = 0; seg < 6; seg++) {
    if (seg == SEG_CS || seg == SEG_SS) continue;
    const a = segAttr(seg);
    const conformingCode = (a & 0x1c) == 0x1c;
    if ((a & 0x80) != 0 && !conformingCode && attrDpl(a) < cpl) setSegment(seg, 0, 0, 0, 0);
  }
}

// ---- software interrupts ----
export function intN(): void {
  const v = fetchN8();
  if (fault) return;
  deliver(<i32>v, INT_SOFTWARE, -1, nextIp());
  markBranched();
}
function fetchN8(): u32 { const b = <u32>fetchS8() & 0xff; return b; }

export function int3(): void { deliver(EXC_BP, INT_SOFT_EXCEPTION, -1, nextIp()); markBranched(); }
export function into(): void {
  if (mode64) { raiseUD(); return; }
  if ((getFlags() & RFLAGS_OF) != 0) { deliver(EXC_OF, INT_SOFT_EXCEPTION, -1, nextIp()); markBranched(); }
}
export function int1(): void { deliver(EXC_DB, INT_SOFT_EXCEPTION, -1, nextIp()); markBranched(); }

// ---- IRET ----
export function iret(): void {
  const s = rexW ? 8 : opsize;
  if (!protectedMode) {
    const off = peek(0, s), sel = <u32>(peek(<u64>s, s) & 0xffff), fl = peek(<u64>(2 * s), s);
    if (fault) return;
    adjustStack(<u64>(3 * s));
    setCS(sel, <u64>(sel << 4), 0xffff, segAttr(SEG_CS), 0);
    setRip(off & (s == 2 ? 0xffff : 0xffffffff));
    const old = getFlags();
    const mask: u64 = s == 2 ? 0xffff : 0x257fd5;
    setFlags((old & ~mask) | (fl & mask));
    markBranched();
    return;
  }
  const old = getFlags();
  if ((old & RFLAGS_NT) != 0 && (load<u64>(cpu + V_EFER) & EFER_LMA) == 0) { raiseGP(0); return; } // task return
  const off = peek(0, s);
  const sel = <u32>(peek(<u64>s, s) & 0xffff);
  const fl = peek(<u64>(2 * s), s);
  if (fault) return;
  if (!checkCodeDescriptor(sel, true)) return;
  const d = descLo;
  const a = descAttr(d);
  const rpl = <i32>(sel & 3);
  const long = (load<u64>(cpu + V_EFER) & EFER_LMA) != 0;
  if (long && (a & 0x2000) == 0 && (fl & RFLAGS_VM) != 0) { raiseGP(0); return; }
  if (!long && (fl & RFLAGS_VM) != 0 && cpl == 0) { raiseGP(0); return; } // virtual-8086 mode: not supported
  // Which flags this privilege level may change.
  let mutable: u64 = 0x3f7fd5 & ~(RFLAGS_VM);
  if (s == 2) mutable &= 0xffff;
  const iopl = <i32>((old >> 12) & 3);
  if (cpl > 0) mutable &= ~(RFLAGS_IOPL | RFLAGS_VIF | RFLAGS_VIP);
  if (cpl > iopl) mutable &= ~RFLAGS_IF;
  const newFlags = (old & ~mutable) | (fl & mutable);
  const outer = rpl > cpl; // decided before setCS changes CPL
  if (outer || mode64) {
    // 64-bit IRET always pops SS:RSP; elsewhere only on a return to an outer level.
    const sp = peek(<u64>(3 * s), s);
    const ss = <u32>(peek(<u64>(4 * s), s) & 0xffff);
    if (fault) return;
    const targetLong = long && (a & 0x2000) != 0;
    if ((ss & 0xfffc) == 0) {
      // A null SS is allowed when returning to 64-bit code at CPL < 3.
      if (!(long && targetLong && rpl != 3)) { raiseGP(0); return; }
      setSegment(SEG_SS, ss, 0, 0, <u32>rpl << 5);
    } else if (!loadStackSegment(ss, rpl, EXC_GP)) return;
    setCS(sel, descBase(d), descLimit(d), a, rpl);
    setReg64(4, targetLong ? sp : (sp & (s == 2 ? 0xffff : 0xffffffff)));
    if (outer) nullInaccessibleDataSegments();
  } else {
    adjustStack(<u64>(3 * s));
    setCS(sel, descBase(d), descLimit(d), a, rpl);
  }
  setRip(mode64 ? off : off & (s == 2 ? 0xffff : 0xffffffff));
  setFlags(newFlags); // RF comes from the image: a debugger resumes past its breakpoint this way
  updateAccessMasks();
  markBranched();
}
