// Lazy arithmetic flags. An ALU instruction records its operation, operands, result and size; the six
// status flags (CF PF AF ZF SF OF) are computed only when something reads them. All other RFLAGS bits
// live in `rflagsRest`. This module is the only place that knows how each operation defines its flags.
import { V_RFLAGS, RFLAGS_CF, RFLAGS_PF, RFLAGS_AF, RFLAGS_ZF, RFLAGS_SF, RFLAGS_OF, RFLAGS_FIXED } from "../layout";
import { cpu } from "./state";
import { needAttention } from "./fault";
import { debugFlagsChanged } from "./debug";
import { RFLAGS_IF } from "../layout";

export const STATUS_FLAGS: u64 = RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF;

// Lazy operation kinds.
export const FL_NONE: i32 = 0; // status flags are materialized in rflagsRest
export const FL_ADD: i32 = 1;
export const FL_ADC: i32 = 2; // add with carry-in 1
export const FL_SUB: i32 = 3;
export const FL_SBB: i32 = 4; // subtract with borrow-in 1
export const FL_LOGIC: i32 = 5;
export const FL_INC: i32 = 6; // CF comes from lzCarry
export const FL_DEC: i32 = 7;
export const FL_NEG: i32 = 8;
export const FL_RESULT: i32 = 9; // ZF/SF/PF from the result; CF/OF/AF explicit in lzExplicit

export let lzOp: i32 = FL_NONE;
export let lzA: u64 = 0;
export let lzB: u64 = 0;
export let lzRes: u64 = 0;
export let lzSize: i32 = 8; // bytes
/** For FL_INC/FL_DEC: the preserved CF (0/1). For FL_RESULT: CF|OF|AF bits. */
export let lzExplicit: u64 = 0;
/** RFLAGS with the status bits valid only when lzOp == FL_NONE. */
export let rflagsRest: u64 = RFLAGS_FIXED;

@inline export function sizeMask(size: i32): u64 {
  return size == 8 ? <u64>-1 : ((<u64>1 << (<u64>size << 3)) - 1);
}
@inline export function signBit(size: i32): u64 {
  return <u64>1 << ((<u64>size << 3) - 1);
}

@inline export function setLazy(op: i32, a: u64, b: u64, res: u64, size: i32): void {
  lzOp = op; lzA = a; lzB = b; lzRes = res; lzSize = size;
}

/** Record a result whose CF/OF/AF the instruction computed itself (shifts, multiplies, ...). */
@inline export function setResultFlags(res: u64, size: i32, cf: bool, ovf: bool, af: bool): void {
  lzOp = FL_RESULT; lzRes = res; lzSize = size;
  lzExplicit = (cf ? RFLAGS_CF : 0) | (ovf ? RFLAGS_OF : 0) | (af ? RFLAGS_AF : 0);
}

export function getCF(): bool {
  const m = sizeMask(lzSize);
  switch (lzOp) {
    case FL_NONE: return (rflagsRest & RFLAGS_CF) != 0;
    case FL_ADD: return (lzRes & m) < (lzA & m);
    case FL_ADC: return (lzRes & m) <= (lzA & m);
    case FL_SUB: return (lzA & m) < (lzB & m);
    case FL_SBB: return (lzA & m) <= (lzB & m);
    case FL_LOGIC: return false;
    case FL_INC: case FL_DEC: return lzExplicit != 0;
    case FL_NEG: return (lzA & m) != 0;
    default: return (lzExplicit & RFLAGS_CF) != 0;
  }
}

export function getOF(): bool {
  const s = signBit(lzSize);
  switch (lzOp) {
    case FL_NONE: return (rflagsRest & RFLAGS_OF) != 0;
    case FL_ADD: case FL_ADC: return ((lzA ^ lzRes) & (lzB ^ lzRes) & s) != 0;
    case FL_SUB: case FL_SBB: return ((lzA ^ lzB) & (lzA ^ lzRes) & s) != 0;
    case FL_LOGIC: return false;
    case FL_INC: return (lzRes & sizeMask(lzSize)) == s;
    case FL_DEC: return (lzRes & sizeMask(lzSize)) == s - 1;
    case FL_NEG: return (lzA & sizeMask(lzSize)) == s;
    default: return (lzExplicit & RFLAGS_OF) != 0;
  }
}

export function getAF(): bool {
  switch (lzOp) {
    case FL_NONE: return (rflagsRest & RFLAGS_AF) != 0;
    case FL_ADD: case FL_ADC: case FL_SUB: case FL_SBB: return ((lzA ^ lzB ^ lzRes) & 0x10) != 0;
    case FL_LOGIC: return false;
    case FL_INC: return (lzRes & 0xf) == 0;
    case FL_DEC: return (lzRes & 0xf) == 0xf;
    case FL_NEG: return ((lzA ^ lzRes) & 0x10) != 0;
    default: return (lzExplicit & RFLAGS_AF) != 0;
  }
}

@inline export function getZF(): bool {
  if (lzOp == FL_NONE) return (rflagsRest & RFLAGS_ZF) != 0;
  return (lzRes & sizeMask(lzSize)) == 0;
}
@inline export function getSF(): bool {
  if (lzOp == FL_NONE) return (rflagsRest & RFLAGS_SF) != 0;
  return (lzRes & signBit(lzSize)) != 0;
}
@inline export function getPF(): bool {
  if (lzOp == FL_NONE) return (rflagsRest & RFLAGS_PF) != 0;
  return (popcnt<u32>(<u32>lzRes & 0xff) & 1) == 0;
}

/** The full architectural RFLAGS. */
export function getFlags(): u64 {
  if (lzOp == FL_NONE) return rflagsRest;
  let f = rflagsRest & ~STATUS_FLAGS;
  if (getCF()) f |= RFLAGS_CF;
  if (getPF()) f |= RFLAGS_PF;
  if (getAF()) f |= RFLAGS_AF;
  if (getZF()) f |= RFLAGS_ZF;
  if (getSF()) f |= RFLAGS_SF;
  if (getOF()) f |= RFLAGS_OF;
  return f;
}

/** Replace RFLAGS wholesale (the caller has applied any privilege masking). */
/** RFLAGS.TF and RF, kept as booleans for the run loop's per-instruction test. */
export let tfOn: bool = false;
export let rfOn: bool = false;

export function setFlags(v: u64): void {
  if ((v & ~rflagsRest & RFLAGS_IF) != 0) needAttention(); // IF 0 -> 1: a pending interrupt may be taken
  rflagsRest = (v & 0x3f7fd7) | RFLAGS_FIXED;
  tfOn = (v & 0x100) != 0;
  rfOn = (v & 0x10000) != 0;
  debugFlagsChanged(tfOn, rfOn);
  lzOp = FL_NONE;
}

/** Replace only the status flags in `mask` (a subset of STATUS_FLAGS) with those of `v`. */
export function setStatusFlags(v: u64, mask: u64): void {
  const f = getFlags();
  rflagsRest = (f & ~mask) | (v & mask);
  lzOp = FL_NONE;
}

/** Set or clear one status flag, keeping the others. */
export function setFlagBit(bit: u64, on: bool): void {
  setStatusFlags(on ? bit : 0, bit);
}

/** Evaluate condition code cc (0..15) as Jcc/SETcc/CMOVcc define it. */
export function cond(cc: i32): bool {
  let r: bool;
  switch (cc >> 1) {
    case 0: r = getOF(); break;
    case 1: r = getCF(); break;
    case 2: r = getZF(); break;
    case 3: r = getCF() || getZF(); break;
    case 4: r = getSF(); break;
    case 5: r = getPF(); break;
    case 6: r = getSF() != getOF(); break;
    default: r = getZF() || (getSF() != getOF()); break;
  }
  return (cc & 1) != 0 ? !r : r;
}

/** Move RFLAGS from the state block into the lazy representation (on entry to run). */
export function loadFlags(): void { setFlags(load<u64>(cpu + V_RFLAGS)); }
/** Materialize RFLAGS into the state block (on exit from run). */
export function saveFlags(): void { store<u64>(cpu + V_RFLAGS, getFlags()); }

export function setIncDec(op: i32, a: u64, res: u64, size: i32): void {
  setIncDecCarry(op, a, res, size, getCF());
}
export function setIncDecCarry(op: i32, a: u64, res: u64, size: i32, cf: bool): void {
  lzExplicit = cf ? 1 : 0;
  lzOp = op; lzA = a; lzB = 1; lzRes = res; lzSize = size;
}
