// MMX/SSE2/SSSE3/SSE4.1 integer lane operations on byte buffers: `d` (destination, also first
// source), `s` (second source), result written to RES then copied by the caller. `n` is the
// vector width in bytes (8 for MMX, 16 for XMM).
import { RES } from "./sse-common";

@inline function satS8(v: i32): i32 { return v < -128 ? -128 : v > 127 ? 127 : v; }
@inline function satU8(v: i32): i32 { return v < 0 ? 0 : v > 255 ? 255 : v; }
@inline function satS16(v: i32): i32 { return v < -32768 ? -32768 : v > 32767 ? 32767 : v; }
@inline function satU16(v: i32): i32 { return v < 0 ? 0 : v > 65535 ? 65535 : v; }

// Lane-wise binary operations.
export const PADDB = 0, PADDW = 1, PADDD = 2, PADDQ = 3, PSUBB = 4, PSUBW = 5, PSUBD = 6, PSUBQ = 7;
export const PADDSB = 8, PADDSW = 9, PADDUSB = 10, PADDUSW = 11, PSUBSB = 12, PSUBSW = 13, PSUBUSB = 14, PSUBUSW = 15;
export const PCMPEQB = 16, PCMPEQW = 17, PCMPEQD = 18, PCMPEQQ = 19, PCMPGTB = 20, PCMPGTW = 21, PCMPGTD = 22, PCMPGTQ = 23;
export const PMULLW = 24, PMULHW = 25, PMULHUW = 26, PMULLD = 27, PMULUDQ = 28, PMULDQ = 29, PMADDWD = 30, PMULHRSW = 31;
export const PMINUB = 32, PMAXUB = 33, PMINSW = 34, PMAXSW = 35, PMINSB = 36, PMAXSB = 37, PMINUW = 38, PMAXUW = 39;
export const PMINSD = 40, PMAXSD = 41, PMINUD = 42, PMAXUD = 43, PAVGB = 44, PAVGW = 45, PAND = 46, PANDN = 47;
export const POR = 48, PXOR = 49, PSADBW = 50, PSIGNB = 51, PSIGNW = 52, PSIGND = 53, PMADDUBSW = 54;

export function binop(op: i32, d: usize, s: usize, n: i32): void {
  switch (op) {
    case PAND: for (let i = 0; i < n; i += 8) store<u64>(RES + i, load<u64>(d + i) & load<u64>(s + i)); return;
    case PANDN: for (let i = 0; i < n; i += 8) store<u64>(RES + i, ~load<u64>(d + i) & load<u64>(s + i)); return;
    case POR: for (let i = 0; i < n; i += 8) store<u64>(RES + i, load<u64>(d + i) | load<u64>(s + i)); return;
    case PXOR: for (let i = 0; i < n; i += 8) store<u64>(RES + i, load<u64>(d + i) ^ load<u64>(s + i)); return;
    case PADDQ: for (let i = 0; i < n; i += 8) store<u64>(RES + i, load<u64>(d + i) + load<u64>(s + i)); return;
    case PSUBQ: for (let i = 0; i < n; i += 8) store<u64>(RES + i, load<u64>(d + i) - load<u64>(s + i)); return;
    case PCMPEQQ: for (let i = 0; i < n; i += 8) store<u64>(RES + i, load<u64>(d + i) == load<u64>(s + i) ? <u64>-1 : 0); return;
    case PCMPGTQ: for (let i = 0; i < n; i += 8) store<u64>(RES + i, load<i64>(d + i) > load<i64>(s + i) ? <u64>-1 : 0); return;
    case PMULUDQ: for (let i = 0; i < n; i += 8) store<u64>(RES + i, <u64>load<u32>(d + i) * <u64>load<u32>(s + i)); return;
    case PMULDQ: for (let i = 0; i < n; i += 8) store<i64>(RES + i, <i64>load<i32>(d + i) * <i64>load<i32>(s + i)); return;
    case PSADBW:
      for (let i = 0; i < n; i += 8) {
        let sum = 0;
        for (let j = 0; j < 8; j++) { const x = <i32>load<u8>(d + i + j) - <i32>load<u8>(s + i + j); sum += x < 0 ? -x : x; }
        store<u64>(RES + i, <u64>sum);
      }
      return;
    case PMADDWD:
      for (let i = 0; i < n; i += 4) {
        const a = <i32>load<i16>(d + i) * <i32>load<i16>(s + i);
        const b = <i32>load<i16>(d + i + 2) * <i32>load<i16>(s + i + 2);
        store<i32>(RES + i, a + b); // 0x8000*0x8000*2 wraps to 0x80000000 as the hardware does
      }
      return;
    case PMADDUBSW:
      for (let i = 0; i < n; i += 2) {
        const a = <i32>load<u8>(d + i) * <i32>load<i8>(s + i);
        const b = <i32>load<u8>(d + i + 1) * <i32>load<i8>(s + i + 1);
        store<i16>(RES + i, <i16>satS16(a + b));
      }
      return;
  }
  if (op == PADDB || op == PSUBB || op == PADDSB || op == PADDUSB || op == PSUBSB || op == PSUBUSB || op == PCMPEQB ||
      op == PCMPGTB || op == PMINUB || op == PMAXUB || op == PMINSB || op == PMAXSB || op == PAVGB || op == PSIGNB) {
    for (let i = 0; i < n; i++) {
      const a = <i32>load<u8>(d + i), b = <i32>load<u8>(s + i);
      const sa = <i32><i8>a, sb = <i32><i8>b;
      let r = 0;
      switch (op) {
        case PADDB: r = a + b; break;
        case PSUBB: r = a - b; break;
        case PADDSB: r = satS8(sa + sb); break;
        case PADDUSB: r = satU8(a + b); break;
        case PSUBSB: r = satS8(sa - sb); break;
        case PSUBUSB: r = satU8(a - b); break;
        case PCMPEQB: r = a == b ? 0xff : 0; break;
        case PCMPGTB: r = sa > sb ? 0xff : 0; break;
        case PMINUB: r = a < b ? a : b; break;
        case PMAXUB: r = a > b ? a : b; break;
        case PMINSB: r = sa < sb ? sa : sb; break;
        case PMAXSB: r = sa > sb ? sa : sb; break;
        case PAVGB: r = (a + b + 1) >> 1; break;
        default: r = sb < 0 ? -sa : sb == 0 ? 0 : sa; break; // PSIGNB
      }
      store<u8>(RES + i, <u8>r);
    }
    return;
  }
  if (op == PADDD || op == PSUBD || op == PCMPEQD || op == PCMPGTD || op == PMULLD || op == PMINSD || op == PMAXSD ||
      op == PMINUD || op == PMAXUD || op == PSIGND) {
    for (let i = 0; i < n; i += 4) {
      const a = load<u32>(d + i), b = load<u32>(s + i);
      const sa = <i32>a, sb = <i32>b;
      let r: u32 = 0;
      switch (op) {
        case PADDD: r = a + b; break;
        case PSUBD: r = a - b; break;
        case PCMPEQD: r = a == b ? 0xffffffff : 0; break;
        case PCMPGTD: r = sa > sb ? 0xffffffff : 0; break;
        case PMULLD: r = <u32>(sa * sb); break;
        case PMINSD: r = sa < sb ? a : b; break;
        case PMAXSD: r = sa > sb ? a : b; break;
        case PMINUD: r = a < b ? a : b; break;
        case PMAXUD: r = a > b ? a : b; break;
        default: r = sb < 0 ? <u32>(-sa) : sb == 0 ? 0 : a; break; // PSIGND
      }
      store<u32>(RES + i, r);
    }
    return;
  }
  // word lanes
  for (let i = 0; i < n; i += 2) {
    const a = <i32>load<u16>(d + i), b = <i32>load<u16>(s + i);
    const sa = <i32><i16>a, sb = <i32><i16>b;
    let r = 0;
    switch (op) {
      case PADDW: r = a + b; break;
      case PSUBW: r = a - b; break;
      case PADDSW: r = satS16(sa + sb); break;
      case PADDUSW: r = satU16(a + b); break;
      case PSUBSW: r = satS16(sa - sb); break;
      case PSUBUSW: r = satU16(a - b); break;
      case PCMPEQW: r = a == b ? 0xffff : 0; break;
      case PCMPGTW: r = sa > sb ? 0xffff : 0; break;
      case PMULLW: r = sa * sb; break;
      case PMULHW: r = (sa * sb) >> 16; break;
      case PMULHUW: r = <i32>((<u32>a * <u32>b) >> 16); break;
      case PMULHRSW: r = (((sa * sb) >> 14) + 1) >> 1; break;
      case PMINSW: r = sa < sb ? sa : sb; break;
      case PMAXSW: r = sa > sb ? sa : sb; break;
      case PMINUW: r = a < b ? a : b; break;
      case PMAXUW: r = a > b ? a : b; break;
      case PAVGW: r = (a + b + 1) >> 1; break;
      default: r = sb < 0 ? -sa : sb == 0 ? 0 : sa; break; // PSIGNW
    }
    store<u16>(RES + i, <u16>r);
  }
}

/** PUNPCKL/H: interleave elements of `size` bytes from the low (hi=false) or high half. */
export function unpack(d: usize, s: usize, n: i32, size: i32, hi: bool): void {
  const half = n >> 1;
  const base = hi ? half : 0;
  for (let k = 0; k < half; k += size) {
    for (let j = 0; j < size; j++) {
      store<u8>(RES + 2 * k + j, load<u8>(d + base + k + j));
      store<u8>(RES + 2 * k + size + j, load<u8>(s + base + k + j));
    }
  }
}

/** PACKSSWB / PACKUSWB / PACKSSDW / PACKUSDW. */
export function pack(d: usize, s: usize, n: i32, kind: i32): void {
  if (kind <= 1) { // words -> bytes (0 signed, 1 unsigned)
    const cnt = n >> 1;
    for (let i = 0; i < cnt; i++) {
      const a = <i32>load<i16>(d + 2 * i), b = <i32>load<i16>(s + 2 * i);
      store<u8>(RES + i, <u8>(kind == 0 ? satS8(a) : satU8(a)));
      store<u8>(RES + cnt + i, <u8>(kind == 0 ? satS8(b) : satU8(b)));
    }
  } else { // dwords -> words (2 signed, 3 unsigned)
    const cnt = n >> 2;
    for (let i = 0; i < cnt; i++) {
      const a = load<i32>(d + 4 * i), b = load<i32>(s + 4 * i);
      store<u16>(RES + 2 * i, <u16>(kind == 2 ? satS16sat(a) : satU16sat(a)));
      store<u16>(RES + 2 * cnt + 2 * i, <u16>(kind == 2 ? satS16sat(b) : satU16sat(b)));
    }
  }
}
@inline function satS16sat(v: i32): i32 { return v < -32768 ? -32768 : v > 32767 ? 32767 : v; }
@inline function satU16sat(v: i32): i32 { return v < 0 ? 0 : v > 65535 ? 65535 : v; }

/** Shifts by `count` (already a 64-bit count): kind 0 logical left, 1 logical right, 2 arithmetic right. */
export function shift(d: usize, n: i32, size: i32, kind: i32, count: u64): void {
  const bits = <u64>(size * 8);
  for (let i = 0; i < n; i += size) {
    let v: u64 = size == 2 ? <u64>load<u16>(d + i) : size == 4 ? <u64>load<u32>(d + i) : load<u64>(d + i);
    if (kind == 2) {
      const c = count >= bits ? bits - 1 : count;
      const sv: i64 = size == 2 ? <i64><i16>v : size == 4 ? <i64><i32>v : <i64>v;
      v = <u64>(sv >> <i64>c);
    } else if (count >= bits) v = 0;
    else v = kind == 0 ? v << count : v >> count;
    if (size == 2) store<u16>(RES + i, <u16>v);
    else if (size == 4) store<u32>(RES + i, <u32>v);
    else store<u64>(RES + i, v);
  }
}

/** PSLLDQ / PSRLDQ by `c` bytes (XMM only). */
export function byteShift(d: usize, c: u32, left: bool): void {
  for (let i: u32 = 0; i < 16; i++) {
    let b: u8 = 0;
    if (left) { if (i >= c) b = load<u8>(d + i - c); }
    else if (i + c < 16) b = load<u8>(d + i + c);
    store<u8>(RES + i, b);
  }
}

/** PSHUFB. */
export function pshufb(d: usize, s: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const c = load<u8>(s + i);
    store<u8>(RES + i, (c & 0x80) != 0 ? 0 : load<u8>(d + (<i32>c & (n - 1))));
  }
}

/** PHADD/PHSUB (W, D, SW). kind: 0 add, 1 sub, 2 add saturating, 3 sub saturating. */
export function horiz(d: usize, s: usize, n: i32, size: i32, kind: i32): void {
  const per = n / size / 2; // results from each source
  for (let k = 0; k < 2; k++) {
    const src = k == 0 ? d : s;
    for (let i = 0; i < per; i++) {
      const o = RES + (k * per + i) * size;
      if (size == 2) {
        const a = <i32>load<i16>(src + 4 * i), b = <i32>load<i16>(src + 4 * i + 2);
        let r = (kind & 1) != 0 ? a - b : a + b;
        if (kind >= 2) r = satS16(r);
        store<u16>(o, <u16>r);
      } else {
        const a = load<u32>(src + 8 * i), b = load<u32>(src + 8 * i + 4);
        store<u32>(o, (kind & 1) != 0 ? a - b : a + b);
      }
    }
  }
}

/** PABSB/W/D of s. */
export function pabs(s: usize, n: i32, size: i32): void {
  for (let i = 0; i < n; i += size) {
    if (size == 1) { const v = <i32>load<i8>(s + i); store<u8>(RES + i, <u8>(v < 0 ? -v : v)); }
    else if (size == 2) { const v = <i32>load<i16>(s + i); store<u16>(RES + i, <u16>(v < 0 ? -v : v)); }
    else { const v = load<i32>(s + i); store<u32>(RES + i, <u32>(v < 0 ? -v : v)); }
  }
}

/** PALIGNR: (d:s) >> (imm*8), low n bytes. */
export function palignr(d: usize, s: usize, n: i32, imm: i32): void {
  for (let i = 0; i < n; i++) {
    const k = i + imm;
    let b: u8 = 0;
    if (k < n) b = load<u8>(s + k);
    else if (k < 2 * n) b = load<u8>(d + k - n);
    store<u8>(RES + i, b);
  }
}

/** PMOVMSKB: the top bit of every byte. */
export function pmovmskb(s: usize, n: i32): u32 {
  let m: u32 = 0;
  for (let i = 0; i < n; i++) m |= (<u32>load<u8>(s + i) >> 7) << i;
  return m;
}

/** PMOVSX/PMOVZX: `cnt` elements of `from` bytes widened to `to` bytes. */
export function pmovx(s: usize, from: i32, to: i32, signed: bool): void {
  const cnt = 16 / to;
  for (let i = 0; i < cnt; i++) {
    let v: u64;
    if (from == 1) v = signed ? <u64><i64>load<i8>(s + i) : <u64>load<u8>(s + i);
    else if (from == 2) v = signed ? <u64><i64>load<i16>(s + 2 * i) : <u64>load<u16>(s + 2 * i);
    else v = signed ? <u64><i64>load<i32>(s + 4 * i) : <u64>load<u32>(s + 4 * i);
    if (to == 2) store<u16>(RES + 2 * i, <u16>v);
    else if (to == 4) store<u32>(RES + 4 * i, <u32>v);
    else store<u64>(RES + 8 * i, v);
  }
}

/** MPSADBW. */
export function mpsadbw(d: usize, s: usize, imm: i32): void {
  const so = (imm & 3) * 4;
  const doff = ((imm >> 2) & 1) * 4;
  for (let i = 0; i < 8; i++) {
    let sum = 0;
    for (let j = 0; j < 4; j++) {
      const x = <i32>load<u8>(d + doff + i + j) - <i32>load<u8>(s + so + j);
      sum += x < 0 ? -x : x;
    }
    store<u16>(RES + 2 * i, <u16>sum);
  }
}

/** PHMINPOSUW. */
export function phminposuw(s: usize): void {
  let m: u32 = load<u16>(s), idx: u32 = 0;
  for (let i: u32 = 1; i < 8; i++) { const v = <u32>load<u16>(s + 2 * i); if (v < m) { m = v; idx = i; } }
  store<u64>(RES, <u64>(m | (idx << 16)));
  store<u64>(RES + 8, 0);
}

/** CRC32 (Castagnoli, reflected) of `size` bytes of `v` into `crc`. */
export function crc32c(crc: u32, v: u64, size: i32): u32 {
  for (let i = 0; i < size; i++) {
    crc ^= <u32>((v >> (<u64>i << 3)) & 0xff);
    for (let k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82f63b78 & (0 - (crc & 1)));
  }
  return crc;
}
