// The Xen ELF notes a PVH loader reads (xen/include/public/elfnote.h).
//
// Owner name "Xen". Numeric notes carry 1, 2, 4 or 8 little-endian bytes (read by descsz, as Xen's
// libelf does). XEN_ELFNOTE_PHYS32_ENTRY is mandatory: it is the 32-bit physical entry point, which is
// not e_entry. XEN_ELFNOTE_PHYS32_RELOC (Linux 6.12+) is parsed and reported; we still load at p_paddr.

import { BootError, hex } from './boot-error.ts';
import { parseElf, readNotes, type ElfImage } from './elf.ts';

export const XEN_NOTE_OWNER = 'Xen';
export const XEN_ELFNOTE_SUPPORTED_FEATURES = 17;
export const XEN_ELFNOTE_PHYS32_ENTRY = 18;
export const XEN_ELFNOTE_PHYS32_RELOC = 19;

export interface Phys32Reloc {
  /** Required physical alignment of the load address (default 2 MiB when absent from the note). */
  align: number;
  /** Lowest allowed load address, if given. */
  min?: number;
  /** Highest allowed address of the image's last byte, if given. */
  max?: number;
}

export interface PvhInfo {
  /** XEN_ELFNOTE_PHYS32_ENTRY: guest-physical 32-bit entry point. */
  entry: number;
  reloc?: Phys32Reloc;
  /** XEN_ELFNOTE_SUPPORTED_FEATURES bitmap, when present. */
  supportedFeatures?: bigint;
}

const DEFAULT_RELOC_ALIGN = 0x200000;

/** Reads a numeric note (1/2/4/8 bytes, chosen by descsz). */
export function noteNumeric(desc: Uint8Array, type: number): bigint {
  const dv = new DataView(desc.buffer, desc.byteOffset, desc.byteLength);
  switch (desc.byteLength) {
    case 1:
      return BigInt(dv.getUint8(0));
    case 2:
      return BigInt(dv.getUint16(0, true));
    case 4:
      return BigInt(dv.getUint32(0, true));
    case 8:
      return dv.getBigUint64(0, true);
    default:
      throw new BootError(
        'bad-note',
        'kernel',
        `Xen note type ${type} has a ${desc.byteLength}-byte value; numeric notes must be 1, 2, 4 or 8 bytes`,
      );
  }
}

export function findPvhInfo(bytes: Uint8Array, elf: ElfImage): PvhInfo {
  let entry: bigint | undefined;
  let reloc: Phys32Reloc | undefined;
  let supportedFeatures: bigint | undefined;
  for (const region of elf.notes) {
    for (const note of readNotes(bytes, region)) {
      if (note.name !== XEN_NOTE_OWNER) continue;
      if (note.type === XEN_ELFNOTE_PHYS32_ENTRY) {
        entry = noteNumeric(note.desc, note.type);
      } else if (note.type === XEN_ELFNOTE_SUPPORTED_FEATURES) {
        supportedFeatures = noteNumeric(note.desc, note.type);
      } else if (note.type === XEN_ELFNOTE_PHYS32_RELOC) {
        const d = note.desc;
        const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
        if (d.byteLength % 4 !== 0 || d.byteLength > 12) {
          throw new BootError('bad-note', 'kernel', `Xen PHYS32_RELOC note has ${d.byteLength} bytes; expected up to three u32 values`);
        }
        reloc = {
          align: d.byteLength >= 4 ? dv.getUint32(0, true) : DEFAULT_RELOC_ALIGN,
          min: d.byteLength >= 8 ? dv.getUint32(4, true) : undefined,
          max: d.byteLength >= 12 ? dv.getUint32(8, true) : undefined,
        };
      }
    }
  }
  if (entry === undefined) {
    throw new BootError('no-pvh-note', 'kernel', 'kernel has no Xen PHYS32_ENTRY note: it was not built with CONFIG_PVH');
  }
  if (entry > 0xffffffffn) {
    throw new BootError('bad-note', 'kernel', `Xen PHYS32_ENTRY ${hex(entry)} is not a 32-bit physical address`);
  }
  return { entry: Number(entry), reloc, supportedFeatures };
}

/** Parses an ELF kernel and its PVH notes; throws BootError on anything that cannot boot. */
export function parsePvhKernel(bytes: Uint8Array): { elf: ElfImage; pvh: PvhInfo } {
  const elf = parseElf(bytes);
  return { elf, pvh: findPvhInfo(bytes, elf) };
}
