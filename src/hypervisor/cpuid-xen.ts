// The Xen hypervisor CPUID leaves 0x40000000..0x40000005 (docs/pvh-abi.md §2; Xen
// xen/include/public/arch-x86/cpuid.h). The core exits with EXIT_CPUID for every 0x4000xxxx leaf;
// only base 0x40000000 is ours, every other leaf in that range reads as zeros so that no other
// hypervisor signature (KVM, Hyper-V, …) is found.

export const XEN_CPUID_BASE = 0x40000000;
/** Highest Xen leaf we answer (Xen's XEN_CPUID_MAX_NUM_LEAVES = 5). */
export const XEN_CPUID_MAX_LEAF = XEN_CPUID_BASE + 5;
/** "XenVMMXenVMM" as EBX, ECX, EDX. */
export const XEN_CPUID_SIGNATURE_EBX = 0x566e6558; // "XenV"
export const XEN_CPUID_SIGNATURE_ECX = 0x65584d4d; // "MMXe"
export const XEN_CPUID_SIGNATURE_EDX = 0x4d4d566e; // "nVMM"
/** Xen version we claim: 4.17 (major << 16 | minor). Linux treats major < 4 as an old Xen. */
export const XEN_VERSION_MAJOR = 4;
export const XEN_VERSION_MINOR = 17;
export const XEN_VERSION_VALUE = (XEN_VERSION_MAJOR << 16) | XEN_VERSION_MINOR;
/** MSR index the guest writes a hypercall page gpa to (leaf base+2 EBX). */
export const XEN_HYPERCALL_MSR = 0x40000000;
export const XEN_HYPERCALL_PAGES = 1;
/** Leaf base+4 EAX: XEN_HVM_CPUID_VCPU_ID_PRESENT (EBX holds the vCPU id). */
export const XEN_HVM_CPUID_VCPU_ID_PRESENT = 1 << 3;
/** Leaf base+3 EBX tsc_mode 0: default (Xen decides). */
export const XEN_TSC_MODE_DEFAULT = 0;

export type CpuidResult = [eax: number, ebx: number, ecx: number, edx: number];

export interface CpuidContext {
  vcpuId: number;
  /** Virtual TSC frequency in kHz (V_TSC_KHZ). */
  tscKhz: number;
}

/** Answer for a 0x4000xxxx leaf. */
export function xenCpuid(leaf: number, subleaf: number, ctx: CpuidContext): CpuidResult {
  switch (leaf >>> 0) {
    case XEN_CPUID_BASE:
      return [XEN_CPUID_MAX_LEAF, XEN_CPUID_SIGNATURE_EBX, XEN_CPUID_SIGNATURE_ECX, XEN_CPUID_SIGNATURE_EDX];
    case XEN_CPUID_BASE + 1:
      return [XEN_VERSION_VALUE, 0, 0, 0];
    case XEN_CPUID_BASE + 2:
      return [XEN_HYPERCALL_PAGES, XEN_HYPERCALL_MSR, 0, 0];
    case XEN_CPUID_BASE + 3:
      // Sub-leaf 0: flags (none), tsc_mode, guest TSC kHz, incarnation. Sub-leaves 1/2 are unused by Linux.
      return subleaf === 0 ? [0, XEN_TSC_MODE_DEFAULT, ctx.tscKhz >>> 0, 0] : [0, 0, 0, 0];
    case XEN_CPUID_BASE + 4:
      return subleaf === 0 ? [XEN_HVM_CPUID_VCPU_ID_PRESENT, ctx.vcpuId, 0, 0] : [0, 0, 0, 0];
    default:
      return [0, 0, 0, 0]; // base+5 is PV-only; everything else in 0x4000xxxx is nobody's
  }
}
