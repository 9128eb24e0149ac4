// SSE4.2 PCMPESTRI / PCMPESTRM / PCMPISTRI / PCMPISTRM (66 0F 3A 60-63).
import { decodeModrm, fetch8, regField, rexW } from "../cpu/decode";
import { fault, raiseUD } from "../cpu/fault";
import { reg64, writeReg } from "../cpu/state";
import { setStatusFlags } from "../cpu/flags";
import { SRC, P_66, pfx, xmmPtr, sseOk, loadSrcX } from "./sse-common";

function elem(p: usize, i: i32, fmt: i32): i32 {
  switch (fmt) {
    case 0: return <i32>load<u8>(p + i);
    case 1: return <i32>load<u16>(p + 2 * i);
    case 2: return <i32>load<i8>(p + i);
    default: return <i32>load<i16>(p + 2 * i);
  }
}

function explicitLen(v: u64, n: i32): i32 {
  let a: i64 = rexW ? <i64>v : <i64><i32>v;
  if (a < 0) a = -a;
  if (a < 0 || a > <i64>n) return n; // |INT_MIN| and anything above n saturate
  return <i32>a;
}

function implicitLen(p: usize, n: i32, fmt: i32): i32 {
  for (let i = 0; i < n; i++) if (elem(p, i, fmt) == 0) return i;
  return n;
}

export function pcmpstr(op: u32): void {
  const p = pfx();
  decodeModrm();
  if (p != P_66) { raiseUD(); return; }
  if (!sseOk()) return;
  const imm = <i32>fetch8();
  if (fault || !loadSrcX(16, false)) return;
  const a = xmmPtr(regField);
  const b = SRC;
  const fmt = imm & 3;
  const n = (fmt & 1) != 0 ? 8 : 16;
  const explicit = op < 0x62;
  const la = explicit ? explicitLen(reg64(0), n) : implicitLen(a, n, fmt);
  const lb = explicit ? explicitLen(reg64(2), n) : implicitLen(b, n, fmt);
  const agg = (imm >> 2) & 3;
  let res: u32 = 0;
  for (let j = 0; j < n; j++) {
    let bit = false;
    if (agg == 0) { // equal any
      if (j < lb) {
        const bj = elem(b, j, fmt);
        for (let i = 0; i < la; i++) if (elem(a, i, fmt) == bj) { bit = true; break; }
      }
    } else if (agg == 1) { // ranges
      if (j < lb) {
        const bj = elem(b, j, fmt);
        for (let i = 0; i + 1 < la; i += 2) if (bj >= elem(a, i, fmt) && bj <= elem(a, i + 1, fmt)) { bit = true; break; }
      }
    } else if (agg == 2) { // equal each
      const va = j < la, vb = j < lb;
      bit = va && vb ? elem(a, j, fmt) == elem(b, j, fmt) : !va && !vb;
    } else { // equal ordered
      bit = true;
      for (let k = 0; k < n - j; k++) {
        const va = k < la, vb = j + k < lb;
        let m: bool;
        if (!va) m = true;
        else if (!vb) m = false;
        else m = elem(a, k, fmt) == elem(b, j + k, fmt);
        if (!m) { bit = false; break; }
      }
    }
    if (bit) res |= <u32>1 << j;
  }
  const full: u32 = (<u32>1 << n) - 1;
  const pol = (imm >> 4) & 3;
  if (pol == 1) res = ~res & full;
  else if (pol == 3) res = (res ^ ((<u32>1 << lb) - 1)) & full;
  if ((op & 1) != 0) {
    let idx = n;
    if (res != 0) idx = (imm & 0x40) != 0 ? 31 - <i32>clz(res) : <i32>ctz(res);
    writeReg(1, 4, <u64>idx);
  } else {
    const x0 = xmmPtr(0);
    if ((imm & 0x40) != 0) {
      for (let i = 0; i < n; i++) {
        const on = ((res >> i) & 1) != 0;
        if (n == 16) store<u8>(x0 + i, on ? 0xff : 0);
        else store<u16>(x0 + 2 * i, on ? 0xffff : 0);
      }
    } else { store<u64>(x0, <u64>res); store<u64>(x0 + 8, 0); }
  }
  let f: u64 = 0;
  if (res != 0) f |= 0x1; // CF
  if (lb < n) f |= 0x40; // ZF
  if (la < n) f |= 0x80; // SF
  if ((res & 1) != 0) f |= 0x800; // OF
  setStatusFlags(f, 0x8d5);
}
