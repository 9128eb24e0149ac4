// Structural decoder for the 64-bit-mode instructions the JIT compiles. It reports operands as
// registers, an addressing form and immediates (never values), and returns null for anything
// outside its subset so the block ends there and the interpreter takes over.

export const SEG_NONE = -1;
export const SEG_SS = 2;
export const SEG_DS = 3;
export const SEG_FS = 4;
export const SEG_GS = 5;

export interface MemOperand {
  /** Base register, or -1. */
  base: number;
  /** Index register, or -1. */
  index: number;
  scale: number;
  disp: bigint;
  /** RIP-relative: the address is next + disp, a constant. */
  ripRel: boolean;
  /** FS or GS override (its base is added), or SEG_NONE. */
  override: number;
  /** Segment named in faults: SS for RSP/RBP bases, else DS (or the override). */
  faultSeg: number;
}

export interface Insn {
  rip: bigint;
  next: bigint;
  len: number;
  /** Opcode: 0x00..0xff, or 0x100 | b for 0F b. */
  op: number;
  /** Operand size for "v" operands: 2, 4 or 8. */
  osize: number;
  hasRex: boolean;
  rexW: boolean;
  prefix66: boolean;
  rep: number;
  /** LOCK (F0): only on the memory forms lockable() accepts. */
  lock: boolean;
  /** ModRM fields (reg and rm extended by REX.R / REX.B); mod = -1 without ModRM. */
  mod: number;
  reg: number;
  rm: number;
  mem: MemOperand | null;
  imm: bigint;
  /** The opcode's low 3 bits extended by REX.B (push/pop/mov-immediate/xchg register forms). */
  opReg: number;
  /** A direct JMP/CALL whose target the block continues with (set by the block decoder). */
  followed: boolean;
}

type Imm = 0 | 'b' | 'w' | 'z' | 'v' | 'rel8' | 'rel32';
interface Form { modrm: boolean; imm: Imm }

const NONE: Form = { modrm: false, imm: 0 };
const M: Form = { modrm: true, imm: 0 };
const MB: Form = { modrm: true, imm: 'b' };
const MZ: Form = { modrm: true, imm: 'z' };

/** The subset: opcode -> operand form. */
const FORMS = new Map<number, Form>();
for (let op = 0; op < 8; op++) {
  const b = op << 3;
  FORMS.set(b, M); FORMS.set(b + 1, M); FORMS.set(b + 2, M); FORMS.set(b + 3, M);
  FORMS.set(b + 4, { modrm: false, imm: 'b' }); FORMS.set(b + 5, { modrm: false, imm: 'z' });
}
for (let r = 0; r < 16; r++) FORMS.set(0x50 + r, NONE); // push / pop
FORMS.set(0x63, M);
FORMS.set(0x68, { modrm: false, imm: 'z' });
FORMS.set(0x6a, { modrm: false, imm: 'b' });
FORMS.set(0x69, MZ);
FORMS.set(0x6b, MB);
for (let c = 0; c < 16; c++) FORMS.set(0x70 + c, { modrm: false, imm: 'rel8' });
FORMS.set(0x80, MB); FORMS.set(0x81, MZ); FORMS.set(0x83, MB);
for (const o of [0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8d]) FORMS.set(o, M);
for (let r = 0; r < 8; r++) FORMS.set(0x90 + r, NONE);
FORMS.set(0x98, NONE); FORMS.set(0x99, NONE);
FORMS.set(0xa8, { modrm: false, imm: 'b' }); FORMS.set(0xa9, { modrm: false, imm: 'z' });
for (let r = 0; r < 8; r++) { FORMS.set(0xb0 + r, { modrm: false, imm: 'b' }); FORMS.set(0xb8 + r, { modrm: false, imm: 'v' }); }
FORMS.set(0xc0, MB); FORMS.set(0xc1, MB);
FORMS.set(0xc2, { modrm: false, imm: 'w' }); FORMS.set(0xc3, NONE);
FORMS.set(0xc6, MB); FORMS.set(0xc7, MZ);
FORMS.set(0xc9, NONE);
for (const o of [0xd0, 0xd1, 0xd2, 0xd3]) FORMS.set(o, M);
FORMS.set(0xe8, { modrm: false, imm: 'rel32' }); FORMS.set(0xe9, { modrm: false, imm: 'rel32' });
FORMS.set(0xeb, { modrm: false, imm: 'rel8' });
FORMS.set(0xf6, M); FORMS.set(0xf7, M); // the test-immediate forms are handled below
FORMS.set(0xfe, M); FORMS.set(0xff, M);
FORMS.set(0x11f, M);
for (let c = 0; c < 16; c++) {
  FORMS.set(0x140 + c, M);
  FORMS.set(0x180 + c, { modrm: false, imm: 'rel32' });
  FORMS.set(0x190 + c, M);
}
FORMS.set(0x1af, M);
for (const o of [0x1a3, 0x1ab, 0x1b3, 0x1bb, 0x1b0, 0x1b1, 0x1c0, 0x1c1, 0x1bc, 0x1bd, 0x1b8]) FORMS.set(o, M);
FORMS.set(0x1ba, MB);
for (const o of [0x1b6, 0x1b7, 0x1be, 0x1bf]) FORMS.set(o, M);
for (let r = 0; r < 8; r++) FORMS.set(0x1c8 + r, NONE); // bswap

/** Decode the instruction at `bytes[off]` (linear address `rip`); null if outside the subset. */
export function decodeInsn(bytes: Uint8Array, off: number, rip: bigint): Insn | null {
  const start = off;
  const end = Math.min(bytes.length, off + 15);
  const byte = (): number => {
    if (off >= end) throw RangeError('instruction runs past the page or 15 bytes');
    return bytes[off++];
  };
  try {
    let p66 = false, rep = 0, override = SEG_NONE, lock = false;
    let b = byte();
    for (;;) {
      if (b === 0x66) p66 = true;
      else if (b === 0xf2 || b === 0xf3) rep = b;
      else if (b === 0x64) override = SEG_FS;
      else if (b === 0x65) override = SEG_GS;
      else if (b === 0xf0) lock = true;
      else if (b === 0x2e || b === 0x3e || b === 0x26 || b === 0x36) { /* ignored in 64-bit mode */ }
      else break; // 0x67 is not in the subset
      b = byte();
    }
    let rex = 0;
    if ((b & 0xf0) === 0x40) { rex = b; b = byte(); }
    if ((b & 0xf0) === 0x40 || b === 0x66 || b === 0x67 || b === 0xf0 || b === 0xf2 || b === 0xf3) return null;
    let op = b;
    if (b === 0x0f) op = 0x100 | byte();
    const form = FORMS.get(op);
    if (!form) return null;
    // F3/F2 change the meaning of most opcodes (PAUSE, REP string...): only REP RET and the F3 bit
    // counts (POPCNT, TZCNT, LZCNT) are taken; 0F B8 without F3 is #UD.
    if (rep !== 0 && op !== 0xc3 && !(rep === 0xf3 && (op === 0x1b8 || op === 0x1bc || op === 0x1bd))) return null;
    if (op === 0x1b8 && rep !== 0xf3) return null;
    const rexW = (rex & 8) !== 0;
    const osize = rexW ? 8 : p66 ? 2 : 4;
    const insn: Insn = {
      rip, next: 0n, len: 0, op, osize, hasRex: rex !== 0, rexW, prefix66: p66, rep, lock,
      mod: -1, reg: 0, rm: 0, mem: null, imm: 0n, opReg: (op & 7) | ((rex & 1) << 3), followed: false,
    };
    if (form.modrm) {
      const modrm = byte();
      insn.mod = modrm >> 6;
      insn.reg = ((modrm >> 3) & 7) | ((rex & 4) << 1);
      const rm = modrm & 7;
      if (insn.mod === 3) insn.rm = rm | ((rex & 1) << 3);
      else {
        const m: MemOperand = { base: -1, index: -1, scale: 0, disp: 0n, ripRel: false, override, faultSeg: SEG_DS };
        if (rm === 4) {
          const sib = byte();
          const base = sib & 7;
          const index = ((sib >> 3) & 7) | ((rex & 2) << 2);
          if (index !== 4) { m.index = index; m.scale = sib >> 6; }
          if (base === 5 && insn.mod === 0) m.disp = s32(byte, 4);
          else m.base = base | ((rex & 1) << 3);
        } else if (rm === 5 && insn.mod === 0) {
          m.ripRel = true;
          m.disp = s32(byte, 4);
        } else m.base = rm | ((rex & 1) << 3);
        if (insn.mod === 1) m.disp = s32(byte, 1);
        else if (insn.mod === 2) m.disp = s32(byte, 4);
        if (m.base === 4 || m.base === 5) m.faultSeg = SEG_SS;
        if (override !== SEG_NONE) m.faultSeg = override;
        insn.mem = m;
      }
    }
    let imm: Imm = form.imm;
    if ((op === 0xf6 || op === 0xf7) && (insn.reg & 7) < 2) imm = op === 0xf6 ? 'b' : 'z';
    switch (imm) {
      case 'b': insn.imm = s32(byte, 1); break;
      case 'w': insn.imm = u(byte, 2); break;
      case 'z': insn.imm = osize === 2 ? s32(byte, 2) : s32(byte, 4); break;
      case 'v': insn.imm = osize === 8 ? u(byte, 8) : osize === 2 ? u(byte, 2) : u(byte, 4); break;
      case 'rel8': insn.imm = s32(byte, 1); break;
      case 'rel32': insn.imm = s32(byte, 4); break;
    }
    if (lock && !lockable(insn)) return null; // #UD: the interpreter raises it
    insn.len = off - start;
    insn.next = BigInt.asUintN(64, rip + BigInt(insn.len));
    if (insn.mem?.ripRel) insn.mem.disp = BigInt.asUintN(64, insn.next + insn.mem.disp); // now absolute
    return insn;
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

/** The read-modify-write memory forms LOCK may prefix. */
function lockable(i: Insn): boolean {
  if (!i.mem) return false;
  const op = i.op, sub = i.reg & 7;
  if (op < 0x40) return (op & 7) < 2 && op >> 3 !== 7; // ALU E,G except CMP
  switch (op) {
    case 0x80: case 0x81: case 0x83: return sub !== 7;
    case 0x86: case 0x87: case 0x1b0: case 0x1b1: case 0x1c0: case 0x1c1: case 0x1ab: case 0x1b3: case 0x1bb: return true;
    case 0xf6: case 0xf7: return sub === 2 || sub === 3;
    case 0xfe: case 0xff: return sub < 2;
    case 0x1ba: return sub >= 5;
  }
  return false;
}

/** Little-endian unsigned immediate of n bytes. */
function u(byte: () => number, n: number): bigint {
  if (n === 8) { const lo = u(byte, 4); return lo | (u(byte, 4) << 32n); }
  let v = 0;
  for (let i = 0; i < n; i++) v += byte() * 2 ** (8 * i);
  return BigInt(v);
}
/** Little-endian signed immediate of n (1, 2 or 4) bytes, sign-extended. */
function s32(byte: () => number, n: number): bigint {
  let v = 0;
  for (let i = 0; i < n; i++) v += byte() * 2 ** (8 * i);
  const bits = 8 * n;
  return BigInt(v >= 2 ** (bits - 1) ? v - 2 ** bits : v);
}
