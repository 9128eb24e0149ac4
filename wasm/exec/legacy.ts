// Instructions of the legacy modes: the BCD adjustments (DAA DAS AAA AAS AAM AAD), BOUND, ARPL,
// and loading far pointers (LES LDS LSS LFS LGS — the last three also in 64-bit mode).
import { RFLAGS_CF, RFLAGS_AF, RFLAGS_ZF, RFLAGS_SF, RFLAGS_PF, RFLAGS_OF } from "../layout";
import { getCF, getAF, setResultFlags, setStatusFlags, setFlagBit } from "../cpu/flags";
import { fault, raise, raiseUD, EXC_DE, EXC_BR } from "../cpu/fault";
import { reg64, readReg, writeReg, protectedMode } from "../cpu/state";
import { decodeModrm, isMem, eaLinear, fetch8, opsize, readE, writeE, readG, writeG } from "../cpu/decode";
import { readN } from "../cpu/mmu";
import { loadSegment } from "../cpu/segments";

@inline function al(): u64 { return reg64(0) & 0xff; }

/** SF, ZF, PF from an 8-bit result; CF and AF as given; OF cleared (undefined for these). */
function bcdFlags(r: u64, cf: bool, af: bool): void {
  setResultFlags(r & 0xff, 1, cf, false, af);
}

export function daa(): void {
  const old = al();
  const oldCf = getCF();
  let a = old;
  let cf = false, af = false;
  if ((a & 0xf) > 9 || getAF()) { cf = oldCf || a + 6 > 0xff; a = (a + 6) & 0xff; af = true; }
  if (old > 0x99 || oldCf) { a = (a + 0x60) & 0xff; cf = true; }
  writeReg(0, 1, a);
  bcdFlags(a, cf, af);
}

export function das(): void {
  const old = al();
  const oldCf = getCF();
  let a = old;
  let cf = false, af = false;
  if ((a & 0xf) > 9 || getAF()) { cf = oldCf || a < 6; a = (a - 6) & 0xff; af = true; }
  if (old > 0x99 || oldCf) { a = (a - 0x60) & 0xff; cf = true; }
  writeReg(0, 1, a);
  bcdFlags(a, cf, af);
}

/** AAA / AAS: ASCII adjust after addition / subtraction (AX as a whole, as current CPUs do). */
export function aaaAas(sub: bool): void {
  let ax = readReg(0, 2);
  const adjust = (ax & 0xf) > 9 || getAF();
  // SDM: AAA adds 106H to AX; AAS subtracts 6 from AX (the borrow reaches AH) and then 1 from AH.
  if (adjust) ax = sub ? ((ax - 6) - 0x100) & 0xffff : (ax + 0x106) & 0xffff;
  ax &= 0xff0f;
  writeReg(0, 2, ax);
  setStatusFlags((adjust ? RFLAGS_CF | RFLAGS_AF : 0), RFLAGS_CF | RFLAGS_AF);
}

export function aam(): void {
  const base = <u64>fetch8();
  if (fault) return;
  if (base == 0) { raise(EXC_DE, -1); return; }
  const a = al();
  const r = a % base;
  writeReg(0, 2, ((a / base) << 8) | r);
  bcdFlags(r, false, false);
}

export function aad(): void {
  const base = <u64>fetch8();
  if (fault) return;
  const ax = readReg(0, 2);
  const r = ((ax & 0xff) + (ax >> 8) * base) & 0xff;
  writeReg(0, 2, r);
  bcdFlags(r, false, false);
}

/** 62 BOUND r, m: #BR unless lower <= index <= upper (signed). */
export function bound(): void {
  decodeModrm();
  if (!isMem) { raiseUD(); return; }
  const s = opsize;
  const lin = eaLinear();
  const sh = <u64>(64 - (s << 3));
  const lower = (<i64>(readN(lin, s) << sh)) >> sh;
  const upper = (<i64>(readN(lin + <u64>s, s) << sh)) >> sh;
  if (fault) return;
  const idx = (<i64>(readG(s) << sh)) >> sh;
  if (idx < lower || idx > upper) raise(EXC_BR, -1);
}

/** 63 ARPL r/m16, r16 (legacy protected mode). */
export function arpl(): void {
  if (!protectedMode) { raiseUD(); return; }
  decodeModrm();
  const d = readE(2);
  if (fault) return;
  const srcRpl = readG(2) & 3;
  if ((d & 3) < srcRpl) {
    writeE(2, (d & ~(<u64>3)) | srcRpl);
    if (fault) return;
    setFlagBit(RFLAGS_ZF, true);
  } else setFlagBit(RFLAGS_ZF, false);
}

/** C4 LES, C5 LDS, 0F B2 LSS, 0F B4 LFS, 0F B5 LGS: r, m16:16/32/64. */
export function loadFarPointer(seg: i32): void {
  decodeModrm();
  if (!isMem) { raiseUD(); return; }
  const s = opsize;
  const lin = eaLinear();
  const off = readN(lin, s);
  const sel = <u32>readN(lin + <u64>s, 2);
  if (fault) return;
  loadSegment(seg, sel);
  if (fault) return;
  writeG(s, off);
}

export { RFLAGS_SF, RFLAGS_PF, RFLAGS_OF };
