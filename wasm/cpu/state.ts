// The running vCPU: its state block in linear memory plus the mode bits the interpreter consults on
// every instruction. The mode bits are derived from CR0/EFER/CS and recomputed by updateMode()
// whenever one of those changes; nothing else caches architectural state outside the state block.
import {
  VCPU_BASE, VCPU_SIZE, V_GPR, V_RIP, V_SEG, SEG_SIZE, SEG_SEL, SEG_ATTR, SEG_LIMIT, SEG_BASE,
  V_CR0, V_EFER, V_CR4, SEG_CS, SEG_SS, CR0_PE, CR0_WP, EFER_LMA, EFER_NXE, CR0_PG, CR4_PAE,
} from "../layout";

/** Address of the running vCPU's state block. */
export let cpu: usize = VCPU_BASE;
export let vcpuIndex: i32 = 0;

export function selectVcpu(index: i32): void {
  vcpuIndex = index;
  cpu = <usize>VCPU_BASE + <usize>index * <usize>VCPU_SIZE;
}

// ---- derived mode (recomputed by updateMode) ----
/** 64-bit mode: EFER.LMA and CS.L. */
export let mode64: bool = false;
/** Protected mode (CR0.PE). */
export let protectedMode: bool = false;
/** Current privilege level (CS.DPL in protected mode, 0 in real mode). */
export let cpl: i32 = 0;
/** Default operand/address size of the code segment in bytes: 2, 4 (or 8 address size in 64-bit mode). */
export let codeSize32: bool = false;
export let stackSize: i32 = 2; // SS.B: 2 or 4 bytes (8 in 64-bit mode)
export let pagingMode: i32 = 0; // 0 none, 2 32-bit, 3 PAE, 4 4-level
export let nxEnabled: bool = false;
export let wpEnabled: bool = false;

export const ATTR_TYPE_MASK: u32 = 0xf;
export const ATTR_S: u32 = 0x10;
export const ATTR_P: u32 = 0x80;
export const ATTR_L: u32 = 0x2000;
export const ATTR_DB: u32 = 0x4000;
export const ATTR_G: u32 = 0x8000;

export function updateMode(): void {
  const cr0 = load<u64>(cpu + V_CR0);
  const efer = load<u64>(cpu + V_EFER);
  const cr4 = load<u64>(cpu + V_CR4);
  protectedMode = (cr0 & CR0_PE) != 0;
  const csAttr = segAttr(SEG_CS);
  const lma = (efer & EFER_LMA) != 0;
  mode64 = lma && (csAttr & ATTR_L) != 0;
  codeSize32 = (csAttr & ATTR_DB) != 0;
  cpl = protectedMode ? <i32>((segAttr(SEG_CS) >> 5) & 3) : 0;
  stackSize = mode64 ? 8 : ((segAttr(SEG_SS) & ATTR_DB) != 0 ? 4 : 2);
  if ((cr0 & CR0_PG) == 0) pagingMode = 0;
  else if (lma) pagingMode = 4;
  else if ((cr4 & CR4_PAE) != 0) pagingMode = 3;
  else pagingMode = 2;
  nxEnabled = (efer & EFER_NXE) != 0 && pagingMode >= 3;
  wpEnabled = (cr0 & CR0_WP) != 0;
}

/** Segment of the most recent linear-address computation: a non-canonical SS access is #SS. */
export let addrSeg: i32 = 0;
@inline export function setAddrSeg(s: i32): void { addrSeg = s; }

// ---- general registers ----
@inline export function reg64(r: i32): u64 { return load<u64>(cpu + V_GPR + (<usize>r << 3)); }
@inline export function setReg64(r: i32, v: u64): void { store<u64>(cpu + V_GPR + (<usize>r << 3), v); }
@inline export function reg32(r: i32): u32 { return load<u32>(cpu + V_GPR + (<usize>r << 3)); }
/** 32-bit writes zero-extend into the full 64-bit register. */
@inline export function setReg32(r: i32, v: u32): void { store<u64>(cpu + V_GPR + (<usize>r << 3), <u64>v); }
@inline export function reg16(r: i32): u16 { return load<u16>(cpu + V_GPR + (<usize>r << 3)); }
@inline export function setReg16(r: i32, v: u16): void { store<u16>(cpu + V_GPR + (<usize>r << 3), v); }
/** Byte registers are addressed by byte offset into the register file (see byteRegOffset). */
@inline export function reg8At(off: i32): u8 { return load<u8>(cpu + V_GPR + <usize>off); }
@inline export function setReg8At(off: i32, v: u8): void { store<u8>(cpu + V_GPR + <usize>off, v); }
/** Without REX, byte registers 4..7 are AH CH DH BH (byte 1 of RAX..RBX). */
@inline export function byteRegOffset(r: i32, rex: bool): i32 {
  return (rex || r < 4) ? (r << 3) : (((r - 4) << 3) + 1);
}

/** Read a register of `size` bytes, zero-extended. For size 1, r is a byte offset (byteRegOffset). */
export function readReg(r: i32, size: i32): u64 {
  if (size == 4) return <u64>reg32(r);
  if (size == 8) return reg64(r);
  if (size == 2) return <u64>reg16(r);
  return <u64>reg8At(r);
}

/** Write a register with x86 merge rules: 8/16-bit merge, 32-bit zero-extends, 64-bit replaces. */
export function writeReg(r: i32, size: i32, v: u64): void {
  if (size == 4) setReg32(r, <u32>v);
  else if (size == 8) setReg64(r, v);
  else if (size == 2) setReg16(r, <u16>v);
  else setReg8At(r, <u8>v);
}

// RIP lives in a wasm global while run() executes (loadRip/saveRip move it to and from the block).
export let curRip: u64 = 0;
@inline export function rip(): u64 { return curRip; }
@inline export function setRip(v: u64): void { curRip = v; }
export function loadRip(): void { curRip = load<u64>(cpu + V_RIP); }
export function saveRip(): void { store<u64>(cpu + V_RIP, curRip); }

// ---- segment registers ----
@inline export function segPtr(seg: i32): usize { return cpu + V_SEG + <usize>seg * SEG_SIZE; }
@inline export function segSel(seg: i32): u32 { return load<u32>(segPtr(seg) + SEG_SEL); }
@inline export function segAttr(seg: i32): u32 { return load<u32>(segPtr(seg) + SEG_ATTR); }
@inline export function segLimit(seg: i32): u32 { return load<u32>(segPtr(seg) + SEG_LIMIT); }
@inline export function segBase(seg: i32): u64 { return load<u64>(segPtr(seg) + SEG_BASE); }
export function setSegment(seg: i32, sel: u32, base: u64, limit: u32, attr: u32): void {
  const p = segPtr(seg);
  store<u32>(p + SEG_SEL, sel);
  store<u32>(p + SEG_ATTR, attr);
  store<u32>(p + SEG_LIMIT, limit);
  store<u64>(p + SEG_BASE, base);
}
@inline export function setSegBase(seg: i32, base: u64): void { store<u64>(segPtr(seg) + SEG_BASE, base); }

@inline export function ctl(off: usize): u64 { return load<u64>(cpu + off); }
@inline export function setCtl(off: usize, v: u64): void { store<u64>(cpu + off, v); }
