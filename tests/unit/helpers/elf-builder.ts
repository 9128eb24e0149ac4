// Builds small ELF32/ELF64 images in memory for the loader tests, so every field (and every way of
// being broken) is under the test's control. Layout: ELF header, program headers, segment/section
// contents (8-byte aligned), then the section header table when sections are given.

export interface SegSpec {
  type: number;
  paddr: number;
  vaddr?: bigint;
  data: Uint8Array;
  memsz?: number;
  align?: number;
}

export interface SectionSpec {
  type: number;
  data: Uint8Array;
  align?: number;
}

export interface ElfSpec {
  bits: 32 | 64;
  machine?: number;
  entry?: bigint;
  segments: SegSpec[];
  sections?: SectionSpec[];
  /** Override e_ident bytes (class at 4, data at 5). */
  ident?: { cls?: number; data?: number };
}

const align8 = (n: number) => (n + 7) & ~7;

/** One ELF note entry with 4-byte padding: namesz, descsz, type, name\0, desc. */
export function note(name: string, type: number, desc: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name + '\0');
  const pad4 = (n: number) => (n + 3) & ~3;
  const out = new Uint8Array(12 + pad4(nameBytes.length) + pad4(desc.length));
  const dv = new DataView(out.buffer);
  dv.setUint32(0, nameBytes.length, true);
  dv.setUint32(4, desc.length, true);
  dv.setUint32(8, type, true);
  out.set(nameBytes, 12);
  out.set(desc, 12 + pad4(nameBytes.length));
  return out;
}

export function le(value: bigint | number, bytes: 1 | 2 | 4 | 8 | 12): Uint8Array {
  const out = new Uint8Array(bytes);
  let v = BigInt(value);
  for (let i = 0; i < bytes; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function buildElf(spec: ElfSpec): Uint8Array {
  const is64 = spec.bits === 64;
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const shentsize = is64 ? 64 : 40;
  const sections = spec.sections ?? [];
  let off = align8(ehsize + spec.segments.length * phentsize);
  const segOffsets = spec.segments.map((s) => {
    const o = off;
    off = align8(off + s.data.length);
    return o;
  });
  const secOffsets = sections.map((s) => {
    const o = off;
    off = align8(off + s.data.length);
    return o;
  });
  // Section table: index 0 is the null section.
  const shoff = sections.length ? off : 0;
  const shnum = sections.length ? sections.length + 1 : 0;
  const total = off + shnum * shentsize;
  const b = new Uint8Array(total);
  const dv = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, spec.ident?.cls ?? (is64 ? 2 : 1), spec.ident?.data ?? 1, 1], 0);
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, spec.machine ?? (is64 ? 62 : 3), true);
  dv.setUint32(20, 1, true);
  const entry = spec.entry ?? BigInt(spec.segments[0]?.paddr ?? 0);
  if (is64) {
    dv.setBigUint64(24, entry, true);
    dv.setBigUint64(32, BigInt(ehsize), true);
    dv.setBigUint64(40, BigInt(shoff), true);
    dv.setUint16(52, ehsize, true);
    dv.setUint16(54, phentsize, true);
    dv.setUint16(56, spec.segments.length, true);
    dv.setUint16(58, shentsize, true);
    dv.setUint16(60, shnum, true);
  } else {
    dv.setUint32(24, Number(entry), true);
    dv.setUint32(28, ehsize, true);
    dv.setUint32(32, shoff, true);
    dv.setUint16(40, ehsize, true);
    dv.setUint16(42, phentsize, true);
    dv.setUint16(44, spec.segments.length, true);
    dv.setUint16(46, shentsize, true);
    dv.setUint16(48, shnum, true);
  }
  spec.segments.forEach((s, i) => {
    const o = ehsize + i * phentsize;
    const memsz = s.memsz ?? s.data.length;
    const vaddr = s.vaddr ?? BigInt(s.paddr);
    const align = s.align ?? 4;
    if (is64) {
      dv.setUint32(o, s.type, true);
      dv.setUint32(o + 4, 7, true);
      dv.setBigUint64(o + 8, BigInt(segOffsets[i]), true);
      dv.setBigUint64(o + 16, vaddr, true);
      dv.setBigUint64(o + 24, BigInt(s.paddr), true);
      dv.setBigUint64(o + 32, BigInt(s.data.length), true);
      dv.setBigUint64(o + 40, BigInt(memsz), true);
      dv.setBigUint64(o + 48, BigInt(align), true);
    } else {
      dv.setUint32(o, s.type, true);
      dv.setUint32(o + 4, segOffsets[i], true);
      dv.setUint32(o + 8, Number(vaddr), true);
      dv.setUint32(o + 12, s.paddr, true);
      dv.setUint32(o + 16, s.data.length, true);
      dv.setUint32(o + 20, memsz, true);
      dv.setUint32(o + 24, 7, true);
      dv.setUint32(o + 28, align, true);
    }
    b.set(s.data, segOffsets[i]);
  });
  sections.forEach((s, i) => {
    b.set(s.data, secOffsets[i]);
    const o = shoff + (i + 1) * shentsize;
    if (is64) {
      dv.setUint32(o + 4, s.type, true);
      dv.setBigUint64(o + 24, BigInt(secOffsets[i]), true);
      dv.setBigUint64(o + 32, BigInt(s.data.length), true);
      dv.setBigUint64(o + 48, BigInt(s.align ?? 4), true);
    } else {
      dv.setUint32(o + 4, s.type, true);
      dv.setUint32(o + 16, secOffsets[i], true);
      dv.setUint32(o + 20, s.data.length, true);
      dv.setUint32(o + 32, s.align ?? 4, true);
    }
  });
  return b;
}
