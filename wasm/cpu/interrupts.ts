// Event delivery through the IVT (real mode) or IDT (protected and long mode): gates, DPL checks
// for software interrupts, stack switches from the TSS (RSP0..2, IST), the frame each mode pushes,
// and the escalation of faults during delivery to #DF and then to a triple fault.
import {
  SEG_CS, SEG_SS, V_IDTR_BASE, V_IDTR_LIMIT, RFLAGS_IF, RFLAGS_TF, RFLAGS_NT, RFLAGS_RF, RFLAGS_VM, RFLAGS_AC,
  V_EFER, EFER_LMA,
} from "../layout";
import { cpu, cpl, protectedMode, reg64, setReg64, segSel, segBase, setSegment, setRip } from "./state";
import { getFlags, setFlags } from "./flags";
import {
  fault, raise, clearFault, faultVector, faultError, EXC_GP, EXC_NP, EXC_DF, EXC_PF, EXC_SS, EXC_TS, NO_ERROR,
} from "./fault";
import { readSystem, writeSystem, updateAccessMasks } from "./mmu";
import { readDescriptor, descLo, descAttr, descBase, descLimit, attrDpl, isCode, setCS, tssStack, tssSS, tssIst } from "./segments";
import { stackSize } from "./state";

export const INT_EXTERNAL: i32 = 0; // hardware interrupt
export const INT_EXCEPTION: i32 = 1; // CPU exception
export const INT_SOFTWARE: i32 = 2; // INT n
export const INT_SOFT_EXCEPTION: i32 = 3; // INT3, INTO (DPL-checked like INT n)

/** Set when a triple fault happened: run() exits with EXIT_SHUTDOWN. */
export let tripleFault: bool = false;
export function clearTripleFault(): void { tripleFault = false; }

/**
 * Deliver an event. `retIp` is the RIP pushed (the faulting instruction for faults, the next one for
 * traps and software interrupts). Nested faults escalate: fault → #DF → triple fault.
 */
export function deliver(vector: i32, kind: i32, error: i32, retIp: u64): void {
  clearFault();
  deliverOnce(vector, kind, error, retIp);
  if (!fault) return;
  // INT n / INT3 / INTO: a fault while delivering is a fault of that instruction (RIP at it).
  if (kind == INT_SOFTWARE || kind == INT_SOFT_EXCEPTION) return;
  // Delivery faulted. A fault while delivering #DF is a triple fault.
  if (vector == EXC_DF) { clearFault(); tripleFault = true; return; }
  const v2 = faultVector, e2 = faultError;
  const first = vector;
  clearFault();
  if ((contributory(first) || first == EXC_PF) && (contributory(v2) || v2 == EXC_PF) && !(first != EXC_PF && v2 == EXC_PF)) {
    deliverOnce(EXC_DF, INT_EXCEPTION, 0, retIp);
  } else {
    deliverOnce(v2, INT_EXCEPTION, e2, retIp);
  }
  if (fault) {
    clearFault();
    deliverOnce(EXC_DF, INT_EXCEPTION, 0, retIp);
    if (fault) { clearFault(); tripleFault = true; }
  }
}

function deliverOnce(vector: i32, kind: i32, error: i32, retIp: u64): void {
  if (!protectedMode) { deliverReal(vector, retIp); return; }
  const ext = kind == INT_EXTERNAL ? 1 : 0;
  const idtErr = vector * 8 + 2 + ext;
  const long = (load<u64>(cpu + V_EFER) & EFER_LMA) != 0;
  const gateSize = long ? 16 : 8;
  if (<u32>(vector * gateSize + gateSize - 1) > load<u32>(cpu + V_IDTR_LIMIT)) { raise(EXC_GP, idtErr); return; }
  const gateAddr = load<u64>(cpu + V_IDTR_BASE) + <u64>(vector * gateSize);
  const lo = readSystem(gateAddr, 8);
  const hi = long ? readSystem(gateAddr + 8, 8) : 0;
  if (fault) return;
  const type = <i32>((lo >> 40) & 0xf);
  const gateDpl = <i32>((lo >> 45) & 3);
  const is32 = (type & 8) != 0;
  const trapGate = (type & 1) != 0;
  if (long ? (type != 0xe && type != 0xf) : (type != 0xe && type != 0xf && type != 6 && type != 7)) {
    raise(EXC_GP, idtErr); return; // task gates are not supported
  }
  if ((kind == INT_SOFTWARE || kind == INT_SOFT_EXCEPTION) && gateDpl < cpl) { raise(EXC_GP, vector * 8 + 2); return; }
  if ((lo & (<u64>1 << 47)) == 0) { raise(EXC_NP, idtErr); return; }
  const sel = <u32>((lo >> 16) & 0xffff);
  let target: u64 = (lo & 0xffff) | (((lo >> 48) & 0xffff) << 16);
  if (long) target |= (hi & 0xffffffff) << 32;
  // Target code segment.
  if ((sel & 0xfffc) == 0) { raise(EXC_GP, ext); return; }
  if (!readDescriptor(sel, EXC_GP, false)) return;
  const csd = descLo;
  const a = descAttr(csd);
  if (!isCode(a) || attrDpl(a) > cpl) { raise(EXC_GP, <i32>(sel & 0xfffc) + ext); return; }
  if ((a & 0x80) == 0) { raise(EXC_NP, <i32>(sel & 0xfffc) + ext); return; }
  if (long && ((a & 0x2000) == 0 || (a & 0x4000) != 0)) { raise(EXC_GP, <i32>(sel & 0xfffc) + ext); return; }
  const conforming = (a & 4) != 0;
  const newCpl = conforming ? cpl : attrDpl(a);

  const oldFlags = getFlags();
  const oldCs = segSel(SEG_CS);
  const oldSs = segSel(SEG_SS);
  const oldRsp = reg64(4);
  const hasErr = kind == INT_EXCEPTION && error != NO_ERROR;

  if (long) {
    let rsp = oldRsp;
    const ist = <i32>((lo >> 32) & 7);
    if (newCpl < cpl) { rsp = tssStack(newCpl); if (fault) return; }
    if (ist != 0) { rsp = tssIst(ist); if (fault) return; }
    rsp &= ~(<u64>0xf);
    const n: u64 = hasErr ? 6 : 5;
    const top = rsp - n * 8;
    // Write the frame at the new privilege level before committing anything.
    let p = top;
    if (hasErr) { writeSystem(p, 8, <u64>(<u32>error)); p += 8; }
    writeSystem(p, 8, retIp); writeSystem(p + 8, 8, <u64>oldCs); writeSystem(p + 16, 8, oldFlags);
    writeSystem(p + 24, 8, oldRsp); writeSystem(p + 32, 8, <u64>oldSs);
    if (fault) return;
    if (newCpl < cpl) setSegment(SEG_SS, <u32>newCpl, 0, 0, <u32>newCpl << 5 | 0x4000);
    setCS(sel, descBase(csd), descLimit(csd), a, newCpl);
    setReg64(4, top);
    setRip(target);
  } else {
    let esp = oldRsp;
    let ssBase = segBase(SEG_SS);
    const size: u64 = is32 ? 4 : 2;
    const privChange = newCpl < cpl;
    let newSs: u32 = 0;
    if (privChange) {
      esp = tssStack(newCpl);
      if (fault) return;
      newSs = tssSS;
      if (!readDescriptor(newSs, EXC_TS, false)) return;
      const sa = descAttr(descLo);
      if (<i32>(newSs & 3) != newCpl || attrDpl(sa) != newCpl || isCode(sa) || (sa & 2) == 0) { raise(EXC_TS, <i32>(newSs & 0xfffc)); return; }
      if ((sa & 0x80) == 0) { raise(EXC_SS, <i32>(newSs & 0xfffc)); return; }
      ssBase = descBase(descLo);
    }
    const ss32 = privChange ? (descAttr(descLo) & 0x4000) != 0 : stackSize == 4;
    const words: u64 = (privChange ? 5 : 3) + (hasErr ? 1 : 0);
    let sp = (esp - words * size) & (ss32 ? 0xffffffff : 0xffff);
    const spTop = sp;
    if (hasErr) { wr(<u64>(<u32>error), size, ssBase, sp); sp += size; }
    wr(retIp, size, ssBase, sp); wr(<u64>oldCs, size, ssBase, sp + size); wr(oldFlags, size, ssBase, sp + 2 * size);
    if (privChange) { wr(oldRsp, size, ssBase, sp + 3 * size); wr(<u64>oldSs, size, ssBase, sp + 4 * size); }
    if (fault) return;
    if (privChange) setSegment(SEG_SS, newSs, ssBase, descLimit(descLo), descAttr(descLo));
    setCS(sel, descBase(csd), descLimit(csd), a, newCpl);
    if (ss32) setReg64(4, spTop); else setReg64(4, (oldRsp & ~(<u64>0xffff)) | spTop);
    setRip(is32 ? target : (target & 0xffff));
  }
  let f = oldFlags & ~(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM);
  if (!trapGate) f &= ~RFLAGS_IF;
  setFlags(f);
  updateAccessMasks();
}

@inline function contributory(v: i32): bool { return v == 0 || (v >= 10 && v <= 13); }
@inline function wr(v: u64, sz: u64, base: u64, off: u64): void { writeSystem((base + off) & 0xffffffff, <i32>sz, v); }

function deliverReal(vector: i32, retIp: u64): void {
  const ivt = load<u64>(cpu + V_IDTR_BASE);
  if (<u32>(vector * 4 + 3) > load<u32>(cpu + V_IDTR_LIMIT)) { raise(EXC_GP, 0); return; }
  const ent = readSystem(ivt + <u64>(vector * 4), 4);
  if (fault) return;
  const flags = getFlags();
  const ss = segBase(SEG_SS);
  let sp = reg64(4) & 0xffff;
  sp = (sp - 2) & 0xffff; writeSystem(ss + sp, 2, flags);
  sp = (sp - 2) & 0xffff; writeSystem(ss + sp, 2, <u64>segSel(SEG_CS));
  sp = (sp - 2) & 0xffff; writeSystem(ss + sp, 2, retIp & 0xffff);
  if (fault) return;
  setReg64(4, (reg64(4) & ~(<u64>0xffff)) | sp);
  const seg = <u32>(ent >> 16);
  setCS(seg, <u64>(seg << 4), 0xffff, 0x9b, 0);
  setRip(ent & 0xffff);
  setFlags(flags & ~(RFLAGS_IF | RFLAGS_TF | RFLAGS_AC));
}
