// An .xz decoder (LZMA2 with an optional x86 BCJ filter) for kernel payloads. Written from the .xz
// file format specification (xz-file-format-1.x.txt) and the LZMA2/LZMA descriptions in the LZMA SDK
// documentation; no code copied.
//
// Why our own: Linux compresses x86 kernels with `xz --x86 --lzma2` (scripts/xz_wrap.sh) and the
// pure-JS/wasm xz decoders on npm are built without the BCJ filters. The whole output is kept in memory,
// so the LZMA dictionary is simply the output buffer (the kernel's own decompressor works the same way,
// "single-call mode").

import { ByteSink, DecompressError } from './errors.ts';

const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const FILTER_X86 = 0x04;
const FILTER_LZMA2 = 0x21;
const CHECK_SIZES = [0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64];

// ---- CRC32 (the xz header/check CRC: reflected, polynomial 0xEDB88320) ----
let crcTable: Uint32Array | undefined;
export function crc32(data: Uint8Array, start = 0, end = data.length): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---- Range decoder over one LZMA2 chunk ----
class RangeDecoder {
  range = 0xffffffff;
  code = 0;
  constructor(
    private src: Uint8Array,
    public pos: number,
    private end: number,
  ) {
    if (end - pos < 5 || src[pos] !== 0) throw new DecompressError('corrupt', 'xz: bad LZMA range coder start');
    for (let i = 1; i < 5; i++) this.code = ((this.code << 8) | src[pos + i]) >>> 0;
    this.pos += 5;
  }
  private next(): number {
    if (this.pos >= this.end) throw new DecompressError('truncated', 'xz: LZMA chunk ends early');
    return this.src[this.pos++];
  }
  bit(probs: Uint16Array, i: number): number {
    const p = probs[i];
    const bound = (this.range >>> 11) * p;
    let b: number;
    if (this.code < bound) {
      this.range = bound;
      probs[i] = p + ((2048 - p) >>> 5);
      b = 0;
    } else {
      this.range = (this.range - bound) >>> 0;
      this.code = (this.code - bound) >>> 0;
      probs[i] = p - (p >>> 5);
      b = 1;
    }
    if (this.range < 0x1000000) {
      this.range = (this.range * 256) >>> 0;
      this.code = ((this.code * 256) >>> 0) | this.next();
      this.code >>>= 0;
    }
    return b;
  }
  /** Most significant bit first, n bits, tree-coded under probs[base + 1 ..]. */
  tree(probs: Uint16Array, base: number, n: number): number {
    let m = 1;
    for (let i = 0; i < n; i++) m = (m << 1) | this.bit(probs, base + m);
    return m - (1 << n);
  }
  /** Least significant bit first. */
  reverseTree(probs: Uint16Array, base: number, n: number): number {
    let m = 1;
    let sym = 0;
    for (let i = 0; i < n; i++) {
      const b = this.bit(probs, base + m);
      m = (m << 1) | b;
      sym |= b << i;
    }
    return sym;
  }
  direct(n: number): number {
    let r = 0;
    for (let i = 0; i < n; i++) {
      this.range >>>= 1;
      let b = 0;
      if (this.code >= this.range) {
        this.code = (this.code - this.range) >>> 0;
        b = 1;
      }
      r = r * 2 + b;
      if (this.range < 0x1000000) {
        this.range = (this.range * 256) >>> 0;
        this.code = (((this.code * 256) >>> 0) | this.next()) >>> 0;
      }
    }
    return r;
  }
}

// ---- LZMA state (probabilities live across chunks unless reset) ----
const STATES = 12;
const POS_STATES_MAX = 16;

class LenCoder {
  p = new Uint16Array(2 + POS_STATES_MAX * 8 * 2 + 256);
  reset() {
    this.p.fill(1024);
  }
  // layout: [0] choice, [1] choice2, low at 2 + ps*8, mid at 2 + 128 + ps*8, high at 2 + 256
  decode(rc: RangeDecoder, posState: number): number {
    if (!rc.bit(this.p, 0)) return rc.tree(this.p, 2 + posState * 8 - 1 + 0, 3) ; // low
    if (!rc.bit(this.p, 1)) return 8 + rc.tree(this.p, 2 + 128 + posState * 8 - 1, 3);
    return 16 + rc.tree(this.p, 2 + 256 - 1, 8);
  }
}

class Lzma {
  lc = 0;
  lp = 0;
  pb = 0;
  state = 0;
  reps = [0, 0, 0, 0];
  isMatch = new Uint16Array(STATES * POS_STATES_MAX);
  isRep = new Uint16Array(STATES);
  isRepG0 = new Uint16Array(STATES);
  isRepG1 = new Uint16Array(STATES);
  isRepG2 = new Uint16Array(STATES);
  isRep0Long = new Uint16Array(STATES * POS_STATES_MAX);
  posSlot = new Uint16Array(4 * 64);
  specPos = new Uint16Array(115);
  align = new Uint16Array(16);
  len = new LenCoder();
  repLen = new LenCoder();
  literal = new Uint16Array(0x300 * 16);

  setProps(b: number) {
    if (b >= 225) throw new DecompressError('corrupt', `xz: bad LZMA properties byte ${b}`);
    this.lc = b % 9;
    b = (b / 9) | 0;
    this.lp = b % 5;
    this.pb = (b / 5) | 0;
    if (this.lc + this.lp > 4) throw new DecompressError('corrupt', 'xz: LZMA2 needs lc + lp <= 4');
  }

  resetState() {
    this.state = 0;
    this.reps = [0, 0, 0, 0];
    for (const a of [this.isMatch, this.isRep, this.isRepG0, this.isRepG1, this.isRepG2, this.isRep0Long, this.posSlot, this.specPos, this.align, this.literal]) a.fill(1024);
    this.len.reset();
    this.repLen.reset();
  }

  /** Decodes until `out.pos` reaches `outEnd`. `dictStart` is where the current dictionary began. */
  decode(rc: RangeDecoder, out: ByteSink, outEnd: number, dictStart: number) {
    out.reserve(outEnd - out.pos);
    const buf = out.buf;
    let pos = out.pos;
    let state = this.state;
    let [rep0, rep1, rep2, rep3] = this.reps;
    const pbMask = (1 << this.pb) - 1;
    const lpMask = (1 << this.lp) - 1;
    const lc = this.lc;
    while (pos < outEnd) {
      const posState = pos & pbMask;
      if (!rc.bit(this.isMatch, state * POS_STATES_MAX + posState)) {
        const prev = pos > dictStart ? buf[pos - 1] : 0;
        const base = 0x300 * (((pos & lpMask) << lc) + (prev >>> (8 - lc)));
        let sym = 1;
        if (state >= 7) {
          let matchByte = buf[pos - rep0 - 1];
          do {
            const matchBit = (matchByte >>> 7) & 1;
            matchByte <<= 1;
            const b = rc.bit(this.literal, base + ((1 + matchBit) << 8) + sym);
            sym = (sym << 1) | b;
            if (b !== matchBit) break;
          } while (sym < 0x100);
        }
        while (sym < 0x100) sym = (sym << 1) | rc.bit(this.literal, base + sym);
        buf[pos++] = sym & 0xff;
        state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
        continue;
      }
      let len: number;
      if (!rc.bit(this.isRep, state)) {
        rep3 = rep2;
        rep2 = rep1;
        rep1 = rep0;
        len = this.len.decode(rc, posState);
        state = state < 7 ? 7 : 10;
        rep0 = this.distance(rc, len);
        if (rep0 === 0xffffffff) throw new DecompressError('corrupt', 'xz: unexpected LZMA end marker in an LZMA2 chunk');
      } else {
        if (!rc.bit(this.isRepG0, state)) {
          if (!rc.bit(this.isRep0Long, state * POS_STATES_MAX + posState)) {
            if (pos - rep0 - 1 < dictStart) throw new DecompressError('corrupt', 'xz: LZMA match before the start of the dictionary');
            state = state < 7 ? 9 : 11;
            buf[pos] = buf[pos - rep0 - 1];
            pos++;
            continue;
          }
        } else {
          let dist: number;
          if (!rc.bit(this.isRepG1, state)) {
            dist = rep1;
          } else {
            if (!rc.bit(this.isRepG2, state)) {
              dist = rep2;
            } else {
              dist = rep3;
              rep3 = rep2;
            }
            rep2 = rep1;
          }
          rep1 = rep0;
          rep0 = dist;
        }
        len = this.repLen.decode(rc, posState);
        state = state < 7 ? 8 : 11;
      }
      len += 2;
      let from = pos - rep0 - 1;
      if (from < dictStart) throw new DecompressError('corrupt', 'xz: LZMA match before the start of the dictionary');
      if (pos + len > outEnd) throw new DecompressError('corrupt', 'xz: LZMA match runs past the end of its chunk');
      if (rep0 + 1 >= len) {
        buf.copyWithin(pos, from, from + len);
        pos += len;
      } else {
        for (let i = 0; i < len; i++) buf[pos++] = buf[from++];
      }
    }
    out.pos = pos;
    this.state = state;
    this.reps = [rep0, rep1, rep2, rep3];
  }

  private distance(rc: RangeDecoder, len: number): number {
    const lenState = len < 3 ? len : 3;
    const slot = rc.tree(this.posSlot, lenState * 64 - 1, 6);
    if (slot < 4) return slot;
    const nBits = (slot >>> 1) - 1;
    let dist = (2 | (slot & 1)) * 2 ** nBits;
    if (slot < 14) {
      dist += rc.reverseTree(this.specPos, dist - slot - 1, nBits);
    } else {
      dist += rc.direct(nBits - 4) * 16;
      dist += rc.reverseTree(this.align, -1, 4);
    }
    return dist >>> 0;
  }
}

/** Decodes LZMA2 data from src[pos, end); returns the position after the end-of-data byte. */
function lzma2Decode(src: Uint8Array, pos: number, end: number, out: ByteSink): number {
  const lzma = new Lzma();
  let dictStart = out.pos;
  let needDictReset = true;
  let needProps = true;
  const need = (n: number) => {
    if (pos + n > end) throw new DecompressError('truncated', 'xz: LZMA2 data ends early');
  };
  for (;;) {
    need(1);
    const ctl = src[pos++];
    if (ctl === 0x00) return pos;
    if (ctl === 0x01 || ctl === 0x02) {
      if (ctl === 0x01) {
        dictStart = out.pos;
        needDictReset = false;
      } else if (needDictReset) throw new DecompressError('corrupt', 'xz: LZMA2 stream does not start with a dictionary reset');
      need(2);
      const size = ((src[pos] << 8) | src[pos + 1]) + 1;
      pos += 2;
      need(size);
      out.reserve(size);
      out.buf.set(src.subarray(pos, pos + size), out.pos);
      out.pos += size;
      pos += size;
      continue;
    }
    if (ctl < 0x80) throw new DecompressError('corrupt', `xz: bad LZMA2 control byte 0x${ctl.toString(16)}`);
    need(4);
    const unpacked = (ctl & 0x1f) * 65536 + ((src[pos] << 8) | src[pos + 1]) + 1;
    const packed = ((src[pos + 2] << 8) | src[pos + 3]) + 1;
    pos += 4;
    const mode = (ctl >>> 5) & 3;
    if (mode === 3) {
      dictStart = out.pos;
      needDictReset = false;
    } else if (needDictReset) throw new DecompressError('corrupt', 'xz: LZMA2 stream does not start with a dictionary reset');
    if (mode >= 2) {
      need(1);
      lzma.setProps(src[pos++]);
      needProps = false;
    } else if (needProps) throw new DecompressError('corrupt', 'xz: LZMA2 chunk without properties');
    if (mode >= 1) lzma.resetState();
    need(packed);
    const rc = new RangeDecoder(src, pos, pos + packed);
    lzma.decode(rc, out, out.pos + unpacked, dictStart);
    pos += packed;
  }
}

/**
 * x86 BCJ decoding, in place: turns the absolute addresses the encoder wrote into CALL (E8) and JMP (E9)
 * rel32 operands back into relative ones. `startOffset` is the filter's start offset property.
 */
export function bcjX86Decode(buf: Uint8Array, startOffset = 0): void {
  // For a mask of recently seen E8/E9 bytes (bit 0 = one byte back ...): whether a conversion is
  // allowed, and which byte of the operand must then be tested.
  const allowed = [true, true, true, false, true, false, false, false];
  const testByte = [0, 1, 2, 2, 3, 3, 3, 3];
  const isMsByte = (b: number) => b === 0x00 || b === 0xff;
  let prevPos = -5;
  let prevMask = 0;
  const last = buf.length - 4;
  for (let i = 0; i < last; i++) {
    if ((buf[i] & 0xfe) !== 0xe8) continue;
    const gap = i - prevPos;
    if (gap > 3) {
      prevMask = 0;
    } else {
      prevMask = (prevMask << (gap - 1)) & 7;
      if (prevMask !== 0 && (!allowed[prevMask] || isMsByte(buf[i + 4 - testByte[prevMask]]))) {
        prevPos = i;
        prevMask = (prevMask << 1) | 1;
        continue;
      }
    }
    prevPos = i;
    if (!isMsByte(buf[i + 4])) {
      prevMask = (prevMask << 1) | 1;
      continue;
    }
    let src = (buf[i + 1] | (buf[i + 2] << 8) | (buf[i + 3] << 16) | (buf[i + 4] << 24)) >>> 0;
    let dest: number;
    for (;;) {
      dest = (src - (startOffset + i + 5)) >>> 0;
      if (prevMask === 0) break;
      const shift = testByte[prevMask] * 8;
      if (!isMsByte((dest >>> (24 - shift)) & 0xff)) break;
      src = (dest ^ (2 ** (32 - shift) - 1)) >>> 0;
    }
    dest &= 0x01ffffff;
    if (dest & 0x01000000) dest |= 0xfe000000;
    buf[i + 1] = dest & 0xff;
    buf[i + 2] = (dest >>> 8) & 0xff;
    buf[i + 3] = (dest >>> 16) & 0xff;
    buf[i + 4] = (dest >>> 24) & 0xff;
    i += 4;
  }
}

function readVarint(src: Uint8Array, p: { pos: number }, end: number): number {
  let v = 0;
  for (let i = 0; i < 9; i++) {
    if (p.pos >= end) throw new DecompressError('truncated', 'xz: header ends inside a number');
    const b = src[p.pos++];
    v += (b & 0x7f) * 2 ** (7 * i);
    if (!(b & 0x80)) return v;
  }
  throw new DecompressError('corrupt', 'xz: number too long');
}

export function isXz(b: Uint8Array): boolean {
  return XZ_MAGIC.every((m, i) => b[i] === m);
}

/** Decodes a whole .xz file (one or more streams, optional stream padding). */
export function xzDecode(src: Uint8Array, sizeHint = 0): Uint8Array {
  const out = new ByteSink(sizeHint || src.length * 4);
  let pos = 0;
  while (pos < src.length) {
    if (src.length - pos < 12 || !XZ_MAGIC.every((m, i) => src[pos + i] === m)) {
      if (pos === 0) throw new DecompressError('corrupt', 'not an xz stream (magic fd 37 7a 58 5a 00 expected)');
      throw new DecompressError('corrupt', `xz: unexpected data at offset ${pos} after a stream`);
    }
    if (crc32(src, pos + 6, pos + 8) !== new DataView(src.buffer, src.byteOffset + pos + 8, 4).getUint32(0, true)) {
      throw new DecompressError('corrupt', 'xz: stream header CRC mismatch');
    }
    const checkType = src[pos + 7] & 0x0f;
    pos = decodeStream(src, pos + 12, out, checkType);
    while (pos + 4 <= src.length && src[pos] === 0 && src[pos + 1] === 0 && src[pos + 2] === 0 && src[pos + 3] === 0) pos += 4;
    if (src.length - pos < 4 && src.subarray(pos).every((b) => b === 0)) break;
  }
  return out.take();
}

/** Decodes the blocks of one stream; returns the offset after its footer. */
function decodeStream(src: Uint8Array, pos: number, out: ByteSink, checkType: number): number {
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const checkSize = CHECK_SIZES[checkType];
  for (;;) {
    if (pos >= src.length) throw new DecompressError('truncated', 'xz: stream ends before its index');
    const hsz = src[pos];
    if (hsz === 0) break; // index indicator
    const hdrLen = (hsz + 1) * 4;
    if (pos + hdrLen > src.length) throw new DecompressError('truncated', 'xz: block header runs past the end');
    if (crc32(src, pos, pos + hdrLen - 4) !== dv.getUint32(pos + hdrLen - 4, true)) {
      throw new DecompressError('corrupt', 'xz: block header CRC mismatch');
    }
    const flags = src[pos + 1];
    const p = { pos: pos + 2 };
    const hdrEnd = pos + hdrLen - 4;
    if (flags & 0x40) readVarint(src, p, hdrEnd); // compressed size
    let uncompressed = -1;
    if (flags & 0x80) uncompressed = readVarint(src, p, hdrEnd);
    const nFilters = (flags & 3) + 1;
    const filters: { id: number; props: Uint8Array }[] = [];
    for (let f = 0; f < nFilters; f++) {
      const id = readVarint(src, p, hdrEnd);
      const n = readVarint(src, p, hdrEnd);
      if (p.pos + n > hdrEnd) throw new DecompressError('corrupt', 'xz: filter properties run past the block header');
      filters.push({ id, props: src.subarray(p.pos, p.pos + n) });
      p.pos += n;
    }
    const lz = filters[filters.length - 1];
    if (lz.id !== FILTER_LZMA2) throw new DecompressError('unsupported', `xz: last filter is 0x${lz.id.toString(16)}, only LZMA2 is supported`);
    let x86Start: number | undefined;
    for (const f of filters.slice(0, -1)) {
      if (f.id !== FILTER_X86) throw new DecompressError('unsupported', `xz: filter 0x${f.id.toString(16)} is not supported (only x86 BCJ and LZMA2)`);
      x86Start = f.props.length >= 4 ? new DataView(f.props.buffer, f.props.byteOffset, 4).getUint32(0, true) : 0;
    }
    pos += hdrLen;
    const blockStart = out.pos;
    if (uncompressed >= 0) out.reserve(uncompressed);
    pos = lzma2Decode(src, pos, src.length, out);
    if (uncompressed >= 0 && out.pos - blockStart !== uncompressed) {
      throw new DecompressError('corrupt', `xz: block decoded to ${out.pos - blockStart} bytes, header says ${uncompressed}`);
    }
    const block = out.buf.subarray(blockStart, out.pos);
    if (x86Start !== undefined) bcjX86Decode(block, x86Start);
    while (pos & 3) {
      if (pos >= src.length) throw new DecompressError('truncated', 'xz: block padding runs past the end');
      if (src[pos++] !== 0) throw new DecompressError('corrupt', 'xz: non-zero block padding');
    }
    if (pos + checkSize > src.length) throw new DecompressError('truncated', 'xz: block check runs past the end');
    if (checkType === 1 && crc32(block) !== dv.getUint32(pos, true)) throw new DecompressError('corrupt', 'xz: CRC32 of the decoded data does not match');
    pos += checkSize; // CRC64/SHA-256 checks are not verified
  }
  // Index: skip to the backward size in the footer. Index size is (backward size + 1) * 4.
  // Walk it: indicator, record count, records (2 varints each), padding, CRC32.
  const p = { pos: pos + 1 };
  const records = readVarint(src, p, src.length);
  for (let i = 0; i < records * 2; i++) readVarint(src, p, src.length);
  p.pos = (p.pos + 3) & ~3;
  p.pos += 4; // index CRC32
  if (p.pos + 12 > src.length) throw new DecompressError('truncated', 'xz: stream footer missing');
  if (src[p.pos + 10] !== 0x59 || src[p.pos + 11] !== 0x5a) throw new DecompressError('corrupt', 'xz: bad stream footer');
  return p.pos + 12;
}
