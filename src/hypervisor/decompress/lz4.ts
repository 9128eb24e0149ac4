// LZ4: the raw block format and the "legacy" frame that `lz4 -l` writes and Linux uses for
// CONFIG_KERNEL_LZ4 (Debian's 6.1 kernels). Written from the format descriptions in lz4's
// doc/lz4_Block_format.md and doc/lz4_Frame_format.md ("Legacy frame").
//
// Legacy frame: magic 0x184C2102 (bytes 02 21 4C 18), then blocks, each a u32 LE compressed size and
// that many bytes of one LZ4 block that expands to at most 8 MiB. The frame ends at the end of the
// input or where another legacy magic starts a new frame.

import { ByteSink, DecompressError } from './errors.ts';

export const LZ4_LEGACY_MAGIC = 0x184c2102;
const LEGACY_BLOCK_MAX = 8 << 20;

/**
 * Decodes one raw LZ4 block from src[start, end) onto the end of `out`. Matches may reach back into
 * anything already in `out` (earlier blocks of a legacy frame are a valid history for the decoder).
 */
export function lz4DecodeBlock(src: Uint8Array, start: number, end: number, out: ByteSink, maxOut: number): void {
  let ip = start;
  out.reserve(maxOut);
  const limit = out.pos + maxOut;
  const dst = out.buf;
  let op = out.pos;
  for (;;) {
    if (ip >= end) throw new DecompressError('truncated', 'LZ4 block ends before its last sequence');
    const token = src[ip++];
    // Literals.
    let litLen = token >>> 4;
    if (litLen === 15) {
      let b: number;
      do {
        if (ip >= end) throw new DecompressError('truncated', 'LZ4 block ends inside a literal length');
        b = src[ip++];
        litLen += b;
      } while (b === 255);
    }
    if (ip + litLen > end) throw new DecompressError('truncated', 'LZ4 literals run past the end of the block');
    if (op + litLen > limit) throw new DecompressError('corrupt', 'LZ4 block expands past its maximum size');
    dst.set(src.subarray(ip, ip + litLen), op);
    ip += litLen;
    op += litLen;
    if (ip === end) break; // the last sequence has literals only
    // Match.
    if (ip + 2 > end) throw new DecompressError('truncated', 'LZ4 block ends inside a match offset');
    const offset = src[ip] | (src[ip + 1] << 8);
    ip += 2;
    if (offset === 0 || offset > op) throw new DecompressError('corrupt', `LZ4 match offset ${offset} points before the start of the output`);
    let matchLen = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (ip >= end) throw new DecompressError('truncated', 'LZ4 block ends inside a match length');
        b = src[ip++];
        matchLen += b;
      } while (b === 255);
    }
    if (op + matchLen > limit) throw new DecompressError('corrupt', 'LZ4 block expands past its maximum size');
    let from = op - offset;
    if (offset >= matchLen) {
      dst.copyWithin(op, from, from + matchLen);
      op += matchLen;
    } else {
      // Overlapping copy: repeats the last `offset` bytes.
      for (let i = 0; i < matchLen; i++) dst[op++] = dst[from++];
    }
  }
  out.pos = op;
}

/** Decodes a sequence of LZ4 legacy frames. `sizeHint` preallocates the output (e.g. a size trailer). */
export function lz4LegacyDecode(src: Uint8Array, sizeHint = 0): Uint8Array {
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  if (src.length < 4 || dv.getUint32(0, true) !== LZ4_LEGACY_MAGIC) {
    throw new DecompressError('corrupt', 'not an LZ4 legacy frame (magic 02 21 4c 18 expected)');
  }
  const out = new ByteSink(sizeHint || src.length * 3);
  let ip = 4;
  while (ip + 4 <= src.length) {
    const size = dv.getUint32(ip, true);
    ip += 4;
    if (size === LZ4_LEGACY_MAGIC) continue; // next legacy frame
    if (size === 0) break;
    if (ip + size > src.length) {
      throw new DecompressError('truncated', `LZ4 block of ${size} bytes at offset ${ip - 4} runs past the end of the data (${src.length} bytes)`);
    }
    lz4DecodeBlock(src, ip, ip + size, out, LEGACY_BLOCK_MAX);
    ip += size;
  }
  return out.take();
}
