// The hypercall page a guest requests by writing its gpa to MSR 0x40000000 (docs/pvh-abi.md §3.2;
// Xen: guest_wrmsr_xen, init_hypercall_page). Older Linux kernels call `page + 32 * nr`.
//
// Page contents: 0xCC everywhere, then 128 stubs of 32 bytes; stub i =
//   B8 <i as imm32>   mov eax, i
//   0F 01 C1          vmcall      (0F 01 D9 vmmcall when we advertise an AMD CPU)
//   C3                ret
// except stub 23 (__HYPERVISOR_iret, PV only), which is 0F 0B (ud2).

import { PAGE_SIZE } from '../../wasm/layout.ts';

export const HYPERCALL_STUB_SIZE = 32;
export const HYPERCALL_STUBS = 128;
const HYPERVISOR_IRET = 23;

export function buildHypercallPage(amd: boolean): Uint8Array {
  const page = new Uint8Array(PAGE_SIZE).fill(0xcc);
  for (let i = 0; i < HYPERCALL_STUBS; i++) {
    const o = i * HYPERCALL_STUB_SIZE;
    if (i === HYPERVISOR_IRET) {
      page.set([0x0f, 0x0b], o);
      continue;
    }
    page.set([0xb8, i & 0xff, (i >>> 8) & 0xff, 0, 0, 0x0f, 0x01, amd ? 0xd9 : 0xc1, 0xc3], o);
  }
  return page;
}

/**
 * Decodes a hypercall-MSR value: gfn in bits 63:12, page index in bits 11:0 (must be 0 since we
 * offer one page). Returns the page's gpa, or null when the write must raise #GP.
 */
export function hypercallPageGpa(value: bigint, ramBytes: number): number | null {
  if ((value & BigInt(PAGE_SIZE - 1)) !== 0n) return null;
  const gpa = value & ~BigInt(PAGE_SIZE - 1);
  if (gpa + BigInt(PAGE_SIZE) > BigInt(ramBytes)) return null;
  return Number(gpa);
}
