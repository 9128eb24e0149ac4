// Opcode dispatch: the one-byte map, the 0F two-byte map and the 0F 38 map. Each case names the
// handler for its opcode (or opcode range); the compiler turns these switches into br_tables.
// Opcodes invalid in 64-bit mode and opcodes not implemented are distinguished: the first raise #UD
// as the architecture says, the second exit with EXIT_UNIMPLEMENTED carrying the bytes.
import { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS } from "../layout";
import { fault, raiseUD } from "./fault";
import { mode64, readReg, writeReg, protectedMode } from "./state";
import { setFlagBit, getCF, getFlags, setFlags } from "./flags";
import { RFLAGS_CF, RFLAGS_DF } from "../layout";
import {
  fetch8, decodeModrm, regField, opsize, rep, rexB, isMem, unimplemented, lock, has66,
} from "./decode";
import { aluForm, group1, group3, incDecE, imulGE, imulGEI } from "../exec/alu";
import { group2, shiftDouble } from "../exec/shift";
import { btG, group8, bitScan, popcntG, bswapReg, movbe } from "../exec/bits";
import {
  movForm, movEI, movRI, movMoffs, movExtend, lea, xchgForm, xchgAx, cmov, setcc, cbw, cwd, sahf, lahf, xlat,
  cmpxchg, cmpxchg8b16b, xadd, movFromSreg, movToSreg,
} from "../exec/move";
import { pushReg, popReg, pushImm, pushE, popE, pushSeg, popSeg, pushf, popf, pusha, popa, enter, leave } from "../exec/stack";
import {
  jcc, jmpRel, callRel, retNear, loop, indirectNear, farDirect, farIndirect, retFar, intN, int3, into, int1, iret,
} from "../exec/control";
import { stringOpcode } from "../exec/string";
import { inOut } from "../exec/io";
import { daa, das, aaaAas, aam, aad, bound, arpl, loadFarPointer } from "../exec/legacy";
import { sseTwoByte, sse0F38, sse0F3A, fxGroup15 } from "../exec/sse";
import { x87Escape, x87Wait } from "../exec/x87";
import {
  movCr, movDr, clts, group6, group7, larLsl, rdmsrInsn, wrmsrInsn, cpuidInsn, rdtsc, rdpid, syscall, sysret,
  sysenter, sysexit, cli, sti, hlt, pause, group15, setShadowNext,
} from "../exec/system";

/** Execute one instruction whose first opcode byte (after prefixes) is `op`. */
export function dispatch(op: u32): void {
  if (lock && !lockableOneByte(op)) { raiseUD(); return; }
  // The ALU block 00..3F: six forms per operation, the rest are segment pushes/pops and BCD.
  if (op < 0x40 && (op & 7) < 6) { aluForm(op); return; }
  switch (op) {
    case 0x06: case 0x0e: case 0x16: case 0x1e:
      if (mode64) { raiseUD(); return; } pushSeg(<i32>(op >> 3)); return;
    case 0x07: case 0x17: case 0x1f:
      if (mode64) { raiseUD(); return; } popSeg(<i32>(op >> 3)); if (op == 0x17) setShadowNext(true); return;
    case 0x0f: twoByte(fetch8()); return;
    case 0x27: if (mode64) { raiseUD(); return; } daa(); return;
    case 0x2f: if (mode64) { raiseUD(); return; } das(); return;
    case 0x37: if (mode64) { raiseUD(); return; } aaaAas(false); return;
    case 0x3f: if (mode64) { raiseUD(); return; } aaaAas(true); return;
    case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45: case 0x46: case 0x47:
    case 0x48: case 0x49: case 0x4a: case 0x4b: case 0x4c: case 0x4d: case 0x4e: case 0x4f:
      // Outside 64-bit mode: INC/DEC r (in 64-bit mode these bytes are REX prefixes).
      incDecReg(op); return;
    case 0x50: case 0x51: case 0x52: case 0x53: case 0x54: case 0x55: case 0x56: case 0x57: pushReg(op); return;
    case 0x58: case 0x59: case 0x5a: case 0x5b: case 0x5c: case 0x5d: case 0x5e: case 0x5f: popReg(op); return;
    case 0x60: if (mode64) { raiseUD(); return; } pusha(); return;
    case 0x61: if (mode64) { raiseUD(); return; } popa(); return;
    case 0x62: if (mode64) { raiseUD(); return; } bound(); return;
    case 0x63: if (mode64) movExtend(4, true); else arpl(); return;
    case 0x68: case 0x6a: pushImm(op); return;
    case 0x69: case 0x6b: imulGEI(op); return;
    case 0x6c: case 0x6d: case 0x6e: case 0x6f: stringOpcode(op); return;
    case 0x70: case 0x71: case 0x72: case 0x73: case 0x74: case 0x75: case 0x76: case 0x77:
    case 0x78: case 0x79: case 0x7a: case 0x7b: case 0x7c: case 0x7d: case 0x7e: case 0x7f:
      jcc(<i32>(op & 0xf), false); return;
    case 0x80: case 0x81: case 0x83: group1(op); return;
    case 0x82: if (mode64) { raiseUD(); return; } group1(0x80); return;
    case 0x84: case 0x85: testEG(op); return;
    case 0x86: case 0x87: xchgForm(op); return;
    case 0x88: case 0x89: case 0x8a: case 0x8b: movForm(op); return;
    case 0x8c: movFromSreg(); return;
    case 0x8d: lea(); return;
    case 0x8e: movToSreg(); if (!fault && (regField & 7) == SEG_SS) setShadowNext(true); return;
    case 0x8f: popE(); return;
    case 0x90:
      if (rexB != 0) { xchgAx(op); return; }
      if (rep == 0xf3) pause();
      return; // NOP
    case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97: xchgAx(op); return;
    case 0x98: cbw(); return;
    case 0x99: cwd(); return;
    case 0x9a: if (mode64) { raiseUD(); return; } farDirect(true); return;
    case 0x9b: x87Wait(); return;
    case 0x9c: pushf(); return;
    case 0x9d: popf(); return;
    case 0x9e: sahf(); return;
    case 0x9f: lahf(); return;
    case 0xa0: case 0xa1: case 0xa2: case 0xa3: movMoffs(op); return;
    case 0xa4: case 0xa5: case 0xa6: case 0xa7: case 0xaa: case 0xab: case 0xac: case 0xad: case 0xae: case 0xaf:
      stringOpcode(op); return;
    case 0xa8: case 0xa9: testAI(op); return;
    case 0xb0: case 0xb1: case 0xb2: case 0xb3: case 0xb4: case 0xb5: case 0xb6: case 0xb7:
    case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf:
      movRI(op); return;
    case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3: group2(op); return;
    case 0xc2: retNear(true); return;
    case 0xc3: retNear(false); return;
    case 0xc4: case 0xc5:
      // LES/LDS; in 64-bit mode (and with a register ModRM) these bytes are VEX, which we do not advertise.
      if (mode64) { raiseUD(); return; }
      loadFarPointer(op == 0xc4 ? SEG_ES : SEG_DS); return;
    case 0xc6: case 0xc7: if (!movEI(op)) raiseUD(); return;
    case 0xc8: enter(); return;
    case 0xc9: leave(); return;
    case 0xca: retFar(true); return;
    case 0xcb: retFar(false); return;
    case 0xcc: int3(); return;
    case 0xcd: intN(); return;
    case 0xce: into(); return;
    case 0xcf: iret(); return;
    case 0xd4: if (mode64) { raiseUD(); return; } aam(); return;
    case 0xd5: if (mode64) { raiseUD(); return; } aad(); return;
    case 0xd6: raiseUD(); return;
    case 0xd7: xlat(); return;
    case 0xd8: case 0xd9: case 0xda: case 0xdb: case 0xdc: case 0xdd: case 0xde: case 0xdf:
      if (!x87Escape(op) && !fault) unimplemented();
      return;
    case 0xe0: case 0xe1: case 0xe2: case 0xe3: loop(op); return;
    case 0xe4: case 0xe5: case 0xe6: case 0xe7: case 0xec: case 0xed: case 0xee: case 0xef: inOut(op); return;
    case 0xe8: callRel(); return;
    case 0xe9: jmpRel(false); return;
    case 0xea: if (mode64) { raiseUD(); return; } farDirect(false); return;
    case 0xeb: jmpRel(true); return;
    case 0xf1: int1(); return;
    case 0xf4: hlt(); return;
    case 0xf5: setFlagBit(RFLAGS_CF, !getCF()); return;
    case 0xf6: case 0xf7: group3(op); return;
    case 0xf8: setFlagBit(RFLAGS_CF, false); return;
    case 0xf9: setFlagBit(RFLAGS_CF, true); return;
    case 0xfa: cli(); return;
    case 0xfb: sti(); return;
    case 0xfc: setFlags(getFlags() & ~(<u64>RFLAGS_DF)); return;
    case 0xfd: setFlags(getFlags() | RFLAGS_DF); return;
    case 0xfe: groupFE(); return;
    case 0xff: groupFF(); return;
    default: unimplemented(); return;
  }
}

/** Opcodes LOCK may prefix (their handlers still reject register destinations). */
function lockableOneByte(op: u32): bool {
  if (op == 0x0f) return true; // checked again on the second byte
  if (op < 0x40) return (op & 7) < 2 && op != 0x38 && op != 0x39; // ALU r/m destinations, not CMP
  return (op >= 0x80 && op <= 0x83) || op == 0x86 || op == 0x87 || op == 0xf6 || op == 0xf7 ||
    op == 0xfe || op == 0xff || op == 0x0f;
}
function lockableTwoByte(op: u32): bool {
  return op == 0xab || op == 0xb3 || op == 0xbb || op == 0xba || op == 0xb0 || op == 0xb1 ||
    op == 0xc0 || op == 0xc1 || op == 0xc7;
}

function incDecReg(op: u32): void {
  // Only reached outside 64-bit mode (decodePrefixes consumes REX bytes in 64-bit mode).
  decodeRegOnly(<i32>(op & 7));
  incDecE(opsize, op >= 0x48);
}

import { setRegOperand } from "./decode";
@inline function decodeRegOnly(r: i32): void { setRegOperand(r); }

function testEG(op: u32): void {
  const size = op == 0x84 ? 1 : opsize;
  decodeModrm();
  if (lock) { raiseUD(); return; }
  const a = readE(size);
  if (fault) return;
  aluOp(ALU_AND, a, readG(size), size);
}

function testAI(op: u32): void {
  const size = op == 0xa8 ? 1 : opsize;
  const b = fetchImm(size);
  if (fault) return;
  aluOp(ALU_AND, readReg(0, size), b, size);
}

import { readE, readG, fetchImm } from "./decode";
import { aluOp, ALU_AND } from "../exec/alu";

function groupFE(): void {
  decodeModrm();
  const op = regField & 7;
  if (op > 1) { raiseUD(); return; }
  incDecE(1, op == 1);
}

function groupFF(): void {
  decodeModrm();
  switch (regField & 7) {
    case 0: incDecE(opsize, false); return;
    case 1: incDecE(opsize, true); return;
    case 2: if (lock) { raiseUD(); return; } indirectNear(true); return;
    case 3: if (lock) { raiseUD(); return; } farIndirect(true); return;
    case 4: if (lock) { raiseUD(); return; } indirectNear(false); return;
    case 5: if (lock) { raiseUD(); return; } farIndirect(false); return;
    case 6: if (lock) { raiseUD(); return; } pushE(); return;
    default: raiseUD(); return;
  }
}

function twoByte(op: u32): void {
  if (fault) return;
  if (lock && !lockableTwoByte(op)) { raiseUD(); return; }
  switch (op) {
    case 0x00: group6(); return;
    case 0x01: group7(); return;
    case 0x02: larLsl(false); return;
    case 0x03: larLsl(true); return;
    case 0x05: syscall(); return;
    case 0x06: clts(); return;
    case 0x07: sysret(); return;
    case 0x08: case 0x09: if (protectedModeCpl0()) return; return; // INVD, WBINVD: caches are not modelled
    case 0x0b: raiseUD(); return; // UD2
    case 0x0d: decodeModrm(); if (!isMem) raiseUD(); return; // PREFETCHW
    case 0x18: case 0x19: case 0x1a: case 0x1b: case 0x1c: case 0x1d: case 0x1e: case 0x1f:
      decodeModrm(); return; // PREFETCHh and hint NOPs
    case 0x20: movCr(false); return;
    case 0x22: movCr(true); return;
    case 0x21: movDr(false); return;
    case 0x23: movDr(true); return;
    case 0x30: wrmsrInsn(); return;
    case 0x31: rdtsc(); return;
    case 0x32: rdmsrInsn(); return;
    case 0x34: sysenter(); return;
    case 0x35: sysexit(); return;
    case 0x38: threeByte38(fetch8()); return;
    case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45: case 0x46: case 0x47:
    case 0x48: case 0x49: case 0x4a: case 0x4b: case 0x4c: case 0x4d: case 0x4e: case 0x4f:
      cmov(op); return;
    case 0x80: case 0x81: case 0x82: case 0x83: case 0x84: case 0x85: case 0x86: case 0x87:
    case 0x88: case 0x89: case 0x8a: case 0x8b: case 0x8c: case 0x8d: case 0x8e: case 0x8f:
      jcc(<i32>(op & 0xf), true); return;
    case 0x90: case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97:
    case 0x98: case 0x99: case 0x9a: case 0x9b: case 0x9c: case 0x9d: case 0x9e: case 0x9f:
      setcc(op); return;
    case 0xa0: pushSeg(SEG_FS); return;
    case 0xa1: popSeg(SEG_FS); return;
    case 0xa2: cpuidInsn(); return;
    case 0xa3: case 0xab: case 0xb3: case 0xbb: btG(op); return;
    case 0xa4: case 0xa5: case 0xac: case 0xad: shiftDouble(op); return;
    case 0xa8: pushSeg(SEG_GS); return;
    case 0xa9: popSeg(SEG_GS); return;
    case 0xae: if (!group15() && !fault) { if (!isMem || !fxGroup15(regField & 7)) { if (!fault) unimplemented(); } } return;
    case 0xaf: imulGE(); return;
    case 0xb0: case 0xb1: cmpxchg(op); return;
    case 0xb2: loadFarPointer(SEG_SS); return;
    case 0xb4: loadFarPointer(SEG_FS); return;
    case 0xb5: loadFarPointer(SEG_GS); return;
    case 0xb6: movExtend(1, false); return;
    case 0xb7: movExtend(2, false); return;
    case 0xb8: if (rep == 0xf3) { popcntG(); return; } raiseUD(); return;
    case 0xba: if (!group8()) raiseUD(); return;
    case 0xbc: case 0xbd: bitScan(op); return;
    case 0xbe: movExtend(1, true); return;
    case 0xbf: movExtend(2, true); return;
    case 0xc0: case 0xc1: xadd(op); return;
    case 0xc7: group9(); return;
    case 0xc8: case 0xc9: case 0xca: case 0xcb: case 0xcc: case 0xcd: case 0xce: case 0xcf: bswapReg(op); return;
    case 0xff: raiseUD(); return; // UD0
    case 0x3a: { const b = fetch8(); if (!fault && !sse0F3A(b) && !fault) unimplemented(); return; }
    default: if (!sseTwoByte(op) && !fault) unimplemented(); return;
  }
}

function protectedModeCpl0(): bool {
  if (cpl != 0) { raiseGP(0); return true; }
  return false;
}
import { cpl } from "./state";
import { raiseGP } from "./fault";

function group9(): void {
  decodeModrm();
  const op = regField & 7;
  if (op == 1 && isMem) { cmpxchg8b16b(); return; }
  if (op == 7 && !isMem && rep == 0xf3) { rdpid(); return; }
  raiseUD();
}

function threeByte38(op: u32): void {
  if (fault) return;
  if ((op == 0xf0 || op == 0xf1) && rep == 0) { movbe(op); return; } // F2 forms are CRC32 (SSE4.2)
  if (!sse0F38(op) && !fault) unimplemented();
}

