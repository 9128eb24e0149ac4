// Guest-physical memory layout of a PVH boot: the ONE place that decides where things go.
//
// Follows the suggested emulator layout of docs/pvh-abi.md §1.4 (modelled on what libxl/libxc do):
//
//   [0, ramBytes - 64 KiB)   one e820 RAM range starting at 0. Linux needs RAM below 1 MiB (its AP
//                            real-mode trampoline), so nothing is carved out of low memory.
//   kernel                   every PT_LOAD at its p_paddr (Linux x86-64: 0x1000000 = 16 MiB; our
//                            test guest: 0x100000). kernelEnd = highest p_paddr + p_memsz.
//   initrd (module 0)        at the first 2 MiB boundary at or after kernelEnd.
//   start_info block         page aligned, right after the initrd (after the kernel when there is no
//                            initrd). In order: hvm_start_info (56 B), cmdline (NUL-terminated), modlist
//                            (32 B per module), memmap (24 B per entry), each 8-byte aligned. The
//                            block must end below 1 GiB: Linux reads it through its boot page tables,
//                            which identity-map only the first 1 GiB. If a large initrd would push it
//                            past 1 GiB, the block goes right after the kernel and the initrd moves
//                            to the first 2 MiB boundary after the block.
//   top 64 KiB of RAM        e820 RESERVED (so Linux never uses it as memory):
//                            [top-64K, top-32K) ACPI tables (RSDP first; rsdp_paddr points at it),
//                            [top-32K, top) the 8 Xen "special pages" (libxl: pfn 0xFEFF8..0xFEFFF),
//                            page 4 = xenstore ring, page 7 = console ring, as libxl numbers them.
//                            libxl puts these above RAM at 0xFC000000 / 0xFEFF8000; our guest memory
//                            is one array from 0, and anything outside it is MMIO (an exit per
//                            access), so we carve them from the top of the RAM array instead.
//
// Nothing is ever placed at physical address 0 (start_info uses 0 to mean "absent").

import { BootError, hex } from './boot-error.ts';
import { PAGE_SIZE } from '../../wasm/layout.ts';

export const MiB = 1024 * 1024;
export const INITRD_ALIGN = 2 * MiB;
/** The start_info block (and everything it points at except the initrd) must end at or below this. */
export const START_INFO_LIMIT = 1024 * MiB;
/** Linux's COMMAND_LINE_SIZE is 2048 including the terminating NUL. */
export const CMDLINE_MAX = 2047;

export const HVM_START_INFO_SIZE = 56;
export const HVM_MODLIST_ENTRY_SIZE = 32;
export const HVM_MEMMAP_ENTRY_SIZE = 24;

/** e820 / hvm_memmap_table_entry types (XEN_HVM_MEMMAP_TYPE_*). */
export const MEMMAP_RAM = 1;
export const MEMMAP_RESERVED = 2;

/** Bytes at the top of guest RAM kept out of e820 RAM: ACPI tables + the special pages. */
export const RESERVED_TOP_BYTES = 64 * 1024;
export const ACPI_REGION_BYTES = 32 * 1024;
export const SPECIAL_PAGES = 8;
/** Special page indexes (libxl: XENSTORE_PFN_OFFSET 4 → 0xFEFFC, CONSOLE_PFN_OFFSET 7 → 0xFEFFF). */
export const SPECIAL_PAGE_XENSTORE = 4;
export const SPECIAL_PAGE_CONSOLE = 7;

export interface MemmapEntry {
  addr: number;
  size: number;
  type: number;
}

export interface Range {
  start: number;
  /** Exclusive end. */
  end: number;
}

export interface GuestLayout {
  ramBytes: number;
  kernel: Range;
  initrd?: Range;
  /** Whole start_info block [start, end). */
  block: Range;
  startInfo: number;
  cmdline: number;
  /** Modlist address (valid when there is an initrd). */
  modlist: number;
  memmap: number;
  memmapEntries: MemmapEntry[];
  /** End of e820 RAM (everything from here to ramBytes is RESERVED). */
  usableEnd: number;
  /** ACPI tables region; the RSDP is at its start. */
  acpi: Range;
  rsdp: number;
  /** The 8 special pages. */
  specialPages: Range;
  /** Guest-physical addresses of the xenstore and console ring pages. */
  xenstorePage: number;
  consolePage: number;
}

export interface LayoutRequest {
  ramBytes: number;
  /** PT_LOAD extents [start, end) in guest-physical addresses. */
  kernel: Range;
  initrdBytes?: number;
  /** Length of the command line in bytes, without the NUL. */
  cmdlineBytes: number;
}

const alignUp = (v: number, a: number) => Math.ceil(v / a) * a;
const mib = (n: number) => `${(n / MiB).toFixed(n % MiB === 0 ? 0 : 1)} MiB`;

export function planGuestLayout(req: LayoutRequest): GuestLayout {
  const { ramBytes, kernel } = req;
  if (req.cmdlineBytes > CMDLINE_MAX) {
    throw new BootError(
      'cmdline-too-long',
      'cmdline',
      `command line is ${req.cmdlineBytes} bytes; Linux accepts at most ${CMDLINE_MAX} (COMMAND_LINE_SIZE 2048 with the NUL)`,
    );
  }
  const usableEnd = ramBytes - RESERVED_TOP_BYTES;
  if (kernel.end > usableEnd) {
    throw new BootError(
      'does-not-fit',
      'kernel',
      `kernel needs guest-physical [${hex(kernel.start)}, ${hex(kernel.end)}) but guest RAM is only ${mib(ramBytes)} (${hex(ramBytes)} bytes, the top 64 KiB reserved for ACPI and Xen pages); give the VM more memory`,
    );
  }
  const memmapEntries: MemmapEntry[] = [
    { addr: 0, size: usableEnd, type: MEMMAP_RAM },
    { addr: usableEnd, size: RESERVED_TOP_BYTES, type: MEMMAP_RESERVED },
  ];
  const acpi = { start: usableEnd, end: usableEnd + ACPI_REGION_BYTES };
  const specialPages = { start: acpi.end, end: acpi.end + SPECIAL_PAGES * PAGE_SIZE };
  const nrModules = req.initrdBytes !== undefined ? 1 : 0;

  const blockParts = (start: number) => {
    const startInfo = start;
    const cmdline = startInfo + HVM_START_INFO_SIZE;
    const modlist = alignUp(cmdline + req.cmdlineBytes + 1, 8);
    const memmap = alignUp(modlist + nrModules * HVM_MODLIST_ENTRY_SIZE, 8);
    const end = memmap + memmapEntries.length * HVM_MEMMAP_ENTRY_SIZE;
    return { startInfo, cmdline, modlist, memmap, end };
  };

  let initrd: Range | undefined;
  let block = blockParts(alignUp(kernel.end, PAGE_SIZE));
  if (req.initrdBytes !== undefined) {
    const afterKernel = alignUp(kernel.end, INITRD_ALIGN);
    const afterInitrdBlock = blockParts(alignUp(afterKernel + req.initrdBytes, PAGE_SIZE));
    if (afterInitrdBlock.end <= START_INFO_LIMIT) {
      initrd = { start: afterKernel, end: afterKernel + req.initrdBytes };
      block = afterInitrdBlock;
    } else {
      // Large initrd: keep start_info below 1 GiB by putting it before the initrd.
      const start = alignUp(block.end, INITRD_ALIGN);
      initrd = { start, end: start + req.initrdBytes };
    }
    const free = Math.max(0, usableEnd - initrd.start);
    if (initrd.end > usableEnd) {
      throw new BootError(
        'initrd-too-big',
        'initrd',
        `initrd is ${req.initrdBytes} bytes but only ${free} bytes of guest RAM are free above the kernel (RAM ${mib(ramBytes)}, initrd would start at ${hex(initrd.start)}); give the VM more memory`,
      );
    }
  }
  const blockEnd = block.end;
  if (blockEnd > START_INFO_LIMIT) {
    throw new BootError(
      'does-not-fit',
      'kernel',
      `the start_info block would end at ${hex(blockEnd)}, above the 1 GiB Linux can reach at PVH entry (kernel ends at ${hex(kernel.end)})`,
    );
  }
  if (blockEnd > usableEnd) {
    throw new BootError(
      'does-not-fit',
      'config',
      `guest RAM of ${mib(ramBytes)} has no room for the start_info block at ${hex(block.startInfo)} after the kernel and initrd; give the VM more memory`,
    );
  }
  return {
    ramBytes,
    kernel,
    initrd,
    block: { start: block.startInfo, end: block.end },
    startInfo: block.startInfo,
    cmdline: block.cmdline,
    modlist: block.modlist,
    memmap: block.memmap,
    memmapEntries,
    usableEnd,
    acpi,
    rsdp: acpi.start,
    specialPages,
    xenstorePage: specialPages.start + SPECIAL_PAGE_XENSTORE * PAGE_SIZE,
    consolePage: specialPages.start + SPECIAL_PAGE_CONSOLE * PAGE_SIZE,
  };
}
