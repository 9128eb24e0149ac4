// PVH boot: load the kernel ELF, the initrd and the start_info block into guest RAM, and put
// vCPU 0 into the PVH entry state (docs/pvh-abi.md §1.2, Xen docs/misc/pvh.pandoc).

import {
  CR0_ET,
  CR0_PE,
  RFLAGS_FIXED,
  SEG_CS,
  SEG_DS,
  SEG_ES,
  SEG_FS,
  SEG_GS,
  SEG_SS,
  SEG_TR,
  V_CR0,
  V_CR3,
  V_CR4,
  V_EFER,
} from '../../wasm/layout.ts';
import { buildAcpiTables } from './acpi.ts';
import { BootError, hex } from './boot-error.ts';
import { apicIdForVcpu } from './lapic.ts';
import { PT_LOAD } from './elf.ts';
import { planGuestLayout, type GuestLayout } from './guest-layout.ts';
import type { GuestMemory } from './guest-memory.ts';
import { parsePvhKernel, type PvhInfo } from './pvh-note.ts';
import { buildStartInfoBlock } from './start-info.ts';
import { kernelElfBytes } from './kernel-image.ts';
import { Gpr, type VcpuRegs } from '../vm/core.ts';

export interface PvhBootInput {
  kernel: Uint8Array;
  initrd?: Uint8Array;
  cmdline: string;
  /** vCPUs the MADT lists (default 1). */
  vcpus?: number;
}

export interface PvhBootResult {
  entry: number;
  layout: GuestLayout;
  pvh: PvhInfo;
}

/** Checks the inputs and computes the layout without touching guest memory. */
export function planPvhBoot(input: PvhBootInput, ramBytes: number) {
  const kernel = kernelElfBytes(input.kernel); // a bzImage or compressed vmlinux becomes its ELF (cached)
  const { elf, pvh } = parsePvhKernel(kernel);
  const loads = elf.segments.filter((s) => s.type === PT_LOAD && s.memsz > 0n);
  if (loads.length === 0) throw new BootError('unsupported', 'kernel', 'kernel ELF has no PT_LOAD segment with contents');
  let lo = 1n << 64n;
  let hi = 0n;
  for (const s of loads) {
    const end = s.paddr + s.memsz;
    if (end > BigInt(ramBytes)) {
      throw new BootError(
        'does-not-fit',
        'kernel',
        `kernel segment at guest-physical [${hex(s.paddr)}, ${hex(end)}) does not fit in guest RAM of ${ramBytes / (1024 * 1024)} MiB (${hex(ramBytes)} bytes)`,
      );
    }
    if (s.paddr < lo) lo = s.paddr;
    if (end > hi) hi = end;
  }
  const cmdline = new TextEncoder().encode(input.cmdline);
  const layout = planGuestLayout({
    ramBytes,
    kernel: { start: Number(lo), end: Number(hi) },
    initrdBytes: input.initrd?.byteLength,
    cmdlineBytes: cmdline.byteLength,
  });
  if (pvh.entry < layout.kernel.start || pvh.entry >= layout.kernel.end) {
    throw new BootError(
      'bad-note',
      'kernel',
      `Xen PHYS32_ENTRY ${hex(pvh.entry)} is outside the loaded kernel [${hex(layout.kernel.start)}, ${hex(layout.kernel.end)})`,
    );
  }
  return { elf, pvh, loads, layout, cmdline, kernel };
}

/** Loads everything into guest RAM. Throws BootError before writing anything if the inputs cannot boot. */
export function loadPvh(input: PvhBootInput, mem: GuestMemory): PvhBootResult {
  const { pvh, loads, layout, cmdline, kernel } = planPvhBoot(input, mem.ramBytes);
  for (const s of loads) {
    const gpa = Number(s.paddr);
    mem.writePhys(gpa, kernel.subarray(s.offset, s.offset + s.filesz));
    const zero = Number(s.memsz) - s.filesz;
    if (zero > 0) mem.fillPhys(gpa + s.filesz, zero, 0);
  }
  if (input.initrd && layout.initrd) mem.writePhys(layout.initrd.start, input.initrd);
  mem.writePhys(layout.block.start, buildStartInfoBlock(layout, cmdline));
  // The reserved top of RAM: ACPI tables, then the special pages (rings), all zeroed first.
  mem.fillPhys(layout.acpi.start, layout.specialPages.end - layout.acpi.start, 0);
  const nr = input.vcpus ?? 1;
  const acpi = buildAcpiTables({ base: layout.acpi.start, apicIds: Array.from({ length: nr }, (_, i) => apicIdForVcpu(i)) });
  if (acpi.bytes.length > layout.acpi.end - layout.acpi.start) throw new BootError('bad-config', 'config', `ACPI tables for ${nr} vCPUs do not fit`);
  mem.writePhys(layout.acpi.start, acpi.bytes);
  return { entry: pvh.entry, layout, pvh };
}

/** VMX attribute values used by libxc for the PVH entry state. */
export const ATTR_CODE32 = 0xc09b; // VMX layout: type 0xB (exec/read, accessed), S, DPL0, P, D/B (bit 14), G (bit 15)
export const ATTR_DATA32 = 0xc093; // VMX layout: type 0x3 (read/write, accessed), S, DPL0, P, D/B, G
export const ATTR_TSS32_BUSY = 0x8b; // type 0xB (busy 32-bit TSS), P

/**
 * Writes the PVH entry state into vCPU `v` (call the core's resetVcpu first, flushTlb after):
 * flat 32-bit protected mode, paging off, EBX = start_info, EIP = PHYS32_ENTRY. LDTR, GDTR, IDTR
 * and the other registers keep their INIT values (the PVH contract leaves them unspecified).
 */
export function setPvhEntryState(v: VcpuRegs, entry: number, startInfo: number): void {
  const flat = (attr: number) => ({ sel: 0, attr, limit: 0xffffffff, base: 0n });
  v.setSeg(SEG_CS, flat(ATTR_CODE32));
  for (const s of [SEG_DS, SEG_ES, SEG_SS, SEG_FS, SEG_GS]) v.setSeg(s, flat(ATTR_DATA32));
  v.setSeg(SEG_TR, { sel: 0, attr: ATTR_TSS32_BUSY, limit: 0x67, base: 0n });
  v.setU64(V_CR0, BigInt(CR0_PE | CR0_ET));
  v.setU64(V_CR3, 0n);
  v.setU64(V_CR4, 0n);
  v.setU64(V_EFER, 0n);
  v.rflags = BigInt(RFLAGS_FIXED);
  v.setGpr(Gpr.RBX, BigInt(startInfo));
  v.rip = BigInt(entry);
}
