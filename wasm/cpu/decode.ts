// Instruction fetch, prefixes, ModRM/SIB effective addresses and operand access for the instruction
// being executed. The decoded fields are module globals: one instruction is in flight at a time and
// nothing is allocated.
import { SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_ES, EXIT_UNIMPLEMENTED, V_EXIT_BYTES } from "../layout";
import { cpu, mode64, codeSize32, reg64, readReg, writeReg, byteRegOffset, segBase, setAddrSeg } from "./state";
import { fault, raise, requestExit, EXC_GP } from "./fault";
import { fetchEntry, readN, writeN, T_MMIO } from "./mmu";

// ---- instruction stream ----
// Bytes are fetched through a window [fptr, fend) of host memory: the rest of the current code page,
// clipped at the architectural 15-byte instruction limit. The fast path is a compare and a load;
// crossing a page, the limit, or a cold cache take fetchSlow. The next-instruction RIP is derived
// from the window (nextIp()), so nothing is stored per byte.
/** RIP of the instruction being executed. */
export let startIp: u64 = 0;
let fptr: usize = 0;
let fend: usize = 0;
let fIpBase: u64 = 0; // nextIp() = fIpBase + fptr
export let fetchPage: u64 = <u64>-1; // linear page cached for fetch
export let fetchHost: usize = 0;
/** CS base for fetch (0 in 64-bit mode). */
export let csBase: u64 = 0;

/** RIP of the byte after the last one fetched: the next instruction once decoding is done. */
@inline export function nextIp(): u64 { return fIpBase + <u64>fptr; }

export function invalidateFetch(): void { fetchPage = <u64>-1; fend = 0; }
export function setCsBase(b: u64): void { csBase = b; invalidateFetch(); }

/** Start fetching the instruction at `v`: reuse the cached code page when it holds `v`. */
export function setStartIp(v: u64): void {
  startIp = v;
  let lin = v + csBase;
  if (!mode64) lin &= 0xffffffff;
  if ((lin & ~(<u64>0xfff)) == fetchPage) {
    const host = fetchHost + <usize>(lin & 0xfff);
    const pageEnd = fetchHost + 4096;
    fIpBase = v - <u64>host;
    fptr = host;
    fend = host + 15 < pageEnd ? host + 15 : pageEnd;
  } else {
    fIpBase = v;
    fptr = 0;
    fend = 0;
  }
}

function fetchSlow(): u32 {
  const ipNow = fIpBase + <u64>fptr;
  const used = ipNow - startIp;
  if (used >= 15) { raise(EXC_GP, 0); return 0; }
  let lin = ipNow + csBase;
  if (!mode64) lin &= 0xffffffff;
  if ((lin & ~(<u64>0xfff)) != fetchPage) {
    setAddrSeg(SEG_CS);
    const e = fetchEntry(lin);
    if (e == 0) return 0;
    if ((load<u32>(e, 12) & T_MMIO) != 0) { requestExit(EXIT_UNIMPLEMENTED); return 0; }
    fetchPage = lin & ~(<u64>0xfff);
    fetchHost = <usize>load<u32>(e, 8);
  }
  const host = fetchHost + <usize>(lin & 0xfff);
  const pageEnd = fetchHost + 4096;
  const limit = host + <usize>(15 - used);
  fIpBase = ipNow - <u64>host;
  fptr = host;
  fend = limit < pageEnd ? limit : pageEnd;
  return <u32>load<u8>(fptr++);
}

@inline export function fetch8(): u32 {
  if (fptr < fend) return <u32>load<u8>(fptr++);
  return fetchSlow();
}
export function fetch16(): u32 {
  if (fptr + 2 <= fend) { const v = <u32>load<u16>(fptr); fptr += 2; return v; }
  const lo = fetch8(); return lo | (fetch8() << 8);
}
export function fetch32(): u32 {
  if (fptr + 4 <= fend) { const v = load<u32>(fptr); fptr += 4; return v; }
  const lo = fetch16(); return lo | (fetch16() << 16);
}
export function fetch64(): u64 {
  if (fptr + 8 <= fend) { const v = load<u64>(fptr); fptr += 8; return v; }
  const lo = <u64>fetch32(); return lo | (<u64>fetch32() << 32);
}
/** Signed immediates, sign-extended to 64 bits. */
export function fetchS8(): u64 { return <u64>(<i64>(<i8>fetch8())); }
export function fetchS16(): u64 { return <u64>(<i64>(<i16>fetch16())); }
export function fetchS32(): u64 { return <u64>(<i64>(<i32>fetch32())); }
/** Immediate of operand size (Iz: imm16/imm32, imm32 sign-extended for 64-bit operands). */
export function fetchImmZ(size: i32): u64 {
  if (size == 2) return <u64>fetch16();
  if (size == 4) return <u64>fetch32();
  return fetchS32();
}
export function fetchImm(size: i32): u64 {
  if (size == 1) return <u64>fetch8();
  return fetchImmZ(size);
}

/** Set by an instruction that loaded RIP itself (branches, interrupts): RIP is not advanced to ip. */
export let branched: bool = false;
export function markBranched(): void { branched = true; }
export function clearBranched(): void { branched = false; }

// ---- prefixes ----
export let opsize: i32 = 4;
export let adsize: i32 = 4;
export let rex: i32 = 0; // 0 or 0x40..0x4f
export let rexW: bool = false;
export let rexR: i32 = 0;
export let rexX: i32 = 0;
export let rexB: i32 = 0;
export let segOverride: i32 = -1;
export let rep: i32 = 0; // 0, 0xf2, 0xf3
export let lock: bool = false;
export let has66: bool = false;

/** 26 2E 36 3E 64 65 66 67 F0 F2 F3: the legacy prefixes (a range test, not a compare chain). */
@inline function isLegacyPrefix(b: u32): bool {
  if (b >= 0xf0) return b != 0xf1 && b <= 0xf3;
  if (b >= 0x64) return b <= 0x67;
  return b >= 0x26 && b <= 0x3e && (b & 7) == 6;
}

let p66: bool = false;
let p67: bool = false;

function applyPrefix(b: u32): void {
  switch (b) {
    case 0x66: p66 = true; break;
    case 0x67: p67 = true; break;
    case 0xf0: lock = true; break;
    case 0xf2: case 0xf3: rep = b; break;
    case 0x64: segOverride = SEG_FS; break;
    case 0x65: segOverride = SEG_GS; break;
    default: segOverride = <i32>((b >> 3) & 3); break; // 26 ES, 2E CS, 36 SS, 3E DS
  }
}

/** Read prefixes; returns the first opcode byte. */
export function decodePrefixes(): u32 {
  let b = fetch8();
  rex = 0; segOverride = -1; rep = 0; lock = false; p66 = false; p67 = false;
  while (true) {
    while (isLegacyPrefix(b)) {
      if (fault) return 0;
      applyPrefix(b);
      b = fetch8();
    }
    // REX counts only directly before the opcode: a legacy prefix after it cancels it.
    if (!mode64 || (b & 0xf0) != 0x40) break;
    rex = <i32>b;
    b = fetch8();
    if (isLegacyPrefix(b)) rex = 0;
    else if ((b & 0xf0) != 0x40) break;
  }
  if (fault) return 0;
  has66 = p66;
  rexW = (rex & 8) != 0;
  rexR = (rex & 4) << 1;
  rexX = (rex & 2) << 2;
  rexB = (rex & 1) << 3;
  if (mode64) {
    opsize = rexW ? 8 : (p66 ? 2 : 4);
    adsize = p67 ? 4 : 8;
    // CS/DS/ES/SS overrides are ignored in 64-bit mode: an RSP/RBP base still means SS (#SS when
    // non-canonical) whatever the prefix says.
    if (segOverride >= 0 && segOverride < SEG_FS) segOverride = -1;
  } else {
    const d = codeSize32;
    opsize = (d != p66) ? 4 : 2;
    adsize = (d != p67) ? 4 : 2;
  }
  return b;
}

/** Operand size of instructions that default to 64 bits in 64-bit mode (push, pop, near branches). */
@inline export function stackOpsize(): i32 {
  if (mode64) return has66 ? 2 : 8;
  return opsize;
}

// ---- ModRM / SIB ----
export let modrm: u32 = 0;
export let mod: u32 = 0;
/** ModRM.reg extended by REX.R. */
export let regField: i32 = 0;
/** ModRM.rm extended by REX.B (register operand when mod == 3). */
export let rmField: i32 = 0;
export let isMem: bool = false;
export let eaSeg: i32 = SEG_DS;
let eaOff: u64 = 0;
let ripRel: bool = false;

export function decodeModrm(): void {
  modrm = fetch8();
  mod = modrm >> 6;
  regField = <i32>((modrm >> 3) & 7) | rexR;
  const rm = <i32>(modrm & 7);
  if (mod == 3) {
    isMem = false;
    rmField = rm | rexB;
    return;
  }
  isMem = true;
  ripRel = false;
  let seg = SEG_DS;
  let off: u64 = 0;
  if (adsize == 2) {
    switch (rm) {
      case 0: off = reg64(3) + reg64(6); break;
      case 1: off = reg64(3) + reg64(7); break;
      case 2: off = reg64(5) + reg64(6); seg = SEG_SS; break;
      case 3: off = reg64(5) + reg64(7); seg = SEG_SS; break;
      case 4: off = reg64(6); break;
      case 5: off = reg64(7); break;
      case 6: if (mod == 0) off = <u64>fetch16(); else { off = reg64(5); seg = SEG_SS; } break;
      default: off = reg64(3); break;
    }
    if (mod == 1) off += fetchS8();
    else if (mod == 2) off += <u64>fetch16();
    off &= 0xffff;
  } else {
    if (rm == 4) {
      const sib = fetch8();
      const base = <i32>(sib & 7);
      const index = <i32>((sib >> 3) & 7) | rexX;
      const scale = <u64>(sib >> 6);
      if (index != 4) off = reg64(index) << scale;
      if (base == 5 && mod == 0) {
        off += fetchS32();
      } else {
        const b = base | rexB;
        off += reg64(b);
        if (b == 4 || b == 5) seg = SEG_SS; // RSP/RBP only: R12/R13 bases default to DS
      }
    } else if (rm == 5 && mod == 0) {
      off = fetchS32();
      if (mode64) ripRel = true;
    } else {
      const b = rm | rexB;
      off = reg64(b);
      if (b == 5) seg = SEG_SS;
    }
    if (mod == 1) off += fetchS8();
    else if (mod == 2) off += fetchS32();
    if (adsize == 4) off &= 0xffffffff;
  }
  eaOff = off;
  eaSeg = segOverride >= 0 ? segOverride : seg;
}

/** Make the r/m operand register `r` without a ModRM byte (INC/DEC 40..4F). */
export function setRegOperand(r: i32): void { isMem = false; rmField = r; }

/** Effective address offset; valid once every immediate of the instruction has been fetched. */
export function effectiveOffset(): u64 {
  if (ripRel) {
    const v = eaOff + nextIp();
    return adsize == 4 ? (v & 0xffffffff) : v;
  }
  return eaOff;
}

/** Linear address of segment:offset. */
export function linear(seg: i32, off: u64): u64 {
  setAddrSeg(seg);
  if (mode64) return seg >= SEG_FS ? off + segBase(seg) : off;
  return (off + segBase(seg)) & 0xffffffff;
}

@inline export function eaLinear(): u64 { return linear(eaSeg, effectiveOffset()); }

/** Segment for string sources and moffs: DS unless overridden. */
@inline export function dataSeg(): i32 { return segOverride >= 0 ? segOverride : SEG_DS; }

// ---- operands ----
/** Register operand index for `size`: byte registers are byte offsets (see byteRegOffset). */
@inline export function regIndex(r: i32, size: i32): i32 { return size == 1 ? byteRegOffset(r, rex != 0) : r; }

export function readG(size: i32): u64 { return readReg(regIndex(regField, size), size); }
export function writeG(size: i32, v: u64): void { writeReg(regIndex(regField, size), size, v); }

export function readE(size: i32): u64 {
  if (!isMem) return readReg(regIndex(rmField, size), size);
  return readN(eaLinear(), size);
}
export function writeE(size: i32, v: u64): void {
  if (!isMem) { writeReg(regIndex(rmField, size), size, v); return; }
  writeN(eaLinear(), size, v);
}

/** Record the instruction bytes for EXIT_UNIMPLEMENTED and stop. */
export function unimplemented(): void {
  // Bytes on the page being fetched from are copied; the rest (a page-crossing tail) read as 0.
  for (let i = 0; i < 16; i++) {
    let lin = startIp + <u64>i + csBase;
    if (!mode64) lin &= 0xffffffff;
    const b: u8 = (lin & ~(<u64>0xfff)) == fetchPage ? load<u8>(fetchHost + <usize>(lin & 0xfff)) : 0;
    store<u8>(cpu + V_EXIT_BYTES + <usize>i, b);
  }
  requestExit(EXIT_UNIMPLEMENTED);
}

