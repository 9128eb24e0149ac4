// The CPU core's exported interface: run a vCPU until an exit, reset it, manage its TLB, and
// translate addresses for the hypervisor. All state lives in the shared memory (see layout.ts).
import {
  GUEST_RAM_BASE, MAX_GUEST_RAM, JIT_INTERPRET_NEXT, V_RIP, V_RFLAGS, V_INSN_COUNT, V_HALTED, V_INT_SHADOW, V_PENDING_VALID, V_PENDING_VECTOR,
  V_PENDING_KIND, V_PENDING_ERROR, V_EXTINT_VALID, V_EXTINT_VECTOR, V_EXIT_REASON, V_EXIT_RIP, V_CR0, V_CR4,
  V_EFER, V_GDTR_LIMIT, V_IDTR_LIMIT, V_DR, V_PAT, V_APIC_BASE, V_TSC_KHZ, VCPU_SIZE, V_SEG, SEG_SIZE,
  SEG_CS, SEG_LDTR, SEG_TR, EXIT_BUDGET, EXIT_HLT, EXIT_SHUTDOWN, EVENT_NMI, ERROR_NONE, RFLAGS_IF, CR0_ET,
  CR0_CD, CR0_NW, V_DR as V_DR0, V_MISC_ENABLE, RFLAGS_RF, V_FXSAVE, FX_FCW, FX_MXCSR,
} from "./layout";
import {
  cpu, selectVcpu, updateMode, mode64, codeSize32, rip, setRip, setSegment, segBase, loadRip, saveRip,
} from "./cpu/state";
import { loadFlags, saveFlags, getFlags, setFlags, tfOn, rfOn } from "./cpu/flags";
import { drExec, debugArmed, tfDeferred, setTfDeferred, dbTrapBits, clearDbTrap, execBreakpointBits, raiseDr6, updateDebugRegs, DR6_BS } from "./cpu/debug";
import { EXC_DB, needAttention } from "./cpu/fault";
import {
  fault, faultExit, faultVector, faultError, clearFault, exitAfter, clearExitAfter, NO_ERROR, pushesErrorCode,
  attention, clearAttention,
} from "./cpu/fault";
import { selectTlb, updateAccessMasks, flushTlbAll, probeTranslate } from "./cpu/mmu";
import {
  decodePrefixes, nextIp, startIp, setStartIp, setCsBase, invalidateFetch, branched, clearBranched,
} from "./cpu/decode";
import { dispatch } from "./cpu/dispatch";
import { deliver, tripleFault, clearTripleFault, INT_EXTERNAL, INT_EXCEPTION } from "./cpu/interrupts";
import { shadowNext, setShadowNext } from "./exec/system";
import { setRunInstructions } from "./cpu/msr";
import { setRamSizeInternal } from "./cpu/mmu";
import { blockAt, blockFn, jitOn, addJitExecuted, probeNext, linkCell, lastLink } from "./cpu/jit";
import { noteVcpu, invalidateCodePage } from "./cpu/codepages";

// The JIT tier's interface: compiled blocks import these (see src/jit/).
export { jitHost, jitCond, jitGetCF, jitShift, jitImul, jitBitOp, jitMul, jitDiv, jitBitScan, setJitThreshold,
  jitExecuted, jitRuns, linkEpoch, lastLink } from "./cpu/jit";
export { mulDivLo, mulDivHi } from "./exec/alu";
export { cpu, curRip } from "./cpu/state";
export { tlb, readReq, writeReq } from "./cpu/mmu";
export { fault, attention } from "./cpu/fault";
export { lzOp, lzA, lzB, lzRes, lzSize, lzExplicit } from "./cpu/flags";

/** Guest RAM size in bytes; guest physical [0, bytes) is at GUEST_RAM_BASE in memory. */
export function setRamSize(bytes: u32): void {
  setRamSizeInternal(<u64>bytes);
}

/** Put a vCPU in its architectural INIT/power-on state (real mode at F000:FFF0). */
export function resetVcpu(vcpu: i32): void {
  selectVcpu(vcpu);
  memory.fill(cpu, 0, VCPU_SIZE);
  store<u64>(cpu + V_RFLAGS, 2);
  store<u64>(cpu + V_CR0, CR0_ET | CR0_CD | CR0_NW);
  for (let s = 0; s < 6; s++) setSegment(s, 0, 0, 0xffff, 0x93);
  setSegment(SEG_CS, 0xf000, 0xffff0000, 0xffff, 0x9b);
  setSegment(SEG_LDTR, 0, 0, 0xffff, 0x82);
  setSegment(SEG_TR, 0, 0, 0xffff, 0x8b);
  store<u32>(cpu + V_GDTR_LIMIT, 0xffff);
  store<u32>(cpu + V_IDTR_LIMIT, 0xffff);
  store<u64>(cpu + V_DR0 + 6 * 8, 0xffff0ff0);
  store<u64>(cpu + V_DR0 + 7 * 8, 0x400);
  store<u64>(cpu + V_PAT, 0x0007040600070406);
  store<u64>(cpu + V_APIC_BASE, 0xfee00000 | (vcpu == 0 ? 0x100 : 0) | 0x800);
  store<u64>(cpu + V_MISC_ENABLE, 1);
  store<u32>(cpu + V_TSC_KHZ, 1000000);
  // x87/SSE power-up state (SDM table 9-1): FCW 0040H, all tags empty, MXCSR 1F80H (all masked).
  store<u16>(cpu + V_FXSAVE + FX_FCW, 0x0040);
  store<u32>(cpu + V_FXSAVE + FX_MXCSR, 0x1f80);
  store<u64>(cpu + V_RIP, 0xfff0);
  selectTlb(vcpu);
  flushTlbAll();
}

export function flushTlb(vcpu: i32): void {
  selectVcpu(vcpu);
  selectTlb(vcpu);
  flushTlbAll();
  invalidateFetch();
}

/** Hypervisor translation of a guest-linear address (CPL 0, no side effects); -1 if unmapped. */
export function translate(vcpu: i32, linear: u64, write: i32): i64 {
  selectVcpu(vcpu);
  updateMode();
  return probeTranslate(linear, write != 0);
}

/** The host wrote guest memory: drop compiled code made from it. */
export function invalidateCode(gpa: u32, len: u32): void {
  if (len == 0) return;
  let last = <u32>((<u64>gpa + <u64>len - 1) >> 12);
  if (last >= <u32>(MAX_GUEST_RAM >> 12)) last = <u32>(MAX_GUEST_RAM >> 12) - 1;
  for (let p = gpa >> 12; p <= last; p++) invalidateCodePage(p);
}

let executed: u64 = 0;

/** Run `vcpu` for at most `budget` instructions; returns an EXIT_* code. */
export function run(vcpu: i32, budget: i32): i32 {
  selectVcpu(vcpu);
  noteVcpu(vcpu);
  selectTlb(vcpu);
  updateMode();
  updateAccessMasks();
  loadFlags();
  loadRip();
  updateDebugRegs();
  clearDbTrap();
  setCsBase(mode64 ? 0 : segBase(SEG_CS));
  invalidateFetch();
  clearFault();
  clearExitAfter();
  clearTripleFault();
  executed = 0;
  setRunInstructions(0);
  let exit = EXIT_BUDGET;
  let shadow = load<u32>(cpu + V_INT_SHADOW) != 0;

  // An exception or NMI the hypervisor asked for.
  if (load<u32>(cpu + V_PENDING_VALID) != 0) {
    store<u32>(cpu + V_PENDING_VALID, 0);
    const v = <i32>load<u32>(cpu + V_PENDING_VECTOR);
    const e = load<u32>(cpu + V_PENDING_ERROR);
    deliver(v, INT_EXCEPTION, e == ERROR_NONE ? NO_ERROR : <i32>e, rip());
    store<u32>(cpu + V_HALTED, 0);
    if (tripleFault) return finish(EXIT_SHUTDOWN);
  }

  const limit = <u64>budget;
  // Anything to take before the first instruction: an interrupt, or a vCPU still halted.
  if (takeInterrupt(shadow)) { if (tripleFault) return finish(EXIT_SHUTDOWN); }
  if (load<u32>(cpu + V_HALTED) != 0) return finish(EXIT_HLT);
  clearAttention();
  if (shadow) needAttention(); // a shadow carried in from the last run ends after one instruction
  // Whether RIP may start a block: after a taken branch, a block, an event, or an instruction the
  // JIT refused; not in the middle of straight-line code (probing every instruction costs ~10 ns).
  let probe = true;
  let pendingLink: u32 = 0; // chaining cell of the last block's exit, to fill with the next block
  while (executed < limit) {
    // Debug state as the instruction starts: TF traps after it, RF suppresses breakpoints for it.
    let tf = false, rf = false;
    const armed = debugArmed;
    let interpret = true;
    if (armed) {
      tf = tfOn || tfDeferred;
      rf = rfOn;
      if (drExec && !rf && execBreakpoint()) { if (tripleFault) { exit = EXIT_SHUTDOWN; break; } continue; }
    } else if (probe && mode64 && jitOn() && !attention) {
      const left = limit - executed;
      const n = blockAt(rip(), left);
      probe = probeNext;
      if (pendingLink != 0) { if (n != 0) linkCell(pendingLink, n); pendingLink = 0; }
      if (n != 0) {
        probe = true;
        // A compiled block (and whatever it chains to) returns how many instructions it completed,
        // with JIT_INTERPRET_NEXT when it stopped before one only the interpreter can do.
        const r = <u32>call_indirect<i32>(blockFn, 0, <i32>(left < 0x40000000 ? left : 0x40000000));
        const done = r & (JIT_INTERPRET_NEXT - 1);
        executed += <u64>done;
        addJitExecuted(done);
        // A fault counts its instruction as executed, as step() does, so counts match the interpreter.
        if (attention) { interpret = false; if (fault) { setStartIp(rip()); executed++; } }
        else if ((r & JIT_INTERPRET_NEXT) == 0) { pendingLink = lastLink; setRunInstructions(executed); continue; }
      }
    }
    if (interpret) { step(); executed++; if (branched) probe = true; }
    setRunInstructions(executed);
    if (armed && (tf || rf || dbTrapBits != 0)) needAttention();
    if (!attention) continue;
    clearAttention();
    probe = true;
    if (tfDeferred) setTfDeferred(false);
    if (fault) {
      if (faultExit != 0) { setRip(startIp); exit = faultExit; clearFault(); break; }
      deliver(faultVector, INT_EXCEPTION, pushesErrorCode(faultVector) ? faultError : NO_ERROR, startIp);
      if (tripleFault) { exit = EXIT_SHUTDOWN; break; }
      shadow = false;
      if (takeInterrupt(false) && tripleFault) { exit = EXIT_SHUTDOWN; break; }
      continue;
    }
    if (rf) setFlags(getFlags() & ~(<u64>RFLAGS_RF)); // RF lasts one completed instruction
    // The STI / MOV SS shadow covers exactly one more instruction: look again after it.
    const movSsShadow = shadowNext;
    // A new shadow lasts exactly one instruction: ask to be back here after it to end it.
    if (shadowNext) { shadow = true; setShadowNext(false); needAttention(); }
    else shadow = false;
    // Trap-class #DB: data breakpoints hit, or single-step (deferred past a MOV SS / POP SS).
    let db = dbTrapBits;
    clearDbTrap();
    if (tf) { if (movSsShadow) { setTfDeferred(true); needAttention(); } else db |= DR6_BS; }
    if (db != 0) {
      raiseDr6(db);
      deliver(EXC_DB, INT_EXCEPTION, NO_ERROR, rip());
      if (tripleFault) { exit = EXIT_SHUTDOWN; break; }
    }
    if (exitAfter != 0) { exit = exitAfter; clearExitAfter(); break; }
    if (takeInterrupt(shadow) && tripleFault) { exit = EXIT_SHUTDOWN; break; }
  }
  store<u32>(cpu + V_INT_SHADOW, shadow ? 1 : 0);
  return finish(exit);
}

/** #DB fault before an instruction whose address matches an enabled execute breakpoint. */
function execBreakpoint(): bool {
  const lin = mode64 ? rip() : ((rip() + segBase(SEG_CS)) & 0xffffffff);
  const bits = execBreakpointBits(lin);
  if (bits == 0) return false;
  raiseDr6(bits);
  deliver(EXC_DB, INT_EXCEPTION, NO_ERROR, rip());
  return true;
}

/** Deliver a requested external interrupt if IF=1 and no shadow; true if one was delivered. */
function takeInterrupt(shadow: bool): bool {
  if (load<u32>(cpu + V_EXTINT_VALID) == 0 || shadow || (getFlags() & RFLAGS_IF) == 0) return false;
  store<u32>(cpu + V_EXTINT_VALID, 0);
  store<u32>(cpu + V_HALTED, 0);
  deliver(<i32>load<u32>(cpu + V_EXTINT_VECTOR), INT_EXTERNAL, NO_ERROR, rip());
  return true;
}

function finish(exit: i32): i32 {
  saveFlags();
  saveRip();
  store<u64>(cpu + V_INSN_COUNT, load<u64>(cpu + V_INSN_COUNT) + executed);
  store<u32>(cpu + V_EXIT_REASON, exit);
  store<u64>(cpu + V_EXIT_RIP, startIp);
  return exit;
}

/** Execute one instruction at RIP. */
function step(): void {
  const start = rip();
  setStartIp(start);
  clearBranched();
  const op = decodePrefixes();
  if (fault) return;
  dispatch(op);
  if (fault) return;
  if (!branched) {
    const ip = nextIp();
    setRip(mode64 ? ip : (codeSize32 ? ip & 0xffffffff : ip & 0xffff));
  }
}
