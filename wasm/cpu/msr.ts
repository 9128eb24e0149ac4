// Model-specific registers the core owns. Hypervisor ranges (0x40000000.., x2APIC 0x800..0x8FF)
// exit to the hypervisor; anything else raises #GP as on hardware that lacks the MSR.
import {
  V_EFER, V_STAR, V_LSTAR, V_CSTAR, V_SFMASK, V_KERNEL_GS_BASE, V_TSC_AUX, V_PAT, V_APIC_BASE, V_MISC_ENABLE,
  V_SYSENTER_CS, V_SYSENTER_ESP, V_SYSENTER_EIP, V_TSC_OFFSET, V_CLOCK, SEG_FS, SEG_GS, V_CR0, CR0_PG,
  EFER_SCE, EFER_LME, EFER_LMA, EFER_NXE,
} from "../layout";
import { cpu, segBase, setSegBase, updateMode } from "./state";
import { flushTlbAll } from "./mmu";

export const MSR_IA32_TSC: u32 = 0x10;
export const MSR_IA32_APIC_BASE: u32 = 0x1b;
export const MSR_IA32_BIOS_SIGN_ID: u32 = 0x8b;
export const MSR_IA32_SYSENTER_CS: u32 = 0x174;
export const MSR_IA32_SYSENTER_ESP: u32 = 0x175;
export const MSR_IA32_SYSENTER_EIP: u32 = 0x176;
export const MSR_IA32_MISC_ENABLE: u32 = 0x1a0;
export const MSR_IA32_PAT: u32 = 0x277;
export const MSR_EFER: u32 = 0xc0000080;
export const MSR_STAR: u32 = 0xc0000081;
export const MSR_LSTAR: u32 = 0xc0000082;
export const MSR_CSTAR: u32 = 0xc0000083;
export const MSR_SFMASK: u32 = 0xc0000084;
export const MSR_FS_BASE: u32 = 0xc0000100;
export const MSR_GS_BASE: u32 = 0xc0000101;
export const MSR_KERNEL_GS_BASE: u32 = 0xc0000102;
export const MSR_TSC_AUX: u32 = 0xc0000103;

export const MSR_OK: i32 = 0;
export const MSR_GP: i32 = 1;
export const MSR_EXIT: i32 = 2;

export let msrValue: u64 = 0;
/** Instructions executed so far in this run(): the TSC advances with them. */
export let runInstructions: u64 = 0;
export function setRunInstructions(n: u64): void { runInstructions = n; }

export function readTsc(): u64 {
  return load<u64>(cpu + V_CLOCK) + runInstructions + load<u64>(cpu + V_TSC_OFFSET);
}

@inline function isCanonical(v: u64): bool { return <u64>((<i64>(v << 16)) >> 16) == v; }
@inline function hypervisorMsr(i: u32): bool { return (i >= 0x40000000 && i <= 0x400000ff) || (i >= 0x800 && i <= 0x8ff); }

export function rdmsr(index: u32): i32 {
  let off: usize = 0;
  switch (index) {
    case MSR_IA32_TSC: msrValue = readTsc(); return MSR_OK;
    case MSR_IA32_BIOS_SIGN_ID: msrValue = 0; return MSR_OK;
    case MSR_IA32_APIC_BASE: off = V_APIC_BASE; break;
    case MSR_IA32_SYSENTER_CS: off = V_SYSENTER_CS; break;
    case MSR_IA32_SYSENTER_ESP: off = V_SYSENTER_ESP; break;
    case MSR_IA32_SYSENTER_EIP: off = V_SYSENTER_EIP; break;
    case MSR_IA32_MISC_ENABLE: off = V_MISC_ENABLE; break;
    case MSR_IA32_PAT: off = V_PAT; break;
    case MSR_EFER: off = V_EFER; break;
    case MSR_STAR: off = V_STAR; break;
    case MSR_LSTAR: off = V_LSTAR; break;
    case MSR_CSTAR: off = V_CSTAR; break;
    case MSR_SFMASK: off = V_SFMASK; break;
    case MSR_FS_BASE: msrValue = segBase(SEG_FS); return MSR_OK;
    case MSR_GS_BASE: msrValue = segBase(SEG_GS); return MSR_OK;
    case MSR_KERNEL_GS_BASE: off = V_KERNEL_GS_BASE; break;
    case MSR_TSC_AUX: off = V_TSC_AUX; break;
    default: return hypervisorMsr(index) ? MSR_EXIT : MSR_GP;
  }
  msrValue = load<u64>(cpu + off);
  return MSR_OK;
}

export function wrmsr(index: u32, v: u64): i32 {
  switch (index) {
    case MSR_IA32_TSC: store<u64>(cpu + V_TSC_OFFSET, v - (load<u64>(cpu + V_CLOCK) + runInstructions)); return MSR_OK;
    case MSR_IA32_BIOS_SIGN_ID: return MSR_OK;
    case MSR_IA32_APIC_BASE:
      if ((v & 0xffffff00000006ff) != 0) return MSR_GP;
      store<u64>(cpu + V_APIC_BASE, v); return MSR_OK;
    case MSR_IA32_SYSENTER_CS: store<u64>(cpu + V_SYSENTER_CS, v & 0xffff); return MSR_OK;
    case MSR_IA32_SYSENTER_ESP: if (!isCanonical(v)) return MSR_GP; store<u64>(cpu + V_SYSENTER_ESP, v); return MSR_OK;
    case MSR_IA32_SYSENTER_EIP: if (!isCanonical(v)) return MSR_GP; store<u64>(cpu + V_SYSENTER_EIP, v); return MSR_OK;
    case MSR_IA32_MISC_ENABLE: store<u64>(cpu + V_MISC_ENABLE, v); return MSR_OK;
    case MSR_IA32_PAT: {
      // Each of the 8 entries must be a valid memory type (0, 1, 4, 5, 6, 7).
      for (let i: u64 = 0; i < 8; i++) { const t = (v >> (i * 8)) & 0xff; if (t == 2 || t == 3 || t > 7) return MSR_GP; }
      store<u64>(cpu + V_PAT, v); return MSR_OK;
    }
    case MSR_EFER: {
      const old = load<u64>(cpu + V_EFER);
      if ((v & ~(<u64>(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))) != 0) return MSR_GP;
      // LME may not change while paging is on; LMA is read-only.
      const pg = (load<u64>(cpu + V_CR0) & CR0_PG) != 0;
      if (pg && ((v ^ old) & EFER_LME) != 0) return MSR_GP;
      const nv = (v & ~(<u64>EFER_LMA)) | (old & EFER_LMA);
      store<u64>(cpu + V_EFER, nv);
      if (((nv ^ old) & EFER_NXE) != 0) flushTlbAll();
      updateMode();
      return MSR_OK;
    }
    case MSR_STAR: store<u64>(cpu + V_STAR, v); return MSR_OK;
    case MSR_LSTAR: if (!isCanonical(v)) return MSR_GP; store<u64>(cpu + V_LSTAR, v); return MSR_OK;
    case MSR_CSTAR: if (!isCanonical(v)) return MSR_GP; store<u64>(cpu + V_CSTAR, v); return MSR_OK;
    case MSR_SFMASK: store<u64>(cpu + V_SFMASK, v & 0xffffffff); return MSR_OK;
    case MSR_FS_BASE: if (!isCanonical(v)) return MSR_GP; setSegBase(SEG_FS, v); return MSR_OK;
    case MSR_GS_BASE: if (!isCanonical(v)) return MSR_GP; setSegBase(SEG_GS, v); return MSR_OK;
    case MSR_KERNEL_GS_BASE: if (!isCanonical(v)) return MSR_GP; store<u64>(cpu + V_KERNEL_GS_BASE, v); return MSR_OK;
    case MSR_TSC_AUX: if ((v >> 32) != 0) return MSR_GP; store<u64>(cpu + V_TSC_AUX, v); return MSR_OK;
    default: return hypervisorMsr(index) ? MSR_EXIT : MSR_GP;
  }
}
