// Segment descriptors: reading them from the GDT/LDT, the checks MOV/POP Sreg and far transfers make
// (raising #GP/#NP/#SS/#TS with the selector error codes the SDM gives) and loading hidden parts.
import {
  SEG_CS, SEG_SS, SEG_LDTR, SEG_TR, V_GDTR_BASE, V_GDTR_LIMIT, EFER_LMA, V_EFER,
} from "../layout";
import {
  cpu, cpl, mode64, protectedMode, setSegment, segBase, segLimit, segAttr, segSel, updateMode, ATTR_S, ATTR_P,
} from "./state";
import { fault, raise, EXC_GP, EXC_NP, EXC_SS, EXC_TS } from "./fault";
import { readSystem, writeSystem, updateAccessMasks } from "./mmu";
import { setCsBase } from "./decode";

/** Descriptor words of the last readDescriptor (hi only meaningful for 16-byte system descriptors). */
export let descLo: u64 = 0;
export let descHi: u64 = 0;

@inline export function descBase(d: u64): u64 { return ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24); }
@inline export function descLimit(d: u64): u32 {
  let l = <u32>((d & 0xffff) | ((d >> 32) & 0xf0000));
  if ((d & (<u64>1 << 55)) != 0) l = (l << 12) | 0xfff;
  return l;
}
/** Attributes in the VMX layout used by the state block. */
@inline export function descAttr(d: u64): u32 { return <u32>(((d >> 40) & 0xff) | (((d >> 52) & 0xf) << 12)); }
@inline export function attrDpl(a: u32): i32 { return <i32>((a >> 5) & 3); }
@inline export function attrType(a: u32): u32 { return a & 0xf; }
@inline export function isCode(a: u32): bool { return (a & 0x18) == 0x18; }

/**
 * Read the 8-byte descriptor for `sel` (16 bytes when `wide`). Returns false after raising
 * `vector`(sel) if the selector is outside its table.
 */
export function readDescriptor(sel: u32, vector: i32, wide: bool): bool {
  const index = sel & 0xfff8;
  let base: u64, limit: u32;
  if ((sel & 4) != 0) {
    if ((segSel(SEG_LDTR) & 0xfffc) == 0) { raise(vector, <i32>(sel & 0xfffc)); return false; }
    base = segBase(SEG_LDTR); limit = segLimit(SEG_LDTR);
  } else {
    base = load<u64>(cpu + V_GDTR_BASE); limit = load<u32>(cpu + V_GDTR_LIMIT);
  }
  if (<u32>index + (wide ? 15 : 7) > limit) { raise(vector, <i32>(sel & 0xfffc)); return false; }
  descLo = readSystem(base + <u64>index, 8);
  if (wide && !fault) descHi = readSystem(base + <u64>index + 8, 8);
  return !fault;
}

/** Set the accessed bit of the descriptor last read for `sel`. */
function markAccessed(sel: u32): void {
  if ((descLo & (<u64>1 << 40)) != 0) return;
  const base = (sel & 4) != 0 ? segBase(SEG_LDTR) : load<u64>(cpu + V_GDTR_BASE);
  descLo |= <u64>1 << 40;
  writeSystem(base + <u64>(sel & 0xfff8) + 5, 1, (descLo >> 40) & 0xff);
}

export function loadFromDescriptor(seg: i32, sel: u32, d: u64): void {
  let base = descBase(d);
  setSegment(seg, sel, base, descLimit(d), descAttr(d));
}

/** MOV/POP to DS, ES, FS, GS or SS (protected or real mode). */
export function loadSegment(seg: i32, sel: u32): void {
  if (!protectedMode) {
    // Real mode (the AP trampoline): base = selector * 16; limit and attributes stay.
    const p = segAttr(seg);
    setSegment(seg, sel, <u64>(sel << 4), segLimit(seg), p == 0 ? 0x93 : p);
    if (seg == SEG_SS) updateMode();
    return;
  }
  const rpl = <i32>(sel & 3);
  if ((sel & 0xfffc) == 0) {
    if (seg == SEG_SS && !(mode64 && cpl != 3 && rpl == cpl)) { raise(EXC_GP, 0); return; }
    // Null selector: unusable segment (attr 0 keeps P clear).
    setSegment(seg, sel, 0, 0, seg == SEG_SS ? (<u32>cpl << 5) : 0);
    return;
  }
  if (!readDescriptor(sel, EXC_GP, false)) return;
  const d = descLo;
  const a = descAttr(d);
  const dpl = attrDpl(a);
  if (seg == SEG_SS) {
    if (rpl != cpl || dpl != cpl || (a & ATTR_S) == 0 || isCode(a) || (a & 2) == 0) { raise(EXC_GP, <i32>(sel & 0xfffc)); return; }
    if ((a & ATTR_P) == 0) { raise(EXC_SS, <i32>(sel & 0xfffc)); return; }
  } else {
    // Data, or readable code; non-conforming needs max(CPL, RPL) <= DPL.
    if ((a & ATTR_S) == 0 || (isCode(a) && (a & 2) == 0)) { raise(EXC_GP, <i32>(sel & 0xfffc)); return; }
    const conforming = isCode(a) && (a & 4) != 0;
    if (!conforming && (rpl > dpl || cpl > dpl)) { raise(EXC_GP, <i32>(sel & 0xfffc)); return; }
    if ((a & ATTR_P) == 0) { raise(EXC_NP, <i32>(sel & 0xfffc)); return; }
  }
  markAccessed(sel);
  if (fault) return;
  loadFromDescriptor(seg, sel, d);
  if (seg == SEG_SS) updateMode();
}

/** Install a new CS (already checked) and switch CPL; refreshes every derived mode bit. */
export function setCS(sel: u32, base: u64, limit: u32, attr: u32, newCpl: i32): void {
  setSegment(SEG_CS, (sel & 0xfffc) | <u32>newCpl, base, limit, attr);
  updateMode();
  updateAccessMasks();
  setCsBase(mode64 ? 0 : base);
}

/**
 * Check a code-segment descriptor for a far JMP/CALL/RET target. Returns false after raising.
 * `ret` selects the RET/IRET rule (RPL may be numerically greater than CPL).
 */
export function checkCodeDescriptor(sel: u32, ret: bool): bool {
  if ((sel & 0xfffc) == 0) { raise(EXC_GP, 0); return false; }
  if (!readDescriptor(sel, EXC_GP, false)) return false;
  const a = descAttr(descLo);
  const dpl = attrDpl(a);
  const rpl = <i32>(sel & 3);
  if (!isCode(a)) { raise(EXC_GP, <i32>(sel & 0xfffc)); return false; }
  const conforming = (a & 4) != 0;
  if (ret) {
    if (rpl < cpl || (conforming ? dpl > rpl : dpl != rpl)) { raise(EXC_GP, <i32>(sel & 0xfffc)); return false; }
  } else {
    if (conforming ? dpl > cpl : (rpl > cpl || dpl != cpl)) { raise(EXC_GP, <i32>(sel & 0xfffc)); return false; }
  }
  if ((load<u64>(cpu + V_EFER) & EFER_LMA) != 0 && (a & 0x2000) != 0 && (a & 0x4000) != 0) {
    raise(EXC_GP, <i32>(sel & 0xfffc)); return false; // L and D both set
  }
  if ((a & ATTR_P) == 0) { raise(EXC_NP, <i32>(sel & 0xfffc)); return false; }
  markAccessed(sel);
  return !fault;
}

/** LLDT. */
export function loadLdt(sel: u32): void {
  if ((sel & 0xfffc) == 0) { setSegment(SEG_LDTR, sel, 0, 0, 0); return; }
  if ((sel & 4) != 0) { raise(EXC_GP, <i32>(sel & 0xfffc)); return; }
  const wide = (load<u64>(cpu + V_EFER) & EFER_LMA) != 0;
  if (!readDescriptor(sel, EXC_GP, wide)) return;
  const a = descAttr(descLo);
  if ((a & ATTR_S) != 0 || attrType(a) != 2) { raise(EXC_GP, <i32>(sel & 0xfffc)); return; }
  if ((a & ATTR_P) == 0) { raise(EXC_NP, <i32>(sel & 0xfffc)); return; }
  let base = descBase(descLo);
  if (wide) base |= (descHi & 0xffffffff) << 32;
  setSegment(SEG_LDTR, sel, base, descLimit(descLo), a);
}

/** LTR: an available TSS becomes busy. */
export function loadTr(sel: u32): void {
  if ((sel & 0xfffc) == 0 || (sel & 4) != 0) { raise(EXC_GP, <i32>(sel & 0xfffc)); return; }
  const wide = (load<u64>(cpu + V_EFER) & EFER_LMA) != 0;
  if (!readDescriptor(sel, EXC_GP, wide)) return;
  const a = descAttr(descLo);
  const t = attrType(a);
  if ((a & ATTR_S) != 0 || !(t == 9 || (!wide && t == 1))) { raise(EXC_GP, <i32>(sel & 0xfffc)); return; }
  if ((a & ATTR_P) == 0) { raise(EXC_NP, <i32>(sel & 0xfffc)); return; }
  let base = descBase(descLo);
  if (wide) base |= (descHi & 0xffffffff) << 32;
  // Mark busy in the GDT.
  const gdt = load<u64>(cpu + V_GDTR_BASE);
  writeSystem(gdt + <u64>(sel & 0xfff8) + 5, 1, ((descLo >> 40) & 0xff) | 2);
  if (fault) return;
  setSegment(SEG_TR, sel, base, descLimit(descLo), a | 2);
}

/** The stack pointer for privilege level `level` from the current TSS (32-bit TSS: SS too). */
export let tssSS: u32 = 0;
export function tssStack(level: i32): u64 {
  const base = segBase(SEG_TR);
  if ((load<u64>(cpu + V_EFER) & EFER_LMA) != 0) {
    const off = <u64>(4 + level * 8);
    if (off + 7 > <u64>segLimit(SEG_TR)) { raise(EXC_TS, <i32>(segSel(SEG_TR) & 0xfffc)); return 0; }
    return readSystem(base + off, 8);
  }
  const off = <u64>(4 + level * 8);
  if (off + 5 > <u64>segLimit(SEG_TR)) { raise(EXC_TS, <i32>(segSel(SEG_TR) & 0xfffc)); return 0; }
  const esp = readSystem(base + off, 4);
  tssSS = <u32>readSystem(base + off + 4, 2);
  return esp;
}

/** 64-bit TSS interrupt stack table entry n (1..7). */
export function tssIst(n: i32): u64 {
  const off = <u64>(0x24 + (n - 1) * 8);
  if (off + 7 > <u64>segLimit(SEG_TR)) { raise(EXC_TS, <i32>(segSel(SEG_TR) & 0xfffc)); return 0; }
  return readSystem(segBase(SEG_TR) + off, 8);
}

/** Load SS for a privilege change from a selector (checked as a stack segment at `level`). */
export function loadStackSegment(sel: u32, level: i32, vector: i32): bool {
  if ((sel & 0xfffc) == 0) {
    if (mode64 || (load<u64>(cpu + V_EFER) & EFER_LMA) != 0) { setSegment(SEG_SS, sel, 0, 0, <u32>level << 5); return true; }
    raise(vector, 0); return false;
  }
  if (!readDescriptor(sel, vector, false)) return false;
  const a = descAttr(descLo);
  if (<i32>(sel & 3) != level || attrDpl(a) != level || (a & ATTR_S) == 0 || isCode(a) || (a & 2) == 0) {
    raise(vector, <i32>(sel & 0xfffc)); return false;
  }
  if ((a & ATTR_P) == 0) { raise(EXC_SS, <i32>(sel & 0xfffc)); return false; }
  markAccessed(sel);
  loadFromDescriptor(SEG_SS, sel, descLo);
  return !fault;
}

export { SEG_CS };
