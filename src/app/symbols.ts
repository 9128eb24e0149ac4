// Kernel symbols for symbolising RIPs in the vCPU panel: from the ELF's .symtab (an unstripped
// vmlinux) or from a System.map the user drops next to the kernel. Pure; runs in the VM worker.
//
// ELF64 section header (64 bytes): sh_name u32 @0, sh_type u32 @4, sh_flags u64 @8, sh_addr u64 @16,
// sh_offset u64 @24, sh_size u64 @32, sh_link u32 @40, sh_info u32 @44, sh_addralign u64 @48,
// sh_entsize u64 @56. Elf64_Sym (24 bytes): st_name u32 @0, st_info u8 @4, st_other u8 @5,
// st_shndx u16 @6, st_value u64 @8, st_size u64 @16.

const SHT_SYMTAB = 2;
const STT_FUNC = 2;
const STT_NOTYPE = 0;

export interface SymbolTable {
  /** Sorted ascending. */
  addrs: BigUint64Array;
  names: string[];
  /** Where the symbols came from ("ELF .symtab", "System.map"). */
  source: string;
}

function build(entries: { addr: bigint; name: string }[], source: string): SymbolTable | null {
  if (entries.length === 0) return null;
  entries.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  return { addrs: BigUint64Array.from(entries.map((e) => e.addr)), names: entries.map((e) => e.name), source };
}

/** Function symbols of an ELF64 little-endian file, or null when it has no .symtab (stripped). */
export function elfSymbols(elf: Uint8Array): SymbolTable | null {
  if (elf.length < 64 || elf[0] !== 0x7f || elf[1] !== 0x45 || elf[4] !== 2 || elf[5] !== 1) return null;
  const dv = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const shoff = Number(dv.getBigUint64(40, true));
  const shentsize = dv.getUint16(58, true);
  const shnum = dv.getUint16(60, true);
  if (shoff === 0 || shentsize < 64 || shoff + shnum * shentsize > elf.length) return null;
  const sh = (i: number) => shoff + i * shentsize;
  const decoder = new TextDecoder();
  for (let i = 0; i < shnum; i++) {
    if (dv.getUint32(sh(i) + 4, true) !== SHT_SYMTAB) continue;
    const off = Number(dv.getBigUint64(sh(i) + 24, true));
    const size = Number(dv.getBigUint64(sh(i) + 32, true));
    const link = dv.getUint32(sh(i) + 40, true);
    if (link >= shnum || off + size > elf.length) return null;
    const strOff = Number(dv.getBigUint64(sh(link) + 24, true));
    const strSize = Number(dv.getBigUint64(sh(link) + 32, true));
    if (strOff + strSize > elf.length) return null;
    const entries: { addr: bigint; name: string }[] = [];
    for (let at = off; at + 24 <= off + size; at += 24) {
      const type = elf[at + 4] & 0xf;
      if (type !== STT_FUNC && type !== STT_NOTYPE) continue;
      const value = dv.getBigUint64(at + 8, true);
      const shndx = dv.getUint16(at + 6, true);
      if (value === 0n || shndx === 0) continue;
      const nameAt = strOff + dv.getUint32(at, true);
      let end = nameAt;
      while (end < strOff + strSize && elf[end] !== 0) end++;
      const name = decoder.decode(elf.subarray(nameAt, end));
      if (name && !name.startsWith('$')) entries.push({ addr: value, name });
    }
    return build(entries, 'ELF .symtab');
  }
  return null;
}

const MAP_LINE = /^([0-9a-fA-F]{8,16}) ([a-zA-Z]) (\S+)/;

/** True if the text looks like a System.map ("ffffffff81000000 T _stext" lines). */
export function looksLikeSystemMap(text: string): boolean {
  const lines = text.split('\n', 20).filter((l) => l.trim() !== '');
  return lines.length > 0 && lines.every((l) => MAP_LINE.test(l));
}

/** Text symbols (t/T/w/W) of a System.map. */
export function systemMapSymbols(text: string): SymbolTable | null {
  const entries: { addr: bigint; name: string }[] = [];
  for (const line of text.split('\n')) {
    const m = MAP_LINE.exec(line);
    if (!m || !'tTwW'.includes(m[2])) continue;
    entries.push({ addr: BigInt('0x' + m[1]), name: m[3] });
  }
  return build(entries, 'System.map');
}

/** "name+0x1a" for an address inside the table's range (at most 1 MiB past the symbol), else null. */
export function symbolise(table: SymbolTable | null, addr: bigint): string | null {
  if (!table) return null;
  const a = table.addrs;
  let lo = 0;
  let hi = a.length - 1;
  if (hi < 0 || addr < a[0]) return null;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (a[mid] <= addr) lo = mid;
    else hi = mid - 1;
  }
  const off = addr - a[lo];
  if (off > 0x100000n) return null;
  return off === 0n ? table.names[lo] : `${table.names[lo]}+0x${off.toString(16)}`;
}
