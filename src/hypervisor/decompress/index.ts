// Kernel payload decompression, in-process and synchronous, in Node and in a browser Web Worker (no
// native addons): gzip (fflate), zstd (fzstd), xz with the x86 BCJ filter (xz.ts), LZ4 legacy frames
// (lz4.ts). Formats are recognised by their magic bytes; bzip2, LZMA, LZO and LZ4 frames are
// recognised and named but not decoded.

import { gunzipSync } from 'fflate';
import { decompress as zstdDecompress } from 'fzstd';
import { DecompressError } from './errors.ts';
import { lz4LegacyDecode } from './lz4.ts';
import { xzDecode } from './xz.ts';

export { DecompressError } from './errors.ts';

export type Compression = 'gzip' | 'xz' | 'zstd' | 'lz4-legacy' | 'lz4-frame' | 'bzip2' | 'lzma' | 'lzo';

/** The formats decompress() can decode. */
export const SUPPORTED: readonly Compression[] = ['gzip', 'xz', 'zstd', 'lz4-legacy'];

const MAGICS: [Compression, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['lz4-legacy', [0x02, 0x21, 0x4c, 0x18]],
  ['lz4-frame', [0x04, 0x22, 0x4d, 0x18]],
  ['bzip2', [0x42, 0x5a, 0x68]], // "BZh"
  ['lzo', [0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a]], // lzop
  ['lzma', [0x5d, 0x00, 0x00]], // .lzma "alone": lc=3 lp=0 pb=2, then the dictionary size
];

/** Which compressed format the bytes start with, if any. */
export function detectCompression(b: Uint8Array): Compression | undefined {
  for (const [name, magic] of MAGICS) {
    if (b.length >= magic.length && magic.every((m, i) => b[i] === m)) return name;
  }
  return undefined;
}

/** Human name for messages. */
export function compressionName(c: Compression): string {
  return { gzip: 'gzip', xz: 'xz', zstd: 'zstd', 'lz4-legacy': 'LZ4 (legacy frame)', 'lz4-frame': 'LZ4 (frame format)', bzip2: 'bzip2', lzma: 'LZMA', lzo: 'LZO' }[c];
}

/**
 * Decompresses `data` in format `c`. `expectedSize`, when known (a bzImage's size trailer), is used to
 * preallocate and is checked. Throws DecompressError.
 */
export function decompress(data: Uint8Array, c: Compression, expectedSize?: number): Uint8Array {
  let out: Uint8Array;
  switch (c) {
    case 'gzip':
      try {
        out = gunzipSync(data);
      } catch (e) {
        throw new DecompressError(/unexpected EOF/i.test(String(e)) ? 'truncated' : 'corrupt', `gzip: ${(e as Error).message}`);
      }
      break;
    case 'zstd':
      try {
        out = zstdDecompress(data, expectedSize !== undefined ? new Uint8Array(expectedSize) : undefined);
      } catch (e) {
        throw new DecompressError(/unexpected EOF/i.test(String(e)) ? 'truncated' : 'corrupt', `zstd: ${(e as Error).message}`);
      }
      break;
    case 'xz':
      out = xzDecode(data, expectedSize);
      break;
    case 'lz4-legacy':
      out = lz4LegacyDecode(data, expectedSize);
      break;
    default:
      throw new DecompressError('unsupported', `${compressionName(c)} is not supported (supported: ${SUPPORTED.map(compressionName).join(', ')})`);
  }
  if (expectedSize !== undefined && out.length !== expectedSize) {
    throw new DecompressError('corrupt', `${compressionName(c)} data decoded to ${out.length} bytes, ${expectedSize} expected`);
  }
  return out;
}
