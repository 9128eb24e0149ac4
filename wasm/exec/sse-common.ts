// Shared plumbing for the MMX/SSE engine: register pointers, the availability checks (#UD/#NM/#MF),
// operand fetch into scratch buffers, MXCSR flag reporting (#XM), and the MMX <-> x87 transition.
import {
  V_FXSAVE, FX_XMM, FX_MXCSR, FX_ST, FX_FSW, FX_FTW, V_CR0, V_CR4, CR0_EM, CR0_TS, CR4_OSFXSR, CR4_OSXMMEXCPT,
} from "../layout";
import { cpu, mode64, addrSeg } from "../cpu/state";
import { SEG_SS } from "../layout";
import { fault, raise, raiseUD, raiseGP, EXC_NM, EXC_MF, EXC_XM, EXC_SS, NO_ERROR } from "../cpu/fault";
import { isMem, rmField, regField, eaLinear, rep, has66 } from "../cpu/decode";
import { read64, read32, write64, write32, probeWrite, readN, writeN } from "../cpu/mmu";

/** Scratch operand buffers (static data, 16-byte aligned). */
export const SRC: usize = memory.data(16, 16);
export const RES: usize = memory.data(16, 16);
export const AUX: usize = memory.data(16, 16);

export const P_NONE: i32 = 0;
export const P_66: i32 = 1;
export const P_F3: i32 = 2;
export const P_F2: i32 = 3;

/** Mandatory-prefix class: F3/F2 (the last one) win over 66. */
@inline export function pfx(): i32 {
  if (rep == 0xf3) return P_F3;
  if (rep == 0xf2) return P_F2;
  return has66 ? P_66 : P_NONE;
}

@inline export function xmmPtr(r: i32): usize { return cpu + V_FXSAVE + FX_XMM + (<usize>(r & 15) << 4); }
@inline export function mmPtr(r: i32): usize { return cpu + V_FXSAVE + FX_ST + (<usize>(r & 7) << 4); }
@inline export function mxcsr(): u32 { return load<u32>(cpu + V_FXSAVE + FX_MXCSR); }
@inline export function setMxcsr(v: u32): void { store<u32>(cpu + V_FXSAVE + FX_MXCSR, v); }

/** SSE availability: CR0.EM or !CR4.OSFXSR -> #UD, CR0.TS -> #NM. */
export function sseOk(): bool {
  const cr0 = load<u64>(cpu + V_CR0);
  const cr4 = load<u64>(cpu + V_CR4);
  if ((cr0 & CR0_EM) != 0 || (cr4 & CR4_OSFXSR) == 0) { raiseUD(); return false; }
  if ((cr0 & CR0_TS) != 0) { raise(EXC_NM, NO_ERROR); return false; }
  return true;
}

/** MMX availability: CR0.EM -> #UD, CR0.TS -> #NM, pending x87 exception (FSW.ES) -> #MF. */
export function mmxOk(): bool {
  const cr0 = load<u64>(cpu + V_CR0);
  if ((cr0 & CR0_EM) != 0) { raiseUD(); return false; }
  if ((cr0 & CR0_TS) != 0) { raise(EXC_NM, NO_ERROR); return false; }
  if ((load<u16>(cpu + V_FXSAVE + FX_FSW) & 0x80) != 0) { raise(EXC_MF, NO_ERROR); return false; }
  return true;
}

/** Pending-x87-exception check for SSE instructions with an MMX register operand. */
export function mmxPendingOk(): bool {
  if ((load<u16>(cpu + V_FXSAVE + FX_FSW) & 0x80) != 0) { raise(EXC_MF, NO_ERROR); return false; }
  return true;
}

/** The x87 -> MMX transition every MMX instruction (except EMMS) makes: TOP = 0, all tags valid. */
export function mmxEnter(): void {
  const p = cpu + V_FXSAVE;
  store<u16>(p + FX_FSW, load<u16>(p + FX_FSW) & ~(<u16>0x3800));
  store<u8>(p + FX_FTW, 0xff);
}

/** Write an MMX register: 64-bit mantissa, exponent/sign word all ones. */
@inline export function setMm(r: i32, v: u64): void {
  const p = mmPtr(r);
  store<u64>(p, v);
  store<u16>(p + 8, 0xffff);
}
@inline export function getMm(r: i32): u64 { return load<u64>(mmPtr(r)); }

/** Memory operand linear address with the 16-byte alignment check (#GP(0)). */
export function eaAligned(align: bool): u64 {
  const lin = eaLinear();
  if (align && (lin & 15) != 0) { raiseGP(0); }
  return lin;
}

/** A 16-byte access whose last byte is non-canonical (the first being canonical): #GP(0) (#SS(0) for SS). */
export function check16(lin: u64): bool {
  if (!mode64) return true;
  const last = lin + 15;
  const top = <i64>last >> 47;
  if (top != 0 && top != -1) {
    if (addrSeg == SEG_SS) raise(EXC_SS, 0); else raiseGP(0);
    return false;
  }
  return true;
}

/** Load the r/m operand (register `rmField` or memory) of `width` bytes (4, 8, 16) into SRC. */
export function loadSrcX(width: i32, align: bool): bool {
  if (!isMem) {
    const s = xmmPtr(rmField);
    store<u64>(SRC, load<u64>(s));
    store<u64>(SRC + 8, load<u64>(s + 8));
    return true;
  }
  const lin = eaAligned(align && width == 16);
  if (fault) return false;
  if (width == 16) {
    if (!check16(lin)) return false;
    const lo = read64(lin);
    if (fault) return false;
    const hi = read64(lin + 8);
    if (fault) return false;
    store<u64>(SRC, lo); store<u64>(SRC + 8, hi);
  } else if (width == 8) {
    const lo = read64(lin);
    if (fault) return false;
    store<u64>(SRC, lo); store<u64>(SRC + 8, 0);
  } else if (width == 4) {
    const lo = read32(lin);
    if (fault) return false;
    store<u64>(SRC, lo); store<u64>(SRC + 8, 0);
  } else {
    const lo = readN(lin, width);
    if (fault) return false;
    store<u64>(SRC, lo); store<u64>(SRC + 8, 0);
  }
  return true;
}

/** Load an MMX r/m operand (mm register or m64) into SRC. */
export function loadSrcMm(width: i32): bool {
  if (!isMem) {
    store<u64>(SRC, getMm(rmField)); store<u64>(SRC + 8, 0);
    return true;
  }
  const lin = eaLinear();
  const v = width == 8 ? read64(lin) : read32(lin);
  if (fault) return false;
  store<u64>(SRC, v); store<u64>(SRC + 8, 0);
  return true;
}

/** Store 16 bytes from `p` to memory at `lin` (both halves or neither). */
export function store128(lin: u64, p: usize): void {
  if (!check16(lin)) return;
  probeWrite(lin, 16);
  if (fault) return;
  write64(lin, load<u64>(p));
  if (fault) return;
  write64(lin + 8, load<u64>(p + 8));
}
export function store64(lin: u64, v: u64): void { write64(lin, v); }
export function store32(lin: u64, v: u32): void { write32(lin, <u64>v); }
export function storeN(lin: u64, size: i32, v: u64): void { writeN(lin, size, v); }

@inline export function copy16(d: usize, s: usize): void {
  store<u64>(d, load<u64>(s));
  store<u64>(d + 8, load<u64>(s + 8));
}

// ---- SIMD floating-point exception reporting ----
export const MX_IE: u32 = 1;
export const MX_DE: u32 = 2;
export const MX_ZE: u32 = 4;
export const MX_OE: u32 = 8;
export const MX_UE: u32 = 16;
export const MX_PE: u32 = 32;

/**
 * Commit `flags` raised by an SSE FP instruction. Returns false (and raises #XM, or #UD without
 * CR4.OSXMMEXCPT) when one of them is unmasked: the destination must then stay unchanged.
 */
export function mxCommit(flags: u32): bool {
  if (flags == 0) return true;
  const m = mxcsr();
  setMxcsr(m | flags);
  const masks = (m >> 7) & 0x3f;
  if ((flags & ~masks) != 0) {
    if ((load<u64>(cpu + V_CR4) & CR4_OSXMMEXCPT) != 0) raise(EXC_XM, NO_ERROR);
    else raiseUD();
    return false;
  }
  return true;
}

export { regField, rmField, isMem };
