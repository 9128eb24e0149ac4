// ELF reader for kernel images: just what a PVH loader needs.
//
// Accepts little-endian x86 images: ELF64 with EM_X86_64 (vmlinux, our test guests) and ELF32 with
// EM_386. Gives back the program headers and the bytes of every note region (PT_NOTE segments, or
// SHT_NOTE sections when an image has no PT_NOTE). Every offset read from the file is bounds-checked;
// a file that ends too early is reported as truncated, naming the structure that is cut off.
//
// ELF header fields used (offsets for ELF32 / ELF64):
//   e_ident[0..3] magic 7F 'E' 'L' 'F', [4] class (1 = 32, 2 = 64), [5] data (1 = little endian)
//   e_machine     @18 / @18  u16
//   e_entry       @24 / @24  u32 / u64
//   e_phoff       @28 / @32  u32 / u64
//   e_shoff       @32 / @40  u32 / u64
//   e_phentsize   @42 / @54, e_phnum @44 / @56, e_shentsize @46 / @58, e_shnum @48 / @60   (u16)

import { BootError, hex } from './boot-error.ts';

export const PT_LOAD = 1;
export const PT_NOTE = 4;
export const SHT_NOTE = 7;
export const EM_386 = 3;
export const EM_X86_64 = 62;

const ELFCLASS32 = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;

/** Offset of the "HdrS" signature in a Linux bzImage (boot protocol header). */
const BZIMAGE_HDRS_OFFSET = 0x202;

export interface ElfSegment {
  type: number;
  flags: number;
  /** File offset and size of the bytes stored in the file. */
  offset: number;
  filesz: number;
  vaddr: bigint;
  paddr: bigint;
  /** Size in memory (>= filesz; the rest is zero-filled). */
  memsz: bigint;
  align: bigint;
}

/** A region of the file holding ELF notes (from a PT_NOTE segment or an SHT_NOTE section). */
export interface NoteRegion {
  source: 'PT_NOTE' | 'SHT_NOTE';
  offset: number;
  size: number;
  /** Note entries are padded to this (4 for almost everything; 8 for some ELF64 notes). */
  align: number;
}

export interface ElfImage {
  bits: 32 | 64;
  machine: number;
  entry: bigint;
  segments: ElfSegment[];
  notes: NoteRegion[];
}

class Reader {
  private readonly dv: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get length(): number {
    return this.bytes.byteLength;
  }
  u16(o: number): number {
    return this.dv.getUint16(o, true);
  }
  u32(o: number): number {
    return this.dv.getUint32(o, true);
  }
  u64(o: number): bigint {
    return this.dv.getBigUint64(o, true);
  }
  word(o: number, bits: 32 | 64): bigint {
    return bits === 64 ? this.u64(o) : BigInt(this.u32(o));
  }
}

function truncated(what: string, end: bigint | number, fileLen: number): BootError {
  return new BootError(
    'truncated',
    'kernel',
    `truncated ELF file: ${what} ends at byte ${end} but the file is only ${fileLen} bytes long`,
  );
}

/** True if the bytes look like a Linux bzImage (boot-protocol "HdrS" signature at 0x202). */
export function isBzImage(bytes: Uint8Array): boolean {
  const o = BZIMAGE_HDRS_OFFSET;
  return (
    bytes.length >= o + 4 &&
    bytes[o] === 0x48 && // H
    bytes[o + 1] === 0x64 && // d
    bytes[o + 2] === 0x72 && // r
    bytes[o + 3] === 0x53 // S
  );
}

function isElfMagic(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

/** Converts a 64-bit file offset/size into a number, or reports the structure as truncated. */
function fileRange(what: string, off: bigint, size: bigint, fileLen: number): number {
  const end = off + size;
  if (end > BigInt(fileLen)) throw truncated(what, end, fileLen);
  return Number(off);
}

export function parseElf(bytes: Uint8Array): ElfImage {
  if (!isElfMagic(bytes)) {
    if (isBzImage(bytes)) {
      throw new BootError(
        'bzimage',
        'kernel',
        'this is a bzImage (compressed Linux boot image); only an uncompressed ELF vmlinux with a PVH note is supported so far (bzImage support comes later; extract vmlinux with scripts/extract-vmlinux)',
      );
    }
    throw new BootError('not-elf', 'kernel', 'not an ELF file (bad magic: expected 7f 45 4c 46)');
  }
  if (bytes.length < 16) throw truncated('the ELF identification (e_ident)', 16, bytes.length);
  const cls = bytes[4];
  const data = bytes[5];
  if (cls !== ELFCLASS32 && cls !== ELFCLASS64) {
    throw new BootError('unsupported', 'kernel', `unsupported ELF class ${cls} (expected 1 = ELF32 or 2 = ELF64)`);
  }
  if (data !== ELFDATA2LSB) {
    throw new BootError('unsupported', 'kernel', `unsupported ELF data encoding ${data}: only little-endian (1) x86 images can boot`);
  }
  const bits: 32 | 64 = cls === ELFCLASS64 ? 64 : 32;
  const ehsize = bits === 64 ? 64 : 52;
  if (bytes.length < ehsize) throw truncated(`the ELF${bits} header`, ehsize, bytes.length);
  const r = new Reader(bytes);
  const machine = r.u16(18);
  const wantMachine = bits === 64 ? EM_X86_64 : EM_386;
  if (machine !== wantMachine) {
    throw new BootError(
      'unsupported',
      'kernel',
      `unsupported ELF${bits} machine ${machine} (expected ${wantMachine} = ${bits === 64 ? 'EM_X86_64' : 'EM_386'})`,
    );
  }
  const entry = r.word(24, bits);
  const phoff = bits === 64 ? r.u64(32) : BigInt(r.u32(28));
  const shoff = bits === 64 ? r.u64(40) : BigInt(r.u32(32));
  const phentsize = r.u16(bits === 64 ? 54 : 42);
  const phnum = r.u16(bits === 64 ? 56 : 44);
  const shentsize = r.u16(bits === 64 ? 58 : 46);
  const shnum = r.u16(bits === 64 ? 60 : 48);

  const segments: ElfSegment[] = [];
  if (phnum > 0) {
    const minPh = bits === 64 ? 56 : 32;
    if (phentsize < minPh) {
      throw new BootError('unsupported', 'kernel', `ELF program header entry size ${phentsize} is smaller than ${minPh}`);
    }
    const base = fileRange('the program header table', phoff, BigInt(phnum * phentsize), bytes.length);
    for (let i = 0; i < phnum; i++) {
      const o = base + i * phentsize;
      let seg: Omit<ElfSegment, 'offset' | 'filesz'> & { offset: bigint; filesz: bigint };
      if (bits === 64) {
        seg = {
          type: r.u32(o),
          flags: r.u32(o + 4),
          offset: r.u64(o + 8),
          vaddr: r.u64(o + 16),
          paddr: r.u64(o + 24),
          filesz: r.u64(o + 32),
          memsz: r.u64(o + 40),
          align: r.u64(o + 48),
        };
      } else {
        seg = {
          type: r.u32(o),
          offset: BigInt(r.u32(o + 4)),
          vaddr: BigInt(r.u32(o + 8)),
          paddr: BigInt(r.u32(o + 12)),
          filesz: BigInt(r.u32(o + 16)),
          memsz: BigInt(r.u32(o + 20)),
          flags: r.u32(o + 24),
          align: BigInt(r.u32(o + 28)),
        };
      }
      let offset = 0;
      if (seg.type === PT_LOAD || seg.type === PT_NOTE) {
        const what = `${seg.type === PT_LOAD ? 'PT_LOAD' : 'PT_NOTE'} segment ${i} (file offset ${hex(seg.offset)}, ${seg.filesz} bytes)`;
        offset = fileRange(what, seg.offset, seg.filesz, bytes.length);
        if (seg.type === PT_LOAD && seg.filesz > seg.memsz) {
          throw new BootError(
            'unsupported',
            'kernel',
            `PT_LOAD segment ${i} is malformed: p_filesz ${seg.filesz} is larger than p_memsz ${seg.memsz}`,
          );
        }
      }
      segments.push({ ...seg, offset, filesz: Number(seg.filesz) });
    }
  }

  const notes: NoteRegion[] = segments
    .filter((s) => s.type === PT_NOTE)
    .map((s) => ({ source: 'PT_NOTE' as const, offset: s.offset, size: s.filesz, align: s.align === 8n ? 8 : 4 }));

  // Fallback like Xen's libelf: no PT_NOTE at all → look for SHT_NOTE sections.
  if (notes.length === 0 && shnum > 0 && shoff !== 0n) {
    const minSh = bits === 64 ? 64 : 40;
    if (shentsize < minSh) {
      throw new BootError('unsupported', 'kernel', `ELF section header entry size ${shentsize} is smaller than ${minSh}`);
    }
    const base = fileRange('the section header table', shoff, BigInt(shnum * shentsize), bytes.length);
    for (let i = 0; i < shnum; i++) {
      const o = base + i * shentsize;
      const type = r.u32(o + 4);
      if (type !== SHT_NOTE) continue;
      const off = bits === 64 ? r.u64(o + 24) : BigInt(r.u32(o + 16));
      const size = bits === 64 ? r.u64(o + 32) : BigInt(r.u32(o + 20));
      const align = bits === 64 ? r.u64(o + 48) : BigInt(r.u32(o + 32));
      const start = fileRange(`SHT_NOTE section ${i} (file offset ${hex(off)}, ${size} bytes)`, off, size, bytes.length);
      notes.push({ source: 'SHT_NOTE', offset: start, size: Number(size), align: align === 8n ? 8 : 4 });
    }
  }

  return { bits, machine, entry, segments, notes };
}

export interface ElfNote {
  name: string;
  type: number;
  desc: Uint8Array;
}

/** Splits a note region into entries: namesz u32, descsz u32, type u32, name, desc (each padded). */
export function readNotes(bytes: Uint8Array, region: NoteRegion): ElfNote[] {
  const r = new Reader(bytes);
  const out: ElfNote[] = [];
  const end = region.offset + region.size;
  const pad = (n: number) => (n + region.align - 1) & ~(region.align - 1);
  let o = region.offset;
  while (o < end) {
    if (o + 12 > end) throw truncated(`a note header in the ${region.source} region at ${hex(region.offset)}`, o + 12, end);
    const namesz = r.u32(o);
    const descsz = r.u32(o + 4);
    const type = r.u32(o + 8);
    const nameOff = o + 12;
    const descOff = nameOff + pad(namesz);
    const next = descOff + pad(descsz);
    if (descOff + descsz > end) {
      throw new BootError(
        'truncated',
        'kernel',
        `truncated ELF file: note type ${type} in the ${region.source} region at ${hex(region.offset)} runs past the end of its region (${descOff + descsz} > ${end})`,
      );
    }
    let nameLen = namesz;
    while (nameLen > 0 && bytes[nameOff + nameLen - 1] === 0) nameLen--;
    let name = '';
    for (let i = 0; i < nameLen; i++) name += String.fromCharCode(bytes[nameOff + i]);
    out.push({ name, type, desc: bytes.subarray(descOff, descOff + descsz) });
    o = next;
  }
  return out;
}
