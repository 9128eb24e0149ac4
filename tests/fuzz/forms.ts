// The one table of instruction forms the fuzzer generates, with an encoder that builds random
// operands (registers, every ModRM/SIB/displacement/RIP-relative shape, 67 address size, no-op
// segment prefixes) and, per form, the flags (and outputs) the Intel SDM leaves undefined.
import { Rng } from './prng.ts';

export const CODE_VA = 0x70000000n;
export const INSN_OFF = 0x800;
export const INSN_VA = CODE_VA + BigInt(INSN_OFF);
export const DATA_VA = 0x60000000n;
export const DATA_SIZE = 0x2000;
export const M64 = (1n << 64n) - 1n;
export const M32 = 0xffffffffn;

export const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, DF = 0x400, OF = 0x800;
export const ARITH = CF | PF | AF | ZF | SF | OF;

export const REG64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;

const EDGE: bigint[] = [
  0n, 1n, 2n, 3n, 7n, 8n, 0x0fn, 0x10n, 0x1fn, 0x20n, 0x3fn, 0x40n, 0x7fn, 0x80n, 0x81n, 0xfen, 0xffn, 0x100n,
  0x7fffn, 0x8000n, 0x8001n, 0xffffn, 0x10000n, 0x7fffffffn, 0x80000000n, 0x80000001n, 0xfffffffen, 0xffffffffn,
  0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0x8000000000000001n, 0xffffffffffffffffn,
  0xfffffffffffffffen, 0xffffffff80000000n, 0xffffffff7fffffffn, 0xffffffffffff8000n, 0xffffffffffffff80n,
  0xaaaaaaaaaaaaaaaan, 0x5555555555555555n,
];

export interface Patch {
  off: number;
  bytes: Uint8Array;
}

export class Ctx {
  gpr: bigint[] = [];
  fixed: boolean[] = new Array(16).fill(false);
  flags = 0;
  seg: number[] = []; // no-op segment prefixes
  pre: number[] = []; // other legacy prefixes (66, 67, F0)
  mand = -1; // mandatory prefix (F2/F3), emitted last
  rex = 0;
  needRex = false;
  noRex = false;
  op: number[] = [];
  modrm = -1;
  sib = -1;
  disp: number[] = [];
  ripTarget: bigint | null = null;
  imm: number[] = [];
  rel: { size: number; target: bigint } | null = null;
  a32 = false;
  patches: Patch[] = [];
  undef = 0;
  ignoreGpr = 0;
  ignoreMem: [number, number][] = [];
  /** compare only the page of CR2 (the bytes an access touches are implementation-specific) */
  cr2Page = false;
  /** SIMD state: MXCSR, x87 FSW and abridged FTW, and explicit register values (idx 0-15 XMM, 16-23 MM) */
  mxcsr = 0x1f80;
  fsw = 0;
  ftw = 0;
  simdSet: { idx: number; bytes: Uint8Array }[] = [];
  approx = 0;
  constructor(public r: Rng) {
    for (let i = 0; i < 16; i++) this.gpr.push(val64(r));
    this.flags = 0x202 | (r.u32() & (ARITH | DF));
    if (r.bool(0.85)) this.fix(RSP, DATA_VA + 0x1000n + BigInt(r.range(-0x600, 0x600) & (r.bool(0.9) ? ~7 : ~0)));
  }
  fix(reg: number, v: bigint) {
    this.gpr[reg] = v & M64;
    this.fixed[reg] = true;
  }
  /** value of register `reg` (encoding number) read as `size` bytes; byte regs 4..7 are AH..BH without REX */
  get(reg: number, size: number): bigint {
    if (size === 1 && !this.needRex && reg >= 4 && reg < 8) return (this.gpr[reg - 4] >> 8n) & 0xffn;
    return this.gpr[reg] & mask(size);
  }
  osize(size: number) {
    if (size === 2) this.pre.push(0x66);
    if (size === 8) this.rex |= 8;
  }
  /** decide REX use for forms with byte registers: with REX, 4..7 are SPL..DIL; without, AH..BH */
  byteRegs() {
    if (this.r.bool()) this.needRex = true;
    else this.noRex = true;
  }
  maxReg(): number {
    return this.noRex ? 8 : 16;
  }
  reg(field: number) {
    if (field >= 8) this.rex |= 4;
    this.modrm = (this.modrm < 0 ? 0 : this.modrm & ~0x38) | ((field & 7) << 3);
  }
  rmReg(reg: number) {
    if (reg >= 8) this.rex |= 1;
    this.modrm = (this.modrm < 0 ? 0 : this.modrm & 0x38) | 0xc0 | (reg & 7);
  }
  pickReg(): number {
    return this.r.int(this.maxReg());
  }
  immv(size: number, v: bigint) {
    for (let i = 0; i < size; i++) this.imm.push(Number((v >> BigInt(8 * i)) & 0xffn));
  }
  patch(off: number, size: number, v: bigint) {
    const b = new Uint8Array(size);
    for (let i = 0; i < size; i++) b[i] = Number((v >> BigInt(8 * i)) & 0xffn);
    this.patches.push({ off, bytes: b });
  }
  /** the code bytes; resolves RIP-relative displacements and branch displacements */
  assemble(): Uint8Array {
    const out: number[] = [...this.seg, ...this.pre];
    if (this.mand >= 0) out.push(this.mand);
    if (this.rex || this.needRex) {
      if (this.noRex) throw new Error('REX conflict');
      out.push(0x40 | this.rex);
    }
    out.push(...this.op);
    if (this.modrm >= 0) out.push(this.modrm);
    if (this.sib >= 0) out.push(this.sib);
    const dispAt = out.length;
    out.push(...this.disp);
    const relAt = out.length;
    if (this.rel) for (let i = 0; i < this.rel.size; i++) out.push(0);
    out.push(...this.imm);
    const end = INSN_VA + BigInt(out.length);
    if (this.ripTarget !== null) putLE(out, dispAt, 4, this.ripTarget - end);
    if (this.rel) putLE(out, relAt, this.rel.size, this.rel.target - end);
    return Uint8Array.from(out);
  }
}

function putLE(a: number[], at: number, size: number, v: bigint) {
  for (let i = 0; i < size; i++) a[at + i] = Number((v >> BigInt(8 * i)) & 0xffn);
}

export function mask(size: number): bigint {
  return size === 8 ? M64 : (1n << BigInt(size * 8)) - 1n;
}
export function sext(v: bigint, size: number): bigint {
  const bits = BigInt(size * 8);
  v &= mask(size);
  return v >> (bits - 1n) ? v - (1n << bits) : v;
}

export function val64(r: Rng): bigint {
  const k = r.int(10);
  if (k < 3) return r.pick(EDGE);
  if (k < 5) return (r.u64() & ~mask(r.pick([1, 2, 4]))) | r.pick(EDGE) & mask(r.pick([1, 2, 4])); // edge in low part
  if (k < 6) return BigInt(r.int(70));
  if (k < 7) return (-BigInt(r.int(70) + 1)) & M64;
  return r.u64();
}
function valSize(r: Rng, size: number): bigint {
  if (size === 16) return (val64(r) << 64n) | val64(r);
  return val64(r) & mask(size);
}

function fits8(v: bigint) {
  return v >= -128n && v <= 127n;
}
function fits32(v: bigint) {
  return v >= -0x80000000n && v <= 0x7fffffffn;
}
function s64(v: bigint) {
  v &= M64;
  return v >> 63n ? v - (1n << 64n) : v;
}

export interface MemOpts {
  access?: boolean; // false: LEA / NOP — the address is never used
  target?: bigint; // exact effective address wanted
  align?: number;
  noFault?: boolean;
  value?: bigint; // contents to place at the address
  write?: boolean;
}

/** Fault targets: addresses both the host and the emulated machine leave unmapped (or non-canonical). */
function faultTarget(c: Ctx, size: number, write: boolean): bigint {
  const r = c.r;
  const k = r.int(write ? 6 : 5);
  switch (k) {
    case 0:
      return DATA_VA + BigInt(DATA_SIZE - r.range(1, Math.max(1, size - 1))); // straddles the end
    case 1:
      return DATA_VA - BigInt(r.range(1, 64)); // page below
    case 2:
      return c.a32 ? 0x1000n + BigInt(r.int(0x1000)) : 0x8000000000000000n + BigInt(r.int(0x10000)); // non-canonical
    case 3:
      // straddling the top of the canonical lower half (#GP). An access wholly inside the last page
      // is not used: Linux reports #PF there with P=1 (it treats it as a kernel address).
      if (c.a32) return 0x70001000n + BigInt(r.int(0x1000));
      return size > 1 ? 0x0000800000000000n - BigInt(r.range(1, size - 1)) : 0x00003ffffffff000n + BigInt(r.int(0x1000));
    case 4:
      return DATA_VA + BigInt(DATA_SIZE + r.int(0x1000));
    default:
      return CODE_VA + BigInt(r.int(0x1000 - size)); // read-only code page
  }
}

export interface MemRes {
  ea: bigint;
  off: number | null; // offset in the data region when the whole access lands inside it
  value: bigint | null;
}

/** A ModRM memory operand of `size` bytes; sets base/index registers so the address is `target`. */
export function mem(c: Ctx, size: number, o: MemOpts = {}): MemRes {
  const r = c.r;
  const access = o.access !== false;
  let target: bigint;
  if (o.target !== undefined) target = o.target;
  else if (!access) target = r.u64();
  else if (!o.noFault && r.bool(0.03)) target = faultTarget(c, size, !!o.write);
  else {
    let off = r.range(0x100, DATA_SIZE - 0x100 - size);
    const al = o.align ?? (r.bool(0.6) ? Math.min(size, 8) : 1);
    off -= off % al;
    target = DATA_VA + BigInt(off);
  }
  if (c.a32) target &= M32;
  const amask = c.a32 ? M32 : M64;
  for (let attempt = 0; ; attempt++) {
    c.disp = [];
    c.sib = -1;
    c.ripTarget = null;
    const modeRoll = r.int(20);
    if (modeRoll < 2 && (access || r.bool(0.5))) {
      // RIP-relative (resolved by assemble())
      const end = INSN_VA + 16n;
      if (fits32(target - end) || !access) {
        c.modrm = (c.modrm < 0 ? 0 : c.modrm & 0x38) | 5;
        c.disp = [0, 0, 0, 0];
        c.ripTarget = fits32(target - end) ? target : INSN_VA + BigInt(r.range(-1000, 1000));
        return finishMem(c, size, c.ripTarget, o, access);
      }
    }
    if (modeRoll < 3) {
      // SIB with no base: [index*scale + disp32]
      const ssi = r.int(4);
      const scale = 1n << BigInt(ssi);
      let index = 4; // none
      let iv = 0n;
      if (r.bool(0.6)) {
        index = r.int(c.maxReg());
        if (index === 4) index = 4 + (c.noRex ? 1 : 8); // rbp or r12
        iv = c.fixed[index] ? c.gpr[index] : BigInt(r.int(64));
      }
      let disp = (target - iv * scale) & amask;
      disp = c.a32 ? sext(disp, 4) : s64(disp);
      if (!fits32(disp)) continue;
      if (index !== 4) {
        if (!c.fixed[index]) c.fix(index, c.a32 ? iv | (r.u64() & ~M32) : iv);
        if (index >= 8) c.rex |= 2;
      }
      c.modrm = (c.modrm < 0 ? 0 : c.modrm & 0x38) | 4;
      c.sib = (ssi << 6) | ((index & 7) << 3) | 5;
      pushDisp(c, 4, disp);
      return finishMem(c, size, target, o, access);
    }
    const base = r.int(c.maxReg());
    let index = -1;
    let ssi = 0;
    if (r.bool(0.4) || (base & 7) === 4) {
      // SIB form (required for rsp/r12 as base)
      if (r.bool(0.75)) {
        index = r.int(c.maxReg());
        if (index === 4) index = -1;
      }
      ssi = r.int(4);
    }
    if (index === base) continue;
    const scale = 1n << BigInt(ssi);
    let iv = 0n;
    if (index >= 0) iv = c.fixed[index] ? c.gpr[index] : r.bool(0.5) ? BigInt(r.int(256)) : r.bool(0.5) ? val64(r) : (-BigInt(r.int(256))) & M64;
    let dsize = r.pick([0, 1, 4]);
    let disp: bigint;
    let bv: bigint;
    if (c.fixed[base]) {
      bv = c.gpr[base];
      disp = (target - bv - iv * scale) & amask;
      disp = c.a32 ? sext(disp, 4) : s64(disp);
      if (fits8(disp)) dsize = disp === 0n && dsize === 0 ? 0 : Math.max(dsize, 1);
      else if (fits32(disp)) dsize = 4;
      else {
        if (attempt > 50) throw new Error('cannot form address');
        continue;
      }
    } else {
      disp = dsize === 0 ? 0n : dsize === 1 ? BigInt(r.range(-128, 127)) : BigInt(r.range(-0x40000000, 0x3fffffff)) * (r.bool(0.5) ? 1n : 0n) + BigInt(r.range(-3000, 3000));
      if (!fits32(disp)) disp = 0n;
      if (dsize === 1 && !fits8(disp)) dsize = 4;
      bv = (target - iv * scale - disp) & amask;
      if (c.a32) bv |= r.bool(0.7) ? r.u64() & ~M32 : 0n;
    }
    if (dsize === 0 && disp !== 0n) dsize = fits8(disp) ? 1 : 4;
    if (dsize === 0 && (base & 7) === 5) dsize = 1; // [rbp]/[r13] need mod=01
    if (!c.fixed[base]) c.fix(base, bv);
    if (index >= 0 && !c.fixed[index]) c.fix(index, iv);
    const mod = dsize === 0 ? 0 : dsize === 1 ? 1 : 2;
    if (base >= 8) c.rex |= 1;
    if (index >= 0 && index >= 8) c.rex |= 2;
    if (index >= 0 || (base & 7) === 4) {
      c.modrm = (c.modrm < 0 ? 0 : c.modrm & 0x38) | (mod << 6) | 4;
      c.sib = (ssi << 6) | ((index < 0 ? 4 : index & 7) << 3) | (base & 7);
    } else {
      c.modrm = (c.modrm < 0 ? 0 : c.modrm & 0x38) | (mod << 6) | (base & 7);
    }
    if (dsize) pushDisp(c, dsize, disp);
    return finishMem(c, size, target, o, access);
  }
}

function pushDisp(c: Ctx, size: number, v: bigint) {
  for (let i = 0; i < size; i++) c.disp.push(Number((v >> BigInt(8 * i)) & 0xffn));
}

function finishMem(c: Ctx, size: number, ea: bigint, o: MemOpts, access: boolean): MemRes {
  if (c.a32) c.pre.push(0x67);
  if (access && c.r.bool(0.1)) c.seg.push(c.r.pick([0x26, 0x2e, 0x36, 0x3e]));
  const off = ea - DATA_VA;
  if (access && off >= 0n && off + BigInt(size) <= BigInt(DATA_SIZE)) {
    const v = o.value ?? valSize(c.r, size);
    c.patch(Number(off), size, v);
    return { ea, off: Number(off), value: v & mask(size) };
  }
  return { ea, off: null, value: null };
}

/** an r/m operand: register (mod=11) or memory */
export interface Rm {
  reg: number; // -1 for memory
  m: MemRes | null;
}
export function rm(c: Ctx, size: number, o: MemOpts & { memOnly?: boolean; regOnly?: boolean; pMem?: number } = {}): Rm {
  if (!o.memOnly && (o.regOnly || !c.r.bool(o.pMem ?? 0.5))) {
    const reg = c.pickReg();
    c.rmReg(reg);
    return { reg, m: null };
  }
  return { reg: -1, m: mem(c, size, o) };
}
function rmVal(c: Ctx, x: Rm, size: number): bigint | null {
  return x.reg >= 0 ? c.get(x.reg, size) : x.m!.value;
}
/** the ignore-bit of the destination (register), or ignore the destination bytes in memory */
function ignoreDest(c: Ctx, x: Rm | number, size: number) {
  if (typeof x === 'number') {
    c.ignoreGpr |= 1 << (size === 1 && !c.needRex && x >= 4 && x < 8 ? x - 4 : x);
  } else if (x.reg >= 0) ignoreDest(c, x.reg, size);
  else if (x.m && x.m.off !== null) c.ignoreMem.push([x.m.off, size]);
}

/** RSP inside the data region, for instructions that use the stack */
function stk(c: Ctx) {
  if (!c.fixed[RSP]) c.fix(RSP, DATA_VA + 0x1000n + BigInt(c.r.range(-0x600, 0x600) & ~7));
}
function maybe67(c: Ctx, p = 0.1) {
  if (c.r.bool(p)) c.a32 = true;
}
function lockMaybe(c: Ctx, x: Rm, lockable: boolean) {
  if (x.reg < 0 ? lockable && c.r.bool(0.2) : c.r.bool(0.02)) c.pre.push(0xf0);
}
function sizesOf(s: readonly number[], r: Rng) {
  return r.pick(s);
}

export interface Form {
  name: string;
  gen(c: Ctx): void;
}

export const FORMS: Form[] = [];
export function F(name: string, gen: (c: Ctx) => void) {
  FORMS.push({ name, gen });
}

const WORD = [2, 4, 8] as const;
function immFor(size: number) {
  return size === 8 ? 4 : size;
}
function edgeImm(c: Ctx, size: number): bigint {
  return val64(c.r) & mask(size);
}

// ---------------------------------------------------------------- ALU 00-3F, 80/81/83
const ALU = ['ADD', 'OR', 'ADC', 'SBB', 'AND', 'SUB', 'XOR', 'CMP'];
for (let k = 0; k < 8; k++) {
  const name = ALU[k];
  const logic = k === 1 || k === 4 || k === 6;
  const und = logic ? AF : 0;
  const lockable = k !== 7;
  F(`${name} r/m8,r8`, (c) => {
    c.byteRegs();
    c.op = [k * 8];
    c.reg(c.pickReg());
    const x = rm(c, 1, { write: true });
    lockMaybe(c, x, lockable);
    c.undef = und;
  });
  F(`${name} r/m,r`, (c) => {
    const s = sizesOf(WORD, c.r);
    c.osize(s);
    maybe67(c);
    c.op = [k * 8 + 1];
    c.reg(c.pickReg());
    const x = rm(c, s, { write: true });
    lockMaybe(c, x, lockable);
    c.undef = und;
  });
  F(`${name} r8,r/m8`, (c) => {
    c.byteRegs();
    c.op = [k * 8 + 2];
    c.reg(c.pickReg());
    const x = rm(c, 1);
    lockMaybe(c, x, false);
    c.undef = und;
  });
  F(`${name} r,r/m`, (c) => {
    const s = sizesOf(WORD, c.r);
    c.osize(s);
    maybe67(c);
    c.op = [k * 8 + 3];
    c.reg(c.pickReg());
    rm(c, s);
    c.undef = und;
  });
  F(`${name} AL,imm8`, (c) => {
    c.op = [k * 8 + 4];
    c.immv(1, edgeImm(c, 1));
    c.undef = und;
  });
  F(`${name} eAX,imm`, (c) => {
    const s = sizesOf(WORD, c.r);
    c.osize(s);
    c.op = [k * 8 + 5];
    c.immv(immFor(s), edgeImm(c, immFor(s)));
    c.undef = und;
  });
  F(`${name} r/m8,imm8 (80)`, (c) => {
    c.byteRegs();
    c.op = [0x80];
    c.reg(k);
    const x = rm(c, 1, { write: true });
    lockMaybe(c, x, lockable);
    c.immv(1, edgeImm(c, 1));
    c.undef = und;
  });
  F(`${name} r/m,imm (81)`, (c) => {
    const s = sizesOf(WORD, c.r);
    c.osize(s);
    maybe67(c);
    c.op = [0x81];
    c.reg(k);
    const x = rm(c, s, { write: true });
    lockMaybe(c, x, lockable);
    c.immv(immFor(s), edgeImm(c, immFor(s)));
    c.undef = und;
  });
  F(`${name} r/m,imm8 (83)`, (c) => {
    const s = sizesOf(WORD, c.r);
    c.osize(s);
    maybe67(c);
    c.op = [0x83];
    c.reg(k);
    const x = rm(c, s, { write: true });
    lockMaybe(c, x, lockable);
    c.immv(1, edgeImm(c, 1));
    c.undef = und;
  });
}
F('TEST r/m8,r8', (c) => {
  c.byteRegs();
  c.op = [0x84];
  c.reg(c.pickReg());
  rm(c, 1);
  c.undef = AF;
});
F('TEST r/m,r', (c) => {
  const s = sizesOf(WORD, c.r);
  c.osize(s);
  c.op = [0x85];
  c.reg(c.pickReg());
  rm(c, s);
  c.undef = AF;
});
F('TEST AL,imm8', (c) => {
  c.op = [0xa8];
  c.immv(1, edgeImm(c, 1));
  c.undef = AF;
});
F('TEST eAX,imm', (c) => {
  const s = sizesOf(WORD, c.r);
  c.osize(s);
  c.op = [0xa9];
  c.immv(immFor(s), edgeImm(c, immFor(s)));
  c.undef = AF;
});

// ---------------------------------------------------------------- group 3 (F6/F7), INC/DEC
const G3 = ['TEST', 'TEST(/1)', 'NOT', 'NEG', 'MUL', 'IMUL', 'DIV', 'IDIV'];
for (const k of [0, 2, 3, 4, 5, 6, 7]) {
  for (const byte of [true, false]) {
    F(`${G3[k]} ${byte ? 'r/m8' : 'r/m'}${k === 0 ? ',imm' : ''} (${byte ? 'F6' : 'F7'})`, (c) => {
      let s = 1;
      if (byte) c.byteRegs();
      else {
        s = sizesOf(WORD, c.r);
        c.osize(s);
      }
      maybe67(c, 0.05);
      c.op = [byte ? 0xf6 : 0xf7];
      c.reg(k);
      if (k >= 6) {
        // make the quotient fit most of the time: high half below the divisor (or a sign extension)
        const divisor = c.r.bool(0.05) ? 0n : c.r.bool(0.3) ? BigInt(c.r.range(1, 10)) : val64(c.r) & mask(s);
        const dv = divisor === 0n && c.r.bool(0.9) ? 1n : divisor;
        const x = rm(c, s, { value: dv });
        const d = rmVal(c, x, s) ?? 1n;
        if (c.r.bool(0.8)) {
          const lo = val64(c.r) & mask(s);
          let hi: bigint;
          if (k === 6) hi = d === 0n ? 0n : (val64(c.r) & mask(s)) % d;
          else hi = c.r.bool(0.7) ? (sext(lo, s) < 0n ? mask(s) : 0n) : d === 0n ? 0n : (val64(c.r) & mask(s)) % d;
          if (s === 1) {
            if (!c.fixed[RAX]) c.fix(RAX, (c.gpr[RAX] & ~0xffffn) | (hi << 8n) | lo);
          } else {
            if (!c.fixed[RAX]) c.fix(RAX, (c.gpr[RAX] & ~mask(s)) | lo);
            if (!c.fixed[RDX]) c.fix(RDX, (c.gpr[RDX] & ~mask(s)) | hi);
          }
        }
        c.undef = ARITH;
        return;
      }
      const x = rm(c, s, { write: k === 2 || k === 3 });
      if (k === 0) c.immv(s === 8 ? 4 : s, edgeImm(c, s === 8 ? 4 : s));
      lockMaybe(c, x, k === 2 || k === 3);
      if (k === 4 || k === 5) c.undef = SF | ZF | AF | PF;
    });
  }
}
for (const [k, nm] of [[0, 'INC'], [1, 'DEC']] as const) {
  F(`${nm} r/m8 (FE)`, (c) => {
    c.byteRegs();
    c.op = [0xfe];
    c.reg(k);
    lockMaybe(c, rm(c, 1, { write: true }), true);
  });
  F(`${nm} r/m (FF)`, (c) => {
    const s = sizesOf(WORD, c.r);
    c.osize(s);
    maybe67(c);
    c.op = [0xff];
    c.reg(k);
    lockMaybe(c, rm(c, s, { write: true }), true);
  });
}
F('IMUL r,r/m (0F AF)', (c) => {
  const s = sizesOf(WORD, c.r);
  c.osize(s);
  c.op = [0x0f, 0xaf];
  c.reg(c.pickReg());
  rm(c, s);
  c.undef = SF | ZF | AF | PF;
});
F('IMUL r,r/m,imm (69)', (c) => {
  const s = sizesOf(WORD, c.r);
  c.osize(s);
  c.op = [0x69];
  c.reg(c.pickReg());
  rm(c, s);
  c.immv(immFor(s), edgeImm(c, immFor(s)));
  c.undef = SF | ZF | AF | PF;
});
F('IMUL r,r/m,imm8 (6B)', (c) => {
  const s = sizesOf(WORD, c.r);
  c.osize(s);
  c.op = [0x6b];
  c.reg(c.pickReg());
  rm(c, s);
  c.immv(1, edgeImm(c, 1));
  c.undef = SF | ZF | AF | PF;
});

// ---------------------------------------------------------------- shifts and rotates
const SH = ['ROL', 'ROR', 'RCL', 'RCR', 'SHL', 'SHR', 'SAL(/6)', 'SAR'];
function countVal(c: Ctx): bigint {
  const r = c.r;
  const k = r.int(4);
  if (k === 0) return BigInt(r.range(0, 3));
  if (k === 1) return BigInt(r.pick([7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65]));
  if (k === 2) return BigInt(r.int(64));
  return BigInt(r.int(256));
}
function shiftUndef(k: number, s: number, count: bigint): number {
  const m = Number(count) & (s === 8 ? 0x3f : 0x1f);
  if (m === 0) return 0;
  if (k <= 3) return m === 1 ? 0 : OF; // rotates
  let u = AF | (m === 1 ? 0 : OF);
  if ((k === 4 || k === 5 || k === 6) && m >= s * 8) u |= CF;
  return u;
}
for (let k = 0; k < 8; k++) {
  for (const [op, byte, cnt] of [
    [0xc0, true, 'imm8'], [0xc1, false, 'imm8'], [0xd0, true, '1'], [0xd1, false, '1'], [0xd2, true, 'CL'], [0xd3, false, 'CL'],
  ] as const) {
    F(`${SH[k]} ${byte ? 'r/m8' : 'r/m'},${cnt} (${op.toString(16).toUpperCase()})`, (c) => {
      let s = 1;
      if (byte) c.byteRegs();
      else {
        s = sizesOf(WORD, c.r);
        c.osize(s);
      }
      c.op = [op];
      c.reg(k);
      let count = 1n;
      if (cnt === 'CL') {
        count = countVal(c);
        c.fix(RCX, (c.gpr[RCX] & ~0xffn) | count);
      }
      rm(c, s, { write: true });
      if (cnt === 'imm8') {
        count = countVal(c);
        c.immv(1, count);
      }
      if (cnt === 'CL') count = c.gpr[RCX] & 0xffn;
      c.undef = shiftUndef(k, s, count);
    });
  }
}
for (const [op, nm, cnt] of [[0xa4, 'SHLD', 'imm8'], [0xa5, 'SHLD', 'CL'], [0xac, 'SHRD', 'imm8'], [0xad, 'SHRD', 'CL']] as const) {
  F(`${nm} r/m,r,${cnt}`, (c) => {
    const s = sizesOf(WORD, c.r);
    c.osize(s);
    c.op = [0x0f, op];
    let count = 0n;
    if (cnt === 'CL') c.fix(RCX, (c.gpr[RCX] & ~0xffn) | countVal(c));
    c.reg(c.pickReg());
    const x = rm(c, s, { write: true });
    if (cnt === 'imm8') {
      count = countVal(c);
      c.immv(1, count);
    } else count = c.gpr[RCX] & 0xffn;
    const m = Number(count) & (s === 8 ? 0x3f : 0x1f);
    if (m === 0) c.undef = 0;
    else if (m > s * 8) {
      c.undef = ARITH;
      ignoreDest(c, x, s);
    } else c.undef = AF | (m === 1 ? 0 : OF);
  });
}

// ---------------------------------------------------------------- bit operations
const BT = ['BT', 'BTS', 'BTR', 'BTC'];
for (let k = 0; k < 4; k++) {
  F(`${BT[k]} r/m,r`, (c) => {
    const s = sizesOf(WORD, c.r);
    c.osize(s);
    c.op = [0x0f, 0xa3 + k * 8];
    let rr = c.r.int(c.maxReg());
    while (c.fixed[rr]) rr = c.r.int(c.maxReg());
    c.reg(rr);
    if (c.r.bool(0.5)) {
      c.rmReg(c.r.int(c.maxReg()));
    } else {
      // bit string: the register offset (signed, operand size) may point far outside the operand
      const bits = s * 8;
      let boff = c.r.bool(0.5) ? BigInt(c.r.int(bits * 2)) : BigInt(c.r.range(-0x700 * 8, 0x700 * 8));
      if (c.r.bool(0.1)) boff = -BigInt(c.r.int(bits * 2));
      const unit = BigInt(bits);
      const q = boff >= 0n ? boff / unit : -((-boff + unit - 1n) / unit);
      const fin = DATA_VA + BigInt((c.r.range(0x800, 0x1800) & ~(s - 1)));
      const ea = fin - q * BigInt(s);
      if (!c.fixed[rr]) c.fix(rr, (c.gpr[rr] & ~mask(s)) | (boff & mask(s)));
      mem(c, s, { target: ea, access: false });
      c.patch(Number(fin - DATA_VA), s, val64(c.r) & mask(s));
      if (k && c.r.bool(0.2)) c.pre.push(0xf0);
    }
    c.undef = OF | SF | AF | PF;
    c.cr2Page = true;
  });
  F(`${BT[k]} r/m,imm8 (0F BA /${k + 4})`, (c) => {
    const s = sizesOf(WORD, c.r);
    c.osize(s);
    maybe67(c);
    c.op = [0x0f, 0xba];
    c.reg(k + 4);
    const x = rm(c, s, { write: k > 0 });
    if (k) lockMaybe(c, x, true);
    c.immv(1, c.r.bool(0.7) ? BigInt(c.r.int(s * 8)) : BigInt(c.r.int(256)));
    c.undef = OF | SF | AF | PF;
    c.cr2Page = true;
  });
}
for (const [op, nm] of [[0xbc, 'BSF'], [0xbd, 'BSR']] as const) {
  F(`${nm} r,r/m`, (c) => {
    const s = sizesOf(WORD, c.r);
    c.osize(s);
    c.op = [0x0f, op];
    const d = c.pickReg();
    c.reg(d);
    const x = rm(c, s, { value: c.r.bool(0.2) ? 0n : undefined });
    if (x.reg >= 0 && c.r.bool(0.2) && !c.fixed[x.reg]) c.fix(x.reg, c.gpr[x.reg] & ~mask(s));
    const v = rmVal(c, x, s);
    if (v === 0n) ignoreDest(c, d, s);
    c.undef = CF | OF | SF | AF | PF;
  });
}
for (const [op, nm] of [[0xbc, 'TZCNT'], [0xbd, 'LZCNT'], [0xb8, 'POPCNT']] as const) {
  F(`${nm} r,r/m`, (c) => {
    const s = sizesOf(WORD, c.r);
    c.osize(s);
    c.mand = 0xf3;
    c.op = [0x0f, op];
    c.reg(c.pickReg());
    rm(c, s, { value: c.r.bool(0.2) ? 0n : undefined });
    c.undef = op === 0xb8 ? 0 : OF | SF | AF | PF;
  });
}
F('BSWAP r', (c) => {
  const s = c.r.pick([2, 4, 8, 4, 8]);
  c.osize(s);
  const reg = c.pickReg();
  if (reg >= 8) c.rex |= 1;
  c.op = [0x0f, 0xc8 + (reg & 7)];
  if (s === 2) ignoreDest(c, reg, 8); // SDM: 16-bit BSWAP result is undefined
});
F('MOVBE r,m', (c) => {
  const s = sizesOf(WORD, c.r);
  c.osize(s);
  c.op = [0x0f, 0x38, 0xf0];
  c.reg(c.pickReg());
  rm(c, s, { memOnly: true });
});
F('MOVBE m,r', (c) => {
  const s = sizesOf(WORD, c.r);
  c.osize(s);
  c.op = [0x0f, 0x38, 0xf1];
  c.reg(c.pickReg());
  rm(c, s, { memOnly: true, write: true });
});

// ---------------------------------------------------------------- atomics, exchange
F('CMPXCHG r/m8,r8', (c) => {
  c.byteRegs();
  c.op = [0x0f, 0xb0];
  c.reg(c.pickReg());
  const x = rm(c, 1, { write: true });
  if (c.r.bool(0.5)) {
    const v = rmVal(c, x, 1);
    if (v !== null && !c.fixed[RAX]) c.fix(RAX, (c.gpr[RAX] & ~0xffn) | v);
  }
  lockMaybe(c, x, true);
});
F('CMPXCHG r/m,r', (c) => {
  const s = sizesOf(WORD, c.r);
  c.osize(s);
  c.op = [0x0f, 0xb1];
  c.reg(c.pickReg());
  const x = rm(c, s, { write: true });
  if (c.r.bool(0.5)) {
    const v = rmVal(c, x, s);
    if (v !== null && !c.fixed[RAX]) c.fix(RAX, (c.gpr[RAX] & ~mask(s)) | v);
  }
  lockMaybe(c, x, true);
  // vendor split: on a failed compare Intel writes the destination back (a 32-bit register write
  // zero-extends), AMD does not write it
  if (s === 4 && x.reg >= 0 && x.reg !== RAX && rmVal(c, x, s) !== (c.gpr[RAX] & mask(s))) ignoreDest(c, x.reg, 8);
});
for (const w of [false, true]) {
  F(w ? 'CMPXCHG16B m128' : 'CMPXCHG8B m64', (c) => {
    const s = w ? 16 : 8;
    if (w) c.rex |= 8;
    c.op = [0x0f, 0xc7];
    c.reg(1);
    if (c.r.bool(0.03)) {
      c.rmReg(c.pickReg()); // #UD
      return;
    }
    const x = rm(c, s, { memOnly: true, write: true, align: c.r.bool(0.9) ? s : 8 });
    if (c.r.bool(0.5) && x.m!.value !== null) {
      const v = x.m!.value;
      const half = BigInt(s * 4);
      const hm = mask(s / 2);
      if (!c.fixed[RAX]) c.fix(RAX, w ? v & hm : (c.gpr[RAX] & ~M32) | (v & hm));
      if (!c.fixed[RDX]) c.fix(RDX, w ? (v >> half) & hm : (c.gpr[RDX] & ~M32) | ((v >> half) & hm));
    }
    if (c.r.bool(0.3)) c.pre.push(0xf0);
  });
}
F('XADD r/m8,r8', (c) => {
  c.byteRegs();
  c.op = [0x0f, 0xc0];
  c.reg(c.pickReg());
  lockMaybe(c, rm(c, 1, { write: true }), true);
});
F('XADD r/m,r', (c) => {
  const s = sizesOf(WORD, c.r);
  c.osize(s);
  c.op = [0x0f, 0xc1];
  c.reg(c.pickReg());
  lockMaybe(c, rm(c, s, { write: true }), true);
});
F('XCHG r/m8,r8', (c) => {
  c.byteRegs();
  c.op = [0x86];
  c.reg(c.pickReg());
  lockMaybe(c, rm(c, 1, { write: true }), true);
});
F('XCHG r/m,r', (c) => {
  const s = sizesOf(WORD, c.r);
  c.osize(s);
  c.op = [0x87];
  c.reg(c.pickReg());
  lockMaybe(c, rm(c, s, { write: true }), true);
});
F('XCHG r,eAX (90+r)', (c) => {
  const s = sizesOf(WORD, c.r);
  c.osize(s);
  const reg = c.r.int(16);
  if (reg >= 8) c.rex |= 1;
  c.op = [0x90 + (reg & 7)];
});

// ---------------------------------------------------------------- moves
F('MOV r/m8,r8', (c) => {
  c.byteRegs();
  maybe67(c);
  c.op = [0x88];
  c.reg(c.pickReg());
  rm(c, 1, { write: true });
});
F('MOV r/m,r', (c) => {
  const s = sizesOf(WORD, c.r);
  c.osize(s);
  maybe67(c);
  c.op = [0x89];
  c.reg(c.pickReg());
  rm(c, s, { write: true });
});
F('MOV r8,r/m8', (c) => {
  c.byteRegs();
  maybe67(c);
  c.op = [0x8a];
  c.reg(c.pickReg());
  rm(c, 1);
});
F('MOV r,r/m', (c) => {
  const s = sizesOf(WORD, c.r);
  c.osize(s);
  maybe67(c);
  c.op = [0x8b];
  c.reg(c.pickReg());
  rm(c, s);
});
F('MOV r/m,Sreg (8C)', (c) => {
  const s = sizesOf(WORD, c.r);
  c.osize(s);
  c.op = [0x8c];
  c.reg(c.r.bool(0.97) ? c.r.int(6) : c.r.range(6, 7)); // 6, 7: #UD
  rm(c, 2, { write: true }); // a memory destination is always 16 bits, whatever the operand size
});
F('MOV r8,imm8 (B0+r)', (c) => {
  c.byteRegs();
  const reg = c.pickReg();
  if (reg >= 8) c.rex |= 1;
  c.op = [0xb0 + (reg & 7)];
  c.immv(1, edgeImm(c, 1));
});
F('MOV r,imm (B8+r)', (c) => {
  const s = sizesOf(WORD, c.r);
  c.osize(s);
  const reg = c.r.int(16);
  if (reg >= 8) c.rex |= 1;
  c.op = [0xb8 + (reg & 7)];
  c.immv(s, edgeImm(c, s));
});
F('MOV r/m8,imm8 (C6)', (c) => {
  c.byteRegs();
  c.op = [0xc6];
  c.reg(0);
  rm(c, 1, { write: true });
  c.immv(1, edgeImm(c, 1));
});
F('MOV r/m,imm (C7)', (c) => {
  const s = sizesOf(WORD, c.r);
  c.osize(s);
  c.op = [0xc7];
  c.reg(0);
  rm(c, s, { write: true });
  c.immv(immFor(s), edgeImm(c, immFor(s)));
});
for (const op of [0xa0, 0xa1, 0xa2, 0xa3]) {
  F(`MOV ${op & 2 ? 'moffs,' : ''}${op & 1 ? 'eAX' : 'AL'}${op & 2 ? '' : ',moffs'} (${op.toString(16).toUpperCase()})`, (c) => {
    const s = op & 1 ? sizesOf(WORD, c.r) : 1;
    if (op & 1) c.osize(s);
    maybe67(c, 0.2);
    if (c.a32) c.pre.push(0x67);
    if (c.r.bool(0.1)) c.seg.push(c.r.pick([0x26, 0x2e, 0x36, 0x3e]));
    c.op = [op];
    let ea: bigint;
    if (c.r.bool(0.03)) ea = faultTarget(c, s, !!(op & 2));
    else ea = DATA_VA + BigInt(c.r.range(0x100, DATA_SIZE - 0x100));
    c.immv(c.a32 ? 4 : 8, ea);
    const off = ea - DATA_VA;
    if (off >= 0n && off < BigInt(DATA_SIZE - 8)) c.patch(Number(off), s, val64(c.r) & mask(s));
  });
}
for (const [op, nm, ss] of [[0xb6, 'MOVZX r,r/m8', 1], [0xb7, 'MOVZX r,r/m16', 2], [0xbe, 'MOVSX r,r/m8', 1], [0xbf, 'MOVSX r,r/m16', 2]] as const) {
  F(nm, (c) => {
    const s = sizesOf(WORD, c.r);
    c.osize(s);
    if (ss === 1) {
      if (s === 8) c.needRex = true;
      else c.byteRegs();
    }
    c.op = [0x0f, op];
    c.reg(c.pickReg());
    rm(c, ss);
  });
}
F('MOVSXD r,r/m32 (63)', (c) => {
  const s = c.r.pick([8, 8, 8, 4, 2]);
  c.osize(s);
  c.op = [0x63];
  c.reg(c.pickReg());
  rm(c, s === 8 ? 4 : s);
});
F('LEA r,m', (c) => {
  const s = sizesOf(WORD, c.r);
  c.osize(s);
  maybe67(c, 0.3);
  c.op = [0x8d];
  c.reg(c.pickReg());
  if (c.r.bool(0.02)) c.rmReg(c.pickReg()); // #UD
  else mem(c, 1, { access: false });
});
F('CBW/CWDE/CDQE (98)', (c) => {
  c.osize(sizesOf(WORD, c.r));
  c.op = [0x98];
});
F('CWD/CDQ/CQO (99)', (c) => {
  c.osize(sizesOf(WORD, c.r));
  c.op = [0x99];
});
for (let cc = 0; cc < 16; cc++) {
  F(`SETcc r/m8 (0F ${(0x90 + cc).toString(16).toUpperCase()})`, (c) => {
    c.byteRegs();
    c.op = [0x0f, 0x90 + cc];
    c.reg(0);
    rm(c, 1, { write: true });
  });
  F(`CMOVcc r,r/m (0F ${(0x40 + cc).toString(16).toUpperCase()})`, (c) => {
    const s = sizesOf(WORD, c.r);
    c.osize(s);
    c.op = [0x0f, 0x40 + cc];
    c.reg(c.pickReg());
    rm(c, s);
  });
}

// ---------------------------------------------------------------- control transfer
/** a landing address: the sentinel right after the instruction, or the 0xCC fill of the code page */
function landing(c: Ctx, len: number, rel8: boolean): bigint {
  const r = c.r;
  const end = INSN_OFF + len;
  if (r.bool(0.15)) return CODE_VA + BigInt(end);
  if (!rel8 && r.bool(0.04)) return r.bool(0.5) ? CODE_VA + 0x1000n + BigInt(r.int(0x1000)) : DATA_VA + BigInt(r.int(DATA_SIZE));
  for (;;) {
    const off = rel8 ? end + r.range(-128, 127) : r.int(0x1000);
    if (off >= INSN_OFF && off < end + 3) continue;
    return CODE_VA + BigInt(off);
  }
}
function codeLen(c: Ctx): number {
  return c.assemble().length;
}
for (let cc = 0; cc < 16; cc++) {
  F(`Jcc rel8 (${(0x70 + cc).toString(16).toUpperCase()})`, (c) => {
    c.op = [0x70 + cc];
    c.rel = { size: 1, target: 0n };
    c.rel.target = landing(c, codeLen(c), true);
  });
  F(`Jcc rel32 (0F ${(0x80 + cc).toString(16).toUpperCase()})`, (c) => {
    c.op = [0x0f, 0x80 + cc];
    c.rel = { size: 4, target: 0n };
    c.rel.target = landing(c, codeLen(c), false);
  });
}
F('JMP rel8 (EB)', (c) => {
  c.op = [0xeb];
  c.rel = { size: 1, target: 0n };
  c.rel.target = landing(c, codeLen(c), true);
});
F('JMP rel32 (E9)', (c) => {
  c.op = [0xe9];
  c.rel = { size: 4, target: 0n };
  c.rel.target = landing(c, codeLen(c), false);
});
F('CALL rel32 (E8)', (c) => {
  stk(c);
  c.op = [0xe8];
  c.rel = { size: 4, target: 0n };
  c.rel.target = landing(c, codeLen(c), false);
});
for (const [k, nm] of [[2, 'CALL'], [4, 'JMP']] as const) {
  F(`${nm} r/m64 (FF /${k})`, (c) => {
  stk(c);
    c.op = [0xff];
    c.reg(k);
    const t = landing(c, 9, false);
    if (c.r.bool(0.5)) {
      const reg = c.pickReg();
      if (reg !== RSP) {
        c.fix(reg, t);
        c.rmReg(reg);
        return;
      }
    }
    maybe67(c);
    rm(c, 8, { memOnly: true, value: t });
    // the landing was picked for a 9-byte instruction; re-pick if it now overlaps
    const len = codeLen(c);
    const off = Number(t - CODE_VA);
    if (off >= INSN_OFF && off < INSN_OFF + len + 3 && off !== INSN_OFF + len) {
      for (const p of c.patches) if (p.bytes.length === 8) new DataView(p.bytes.buffer).setBigUint64(0, CODE_VA + 0x100n, true);
    }
  });
}
F('RET (C3)', (c) => {
  stk(c);
  c.op = [0xc3];
  c.patch(Number(c.gpr[RSP] - DATA_VA), 8, landing(c, 1, false));
});
F('RET imm16 (C2)', (c) => {
  stk(c);
  c.op = [0xc2];
  c.immv(2, BigInt(c.r.bool(0.5) ? c.r.int(64) : c.r.int(0x600)));
  c.patch(Number(c.gpr[RSP] - DATA_VA), 8, landing(c, 3, false));
});
for (const [op, nm] of [[0xe2, 'LOOP'], [0xe1, 'LOOPE'], [0xe0, 'LOOPNE'], [0xe3, 'JrCXZ']] as const) {
  F(`${nm} rel8`, (c) => {
    maybe67(c, 0.3);
    if (c.a32) c.pre.push(0x67);
    c.op = [op];
    const lo = c.r.pick([0n, 1n, 2n, 3n, 0xffffffffn]);
    c.fix(RCX, c.r.bool(0.5) ? lo : (c.r.u64() & ~M32) | lo);
    c.rel = { size: 1, target: 0n };
    c.rel.target = landing(c, codeLen(c), true);
  });
}

// ---------------------------------------------------------------- stack
function stackSize(c: Ctx) {
  return c.r.bool(0.2) ? 2 : 8;
}
F('PUSH r (50+r)', (c) => {
  stk(c);
  const s = stackSize(c);
  if (s === 2) c.pre.push(0x66);
  const reg = c.r.int(16);
  if (reg >= 8) c.rex |= 1;
  c.op = [0x50 + (reg & 7)];
});
F('POP r (58+r)', (c) => {
  stk(c);
  const s = stackSize(c);
  if (s === 2) c.pre.push(0x66);
  const reg = c.r.int(16);
  if (reg >= 8) c.rex |= 1;
  c.op = [0x58 + (reg & 7)];
  c.patch(Number(c.gpr[RSP] - DATA_VA), 8, val64(c.r));
});
F('PUSH imm8 (6A)', (c) => {
  stk(c);
  if (stackSize(c) === 2) c.pre.push(0x66);
  c.op = [0x6a];
  c.immv(1, edgeImm(c, 1));
});
F('PUSH imm (68)', (c) => {
  stk(c);
  const s = stackSize(c);
  if (s === 2) c.pre.push(0x66);
  c.op = [0x68];
  c.immv(s === 2 ? 2 : 4, edgeImm(c, 4));
});
F('PUSH r/m (FF /6)', (c) => {
  stk(c);
  const s = stackSize(c);
  if (s === 2) c.pre.push(0x66);
  c.op = [0xff];
  c.reg(6);
  rm(c, s);
});
F('POP r/m (8F /0)', (c) => {
  stk(c);
  const s = stackSize(c);
  if (s === 2) c.pre.push(0x66);
  c.op = [0x8f];
  c.reg(0);
  rm(c, s, { write: true, noFault: true });
  c.patch(Number(c.gpr[RSP] - DATA_VA), 8, val64(c.r));
});
F('PUSHF (9C)', (c) => {
  stk(c);
  if (stackSize(c) === 2) c.pre.push(0x66);
  c.op = [0x9c];
});
F('POPF (9D)', (c) => {
  stk(c);
  const s = stackSize(c);
  if (s === 2) c.pre.push(0x66);
  c.op = [0x9d];
  // never TF/NT/RF/VM/ID/AC (AC would arm alignment checks on the host): only IOPL/IF changes are ignored at CPL3
  const v = (val64(c.r) & 0x3ed5n) | 2n;
  c.patch(Number(c.gpr[RSP] - DATA_VA), 8, v);
});
F('ENTER imm16,imm8 (C8)', (c) => {
  stk(c);
  const s = stackSize(c);
  if (s === 2) c.pre.push(0x66);
  c.op = [0xc8];
  c.immv(2, BigInt(c.r.bool(0.5) ? c.r.int(32) : c.r.int(0x400)));
  c.immv(1, BigInt(c.r.bool(0.7) ? c.r.int(4) : c.r.int(256)));
  c.fix(RBP, DATA_VA + 0x1000n + BigInt(c.r.range(-0x400, 0x600) & ~(c.r.bool(0.8) ? 7 : 0)));
});
F('LEAVE (C9)', (c) => {
  stk(c);
  const s = stackSize(c);
  if (s === 2) c.pre.push(0x66);
  c.op = [0xc9];
  const rbp = DATA_VA + 0x400n + BigInt(c.r.range(0, 0x1800) & ~7);
  c.fix(RBP, rbp);
  c.patch(Number(rbp - DATA_VA), 8, val64(c.r));
});

// ---------------------------------------------------------------- strings
const STR = [
  [0xa4, 'MOVS'], [0xa6, 'CMPS'], [0xaa, 'STOS'], [0xac, 'LODS'], [0xae, 'SCAS'],
] as const;
for (const [op, nm] of STR) {
  for (const rep of ['', 'REP ', 'REPNE '] as const) {
    if (rep === 'REPNE ' && nm !== 'CMPS' && nm !== 'SCAS') continue;
    for (const byte of [true, false]) {
      F(`${rep}${nm}${byte ? 'B' : ' W/D/Q'}`, (c) => {
        const r = c.r;
        let s = 1;
        if (!byte) {
          s = sizesOf(WORD, r);
          c.osize(s);
        }
        maybe67(c, 0.15);
        if (c.a32) c.pre.push(0x67);
        if (rep) c.mand = rep === 'REP ' ? 0xf3 : 0xf2;
        if (r.bool(0.1) && (nm === 'MOVS' || nm === 'CMPS' || nm === 'LODS')) c.seg.push(r.pick([0x26, 0x2e, 0x36, 0x3e]));
        c.op = [byte ? op : op + 1];
        const hi = () => (c.a32 && r.bool(0.5) ? r.u64() & ~M32 : 0n);
        const cnt = BigInt(r.bool(0.1) ? 0 : r.int(17));
        c.fix(RCX, (c.a32 ? hi() : 0n) | cnt);
        const edge = r.bool(0.05);
        const place = () => {
          if (edge) return DATA_VA + BigInt(r.bool(0.5) ? r.int(64) : DATA_SIZE - r.int(64));
          return DATA_VA + BigInt(r.range(0x100, DATA_SIZE - 0x100) & ~(r.bool(0.8) ? s - 1 : 0));
        };
        c.fix(RSI, hi() | place());
        c.fix(RDI, hi() | place());
        if (r.bool(0.5)) c.flags &= ~DF;
        else c.flags |= DF;
        // give CMPS/SCAS some equal elements
        if ((nm === 'CMPS' || nm === 'SCAS') && r.bool(0.5)) {
          const src = Number((c.gpr[RSI] & M32) - DATA_VA);
          const dst = Number((c.gpr[RDI] & M32) - DATA_VA);
          const v = val64(r) & mask(s);
          if (nm === 'SCAS') c.fix(RAX, (c.gpr[RAX] & ~mask(s)) | v);
          const n = r.int(4);
          const step = c.flags & DF ? -s : s;
          for (let i = 0; i < Math.min(n, 2); i++) {
            if (nm === 'CMPS' && src + i * step >= 0 && src + i * step + s <= DATA_SIZE) c.patch(src + i * step, s, v);
            else if (dst + i * step >= 0 && dst + i * step + s <= DATA_SIZE) c.patch(dst + i * step, s, v);
          }
        }
      });
    }
  }
}
F('XLAT (D7)', (c) => {
  maybe67(c, 0.2);
  if (c.a32) c.pre.push(0x67);
  if (c.r.bool(0.2)) c.rex |= 8;
  c.op = [0xd7];
  c.fix(RBX, DATA_VA + BigInt(c.r.range(0x100, 0x1e00)) | (c.a32 && c.r.bool(0.5) ? c.r.u64() & ~M32 : 0n));
});

// ---------------------------------------------------------------- flags and misc
for (const [op, nm] of [[0x9f, 'LAHF'], [0x9e, 'SAHF'], [0xf8, 'CLC'], [0xf9, 'STC'], [0xf5, 'CMC'], [0xfc, 'CLD'], [0xfd, 'STD']] as const) {
  F(nm, (c) => {
    c.op = [op];
  });
}
F('NOP (90)', (c) => {
  c.op = [0x90];
});
F('PAUSE (F3 90)', (c) => {
  c.mand = 0xf3;
  c.op = [0x90];
});
F('NOP r/m (0F 1F /0)', (c) => {
  const s = sizesOf(WORD, c.r);
  c.osize(s);
  maybe67(c, 0.2);
  c.op = [0x0f, 0x1f];
  c.reg(0);
  if (c.r.bool(0.2)) c.rmReg(c.pickReg());
  else mem(c, s, { access: false });
});
F('UD2 / invalid in 64-bit mode', (c) => {
  const ops = [[0x0f, 0x0b], [0x06], [0x07], [0x0e], [0x16], [0x17], [0x1e], [0x1f], [0x27], [0x2f], [0x37], [0x3f], [0x60], [0x61], [0xce], [0xd4, 0x0a], [0xd5, 0x0a], [0xd6], [0x82, 0xc0, 0x01], [0x9a, 0, 0, 0, 0, 0, 0], [0xea, 0, 0, 0, 0, 0, 0]];
  c.op = c.r.pick(ops);
});
F('privileged at CPL3 (#GP)', (c) => {
  const ops = [[0xf4], [0xfa], [0xfb], [0x0f, 0x06], [0x0f, 0x08], [0x0f, 0x09], [0x0f, 0x30], [0x0f, 0x32], [0x0f, 0x20, 0xc0], [0x0f, 0x22, 0xd8], [0xe4, 0x70], [0xe6, 0x80], [0xec], [0xee], [0x6c], [0x6e], [0x0f, 0x01, 0xf8]];
  c.op = c.r.pick(ops);
});
F('INT n / INT3', (c) => {
  if (c.r.bool(0.3)) {
    c.op = [c.r.bool(0.5) ? 0xcc : 0xcd];
    if (c.op[0] === 0xcd) c.immv(1, 3n);
    return;
  }
  let n = c.r.int(256);
  while (n === 3 || n === 4 || n === 0x80) n = c.r.int(256);
  c.op = [0xcd];
  c.immv(1, BigInt(n));
});

/** FORMS[0, INTEGER_FORMS) are the general-purpose forms; the SIMD ones follow. */
export const INTEGER_FORMS = FORMS.length;

// SIMD forms live in forms-sse.ts (registered here so FORMS is complete when this module is loaded).
import { registerSseForms } from './forms-sse.ts';
registerSseForms();
