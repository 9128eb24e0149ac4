// System instructions: control/debug registers, descriptor tables (0F 00, 0F 01), MSRs, CPUID,
// time stamp, SYSCALL/SYSRET, SYSENTER/SYSEXIT, SWAPGS, HLT, CLI/STI, LAR/LSL/VERR/VERW, fences.
import {
  V_CR0, V_CR2, V_CR3, V_CR4, V_CR8, V_DR, V_EFER, V_GDTR_BASE, V_GDTR_LIMIT, V_IDTR_BASE, V_IDTR_LIMIT,
  V_STAR, V_LSTAR, V_CSTAR, V_SFMASK, V_KERNEL_GS_BASE, V_TSC_AUX, V_SYSENTER_CS, V_SYSENTER_ESP, V_SYSENTER_EIP,
  V_EXIT_PORT, V_EXIT_WRITE, V_EXIT_VALUE, V_HALTED, V_INT_SHADOW,
  SEG_CS, SEG_SS, SEG_GS, SEG_LDTR, SEG_TR,
  CR0_PE, CR0_MP, CR0_EM, CR0_TS, CR0_ET, CR0_NE, CR0_WP, CR0_AM, CR0_NW, CR0_CD, CR0_PG,
  CR4_PAE, CR4_PGE, CR4_PSE, CR4_TSD, CR4_DE, CR4_OSFXSR, CR4_OSXMMEXCPT, CR4_MCE, CR4_PCE, CR4_VME, CR4_PVI,
  EFER_LME, EFER_LMA, EFER_SCE, RFLAGS_IF, RFLAGS_IOPL, RFLAGS_RF, RFLAGS_VM,
  EXIT_HYPERCALL, EXIT_CPUID, EXIT_MSR, EXIT_HLT, EXIT_PAUSE,
} from "../layout";
import { getFlags, setFlags, setFlagBit } from "../cpu/flags";
import { RFLAGS_ZF } from "../layout";
import { fault, raise, raiseGP, raiseUD, exitAfterInstruction, needAttention, EXC_GP } from "../cpu/fault";
import {
  cpu, cpl, mode64, protectedMode, reg64, setReg64, readReg, writeReg, segSel, segBase, segLimit, segAttr,
  setSegment, setSegBase, updateMode, setRip,
} from "../cpu/state";
import {
  nextIp, decodeModrm, readE, writeE, isMem, eaLinear, regField, rmField, opsize, modrm, rep, has66, rexW, lock,
  invalidateFetch, markBranched,
} from "../cpu/decode";
import { readN, writeN, read8, flushTlbAll, flushTlbNonGlobal, invlpg, updateAccessMasks } from "../cpu/mmu";
import { updateDebugRegs } from "../cpu/debug";
import { cpuid, outA, outB, outC, outD } from "../cpu/cpuid";
import { rdmsr, wrmsr, msrValue, readTsc, MSR_OK, MSR_EXIT } from "../cpu/msr";
import { loadLdt, loadTr, readDescriptor, descLo, descAttr, descLimit, attrDpl, isCode, setCS } from "../cpu/segments";

/** Set by STI / MOV SS / POP SS: interrupts are inhibited for the next instruction. */
export let shadowNext: bool = false;
export function setShadowNext(v: bool): void { shadowNext = v; if (v) needAttention(); }

@inline function requireCpl0(): bool {
  if (cpl != 0) { raiseGP(0); return false; }
  return true;
}

// ---- control registers ----
const CR0_WRITABLE: u64 = CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_NW | CR0_CD | CR0_PG;
const CR4_WRITABLE: u64 = CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE | CR4_PGE | CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT;

export function writeCr0(v: u64): void {
  if ((v >> 32) != 0 && mode64) { raiseGP(0); return; }
  v &= 0xffffffff;
  if ((v & ~CR0_WRITABLE) != 0 && (v & ~(CR0_WRITABLE | 0x1ffaffc0)) != 0) { raiseGP(0); return; }
  if ((v & CR0_PG) != 0 && (v & CR0_PE) == 0) { raiseGP(0); return; }
  if ((v & CR0_NW) != 0 && (v & CR0_CD) == 0) { raiseGP(0); return; }
  const old = load<u64>(cpu + V_CR0);
  let efer = load<u64>(cpu + V_EFER);
  if ((v & CR0_PG) != 0 && (old & CR0_PG) == 0 && (efer & EFER_LME) != 0) {
    // Activating long mode needs PAE; LMA follows PG.
    if ((load<u64>(cpu + V_CR4) & CR4_PAE) == 0) { raiseGP(0); return; }
    efer |= EFER_LMA;
  }
  if ((v & CR0_PG) == 0 && (old & CR0_PG) != 0 && (efer & EFER_LMA) != 0) {
    if (mode64) { raiseGP(0); return; }
    efer &= ~(<u64>EFER_LMA);
  }
  store<u64>(cpu + V_EFER, efer);
  store<u64>(cpu + V_CR0, v | CR0_ET);
  if (((v ^ old) & (CR0_PG | CR0_WP | CR0_PE)) != 0) flushTlbAll();
  updateMode();
  updateAccessMasks();
  invalidateFetch();
}

export function writeCr4(v: u64): void {
  if ((v & ~CR4_WRITABLE) != 0) { raiseGP(0); return; }
  const old = load<u64>(cpu + V_CR4);
  if ((load<u64>(cpu + V_EFER) & EFER_LMA) != 0 && (v & CR4_PAE) == 0) { raiseGP(0); return; }
  store<u64>(cpu + V_CR4, v);
  if (((v ^ old) & (CR4_PAE | CR4_PGE | CR4_PSE)) != 0) flushTlbAll();
  updateMode();
  invalidateFetch();
}

export function writeCr3(v: u64): void {
  if (mode64 && (v >> 52) != 0) { raiseGP(0); return; }
  store<u64>(cpu + V_CR3, mode64 ? v : (v & 0xffffffff));
  flushTlbNonGlobal();
  invalidateFetch();
}

/** 0F 20 / 0F 22: MOV r, CRn / MOV CRn, r (the ModRM mod field is ignored). */
export function movCr(toCr: bool): void {
  decodeModrm();
  if (!requireCpl0()) return;
  const n = regField;
  const r = <i32>(modrm & 7) | (rmField & 8);
  const size = mode64 ? 8 : 4;
  if (n != 0 && n != 2 && n != 3 && n != 4 && n != 8) { raiseUD(); return; }
  if (!toCr) {
    let v: u64;
    switch (n) {
      case 0: v = load<u64>(cpu + V_CR0); break;
      case 2: v = load<u64>(cpu + V_CR2); break;
      case 3: v = load<u64>(cpu + V_CR3); break;
      case 4: v = load<u64>(cpu + V_CR4); break;
      default: v = load<u64>(cpu + V_CR8); break;
    }
    writeReg(r, size, v);
    return;
  }
  const v = readReg(r, size);
  switch (n) {
    case 0: writeCr0(v); break;
    case 2: store<u64>(cpu + V_CR2, v); break;
    case 3: writeCr3(v); break;
    case 4: writeCr4(v); break;
    default: if ((v >> 4) != 0) raiseGP(0); else store<u64>(cpu + V_CR8, v); break;
  }
}

/** 0F 21 / 0F 23: MOV r, DRn / MOV DRn, r. */
export function movDr(toDr: bool): void {
  decodeModrm();
  if (!requireCpl0()) return;
  let n = regField;
  if (n > 7) { raiseUD(); return; }
  if (n == 4 || n == 5) {
    if ((load<u64>(cpu + V_CR4) & CR4_DE) != 0) { raiseUD(); return; }
    n += 2;
  }
  const r = <i32>(modrm & 7) | (rmField & 8);
  const size = mode64 ? 8 : 4;
  const p = cpu + V_DR + (<usize>n << 3);
  if (!toDr) { writeReg(r, size, load<u64>(p)); return; }
  let v = readReg(r, size);
  if ((n == 6 || n == 7) && (v >> 32) != 0) { raiseGP(0); return; }
  if (n == 6) v = (v & 0x1e00f) | 0xffff0ff0;
  if (n == 7) v = (v & 0xffff2bff) | 0x400;
  store<u64>(p, v);
  if (n != 6) { updateDebugRegs(); flushTlbAll(); invalidateFetch(); }
}

/** 0F 06 CLTS. */
export function clts(): void {
  if (!requireCpl0()) return;
  store<u64>(cpu + V_CR0, load<u64>(cpu + V_CR0) & ~(<u64>CR0_TS));
}

// ---- 0F 00 group 6 ----
export function group6(): void {
  decodeModrm();
  const op = regField & 7;
  if (!protectedMode) { raiseUD(); return; }
  switch (op) {
    case 0: storeSel(segSel(SEG_LDTR)); return; // SLDT
    case 1: storeSel(segSel(SEG_TR)); return; // STR
    case 2: { if (!requireCpl0()) return; const s = <u32>readE(2); if (!fault) loadLdt(s); return; }
    case 3: { if (!requireCpl0()) return; const s = <u32>readE(2); if (!fault) loadTr(s); return; }
    case 4: case 5: { const s = <u32>readE(2); if (!fault) verify(s, op == 5); return; }
    default: raiseUD(); return;
  }
}

function storeSel(v: u32): void {
  if (isMem) writeE(2, <u64>v); else writeReg(rmField, opsize, <u64>v);
}

/** Whether descriptor `sel` is visible at the current CPL/RPL (LAR, LSL, VERR, VERW). */
function visible(sel: u32): bool {
  if ((sel & 0xfffc) == 0) return false;
  const savedFault = fault;
  if (!readDescriptor(sel, EXC_GP, false)) { clearSoftFault(savedFault); return false; }
  const a = descAttr(descLo);
  const dpl = attrDpl(a);
  const conformingCode = isCode(a) && (a & 4) != 0;
  if (!conformingCode && (dpl < cpl || dpl < <i32>(sel & 3))) return false;
  return true;
}
import { clearFault } from "../cpu/fault";
function clearSoftFault(saved: bool): void { if (!saved) clearFault(); }

function verify(sel: u32, write: bool): void {
  let ok = visible(sel);
  if (ok) {
    const a = descAttr(descLo);
    if ((a & 0x10) == 0) ok = false;
    else if (write) ok = !isCode(a) && (a & 2) != 0;
    else ok = !isCode(a) || (a & 2) != 0;
  }
  setFlagBit(RFLAGS_ZF, ok);
}

/** 0F 02 LAR, 0F 03 LSL. */
export function larLsl(lsl: bool): void {
  decodeModrm();
  if (!protectedMode) { raiseUD(); return; }
  const sel = <u32>readE(2);
  if (fault) return;
  let ok = visible(sel);
  if (ok) {
    const a = descAttr(descLo);
    if ((a & 0x10) == 0) {
      const t = a & 0xf;
      const long = (load<u64>(cpu + V_EFER) & EFER_LMA) != 0;
      // System types valid for LAR (LSL: no gates).
      if (long) ok = t == 2 || t == 9 || t == 0xb || (!lsl && (t == 0xc));
      else ok = t == 1 || t == 2 || t == 3 || t == 9 || t == 0xb || (!lsl && (t == 4 || t == 5 || t == 0xc));
    }
  }
  if (ok) {
    if (lsl) writeReg(regField, opsize, <u64>descLimit(descLo));
    else writeReg(regField, opsize, (descLo >> 32) & 0x00f0ff00);
  }
  setFlagBit(RFLAGS_ZF, ok);
}

// ---- 0F 01 group 7 ----
export function group7(): void {
  decodeModrm();
  const op = regField & 7;
  if (!isMem) {
    const sub = modrm & 0xff;
    switch (sub) {
      case 0xc1: case 0xd9: exitAfterInstruction(EXIT_HYPERCALL); return; // VMCALL / VMMCALL
      case 0xf8: // SWAPGS
        if (!mode64) { raiseUD(); return; }
        if (!requireCpl0()) return;
        { const g = segBase(SEG_GS); setSegBase(SEG_GS, load<u64>(cpu + V_KERNEL_GS_BASE)); store<u64>(cpu + V_KERNEL_GS_BASE, g); }
        return;
      case 0xf9: // RDTSCP
        if ((load<u64>(cpu + V_CR4) & CR4_TSD) != 0 && cpl != 0) { raiseGP(0); return; }
        { const t = readTsc(); setReg64(0, t & 0xffffffff); setReg64(2, t >> 32); setReg64(1, load<u64>(cpu + V_TSC_AUX) & 0xffffffff); }
        return;
    }
    if (op == 4) { // SMSW r
      writeReg(rmField, opsize, load<u64>(cpu + V_CR0) & (opsize == 2 ? 0xffff : <u64>-1));
      return;
    }
    if (op == 6) { lmsw(<u64>readReg(rmField, 2)); return; }
    raiseUD();
    return;
  }
  switch (op) {
    case 0: case 1: { // SGDT / SIDT
      const lin = eaLinear();
      const baseOff: usize = op == 0 ? V_GDTR_BASE : V_IDTR_BASE;
      const limOff: usize = op == 0 ? V_GDTR_LIMIT : V_IDTR_LIMIT;
      writeN(lin, 2, <u64>load<u32>(cpu + limOff));
      if (fault) return;
      writeN(lin + 2, mode64 ? 8 : 4, load<u64>(cpu + baseOff) & (mode64 ? <u64>-1 : 0xffffffff));
      return;
    }
    case 2: case 3: { // LGDT / LIDT
      if (!requireCpl0()) return;
      const lin = eaLinear();
      const limit = readN(lin, 2);
      let base = readN(lin + 2, mode64 ? 8 : 4);
      if (fault) return;
      if (!mode64 && opsize == 2) base &= 0xffffff;
      store<u64>(cpu + (op == 2 ? V_GDTR_BASE : V_IDTR_BASE), base);
      store<u32>(cpu + (op == 2 ? V_GDTR_LIMIT : V_IDTR_LIMIT), <u32>limit);
      return;
    }
    case 4: writeE(2, load<u64>(cpu + V_CR0) & 0xffff); return; // SMSW m16
    case 6: { const v = readE(2); if (!fault) lmsw(v); return; }
    case 7: { // INVLPG
      if (!requireCpl0()) return;
      invlpg(eaLinear());
      invalidateFetch();
      return;
    }
    default: raiseUD(); return;
  }
}

function lmsw(v: u64): void {
  if (!requireCpl0()) return;
  const old = load<u64>(cpu + V_CR0);
  // LMSW sets PE but cannot clear it; it touches only PE, MP, EM, TS.
  writeCr0((old & ~(<u64>0xe)) | (v & 0xf) | (old & CR0_PE));
}

// ---- MSRs, CPUID, TSC ----
export function rdmsrInsn(): void {
  if (!requireCpl0()) return;
  const idx = <u32>readReg(1, 4);
  const r = rdmsr(idx);
  if (r == MSR_OK) { setReg64(0, msrValue & 0xffffffff); setReg64(2, msrValue >> 32); return; }
  if (r == MSR_EXIT) { store<u32>(cpu + V_EXIT_PORT, idx); store<u32>(cpu + V_EXIT_WRITE, 0); exitAfterInstruction(EXIT_MSR); return; }
  raiseGP(0);
}

export function wrmsrInsn(): void {
  if (!requireCpl0()) return;
  const idx = <u32>readReg(1, 4);
  const v = (readReg(2, 4) << 32) | readReg(0, 4);
  const r = wrmsr(idx, v);
  if (r == MSR_OK) { invalidateFetch(); return; }
  if (r == MSR_EXIT) {
    store<u32>(cpu + V_EXIT_PORT, idx); store<u32>(cpu + V_EXIT_WRITE, 1); store<u64>(cpu + V_EXIT_VALUE, v);
    exitAfterInstruction(EXIT_MSR);
    return;
  }
  raiseGP(0);
}

export function cpuidInsn(): void {
  const leaf = <u32>readReg(0, 4), sub = <u32>readReg(1, 4);
  if (!cpuid(leaf, sub)) { store<u32>(cpu + V_EXIT_PORT, leaf); exitAfterInstruction(EXIT_CPUID); return; }
  setReg64(0, <u64>outA); setReg64(3, <u64>outB); setReg64(1, <u64>outC); setReg64(2, <u64>outD);
}

export function rdtsc(): void {
  if ((load<u64>(cpu + V_CR4) & CR4_TSD) != 0 && cpl != 0 && protectedMode) { raiseGP(0); return; }
  const t = readTsc();
  setReg64(0, t & 0xffffffff);
  setReg64(2, t >> 32);
}

/** F3 0F C7 /7 RDPID r64 (r32 outside 64-bit mode). */
export function rdpid(): void {
  writeReg(rmField, mode64 ? 8 : 4, load<u64>(cpu + V_TSC_AUX) & 0xffffffff);
}

// ---- fast system calls ----
export function syscall(): void {
  const efer = load<u64>(cpu + V_EFER);
  if ((efer & EFER_SCE) == 0) { raiseUD(); return; }
  const star = load<u64>(cpu + V_STAR);
  const sel = <u32>((star >> 32) & 0xfffc);
  if ((efer & EFER_LMA) != 0) {
    setReg64(1, nextIp());
    const f = getFlags();
    setReg64(11, f & ~(<u64>RFLAGS_RF));
    const target = mode64 ? load<u64>(cpu + V_LSTAR) : load<u64>(cpu + V_CSTAR);
    setFlags(f & ~(load<u64>(cpu + V_SFMASK)) & ~(<u64>(RFLAGS_RF | RFLAGS_VM)));
    setSegment(SEG_SS, sel + 8, 0, 0xffffffff, 0xc093);
    setCS(sel, 0, 0xffffffff, 0xa09b, 0);
    setRip(target);
  } else {
    setReg64(1, nextIp() & 0xffffffff);
    setFlags(getFlags() & ~(<u64>(RFLAGS_IF | RFLAGS_RF | RFLAGS_VM)));
    setSegment(SEG_SS, sel + 8, 0, 0xffffffff, 0xc093);
    setCS(sel, 0, 0xffffffff, 0xc09b, 0);
    setRip(star & 0xffffffff);
  }
  markBranched();
}

export function sysret(): void {
  const efer = load<u64>(cpu + V_EFER);
  if ((efer & EFER_SCE) == 0) { raiseUD(); return; }
  if (cpl != 0 || !protectedMode) { raiseGP(0); return; }
  const star = load<u64>(cpu + V_STAR);
  const base = <u32>((star >> 48) & 0xffff);
  if ((efer & EFER_LMA) != 0) {
    const rcx = reg64(1);
    if (rexW && <u64>((<i64>(rcx << 16)) >> 16) != rcx) { raiseGP(0); return; }
    setFlags((reg64(11) & 0x3c7fd7) | 2);
    if (rexW) { setCS((base + 16) | 3, 0, 0xffffffff, 0xa0fb, 3); setRip(rcx); }
    else { setCS(base | 3, 0, 0xffffffff, 0xc0fb, 3); setRip(rcx & 0xffffffff); }
  } else {
    setFlags(getFlags() | RFLAGS_IF);
    setCS(base | 3, 0, 0xffffffff, 0xc0fb, 3);
    setRip(reg64(1) & 0xffffffff);
  }
  // SS selector is STAR[63:48]+8 with RPL 3; its cached descriptor is flat data at DPL 3.
  setSegment(SEG_SS, (base + 8) | 3, 0, 0xffffffff, 0xc0f3);
  updateMode();
  updateAccessMasks();
  markBranched();
}

export function sysenter(): void {
  const cs = <u32>load<u64>(cpu + V_SYSENTER_CS);
  if (!protectedMode || (cs & 0xfffc) == 0) { raiseGP(0); return; }
  const long = (load<u64>(cpu + V_EFER) & EFER_LMA) != 0;
  setFlags(getFlags() & ~(<u64>(RFLAGS_VM | RFLAGS_IF | RFLAGS_RF)));
  setCS(cs & 0xfffc, 0, 0xffffffff, long ? 0xa09b : 0xc09b, 0);
  setSegment(SEG_SS, (cs & 0xfffc) + 8, 0, 0xffffffff, 0xc093);
  updateMode();
  setReg64(4, long ? load<u64>(cpu + V_SYSENTER_ESP) : (load<u64>(cpu + V_SYSENTER_ESP) & 0xffffffff));
  setRip(long ? load<u64>(cpu + V_SYSENTER_EIP) : (load<u64>(cpu + V_SYSENTER_EIP) & 0xffffffff));
  markBranched();
}

export function sysexit(): void {
  const cs = <u32>load<u64>(cpu + V_SYSENTER_CS);
  if (!protectedMode || cpl != 0 || (cs & 0xfffc) == 0) { raiseGP(0); return; }
  if (rexW) {
    setCS(((cs + 32) & 0xfffc) | 3, 0, 0xffffffff, 0xa0fb, 3);
    setSegment(SEG_SS, ((cs + 40) & 0xfffc) | 3, 0, 0xffffffff, 0xc0f3);
    setReg64(4, reg64(1)); setRip(reg64(2));
  } else {
    setCS(((cs + 16) & 0xfffc) | 3, 0, 0xffffffff, 0xc0fb, 3);
    setSegment(SEG_SS, ((cs + 24) & 0xfffc) | 3, 0, 0xffffffff, 0xc0f3);
    setReg64(4, reg64(1) & 0xffffffff); setRip(reg64(2) & 0xffffffff);
  }
  updateMode();
  updateAccessMasks();
  markBranched();
}

// ---- interrupt flag, halt ----
export function cli(): void {
  if (protectedMode && cpl > <i32>((getFlags() & RFLAGS_IOPL) >> 12)) { raiseGP(0); return; }
  setFlags(getFlags() & ~(<u64>RFLAGS_IF));
}

export function sti(): void {
  if (protectedMode && cpl > <i32>((getFlags() & RFLAGS_IOPL) >> 12)) { raiseGP(0); return; }
  const f = getFlags();
  if ((f & RFLAGS_IF) == 0) setShadowNext(true);
  setFlags(f | RFLAGS_IF);
}

export function hlt(): void {
  if (!requireCpl0()) return;
  store<u32>(cpu + V_HALTED, 1);
  exitAfterInstruction(EXIT_HLT);
}

export function pause(): void { exitAfterInstruction(EXIT_PAUSE); }

/** 0F AE group 15 (the non-FPU members): fences and CLFLUSH(OPT). */
export function group15(): boolean {
  decodeModrm();
  const op = regField & 7;
  if (!isMem) {
    // LFENCE, MFENCE, SFENCE: every core memory access is already ordered (locked ops are seq-cst).
    if (op >= 5 && rep == 0) return true;
    return false;
  }
  if (op == 7 && rep == 0) { read8(eaLinear()); return true; } // CLFLUSH / CLFLUSHOPT: a read-access check
  return false;
}

