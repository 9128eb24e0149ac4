// String instructions MOVS CMPS STOS LODS SCAS INS OUTS, with REP/REPE/REPNE in every address size.
// A REP instruction runs a bounded number of iterations per step and restarts itself (RIP unchanged)
// until the count is exhausted, so interrupts and exits are taken between iterations as on hardware.
import { SEG_ES, RFLAGS_DF } from "../layout";
import { getFlags, getZF } from "../cpu/flags";
import { fault } from "../cpu/fault";
import { reg64, setReg64, readReg, writeReg } from "../cpu/state";
import { opsize, adsize, rep, dataSeg, linear, startIp, markBranched } from "../cpu/decode";
import { setRip } from "../cpu/state";
import { readN, writeN } from "../cpu/mmu";
import { aluOp, ALU_CMP } from "./alu";
import { ioAllowed, portIn, portOut, inValue } from "./io";

const RCX = 1, RSI = 6, RDI = 7;
const MAX_ITERATIONS = 4096;

/** A REP instruction with iterations left "branches" to itself: RIP stays on it. */
function repeatLater(): void { setRip(startIp); markBranched(); }

@inline function amask(): u64 { return adsize == 8 ? <u64>-1 : adsize == 4 ? 0xffffffff : 0xffff; }
@inline function getIdx(r: i32): u64 { return reg64(r) & amask(); }
@inline function setIdx(r: i32, v: u64): void {
  const m = amask();
  setReg64(r, adsize == 4 ? (v & m) : ((reg64(r) & ~m) | (v & m)));
}

/** op: 0 MOVS, 1 CMPS, 2 STOS, 3 LODS, 4 SCAS, 5 INS, 6 OUTS. */
export function stringOp(op: i32, size: i32): void {
  const delta: u64 = (getFlags() & RFLAGS_DF) != 0 ? <u64>(-size) : <u64>size;
  if ((op == 5 || op == 6) && !ioAllowed()) return;
  const repeat = rep != 0;
  const srcSeg = dataSeg();
  let n = 0;
  while (true) {
    if (repeat && getIdx(RCX) == 0) break;
    switch (op) {
      case 0: {
        const v = readN(linear(srcSeg, getIdx(RSI)), size);
        if (fault) return;
        writeN(linear(SEG_ES, getIdx(RDI)), size, v);
        if (fault) return;
        setIdx(RSI, getIdx(RSI) + delta);
        setIdx(RDI, getIdx(RDI) + delta);
        break;
      }
      case 1: {
        // The host CPU (AMD) touches ES:[rDI] first: its fault wins when both operands fault.
        const b = readN(linear(SEG_ES, getIdx(RDI)), size);
        const a = readN(linear(srcSeg, getIdx(RSI)), size);
        if (fault) return;
        aluOp(ALU_CMP, a, b, size);
        setIdx(RSI, getIdx(RSI) + delta);
        setIdx(RDI, getIdx(RDI) + delta);
        break;
      }
      case 2: {
        writeN(linear(SEG_ES, getIdx(RDI)), size, readReg(0, size));
        if (fault) return;
        setIdx(RDI, getIdx(RDI) + delta);
        break;
      }
      case 3: {
        const v = readN(linear(srcSeg, getIdx(RSI)), size);
        if (fault) return;
        writeReg(0, size, v);
        setIdx(RSI, getIdx(RSI) + delta);
        break;
      }
      case 4: {
        const b = readN(linear(SEG_ES, getIdx(RDI)), size);
        if (fault) return;
        aluOp(ALU_CMP, readReg(0, size), b, size);
        setIdx(RDI, getIdx(RDI) + delta);
        break;
      }
      case 5: {
        if (!portIn(<u32>readReg(2, 2), size)) return; // exits; re-executed with the data
        writeN(linear(SEG_ES, getIdx(RDI)), size, inValue);
        if (fault) return;
        setIdx(RDI, getIdx(RDI) + delta);
        break;
      }
      default: {
        const v = readN(linear(srcSeg, getIdx(RSI)), size);
        if (fault) return;
        portOut(<u32>readReg(2, 2), size, v);
        setIdx(RSI, getIdx(RSI) + delta);
        break;
      }
    }
    if (!repeat) return;
    setIdx(RCX, getIdx(RCX) - 1);
    // REPE/REPNE end on the comparison for CMPS and SCAS.
    if (op == 1 || op == 4) {
      if (rep == 0xf3 && !getZF()) break;
      if (rep == 0xf2 && getZF()) break;
    }
    if (getIdx(RCX) == 0) break;
    n++;
    // Port I/O exits after every element; otherwise yield now and then.
    if (op >= 5 || n >= MAX_ITERATIONS) { repeatLater(); return; }
  }
}

/** Opcode → string operation and element size. */
export function stringOpcode(opcode: u32): void {
  const size = (opcode & 1) == 0 ? 1 : opsize;
  switch (opcode) {
    case 0xa4: case 0xa5: stringOp(0, size); break;
    case 0xa6: case 0xa7: stringOp(1, size); break;
    case 0xaa: case 0xab: stringOp(2, size); break;
    case 0xac: case 0xad: stringOp(3, size); break;
    case 0xae: case 0xaf: stringOp(4, size); break;
    case 0x6c: case 0x6d: stringOp(5, (opcode & 1) == 0 ? 1 : (opsize == 2 ? 2 : 4)); break;
    default: stringOp(6, (opcode & 1) == 0 ? 1 : (opsize == 2 ? 2 : 4)); break;
  }
}
