// What is in a file the user dropped: a kernel (ELF vmlinux, bzImage or compressed vmlinux, told
// apart by content), an initrd (cpio, possibly compressed), a System.map, or nothing bootable, with
// a short report (format, compression, PVH entry, segments, sizes) or a clear reason. Pure and
// synchronous (decompresses), so the page runs it in a worker (inspect-worker.ts).

import { kernelElfBytes, identifyKernelImage } from '../hypervisor/kernel-image';
import { parseBzImage } from '../hypervisor/bzimage';
import { parsePvhKernel } from '../hypervisor/pvh-note';
import { PT_LOAD } from '../hypervisor/elf';
import { compressionName, decompress, detectCompression, SUPPORTED } from '../hypervisor/decompress/index';
import { elfSymbols, looksLikeSystemMap, systemMapSymbols } from './symbols';

export type FileRole = 'kernel' | 'initrd' | 'system-map' | 'invalid';

export interface FileReport {
  name: string;
  size: number;
  role: FileRole;
  /** One-line summary ("bzImage (boot protocol 2.15), gzip payload → ELF64 vmlinux 11.4 MiB"). */
  format: string;
  /** Further facts as label/value pairs. */
  facts: [string, string][];
  /** PVH entry point (kernel only). */
  pvhEntry?: number;
  /** Why it cannot boot (role 'invalid', or a kernel without a PVH note…). */
  error?: string;
}

export const hex = (v: number | bigint) => '0x' + v.toString(16);

export function size(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

const isElf = (b: Uint8Array) => b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
const isCpio = (b: Uint8Array) => b.length >= 6 && String.fromCharCode(...b.subarray(0, 5)) === '07070';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function kernelReport(name: string, b: Uint8Array): FileReport {
  const id = identifyKernelImage(b);
  const facts: [string, string][] = [];
  let format: string;
  if (id.kind === 'bzimage') {
    const bz = parseBzImage(b);
    const v = `${bz.version >> 8}.${(bz.version & 0xff).toString().padStart(2, '0')}`;
    format = `bzImage (boot protocol ${v}), ${bz.compression ? compressionName(bz.compression) : 'unknown'}-compressed payload`;
    facts.push(['payload', `${size(bz.payloadLength)} at ${hex(bz.payloadStart)}`]);
  } else if (id.kind === 'compressed') {
    format = `${compressionName(id.compression!)}-compressed vmlinux`;
  } else {
    format = 'ELF vmlinux';
  }
  const elf = kernelElfBytes(b); // throws BootError with the reason
  const { elf: image, pvh } = parsePvhKernel(elf);
  if (id.kind !== 'elf') facts.push(['unwrapped ELF', size(elf.length)]);
  facts.unshift(['ELF', `ELF${image.bits}, entry ${hex(image.entry)}`]);
  facts.unshift(['PVH entry', hex(pvh.entry)]);
  const loads = image.segments.filter((s) => s.type === PT_LOAD);
  let lo = -1n;
  let hi = 0n;
  let mem = 0n;
  for (const s of loads) {
    if (lo < 0n || s.paddr < lo) lo = s.paddr;
    if (s.paddr + s.memsz > hi) hi = s.paddr + s.memsz;
    mem += s.memsz;
  }
  facts.push(['segments', `${loads.length} PT_LOAD, ${size(Number(mem))} in memory, physical ${hex(lo < 0n ? 0n : lo)}–${hex(hi)}`]);
  if (pvh.reloc) facts.push(['relocatable', `align ${hex(pvh.reloc.align)}`]);
  const syms = elfSymbols(elf);
  facts.push(['symbols', syms ? `${syms.names.length.toLocaleString('en-US')} (ELF .symtab): RIPs will be symbolised` : 'none (stripped): drop its System.map to symbolise RIPs']);
  return { name, size: b.length, role: 'kernel', format, facts, pvhEntry: pvh.entry };
}

function initrdReport(name: string, b: Uint8Array, inner: Uint8Array, compression?: string): FileReport {
  return {
    name,
    size: b.length,
    role: 'initrd',
    format: `${compression ? `${compression}-compressed ` : ''}cpio archive (initramfs)`,
    facts: compression ? [['uncompressed', size(inner.length)]] : [],
  };
}

/** Classifies and describes a dropped file. Never throws. */
export function inspectFile(name: string, b: Uint8Array): FileReport {
  const invalid = (error: string, format = 'not bootable'): FileReport => ({ name, size: b.length, role: 'invalid', format, facts: [], error });
  try {
    if (b.length === 0) return invalid('the file is empty');
    if (isCpio(b)) return initrdReport(name, b, b);
    if (isElf(b) || identifyKernelImage(b).kind === 'bzimage') return kernelReport(name, b);
    const c = detectCompression(b);
    if (c) {
      if (!SUPPORTED.includes(c)) return invalid(`${compressionName(c)}-compressed data: this format is not supported (supported: ${SUPPORTED.map(compressionName).join(', ')})`);
      let inner: Uint8Array;
      try {
        inner = decompress(b, c);
      } catch (err) {
        return invalid(`${compressionName(c)}-compressed, but it does not decompress: ${message(err)}`);
      }
      if (isElf(inner)) return kernelReport(name, b);
      if (isCpio(inner)) return initrdReport(name, b, inner, compressionName(c));
      return invalid(`${compressionName(c)}-compressed, but what it holds is neither an ELF kernel nor a cpio archive (initrd)`);
    }
    const head = new TextDecoder('utf-8', { fatal: false }).decode(b.subarray(0, 4096));
    if (looksLikeSystemMap(head)) {
      const syms = systemMapSymbols(new TextDecoder().decode(b));
      if (syms) return { name, size: b.length, role: 'system-map', format: 'System.map', facts: [['symbols', `${syms.names.length.toLocaleString('en-US')} text symbols`]] };
    }
    // Neither: let the kernel loader say what it looks like.
    try {
      kernelElfBytes(b);
    } catch (err) {
      return invalid(`neither a kernel nor an initrd: ${message(err)}`);
    }
    return invalid('neither a kernel nor an initrd');
  } catch (err) {
    return { name, size: b.length, role: 'invalid', format: 'kernel that cannot boot', facts: [], error: message(err) };
  }
}
