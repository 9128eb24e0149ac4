// Builds the PVH start_info block: struct hvm_start_info (version 1), the command line, the module
// list and the memory map, as laid out in xen/include/public/arch-x86/hvm/start_info.h.
//
// struct hvm_start_info (56 bytes, little endian)
//   @0  u32 magic            XEN_HVM_START_MAGIC_VALUE 0x336EC578
//   @4  u32 version          1
//   @8  u32 flags            SIF_* (0 for a domU)
//   @12 u32 nr_modules
//   @16 u64 modlist_paddr    0 = none
//   @24 u64 cmdline_paddr    0 = none
//   @32 u64 rsdp_paddr       the RSDP (acpi.ts), at the start of the layout's ACPI region
//   @40 u64 memmap_paddr     (version >= 1)
//   @48 u32 memmap_entries
//   @52 u32 reserved         0
// struct hvm_modlist_entry (32 bytes): @0 u64 paddr, @8 u64 size, @16 u64 cmdline_paddr, @24 u64 reserved
// struct hvm_memmap_table_entry (24 bytes): @0 u64 addr, @8 u64 size, @16 u32 type, @20 u32 reserved

import {
  HVM_MEMMAP_ENTRY_SIZE,
  HVM_MODLIST_ENTRY_SIZE,
  HVM_START_INFO_SIZE,
  type GuestLayout,
  type MemmapEntry,
} from './guest-layout.ts';

export const XEN_HVM_START_MAGIC_VALUE = 0x336ec578;
export const HVM_START_INFO_VERSION = 1;

export interface StartInfoFields {
  flags: number;
  nrModules: number;
  modlistPaddr: bigint;
  cmdlinePaddr: bigint;
  rsdpPaddr: bigint;
  memmapPaddr: bigint;
  memmapEntries: number;
}

export interface ModlistEntry {
  paddr: bigint;
  size: bigint;
  cmdlinePaddr: bigint;
}

export function encodeStartInfo(f: StartInfoFields): Uint8Array {
  const b = new Uint8Array(HVM_START_INFO_SIZE);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, XEN_HVM_START_MAGIC_VALUE, true);
  dv.setUint32(4, HVM_START_INFO_VERSION, true);
  dv.setUint32(8, f.flags, true);
  dv.setUint32(12, f.nrModules, true);
  dv.setBigUint64(16, f.modlistPaddr, true);
  dv.setBigUint64(24, f.cmdlinePaddr, true);
  dv.setBigUint64(32, f.rsdpPaddr, true);
  dv.setBigUint64(40, f.memmapPaddr, true);
  dv.setUint32(48, f.memmapEntries, true);
  dv.setUint32(52, 0, true); // reserved
  return b;
}

export function encodeModlistEntry(m: ModlistEntry): Uint8Array {
  const b = new Uint8Array(HVM_MODLIST_ENTRY_SIZE);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, m.paddr, true);
  dv.setBigUint64(8, m.size, true);
  dv.setBigUint64(16, m.cmdlinePaddr, true);
  dv.setBigUint64(24, 0n, true); // reserved
  return b;
}

export function encodeMemmapEntry(e: MemmapEntry | { addr: bigint; size: bigint; type: number }): Uint8Array {
  const b = new Uint8Array(HVM_MEMMAP_ENTRY_SIZE);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, BigInt(e.addr), true);
  dv.setBigUint64(8, BigInt(e.size), true);
  dv.setUint32(16, e.type, true);
  dv.setUint32(20, 0, true); // reserved
  return b;
}

/**
 * The whole start_info block for `layout`, as bytes to be copied to guest-physical
 * `layout.block.start`. `cmdline` is the already-encoded command line (without NUL).
 */
export function buildStartInfoBlock(layout: GuestLayout, cmdline: Uint8Array): Uint8Array {
  const base = layout.block.start;
  const out = new Uint8Array(layout.block.end - base);
  const at = (gpa: number, bytes: Uint8Array) => out.set(bytes, gpa - base);
  const nrModules = layout.initrd ? 1 : 0;
  at(
    layout.startInfo,
    encodeStartInfo({
      flags: 0,
      nrModules,
      modlistPaddr: nrModules ? BigInt(layout.modlist) : 0n,
      cmdlinePaddr: BigInt(layout.cmdline),
      rsdpPaddr: BigInt(layout.rsdp),
      memmapPaddr: BigInt(layout.memmap),
      memmapEntries: layout.memmapEntries.length,
    }),
  );
  at(layout.cmdline, cmdline); // the NUL is already there: `out` starts zeroed
  if (layout.initrd) {
    at(
      layout.modlist,
      encodeModlistEntry({
        paddr: BigInt(layout.initrd.start),
        size: BigInt(layout.initrd.end - layout.initrd.start),
        cmdlinePaddr: 0n,
      }),
    );
  }
  layout.memmapEntries.forEach((e, i) => at(layout.memmap + i * HVM_MEMMAP_ENTRY_SIZE, encodeMemmapEntry(e)));
  return out;
}
