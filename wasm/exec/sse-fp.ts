// SSE/SSE2/SSE3/SSE4.1 floating-point instructions: arithmetic, compares, conversions, rounding,
// horizontal ops and dot products. Lanes are computed into RES with flags accumulated by the
// soft-float core; the destination and MXCSR are written only when no unmasked exception occurred.
import { decodeModrm, fetch8, regField, rmField, isMem, rexW, eaLinear } from "../cpu/decode";
import { fault, raiseUD } from "../cpu/fault";
import { readReg, writeReg } from "../cpu/state";
import { read64, readN } from "../cpu/mmu";
import { setStatusFlags } from "../cpu/flags";
import {
  SRC, RES, AUX, P_NONE, P_66, P_F3, P_F2, pfx, xmmPtr, mmPtr, sseOk, mmxPendingOk, mmxEnter, setMm, getMm,
  loadSrcX, loadSrcMm, copy16, mxcsr, mxCommit, MX_IE, MX_DE, MX_ZE, MX_OE, MX_UE,
} from "./sse-common";
import {
  sfBegin, sfFlags, setSfFlags, arith, cmpPred, compare, fromInt, toInt, convert, roundLane, approx, OP_ADD, OP_SUB, OP_MUL,
} from "./sse-softfloat";

export const F_ADD = 0, F_SUB = 1, F_MUL = 2, F_DIV = 3, F_MIN = 4, F_MAX = 5, F_SQRT = 6;

/** Commit the accumulated flags: pre-computation exceptions (IE DE ZE) first, then the rest. */
function commit(): bool {
  const f = sfFlags;
  const unmasked = ~(mxcsr() >> 7) & 0x3f;
  const pre = f & (MX_IE | MX_DE | MX_ZE);
  if ((pre & unmasked) != 0) return mxCommit(pre);
  return mxCommit(f);
}

@inline function lane(p: usize, i: i32, d: bool): u64 { return d ? load<u64>(p + 8 * i) : <u64>load<u32>(p + 4 * i); }
@inline function setLane(p: usize, i: i32, d: bool, v: u64): void { if (d) store<u64>(p + 8 * i, v); else store<u32>(p + 4 * i, <u32>v); }

/** Decode, check and load the source for a PS/PD/SS/SD form; returns the prefix class or -1. */
function beginFp(allowScalar: bool): i32 {
  const p = pfx();
  decodeModrm();
  if (!allowScalar && p >= P_F3) { raiseUD(); return -1; }
  if (!sseOk()) return -1;
  return p;
}
function loadFpSrc(p: i32): bool {
  if (p == P_F3) return loadSrcX(4, false);
  if (p == P_F2) return loadSrcX(8, false);
  return loadSrcX(16, true);
}

/** ADD/SUB/MUL/DIV/MIN/MAX/SQRT PS/PD/SS/SD. */
export function fpArith(k: i32): void {
  const p = beginFp(true);
  if (p < 0 || !loadFpSrc(p)) return;
  const dst = xmmPtr(regField);
  const d = p == P_66 || p == P_F2;
  const n = p >= P_F3 ? 1 : d ? 2 : 4;
  copy16(RES, dst);
  sfBegin();
  for (let i = 0; i < n; i++) setLane(RES, i, d, arith(k, lane(dst, i, d), lane(SRC, i, d), d));
  if (!commit()) return;
  copy16(dst, RES);
}

/** CMPPS/PD/SS/SD xmm, xmm/m, imm8. */
export function fpCmp(): void {
  const p = beginFp(true);
  if (p < 0) return;
  const imm = <i32>fetch8();
  if (fault || !loadFpSrc(p)) return;
  const dst = xmmPtr(regField);
  const d = p == P_66 || p == P_F2;
  const n = p >= P_F3 ? 1 : d ? 2 : 4;
  copy16(RES, dst);
  sfBegin();
  for (let i = 0; i < n; i++) setLane(RES, i, d, cmpPred(imm & 7, lane(dst, i, d), lane(SRC, i, d), d) ? <u64>-1 : 0);
  if (!commit()) return;
  copy16(dst, RES);
}

/** COMISS/UCOMISS/COMISD/UCOMISD. */
export function fpComi(signaling: bool): void {
  const p = beginFp(false);
  if (p < 0) return;
  const d = p == P_66;
  if (!loadSrcX(d ? 8 : 4, false)) return;
  sfBegin();
  const r = compare(lane(xmmPtr(regField), 0, d), lane(SRC, 0, d), d, signaling);
  if (!commit()) return;
  const f: u64 = r == 3 ? 0x45 : r == 2 ? 0x40 : r == 1 ? 0x01 : 0;
  setStatusFlags(f, 0x8d5);
}

/** 0F 2A: CVTPI2PS, CVTPI2PD, CVTSI2SS, CVTSI2SD. */
export function cvt2A(): void {
  const p = pfx();
  decodeModrm();
  if (!sseOk()) return;
  const dst = xmmPtr(regField);
  if (p >= P_F3) {
    const d = p == P_F2;
    const size = rexW ? 8 : 4;
    const v = isMem ? readN(eaLinear(), size) : readReg(rmField, size);
    if (fault) return;
    sfBegin();
    const r = fromInt(size == 8 ? <i64>v : <i64><i32>v, d);
    if (!commit()) return;
    setLane(dst, 0, d, r);
    return;
  }
  // mm/m64 source: two int32
  if (!isMem && !mmxPendingOk()) return;
  if (!loadSrcMm(8)) return;
  sfBegin();
  const d = p == P_66;
  copy16(RES, dst);
  for (let i = 0; i < 2; i++) setLane(RES, i, d, fromInt(<i64>load<i32>(SRC + 4 * i), d));
  if (!isMem) mmxEnter(); // made even when the conversion raises #XM
  if (!commit()) return;
  copy16(dst, RES);
}

/** 0F 2C/2D: CVT(T)PS2PI, CVT(T)PD2PI, CVT(T)SS2SI, CVT(T)SD2SI. */
export function cvt2C(trunc: bool): void {
  const p = pfx();
  decodeModrm();
  if (!sseOk()) return;
  if (p >= P_F3) {
    const d = p == P_F2;
    if (!loadSrcX(d ? 8 : 4, false)) return;
    sfBegin();
    const r = toInt(lane(SRC, 0, d), d, rexW, trunc);
    if (!commit()) return;
    writeReg(regField, rexW ? 8 : 4, r);
    return;
  }
  const d = p == P_66;
  if (!mmxPendingOk()) return;
  if (!loadSrcX(d ? 16 : 8, d)) return;
  sfBegin();
  const lo = toInt(lane(SRC, 0, d), d, false, trunc);
  const hi = toInt(lane(SRC, 1, d), d, false, trunc);
  mmxEnter(); // the x87 -> MMX transition happens even when the conversion raises #XM
  if (!commit()) return;
  setMm(regField, (lo & 0xffffffff) | (hi << 32));
  mmxEnter();
}

/** 0F 5A: CVTPS2PD, CVTPD2PS, CVTSS2SD, CVTSD2SS. */
export function cvt5A(): void {
  const p = pfx();
  decodeModrm();
  if (!sseOk()) return;
  const dst = xmmPtr(regField);
  const fromD = p == P_66 || p == P_F2;
  const srcBytes = p == P_NONE ? 8 : p == P_66 ? 16 : p == P_F3 ? 4 : 8;
  if (!loadSrcX(srcBytes, p == P_66)) return;
  sfBegin();
  copy16(RES, dst);
  if (p >= P_F3) setLane(RES, 0, !fromD, convert(lane(SRC, 0, fromD), fromD));
  else {
    for (let i = 0; i < 2; i++) setLane(RES, i, !fromD, convert(lane(SRC, i, fromD), fromD));
    if (p == P_66) store<u64>(RES + 8, 0);
  }
  if (!commit()) return;
  copy16(dst, RES);
}

/** 0F 5B: CVTDQ2PS, CVTPS2DQ (66), CVTTPS2DQ (F3). */
export function cvt5B(): void {
  const p = pfx();
  decodeModrm();
  if (p == P_F2) { raiseUD(); return; }
  if (!sseOk() || !loadSrcX(16, true)) return;
  sfBegin();
  for (let i = 0; i < 4; i++) {
    const v = load<u32>(SRC + 4 * i);
    const r = p == P_NONE ? fromInt(<i64><i32>v, false) : toInt(<u64>v, false, false, p == P_F3);
    store<u32>(RES + 4 * i, <u32>r);
  }
  if (!commit()) return;
  copy16(xmmPtr(regField), RES);
}

/** 0F E6: CVTTPD2DQ (66), CVTDQ2PD (F3), CVTPD2DQ (F2). */
export function cvtE6(): void {
  const p = pfx();
  decodeModrm();
  if (p == P_NONE) { raiseUD(); return; }
  if (!sseOk()) return;
  if (p == P_F3) {
    if (!loadSrcX(8, false)) return;
    sfBegin();
    for (let i = 0; i < 2; i++) store<u64>(RES + 8 * i, fromInt(<i64>load<i32>(SRC + 4 * i), true));
  } else {
    if (!loadSrcX(16, true)) return;
    sfBegin();
    for (let i = 0; i < 2; i++) store<u32>(RES + 4 * i, <u32>toInt(load<u64>(SRC + 8 * i), true, false, p == P_66));
    store<u64>(RES + 8, 0);
  }
  if (!commit()) return;
  copy16(xmmPtr(regField), RES);
}

/** RSQRTPS/SS (52), RCPPS/SS (53): no exceptions. */
export function fpRcp(rsqrt: bool): void {
  const p = beginFp(true);
  if (p < 0) return;
  if (p == P_66 || p == P_F2) { raiseUD(); return; }
  if (!loadFpSrc(p)) return;
  const dst = xmmPtr(regField);
  const n = p == P_F3 ? 1 : 4;
  copy16(RES, dst);
  for (let i = 0; i < n; i++) store<u32>(RES + 4 * i, <u32>approx(<u64>load<u32>(SRC + 4 * i), rsqrt));
  copy16(dst, RES);
}

/** HADDPS/HADDPD/HSUBPS/HSUBPD (66: PD, F2: PS). */
export function fpHorizontal(sub: bool): void {
  const p = pfx();
  decodeModrm();
  if (p != P_66 && p != P_F2) { raiseUD(); return; }
  if (!sseOk() || !loadSrcX(16, true)) return;
  const dst = xmmPtr(regField);
  const d = p == P_66;
  const op = sub ? OP_SUB : OP_ADD;
  sfBegin();
  const n = d ? 1 : 2; // results per source
  for (let k = 0; k < 2; k++) {
    const s = k == 0 ? dst : SRC;
    for (let i = 0; i < n; i++) setLane(RES, k * n + i, d, arith(op, lane(s, 2 * i, d), lane(s, 2 * i + 1, d), d));
  }
  if (!commit()) return;
  copy16(dst, RES);
}

/** ADDSUBPD (66) / ADDSUBPS (F2): subtract in even lanes, add in odd lanes. */
export function fpAddSub(): void {
  const p = pfx();
  decodeModrm();
  if (p != P_66 && p != P_F2) { raiseUD(); return; }
  if (!sseOk() || !loadSrcX(16, true)) return;
  const dst = xmmPtr(regField);
  const d = p == P_66;
  const n = d ? 2 : 4;
  sfBegin();
  for (let i = 0; i < n; i++) setLane(RES, i, d, arith((i & 1) != 0 ? OP_ADD : OP_SUB, lane(dst, i, d), lane(SRC, i, d), d));
  if (!commit()) return;
  copy16(dst, RES);
}

/** 66 0F 3A 08-0B ROUNDPS/PD/SS/SD. */
export function fpRound(op: u32): void {
  const p = pfx();
  decodeModrm();
  if (p != P_66) { raiseUD(); return; }
  if (!sseOk()) return;
  const imm = <i32>fetch8();
  if (fault) return;
  const d = (op & 1) != 0;
  const scalar = op >= 0x0a;
  if (!loadSrcX(scalar ? (d ? 8 : 4) : 16, !scalar)) return;
  const dst = xmmPtr(regField);
  const n = scalar ? 1 : d ? 2 : 4;
  copy16(RES, dst);
  sfBegin();
  const mode = (imm & 4) != 0 ? -1 : imm & 3;
  for (let i = 0; i < n; i++) setLane(RES, i, d, roundLane(lane(SRC, i, d), d, mode, (imm & 8) != 0));
  if (!commit()) return;
  copy16(dst, RES);
}

/** 66 0F 3A 40 DPPS / 41 DPPD. */
export function fpDot(d: bool): void {
  const p = pfx();
  decodeModrm();
  if (p != P_66) { raiseUD(); return; }
  if (!sseOk()) return;
  const imm = <i32>fetch8();
  if (fault || !loadSrcX(16, true)) return;
  const dst = xmmPtr(regField);
  sfBegin();
  const n = d ? 2 : 4;
  for (let i = 0; i < n; i++) {
    const t = ((imm >> (4 + i)) & 1) != 0 ? arith(OP_MUL, lane(dst, i, d), lane(SRC, i, d), d) : 0;
    setLane(AUX, i, d, t);
  }
  // An unmasked overflow/underflow of a stage leaves the hardware's intermediate at unbounded
  // exponent; the following stages then report nothing more. Stop there.
  const stop = ~(mxcsr() >> 7) & (MX_OE | MX_UE);
  if ((sfFlags & stop) != 0) { commit(); return; }
  let sum: u64;
  if (d) sum = arith(OP_ADD, lane(AUX, 0, d), lane(AUX, 1, d), d);
  else {
    const s1 = arith(OP_ADD, lane(AUX, 0, d), lane(AUX, 1, d), d);
    const s2 = arith(OP_ADD, lane(AUX, 2, d), lane(AUX, 3, d), d);
    if ((sfFlags & stop) != 0) { commit(); return; }
    sum = arith(OP_ADD, s1, s2, d);
  }
  for (let i = 0; i < n; i++) setLane(RES, i, d, ((imm >> i) & 1) != 0 ? sum : 0);
  if (!commit()) return;
  copy16(dst, RES);
}

export { mmPtr, getMm, read64, OP_MUL };
