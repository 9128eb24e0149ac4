// Linux bzImage (the /boot/vmlinuz-* a distribution ships): find the compressed kernel inside it and
// decompress it to the ELF vmlinux that the PVH loader takes.
//
// Boot protocol header fields used (Linux Documentation/arch/x86/boot.rst, "The real-mode kernel
// header"; offsets are from the start of the file):
//   0x1F1 u8   setup_sects      size of the real-mode setup in 512-byte sectors (0 means 4)
//   0x1FE u16  boot_flag        0xAA55
//   0x202 u32  header           "HdrS"
//   0x206 u16  version          boot protocol version (major.minor as bytes)
//   0x248 u32  payload_offset   (2.08+) offset of the compressed payload from the protected-mode start
//   0x24C u32  payload_length   (2.08+) its length
// The protected-mode code starts at (setup_sects + 1) * 512. Every payload format except gzip is
// followed by a 4-byte little-endian uncompressed size (Linux scripts/Makefile.lib, size_append).

import { BootError, hex } from './boot-error.ts';
import { compressionName, decompress, DecompressError, detectCompression, SUPPORTED, type Compression } from './decompress/index.ts';

export const BZ_SETUP_SECTS = 0x1f1;
export const BZ_BOOT_FLAG = 0x1fe;
export const BZ_HEADER = 0x202;
export const BZ_VERSION = 0x206;
export const BZ_PAYLOAD_OFFSET = 0x248;
export const BZ_PAYLOAD_LENGTH = 0x24c;
const HDRS = 0x53726448; // "HdrS" as a little-endian u32

export interface BzImageInfo {
  /** Boot protocol version, e.g. 0x020f for 2.15. */
  version: number;
  setupSects: number;
  /** File offset of the protected-mode code. */
  pmStart: number;
  /** File offset and length of the compressed payload. */
  payloadStart: number;
  payloadLength: number;
  compression: Compression | undefined;
  /** The 4-byte uncompressed size after the payload, for formats that carry one. */
  uncompressedSize?: number;
}

/** True if the bytes carry the boot protocol signature "HdrS" at 0x202. */
export function hasBzImageHeader(b: Uint8Array): boolean {
  return b.length >= BZ_HEADER + 4 && b[BZ_HEADER] === 0x48 && b[BZ_HEADER + 1] === 0x64 && b[BZ_HEADER + 2] === 0x72 && b[BZ_HEADER + 3] === 0x53;
}

function versionString(v: number): string {
  return `${v >> 8}.${(v & 0xff).toString().padStart(2, '0')}`;
}

/** Reads the header and locates the payload. Throws BootError for anything that is not a usable bzImage. */
export function parseBzImage(b: Uint8Array): BzImageInfo {
  if (b.length < 0x250) {
    throw new BootError('truncated', 'kernel', `truncated bzImage: ${b.length} bytes is shorter than the boot protocol header (0x250 bytes)`);
  }
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint32(BZ_HEADER, true) !== HDRS) throw new BootError('not-elf', 'kernel', 'not a bzImage: no "HdrS" boot protocol signature at 0x202');
  const version = dv.getUint16(BZ_VERSION, true);
  if (version < 0x0208) {
    throw new BootError(
      'unsupported',
      'kernel',
      `bzImage boot protocol ${versionString(version)} is too old: payload_offset/payload_length need 2.08 or later (Linux 2.6.26+)`,
    );
  }
  const setupSects = b[BZ_SETUP_SECTS] || 4;
  const pmStart = (setupSects + 1) * 512;
  const payloadOffset = dv.getUint32(BZ_PAYLOAD_OFFSET, true);
  const payloadLength = dv.getUint32(BZ_PAYLOAD_LENGTH, true);
  const payloadStart = pmStart + payloadOffset;
  if (payloadLength === 0) throw new BootError('unsupported', 'kernel', 'bzImage header has payload_length 0: no compressed kernel inside');
  if (payloadStart + payloadLength > b.length) {
    throw new BootError(
      'truncated',
      'kernel',
      `truncated bzImage: the compressed kernel spans bytes [${hex(payloadStart)}, ${hex(payloadStart + payloadLength)}) but the file is only ${hex(b.length)} bytes long`,
    );
  }
  const payload = b.subarray(payloadStart, payloadStart + payloadLength);
  const compression = detectCompression(payload);
  const info: BzImageInfo = { version, setupSects, pmStart, payloadStart, payloadLength, compression };
  if (compression !== undefined && compression !== 'gzip' && payloadLength >= 4) {
    info.uncompressedSize = dv.getUint32(payloadStart + payloadLength - 4, true);
  }
  return info;
}

/** Decompresses the bzImage payload and returns it (normally the ELF vmlinux). */
export function unwrapBzImage(b: Uint8Array): { elf: Uint8Array; info: BzImageInfo } {
  const info = parseBzImage(b);
  const c = info.compression;
  const where = `at file offset ${hex(info.payloadStart)} (boot protocol ${versionString(info.version)})`;
  if (c === undefined) {
    const magic = Array.from(b.subarray(info.payloadStart, info.payloadStart + 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
    throw new BootError('unsupported', 'kernel', `bzImage payload ${where} is in an unknown compression format (first bytes ${magic})`);
  }
  if (!SUPPORTED.includes(c)) {
    throw new BootError(
      'unsupported',
      'kernel',
      `bzImage payload ${where} is ${compressionName(c)}-compressed, which is not supported; supported: ${SUPPORTED.map(compressionName).join(', ')}`,
    );
  }
  let data = b.subarray(info.payloadStart, info.payloadStart + info.payloadLength);
  if (info.uncompressedSize !== undefined) data = data.subarray(0, data.length - 4);
  let elf: Uint8Array;
  try {
    elf = decompress(data, c, info.uncompressedSize);
  } catch (e) {
    if (e instanceof DecompressError) {
      throw new BootError(e.kind === 'truncated' ? 'truncated' : 'unsupported', 'kernel', `cannot decompress the bzImage's ${compressionName(c)} payload ${where}: ${e.message}`);
    }
    throw e;
  }
  return { elf, info };
}
