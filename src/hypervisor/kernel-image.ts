// What kind of kernel file did the user give us? Decided by content, never by file name:
//   - an ELF (vmlinux): used as it is;
//   - a bzImage (/boot/vmlinuz-*): its compressed payload is unwrapped to the ELF (bzimage.ts);
//   - a compressed file (vmlinux.gz, .xz, .zst, LZ4 legacy): decompressed, and must then be an ELF;
//   - anything else: a BootError saying what it looks like.
// Unwrapping is cached per input array, so checking the inputs and then loading them decompress once.

import { BootError } from './boot-error.ts';
import { hasBzImageHeader, unwrapBzImage } from './bzimage.ts';
import { compressionName, decompress, DecompressError, detectCompression, SUPPORTED, type Compression } from './decompress/index.ts';

export type KernelImageKind = 'elf' | 'bzimage' | 'compressed' | 'unknown';

export interface KernelImageInfo {
  kind: KernelImageKind;
  /** For 'compressed' (and known for a 'bzimage' once unwrapped). */
  compression?: Compression;
}

function isElf(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

/** Classifies a kernel file by its content. */
export function identifyKernelImage(b: Uint8Array): KernelImageInfo {
  if (isElf(b)) return { kind: 'elf' };
  if (hasBzImageHeader(b)) return { kind: 'bzimage' };
  const c = detectCompression(b);
  if (c) return { kind: 'compressed', compression: c };
  return { kind: 'unknown' };
}

function describeUnknown(b: Uint8Array): string {
  if (b.length === 0) return 'the kernel file is empty';
  if (b.length >= 2 && b[0] === 0x4d && b[1] === 0x5a) return 'a PE/EFI executable without a Linux boot header, not a kernel this loader understands';
  if (b.length >= 6 && b[0] === 0x30 && b[1] === 0x37 && b[2] === 0x30 && b[3] === 0x37 && b[4] === 0x30) return 'a cpio archive (an initramfs?), not a kernel: pass it with --initrd';
  if (b.length >= 2 && b[0] === 0x23 && b[1] === 0x21) return 'a script, not a kernel';
  const magic = Array.from(b.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
  return `not an ELF file (bad magic: expected 7f 45 4c 46), nor a bzImage ("HdrS" at 0x202) or a compressed vmlinux; it starts with ${magic}`;
}

const cache = new WeakMap<Uint8Array, Uint8Array>();

/**
 * Returns the ELF bytes for a kernel file: the input itself for an ELF, the unwrapped payload for a
 * bzImage or a compressed vmlinux. Throws BootError (code 'not-elf', 'truncated' or 'unsupported').
 */
export function kernelElfBytes(b: Uint8Array): Uint8Array {
  const hit = cache.get(b);
  if (hit) return hit;
  const id = identifyKernelImage(b);
  let elf: Uint8Array;
  switch (id.kind) {
    case 'elf':
      return b;
    case 'bzimage':
      elf = unwrapBzImage(b).elf;
      if (!isElf(elf)) throw new BootError('not-elf', 'kernel', 'the bzImage payload decompressed, but it is not an ELF vmlinux');
      break;
    case 'compressed': {
      const c = id.compression!;
      if (!SUPPORTED.includes(c)) {
        throw new BootError('unsupported', 'kernel', `the kernel file is ${compressionName(c)}-compressed, which is not supported; supported: ${SUPPORTED.map(compressionName).join(', ')}`);
      }
      try {
        elf = decompress(b, c);
      } catch (e) {
        if (e instanceof DecompressError) {
          throw new BootError(e.kind === 'truncated' ? 'truncated' : 'unsupported', 'kernel', `cannot decompress the ${compressionName(c)}-compressed kernel file: ${e.message}`);
        }
        throw e;
      }
      if (!isElf(elf)) throw new BootError('not-elf', 'kernel', `the kernel file is ${compressionName(c)}-compressed, but what it holds is not an ELF vmlinux`);
      break;
    }
    default:
      throw new BootError('not-elf', 'kernel', describeUnknown(b));
  }
  cache.set(b, elf);
  return elf;
}
