// Translates a decoded x86-64 basic block into one wasm function `() -> i32`.
//
// The function keeps the guest registers it uses in wasm locals (each loaded just before its first
// use) and the lazy flags of the last flag-setting instruction in locals too. Every way out has its
// own epilogue that stores exactly the registers modified so far and hands over the flags, so an
// early exit from a long trace costs only what that path changed. It returns how many instructions
// completed and leaves RIP in the core's `curRip`.
// Ways out: the block's end; a fault in a memory access (the instruction had no effect, RIP is its
// start); an access the interpreter must do (MMIO, a page crossing: same, without a fault); or
// `attention` raised by a write (the instruction completed, RIP is the next one).
//
// Flag semantics mirror wasm/cpu/flags.ts exactly: the same lazy operations and operands, so the
// interpreter can evaluate any flag the block left behind.
import { ATOMIC_PREFIX, Bytes, I32, I64, Op, type FuncType, type ValType } from './wasm-builder.ts';
import { type Insn, type MemOperand, SEG_SS } from './x86-decode.ts';
import { V_GPR, V_SEG, SEG_SIZE, SEG_BASE, JIT_INTERPRET_NEXT, JL_SLOT, JL_COUNT, JL_EPOCH } from '../../wasm/layout.ts';

// Lazy flag operations (wasm/cpu/flags.ts).
const FL_ADD = 1, FL_ADC = 2, FL_SUB = 3, FL_SBB = 4, FL_LOGIC = 5, FL_INC = 6, FL_DEC = 7, FL_NEG = 8;
// Access kinds and TLB flag bits (wasm/cpu/mmu.ts).
const ACC_READ = 0, ACC_WRITE = 1;
const T_MMIO = 32;

/** Function imports, in index order (see jit.ts). */
export const FN = {
  jitHost: 0, jitCond: 1, jitGetCF: 2, jitShift: 3, jitImul: 4, jitBitOp: 5, jitMul: 6, jitDiv: 7, jitBitScan: 8,
  jitChain: 9,
} as const;
/** Global imports, in index order (see jit.ts). */
export const GL = {
  cpu: 0, curRip: 1, tlb: 2, readReq: 3, writeReq: 4, fault: 5, attention: 6,
  lzOp: 7, lzA: 8, lzB: 9, lzRes: 10, lzSize: 11, lzExplicit: 12, linkEpoch: 13, lastLink: 14, mulDivLo: 15, mulDivHi: 16,
} as const;

/** Hands out chaining cells (JIT_LINKS_BASE) to exits; null disables chaining. */
export type CellAllocator = (() => number) | null;

// Locals.
// Parameters: instructions completed before this block in the chain, and the budget left for it.
const P_DONE = 0, P_LEFT = 1;
const L_CPU = 2, L_TLB = 3, L_TE = 4, L_H = 5, L_FOP = 6, L_FSZ = 7, L_LEFT2 = 8;
const L_EA = 9, L_FA = 10, L_FB = 11, L_FRES = 12, L_FEXP = 13, L_T0 = 14, L_T1 = 15, L_T2 = 16, L_T3 = 17;
const L_REG0 = 18;
const LOCALS: ValType[] = [...Array<ValType>(7).fill(I32), ...Array<ValType>(9).fill(I64), ...Array<ValType>(16).fill(I64)];
/** Every block: (done, left) -> done + its own instructions (| JIT_INTERPRET_NEXT). Type index 0 in its module. */
export const BLOCK_TYPE: FuncType = { params: [I32, I32], results: [I32] };

const RAX = 0, RCX = 1, RDX = 2, RSP = 4, RBP = 5;

export class Unsupported extends Error {}

/** Set in a block's result when the core must interpret the instruction at RIP next (layout.ts). */
const BLOCK_INTERPRET_NEXT = JIT_INTERPRET_NEXT;

type FlagState = { kind: 'mem' } | { kind: 'static'; op: number; size: number } | { kind: 'dynamic' };

const MASKS = [0n, 0xffn, 0xffffn, 0n, 0xffffffffn, 0n, 0n, 0n, -1n];
const SIGN_BITS = [0n, 0x80n, 0x8000n, 0n, 0x80000000n, 0n, 0n, 0n, -0x8000000000000000n];
function mask(size: number): bigint {
  return MASKS[size];
}
function signBit(size: number): bigint {
  return SIGN_BITS[size];
}
const LOG2 = [0, 0, 1, 0, 2, 0, 0, 0, 3];

/** The i64 atomic instructions by access size (1, 2, 4, 8 bytes). */
type Rmw = 'add' | 'sub' | 'and' | 'or' | 'xor' | 'xchg' | 'cmpxchg';
const ATOMIC_LOAD = [Op.i64_atomic_load8_u, Op.i64_atomic_load16_u, Op.i64_atomic_load32_u, Op.i64_atomic_load];
const RMW: Record<Rmw, number[]> = {
  add: [Op.i64_atomic_rmw8_add_u, Op.i64_atomic_rmw16_add_u, Op.i64_atomic_rmw32_add_u, Op.i64_atomic_rmw_add],
  sub: [Op.i64_atomic_rmw8_sub_u, Op.i64_atomic_rmw16_sub_u, Op.i64_atomic_rmw32_sub_u, Op.i64_atomic_rmw_sub],
  and: [Op.i64_atomic_rmw8_and_u, Op.i64_atomic_rmw16_and_u, Op.i64_atomic_rmw32_and_u, Op.i64_atomic_rmw_and],
  or: [Op.i64_atomic_rmw8_or_u, Op.i64_atomic_rmw16_or_u, Op.i64_atomic_rmw32_or_u, Op.i64_atomic_rmw_or],
  xor: [Op.i64_atomic_rmw8_xor_u, Op.i64_atomic_rmw16_xor_u, Op.i64_atomic_rmw32_xor_u, Op.i64_atomic_rmw_xor],
  xchg: [Op.i64_atomic_rmw8_xchg_u, Op.i64_atomic_rmw16_xchg_u, Op.i64_atomic_rmw32_xchg_u, Op.i64_atomic_rmw_xchg],
  cmpxchg: [Op.i64_atomic_rmw8_cmpxchg_u, Op.i64_atomic_rmw16_cmpxchg_u, Op.i64_atomic_rmw32_cmpxchg_u, Op.i64_atomic_rmw_cmpxchg],
};
/** BSF, BSR, TZCNT, LZCNT, POPCNT as wasm/exec/bits.ts numbers them (SCAN_*). */
const SCAN_BSF = 0, SCAN_TZCNT = 2, SCAN_POPCNT = 4;

export interface CompiledBlock { code: Uint8Array; locals: ValType[]; count: number }

/** Compile `insns` (a straight-line block; the last may branch). Stops early at an instruction it cannot translate. */
export function compileBlock(insns: Insn[], cells: CellAllocator = null): CompiledBlock | null {
  const g = new BlockCodegen(cells, insns[0].rip & ~0xfffn);
  let count = 0;
  for (const insn of insns) {
    const mark = g.checkpoint();
    try {
      const ends = g.insn(insn, count);
      count++;
      if (ends) { g.endsWithBranch = true; break; }
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      g.rollback(mark);
      break;
    }
  }
  if (count === 0) return null;
  // Where execution goes on after the last instruction: a followed JMP/CALL continues at its target.
  const last = insns[count - 1];
  const after = last.followed ? BigInt.asUintN(64, last.next + last.imm) : last.next;
  return { code: g.finish(count, after), locals: LOCALS, count };
}

interface Checkpoint { len: number; loaded: number; modified: number; flags: FlagState }

class BlockCodegen {
  constructor(
    private readonly cells: CellAllocator,
    /** The block's linear page: exits to it may chain (it maps to the same physical page). */
    private readonly page: bigint,
  ) {}
  private b = new Bytes();
  private loaded = 0; // bitmask of registers loaded into their locals so far
  private modified = 0;
  private flags: FlagState = { kind: 'mem' };
  endsWithBranch = false;
  private k = 0;
  private cur!: Insn;

  checkpoint(): Checkpoint {
    return { len: this.b.length, loaded: this.loaded, modified: this.modified, flags: this.flags };
  }
  rollback(c: Checkpoint): void {
    this.b.length = c.len;
    this.loaded = c.loaded;
    this.modified = c.modified;
    this.flags = c.flags;
  }

  // ---- raw emission ----
  private op(o: number): void { this.b.byte(o); }
  private i32(v: number): void { this.b.byte(Op.i32_const); this.b.s32(v); }
  private i64(v: bigint): void { this.b.byte(Op.i64_const); this.b.s64(v); }
  private get(l: number): void { this.b.byte(Op.local_get); this.b.u32(l); }
  private set(l: number): void { this.b.byte(Op.local_set); this.b.u32(l); }
  private tee(l: number): void { this.b.byte(Op.local_tee); this.b.u32(l); }
  private gget(g: number): void { this.b.byte(Op.global_get); this.b.u32(g); }
  private gset(g: number): void { this.b.byte(Op.global_set); this.b.u32(g); }
  private call(f: number): void { this.b.byte(Op.call); this.b.u32(f); }
  private mem(o: number, align: number, offset: number): void {
    if (o > 0xff) { this.b.byte(ATOMIC_PREFIX); this.b.u32(o & 0xff); } else this.b.byte(o);
    this.b.u32(align); this.b.u32(offset);
  }
  private if(type: number = 0x40): void { this.b.byte(Op.if); this.b.byte(type); }
  private else(): void { this.b.byte(Op.else); }
  private end(): void { this.b.byte(Op.end); }
  /**
   * Leave the block: `n` instructions done, RIP = `rip` (or the i64 in local `ripLocal`). With
   * `interpretNext`, the instruction at RIP is one the block could not do (a fault, or an access
   * only the interpreter makes), so the core must not just look for another block there.
   */
  private exit(n: number, rip: bigint, ripLocal = -1, interpretNext = false, chain = false): void {
    for (let r = 0; r < 16; r++) {
      if (!(this.modified & (1 << r))) continue;
      this.get(L_CPU); this.get(L_REG0 + r); this.mem(Op.i64_store, 3, V_GPR + 8 * r);
    }
    if (this.flags.kind !== 'mem') {
      this.get(L_FOP); this.gset(GL.lzOp);
      this.get(L_FSZ); this.gset(GL.lzSize);
      this.get(L_FA); this.gset(GL.lzA);
      this.get(L_FB); this.gset(GL.lzB);
      this.get(L_FRES); this.gset(GL.lzRes);
      if (this.flags.kind !== 'static' || this.flags.op === FL_INC || this.flags.op === FL_DEC) {
        this.get(L_FEXP); this.gset(GL.lzExplicit);
      }
    }
    if (ripLocal >= 0) this.get(ripLocal); else this.i64(rip);
    this.gset(GL.curRip);
    const cell = chain && ripLocal < 0 && !interpretNext && (rip & ~0xfffn) === this.page && this.cells ? this.cells() : 0;
    this.i32(cell); this.gset(GL.lastLink);
    if (cell) {
      // Linked, current, within budget and nothing to attend to: go straight to the next block.
      this.get(P_LEFT); this.i32(n); this.op(Op.i32_sub); this.set(L_LEFT2);
      this.i32(cell); this.mem(Op.i32_load, 2, JL_EPOCH); this.gget(GL.linkEpoch); this.op(Op.i32_eq);
      this.i32(cell); this.mem(Op.i32_load, 2, JL_COUNT); this.get(L_LEFT2); this.op(Op.i32_le_u); this.op(Op.i32_and);
      this.gget(GL.attention); this.op(Op.i32_eqz); this.op(Op.i32_and);
      this.if();
      this.get(P_DONE); this.i32(n); this.op(Op.i32_add);
      this.get(L_LEFT2);
      this.i32(cell); this.mem(Op.i32_load, 2, JL_SLOT);
      // Through the one trampoline that imports the table: a block module importing it would make
      // every later table write visit this instance too (and Node 20 never frees such instances).
      this.op(Op.return_call); this.b.u32(FN.jitChain);
      this.end();
    }
    this.get(P_DONE); this.i32(interpretNext ? n | BLOCK_INTERPRET_NEXT : n); this.op(Op.i32_add);
    this.op(Op.return);
  }

  // ---- registers ----
  /** Load the registers in `mask` not loaded yet (at the start of an instruction, outside any branch). */
  private load(mask: number): void {
    const need = mask & ~this.loaded;
    for (let r = 0; r < 16; r++) {
      if (!(need & (1 << r))) continue;
      this.get(L_CPU); this.mem(Op.i64_load, 3, V_GPR + 8 * r); this.set(L_REG0 + r);
    }
    this.loaded |= need;
  }
  private R(r: number): number {
    if (!(this.loaded & (1 << r))) throw new Error(`JIT: register ${r} used before it was loaded`);
    return L_REG0 + r;
  }
  /** Push register r (for size 1: the x86 byte register number) zero-extended from `size`. */
  private getReg(r: number, size: number): void {
    if (size === 1 && !this.cur.hasRex && r >= 4 && r < 8) {
      this.get(this.R(r - 4)); this.i64(8n); this.op(Op.i64_shr_u); this.i64(0xffn); this.op(Op.i64_and);
      return;
    }
    this.get(this.R(r));
    if (size !== 8) { this.i64(mask(size)); this.op(Op.i64_and); }
  }
  /** Write register r with x86 merge rules; `value` pushes an i64 (only its low `size` bytes count). */
  private setReg(r: number, size: number, value: () => void): void {
    if (size === 1 && !this.cur.hasRex && r >= 4 && r < 8) {
      const l = this.R(r - 4);
      this.modified |= 1 << (r - 4);
      this.get(l); this.i64(~0xff00n); this.op(Op.i64_and);
      value(); this.i64(0xffn); this.op(Op.i64_and); this.i64(8n); this.op(Op.i64_shl);
      this.op(Op.i64_or); this.set(l);
      return;
    }
    const l = this.R(r);
    this.modified |= 1 << r;
    if (size === 8) { value(); this.set(l); return; }
    if (size === 4) { value(); this.i64(0xffffffffn); this.op(Op.i64_and); this.set(l); return; }
    this.get(l); this.i64(~mask(size)); this.op(Op.i64_and);
    value(); this.i64(mask(size)); this.op(Op.i64_and);
    this.op(Op.i64_or); this.set(l);
  }

  // ---- memory ----
  /** Effective linear address of `m` into L_EA (segment base included unless `lea`). */
  private ea(m: MemOperand, lea = false): void {
    if (m.ripRel) this.i64(m.disp);
    else {
      let any = false;
      if (m.base >= 0) { this.get(this.R(m.base)); any = true; }
      if (m.index >= 0) {
        this.get(this.R(m.index));
        if (m.scale) { this.i64(BigInt(m.scale)); this.op(Op.i64_shl); }
        if (any) this.op(Op.i64_add);
        any = true;
      }
      if (!any) this.i64(m.disp);
      else if (m.disp !== 0n) { this.i64(m.disp); this.op(Op.i64_add); }
    }
    if (!lea && m.override >= 0) {
      this.get(L_CPU); this.mem(Op.i64_load, 3, V_SEG + m.override * SEG_SIZE + SEG_BASE); this.op(Op.i64_add);
    }
    this.set(L_EA);
  }

  /**
   * Host address of the `size`-byte access at L_EA into L_H: the TLB entry when it permits the
   * access directly, else the core's jitHost(); a fault or an access the interpreter must make
   * ends the block before this instruction.
   */
  private host(size: number, access: number, seg: number): void {
    const req = access === ACC_WRITE ? GL.writeReq : GL.readReq;
    // te = tlb + ((ea >> 12) & 1023) * 16
    this.get(L_EA); this.i64(12n); this.op(Op.i64_shr_u); this.op(Op.i32_wrap_i64);
    this.i32(1023); this.op(Op.i32_and); this.i32(4); this.op(Op.i32_shl);
    this.get(L_TLB); this.op(Op.i32_add); this.tee(L_TE);
    // tag == page | valid
    this.mem(Op.i64_load, 3, 0);
    this.get(L_EA); this.i64(~0xfffn); this.op(Op.i64_and); this.i64(1n); this.op(Op.i64_or); this.op(Op.i64_eq);
    // (flags & (req | MMIO)) == req
    this.get(L_TE); this.mem(Op.i32_load, 2, 12);
    this.gget(req); this.i32(T_MMIO); this.op(Op.i32_or); this.op(Op.i32_and);
    this.gget(req); this.op(Op.i32_eq); this.op(Op.i32_and);
    if (size > 1) {
      this.get(L_EA); this.op(Op.i32_wrap_i64); this.i32(0xfff); this.op(Op.i32_and);
      this.i32(4096 - size); this.op(Op.i32_le_u); this.op(Op.i32_and);
    }
    this.if(I32);
    this.get(L_TE); this.mem(Op.i32_load, 2, 8);
    this.get(L_EA); this.op(Op.i32_wrap_i64); this.i32(0xfff); this.op(Op.i32_and); this.op(Op.i32_add);
    this.else();
    this.get(L_EA); this.i32(size); this.i32(access); this.i32(seg); this.call(FN.jitHost);
    this.tee(L_H); this.op(Op.i32_eqz);
    this.if();
    this.exit(this.k, this.cur.rip, -1, true);
    this.end();
    this.get(L_H);
    this.end();
    this.set(L_H);
  }
  private loadMem(size: number): void {
    this.get(L_H);
    if (size === 8) this.mem(Op.i64_load, 0, 0);
    else this.mem(size === 4 ? Op.i64_load32_u : size === 2 ? Op.i64_load16_u : Op.i64_load8_u, 0, 0);
  }
  /** Store the i64 that `value` pushes to L_H. */
  private store(size: number, value: () => void): void {
    this.get(L_H);
    value();
    this.mem(size === 8 ? Op.i64_store : size === 4 ? Op.i64_store32 : size === 2 ? Op.i64_store16 : Op.i64_store8, 0, 0);
  }
  /** After an instruction that wrote memory: a write to a code page or MMIO raised attention. */
  private afterWrite(): void {
    this.gget(GL.attention);
    this.if();
    this.exit(this.k + 1, this.cur.next);
    this.end();
  }

  // ---- E (r/m) operand ----
  private readE(size: number): void {
    const i = this.cur;
    if (!i.mem) { this.getReg(i.rm, size); return; }
    this.ea(i.mem);
    this.host(size, ACC_READ, i.mem.faultSeg);
    this.loadMem(size);
  }
  /** Write E: register, or memory at the address already in L_H (from rmwE/prepareWriteE). */
  private writeE(size: number, value: () => void): void {
    const i = this.cur;
    if (!i.mem) { this.setReg(i.rm, size, value); return; }
    this.store(size, value);
  }
  /** Memory E about to be read and written: translate for writing (which implies readable). */
  private prepareWriteE(size: number): void {
    const m = this.cur.mem!;
    this.ea(m);
    this.host(size, ACC_WRITE, m.faultSeg);
  }
  /**
   * Memory E for an atomic read-modify-write (LOCK, XCHG): translated for writing into L_H. Wasm
   * atomics need natural alignment, so a misaligned operand is left to the interpreter.
   */
  private prepareAtomicE(size: number): void {
    this.ea(this.cur.mem!);
    this.atomicHost(size);
  }
  /** The host address for an atomic access at L_EA into L_H (see prepareAtomicE). */
  private atomicHost(size: number): void {
    if (size > 1) {
      this.get(L_EA); this.op(Op.i32_wrap_i64); this.i32(size - 1); this.op(Op.i32_and);
      this.if();
      this.exit(this.k, this.cur.rip, -1, true);
      this.end();
    }
    this.host(size, ACC_WRITE, this.cur.mem!.faultSeg);
  }
  /** Atomic `f` at L_H (the address, then its i64 operands, already pushed); leaves the old value. */
  private rmw(f: Rmw, size: number): void { this.mem(RMW[f][LOG2[size]], LOG2[size], 0); }

  // ---- flags ----
  private setFlags(op: number, size: number, a: number, b: number, res: number): void {
    this.get(a); this.set(L_FA);
    this.get(b); this.set(L_FB);
    this.get(res); this.set(L_FRES);
    this.i32(op); this.set(L_FOP);
    this.i32(size); this.set(L_FSZ);
    this.flags = { kind: 'static', op, size };
  }
  /** Make the core's lazy-flag globals current (before calling a helper that reads or sets flags). */
  private flush(): void {
    if (this.flags.kind === 'mem') return;
    this.get(L_FOP); this.gset(GL.lzOp);
    this.get(L_FSZ); this.gset(GL.lzSize);
    this.get(L_FA); this.gset(GL.lzA);
    this.get(L_FB); this.gset(GL.lzB);
    this.get(L_FRES); this.gset(GL.lzRes);
    this.get(L_FEXP); this.gset(GL.lzExplicit);
    this.flags = { kind: 'mem' };
  }
  /** Sign-extend the i64 on the stack from `size` bytes. */
  private sext(size: number): void {
    if (size === 4) this.op(Op.i64_extend32_s);
    else if (size === 2) this.op(Op.i64_extend16_s);
    else if (size === 1) this.op(Op.i64_extend8_s);
  }
  private zf(): void { this.get(L_FRES); this.op(Op.i64_eqz); }
  private sf(size: number): void {
    this.get(L_FRES); this.i64(signBit(size)); this.op(Op.i64_and); this.i64(0n); this.op(Op.i64_ne);
  }
  /** Push CF as i32 0/1. */
  private cf(): void {
    const f = this.flags;
    if (f.kind === 'static') {
      switch (f.op) {
        case FL_ADD: this.get(L_FRES); this.get(L_FA); this.op(Op.i64_lt_u); return;
        case FL_SUB: this.get(L_FA); this.get(L_FB); this.op(Op.i64_lt_u); return;
        case FL_LOGIC: this.i32(0); return;
        case FL_INC: case FL_DEC: this.get(L_FEXP); this.i64(0n); this.op(Op.i64_ne); return;
      }
    }
    this.flush();
    this.call(FN.jitGetCF);
  }
  /** Push condition cc (Jcc numbering) as i32 0/1. */
  private cond(cc: number): void {
    const f = this.flags;
    const neg = (cc & 1) !== 0;
    const base = cc & ~1;
    if (f.kind === 'static' && this.inlineCond(f.op, f.size, base)) {
      if (neg) this.op(Op.i32_eqz);
      return;
    }
    this.flush();
    this.i32(cc); this.call(FN.jitCond);
  }
  /** Push the un-negated condition `base` (even cc) for a static flag op, or return false. */
  private inlineCond(op: number, size: number, base: number): boolean {
    if (base === 4) { this.zf(); return true; } // Z: every op here keeps a masked result
    if (base === 8) { this.sf(size); return true; } // S
    if (op === FL_LOGIC) {
      switch (base) {
        case 0: case 2: this.i32(0); return true; // O, B
        case 6: this.zf(); return true; // BE
        case 0xc: this.sf(size); return true; // L = S != O, O = 0
        case 0xe: this.zf(); this.sf(size); this.op(Op.i32_or); return true; // LE
      }
      return false;
    }
    if (op === FL_SUB) {
      const cmp = (o: number, signed: boolean): void => {
        this.get(L_FA); if (signed) this.sext(size);
        this.get(L_FB); if (signed) this.sext(size);
        this.op(o);
      };
      switch (base) {
        case 2: cmp(Op.i64_lt_u, false); return true;
        case 6: cmp(Op.i64_le_u, false); return true;
        case 0xc: cmp(Op.i64_lt_s, true); return true;
        case 0xe: cmp(Op.i64_le_s, true); return true;
      }
      return false;
    }
    if (op === FL_ADD && base === 2) { this.cf(); return true; }
    return false;
  }

  // ---- instructions ----
  /** Emit instruction k; returns true if it ends the block (a branch). */
  insn(i: Insn, k: number): boolean {
    this.k = k;
    this.cur = i;
    this.load(regsUsed(i));
    const op = i.op;
    if (op < 0x40 && (op & 7) < 6) { this.alu(op >> 3, op & 7); return false; }
    switch (op) {
      case 0x50: case 0x51: case 0x52: case 0x53: case 0x54: case 0x55: case 0x56: case 0x57:
        if (i.prefix66) throw new Unsupported();
        this.getReg(i.opReg, 8); this.set(L_T1);
        this.push(L_T1);
        return false;
      case 0x58: case 0x59: case 0x5a: case 0x5b: case 0x5c: case 0x5d: case 0x5e: case 0x5f:
        if (i.prefix66) throw new Unsupported();
        this.pop(L_T1);
        this.setReg(i.opReg, 8, () => this.get(L_T1));
        return false;
      case 0x63:
        if (!i.rexW) throw new Unsupported();
        this.readE(4); this.op(Op.i64_extend32_s); this.set(L_T0);
        this.setReg(i.reg, 8, () => this.get(L_T0));
        return false;
      case 0x68: case 0x6a:
        if (i.prefix66) throw new Unsupported();
        this.i64(i.imm); this.set(L_T1);
        this.push(L_T1);
        return false;
      case 0x69: case 0x6b: this.imul(true); return false;
      case 0x80: case 0x81: case 0x83: this.group1(); return false;
      case 0x84: case 0x85: {
        const size = op === 0x84 ? 1 : i.osize;
        this.readE(size); this.set(L_T0);
        this.getReg(i.reg, size); this.set(L_T1);
        this.logicFlags(size, () => { this.get(L_T0); this.get(L_T1); this.op(Op.i64_and); });
        return false;
      }
      case 0x86: case 0x87: {
        const size = op === 0x86 ? 1 : i.osize;
        if (i.mem) { // always locked
          this.prepareAtomicE(size);
          this.get(L_H); this.getReg(i.reg, size); this.rmw('xchg', size); this.set(L_T0);
          this.setReg(i.reg, size, () => this.get(L_T0));
          this.afterWrite();
          return false;
        }
        this.getReg(i.rm, size); this.set(L_T0);
        this.getReg(i.reg, size); this.set(L_T1);
        this.setReg(i.rm, size, () => this.get(L_T1));
        this.setReg(i.reg, size, () => this.get(L_T0));
        return false;
      }
      case 0x88: case 0x89: {
        const size = op === 0x88 ? 1 : i.osize;
        this.getReg(i.reg, size); this.set(L_T0);
        if (i.mem) { this.prepareWriteE(size); this.store(size, () => this.get(L_T0)); this.afterWrite(); }
        else this.setReg(i.rm, size, () => this.get(L_T0));
        return false;
      }
      case 0x8a: case 0x8b: {
        const size = op === 0x8a ? 1 : i.osize;
        this.readE(size); this.set(L_T0);
        this.setReg(i.reg, size, () => this.get(L_T0));
        return false;
      }
      case 0x8d:
        if (!i.mem) throw new Unsupported();
        this.ea(i.mem, true);
        this.setReg(i.reg, i.osize, () => this.get(L_EA));
        return false;
      case 0x90:
        if (i.opReg === 0) return false; // NOP (F3 90 = PAUSE never reaches here)
        this.xchgAx(i.opReg); return false;
      case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97:
        this.xchgAx(i.opReg); return false;
      case 0x98: {
        const s = i.osize;
        this.getReg(RAX, s / 2); this.sext(s / 2); this.set(L_T0);
        this.setReg(RAX, s, () => this.get(L_T0));
        return false;
      }
      case 0x99: {
        const s = i.osize;
        this.getReg(RAX, s); this.sext(s); this.i64(63n); this.op(Op.i64_shr_s); this.set(L_T0);
        this.setReg(RDX, s, () => this.get(L_T0));
        return false;
      }
      case 0xa8: case 0xa9: {
        const size = op === 0xa8 ? 1 : i.osize;
        this.getReg(RAX, size); this.set(L_T0);
        this.i64(i.imm & mask(size)); this.set(L_T1);
        this.logicFlags(size, () => { this.get(L_T0); this.get(L_T1); this.op(Op.i64_and); });
        return false;
      }
      case 0xb0: case 0xb1: case 0xb2: case 0xb3: case 0xb4: case 0xb5: case 0xb6: case 0xb7:
        this.setReg(i.opReg, 1, () => this.i64(i.imm)); return false;
      case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf:
        this.setReg(i.opReg, i.osize, () => this.i64(i.imm)); return false;
      case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3: this.shift(); return false;
      case 0xc2: case 0xc3: this.ret(op === 0xc2 ? Number(i.imm) : 0); return true;
      case 0xc6: case 0xc7: {
        if ((i.reg & 7) !== 0) throw new Unsupported();
        const size = op === 0xc6 ? 1 : i.osize;
        if (i.mem) { this.prepareWriteE(size); this.store(size, () => this.i64(i.imm)); this.afterWrite(); }
        else this.setReg(i.rm, size, () => this.i64(i.imm));
        return false;
      }
      case 0xc9: this.leave(); return false;
      case 0xe8: {
        if (i.prefix66) throw new Unsupported();
        const t = this.target();
        this.i64(i.next); this.set(L_T1);
        this.push(L_T1, true);
        if (!i.followed) { this.exit(this.k + 1, t, -1, false, true); return true; }
        // The block goes on at the target, unless the push raised attention (it wrote a page with
        // code): then stop there, with the call done and RIP at the target (not the return address).
        this.gget(GL.attention);
        this.if();
        this.exit(this.k + 1, t);
        this.end();
        return false;
      }
      case 0xe9: case 0xeb: {
        if (i.prefix66) throw new Unsupported();
        const t = this.target();
        if (i.followed) return false;
        this.exit(this.k + 1, t, -1, false, true);
        return true;
      }
      case 0xf6: case 0xf7: this.group3(); return false;
      case 0xfe: case 0xff: return this.group5();
      case 0x11f: return false; // NOP Ev: no memory access
      case 0x1af: this.imul(false); return false;
      case 0x1a3: case 0x1ab: case 0x1b3: case 0x1bb: this.bitTest((op >> 3) & 3, false); return false;
      case 0x1ba:
        if ((i.reg & 7) < 4) throw new Unsupported(); // #UD
        this.bitTest((i.reg & 7) - 4, true);
        return false;
      case 0x1b0: case 0x1b1: this.cmpxchg(); return false;
      case 0x1c0: case 0x1c1: this.xadd(); return false;
      case 0x1b8: this.bitScan(SCAN_POPCNT); return false;
      case 0x1bc: case 0x1bd: this.bitScan((i.rep === 0xf3 ? SCAN_TZCNT : SCAN_BSF) + (op & 1)); return false;
      case 0x1c8: case 0x1c9: case 0x1ca: case 0x1cb: case 0x1cc: case 0x1cd: case 0x1ce: case 0x1cf: this.bswap(i.opReg); return false;
      case 0x1b6: case 0x1b7: case 0x1be: case 0x1bf: {
        const src = (op & 1) === 0 ? 1 : 2;
        this.readE(src);
        if (op >= 0x1be) this.sext(src);
        this.set(L_T0);
        this.setReg(i.reg, i.osize, () => this.get(L_T0));
        return false;
      }
    }
    if (op >= 0x70 && op <= 0x7f) { this.jcc(op & 15); return false; }
    if (op >= 0x180 && op <= 0x18f) { this.jcc(op & 15); return false; }
    if (op >= 0x140 && op <= 0x14f) { this.cmov(op & 15); return false; }
    if (op >= 0x190 && op <= 0x19f) { this.setcc(op & 15); return false; }
    throw new Unsupported();
  }

  /** The six ALU forms: 0 Eb,Gb 1 Ev,Gv 2 Gb,Eb 3 Gv,Ev 4 AL,Ib 5 rAX,Iz. */
  private alu(aop: number, form: number): void {
    const i = this.cur;
    const size = (form & 1) === 0 ? 1 : i.osize;
    if (form <= 1) {
      this.getReg(i.reg, size); this.set(L_T1);
      this.aluToE(aop, size);
    } else if (form <= 3) {
      this.readE(size); this.set(L_T1);
      this.getReg(i.reg, size); this.set(L_T0);
      this.aluCompute(aop, size);
      if (aop !== 7) this.setReg(i.reg, size, () => this.get(L_T2));
    } else {
      this.i64(i.imm & mask(size)); this.set(L_T1);
      this.getReg(RAX, size); this.set(L_T0);
      this.aluCompute(aop, size);
      if (aop !== 7) this.setReg(RAX, size, () => this.get(L_T2));
    }
  }
  /** E op= L_T1. */
  private aluToE(aop: number, size: number): void {
    const i = this.cur;
    if (!i.mem) {
      this.getReg(i.rm, size); this.set(L_T0);
      this.aluCompute(aop, size);
      if (aop !== 7) this.setReg(i.rm, size, () => this.get(L_T2));
      return;
    }
    if (aop === 7) {
      this.readE(size); this.set(L_T0);
      this.aluCompute(aop, size);
      return;
    }
    if (i.lock) { this.lockedAlu(aop, size); return; }
    this.prepareWriteE(size);
    this.loadMem(size); this.set(L_T0);
    this.aluCompute(aop, size);
    this.store(size, () => this.get(L_T2));
    this.afterWrite();
  }
  /** LOCK op [E], L_T1: one atomic RMW leaves the old value in L_T0, from which the flags follow. */
  private lockedAlu(aop: number, size: number): void {
    this.prepareAtomicE(size);
    const carry = aop === 2 || aop === 3;
    if (carry) { this.cf(); this.op(Op.i64_extend_i32_u); this.set(L_T3); }
    this.get(L_H);
    this.get(L_T1);
    if (carry) { this.get(L_T3); this.op(Op.i64_add); } // ADC/SBB add/subtract b + carry-in
    this.rmw(aop === 0 || aop === 2 ? 'add' : aop === 1 ? 'or' : aop === 4 ? 'and' : aop === 6 ? 'xor' : 'sub', size);
    this.set(L_T0);
    this.aluCompute(aop, size, carry ? L_T3 : -1);
    this.afterWrite();
  }
  private group1(): void {
    const i = this.cur;
    const size = i.op === 0x80 ? 1 : i.osize;
    this.i64(i.imm & mask(size)); this.set(L_T1);
    this.aluToE(i.reg & 7, size);
  }
  /** L_T2 = L_T0 op L_T1 at `size` (operands zero-extended), with the lazy flags set. ADC/SBB take the carry-in from `carryLocal` if given. */
  private aluCompute(aop: number, size: number, carryLocal = -1): void {
    const m = mask(size);
    const masked = (): void => { if (size !== 8) { this.i64(m); this.op(Op.i64_and); } };
    switch (aop) {
      case 0: // ADD
        this.get(L_T0); this.get(L_T1); this.op(Op.i64_add); masked(); this.set(L_T2);
        this.setFlags(FL_ADD, size, L_T0, L_T1, L_T2);
        return;
      case 1: case 4: case 6: // OR AND XOR
        this.get(L_T0); this.get(L_T1); this.op(aop === 1 ? Op.i64_or : aop === 4 ? Op.i64_and : Op.i64_xor);
        this.set(L_T2);
        this.setFlags(FL_LOGIC, size, L_T0, L_T1, L_T2);
        return;
      case 5: case 7: // SUB CMP
        this.get(L_T0); this.get(L_T1); this.op(Op.i64_sub); masked(); this.set(L_T2);
        this.setFlags(FL_SUB, size, L_T0, L_T1, L_T2);
        return;
      case 2: case 3: { // ADC SBB: the lazy op depends on the carry-in, known only at run time
        if (carryLocal >= 0) this.get(carryLocal); else { this.cf(); this.op(Op.i64_extend_i32_u); }
        this.set(L_FEXP); // carry-in, parked in a free local
        this.get(L_T0); this.get(L_T1); this.op(aop === 2 ? Op.i64_add : Op.i64_sub);
        this.get(L_FEXP); this.op(aop === 2 ? Op.i64_add : Op.i64_sub);
        masked(); this.set(L_T2);
        this.get(L_T0); this.set(L_FA);
        this.get(L_T1); this.set(L_FB);
        this.get(L_T2); this.set(L_FRES);
        this.i32(aop === 2 ? FL_ADC : FL_SBB); this.i32(aop === 2 ? FL_ADD : FL_SUB);
        this.get(L_FEXP); this.op(Op.i32_wrap_i64); this.op(Op.select); this.set(L_FOP);
        this.i32(size); this.set(L_FSZ);
        this.flags = { kind: 'dynamic' };
        return;
      }
    }
  }
  private logicFlags(size: number, value: () => void): void {
    value(); this.set(L_T2);
    this.setFlags(FL_LOGIC, size, L_T0, L_T1, L_T2);
  }

  /** Push the i64 in `valueLocal`. A CALL ends the block right after, so it skips the attention check. */
  private push(valueLocal: number, endsBlock = false): void {
    this.get(this.R(RSP)); this.i64(8n); this.op(Op.i64_sub); this.set(L_EA);
    this.host(8, ACC_WRITE, SEG_SS);
    this.store(8, () => this.get(valueLocal));
    this.get(this.R(RSP)); this.i64(8n); this.op(Op.i64_sub); this.set(this.R(RSP));
    this.modified |= 1 << RSP;
    if (!endsBlock) this.afterWrite();
  }
  /** A relative branch target; a non-canonical one is left to the interpreter (#GP). */
  private target(): bigint {
    const t = BigInt.asUintN(64, this.cur.next + this.cur.imm);
    if (BigInt.asUintN(64, BigInt.asIntN(48, t)) !== t) throw new Unsupported();
    return t;
  }
  /** Pop into `local` and advance RSP (the caller writes the destination afterwards). */
  private pop(local: number, extra = 0): void {
    this.get(this.R(RSP)); this.set(L_EA);
    this.host(8, ACC_READ, SEG_SS);
    this.loadMem(8); this.set(local);
    this.get(this.R(RSP)); this.i64(BigInt(8 + extra)); this.op(Op.i64_add); this.set(this.R(RSP));
    this.modified |= 1 << RSP;
  }
  /** Leave before instruction k (interpreter) unless the target in `local` is canonical. */
  private requireCanonical(local: number): void {
    this.get(local); this.i64(16n); this.op(Op.i64_shl); this.i64(16n); this.op(Op.i64_shr_s);
    this.get(local); this.op(Op.i64_ne);
    this.if();
    this.exit(this.k, this.cur.rip, -1, true);
    this.end();
  }
  private ret(extra: number): void {
    if (this.cur.prefix66) throw new Unsupported();
    this.get(this.R(RSP)); this.set(L_EA);
    this.host(8, ACC_READ, SEG_SS);
    this.loadMem(8); this.set(L_T0);
    this.requireCanonical(L_T0);
    this.get(this.R(RSP)); this.i64(BigInt(8 + extra)); this.op(Op.i64_add); this.set(this.R(RSP));
    this.modified |= 1 << RSP;
    this.exit(this.k + 1, 0n, L_T0);
  }
  private leave(): void {
    if (this.cur.prefix66) throw new Unsupported();
    this.get(this.R(RBP)); this.set(L_EA);
    this.host(8, ACC_READ, SEG_SS);
    this.loadMem(8); this.set(L_T0);
    this.get(this.R(RBP)); this.i64(8n); this.op(Op.i64_add); this.set(this.R(RSP));
    this.get(L_T0); this.set(this.R(RBP));
    this.modified |= (1 << RSP) | (1 << RBP);
  }
  private jcc(cc: number): void {
    const i = this.cur;
    if (i.prefix66) throw new Unsupported();
    // A side exit when taken; the block goes on with the fall-through.
    const t = this.target();
    this.cond(cc);
    this.if();
    this.exit(this.k + 1, t, -1, false, true);
    this.end();
  }
  private cmov(cc: number): void {
    const i = this.cur;
    const size = i.osize;
    this.readE(size); this.set(L_T0);
    this.cond(cc);
    this.if();
    this.setReg(i.reg, size, () => this.get(L_T0));
    if (size === 4) { // a 32-bit CMOV zero-extends its destination even when the condition is false
      this.else();
      this.setReg(i.reg, 4, () => this.get(this.R(i.reg)));
    }
    this.end();
  }
  private setcc(cc: number): void {
    const i = this.cur;
    if (i.mem) this.prepareWriteE(1);
    this.cond(cc); this.op(Op.i64_extend_i32_u); this.set(L_T0);
    this.writeE(1, () => this.get(L_T0));
    if (i.mem) this.afterWrite();
  }
  private xchgAx(r: number): void {
    const s = this.cur.osize;
    this.getReg(RAX, s); this.set(L_T0);
    this.getReg(r, s); this.set(L_T1);
    this.setReg(RAX, s, () => this.get(L_T1));
    this.setReg(r, s, () => this.get(L_T0));
  }
  private shift(): void {
    const i = this.cur;
    const size = (i.op & 1) === 0 ? 1 : i.osize;
    const byCl = i.op >= 0xd2;
    const count = i.op <= 0xc1 ? Number(i.imm & 0xffn) : 1;
    if (i.mem) {
      this.prepareWriteE(size); // writability is checked even when the count turns out to be 0
      if (!byCl && (count & (size === 8 ? 0x3f : 0x1f)) === 0) return;
      this.loadMem(size);
    } else this.getReg(i.rm, size);
    this.set(L_T0);
    this.flush();
    this.i32(i.reg & 7);
    this.i32(size);
    this.get(L_T0);
    if (byCl) { this.get(this.R(RCX)); this.op(Op.i32_wrap_i64); } else this.i32(count);
    this.call(FN.jitShift); this.set(L_T0);
    if (!i.mem) { this.setReg(i.rm, size, () => this.get(L_T0)); return; }
    if (byCl) { // a masked count of 0 writes nothing
      this.get(this.R(RCX)); this.op(Op.i32_wrap_i64); this.i32(size === 8 ? 0x3f : 0x1f); this.op(Op.i32_and);
      this.if();
    }
    this.store(size, () => this.get(L_T0));
    if (byCl) this.end();
    this.afterWrite();
  }
  private imul(withImm: boolean): void {
    const i = this.cur;
    const size = i.osize;
    this.readE(size); this.set(L_T0);
    this.flush();
    if (withImm) { this.get(L_T0); this.i64(i.imm); }
    else { this.getReg(i.reg, size); this.get(L_T0); }
    this.i32(size);
    this.call(FN.jitImul); this.set(L_T0);
    this.setReg(i.reg, size, () => this.get(L_T0));
  }
  private group3(): void {
    const i = this.cur;
    const size = i.op === 0xf6 ? 1 : i.osize;
    const sub = i.reg & 7;
    if (sub === 0 || sub === 1) { // TEST E, imm
      this.readE(size); this.set(L_T0);
      this.i64(i.imm & mask(size)); this.set(L_T1);
      this.logicFlags(size, () => { this.get(L_T0); this.get(L_T1); this.op(Op.i64_and); });
      return;
    }
    if (sub >= 4) { this.mulDiv(sub, size); return; }
    if (i.lock) { // NOT, NEG
      this.prepareAtomicE(size);
      if (sub === 2) { this.get(L_H); this.i64(mask(size)); this.rmw('xor', size); this.op(Op.drop); this.afterWrite(); return; }
      // NEG: compare-and-swap until no other writer got in between
      this.op(Op.loop); this.b.byte(0x40);
      this.get(L_H); this.mem(ATOMIC_LOAD[LOG2[size]], LOG2[size], 0); this.set(L_T0);
      this.get(L_H); this.get(L_T0);
      this.i64(0n); this.get(L_T0); this.op(Op.i64_sub);
      if (size !== 8) { this.i64(mask(size)); this.op(Op.i64_and); }
      this.tee(L_T2);
      this.rmw('cmpxchg', size);
      this.get(L_T0); this.op(Op.i64_ne); this.op(Op.br_if); this.b.u32(0);
      this.end();
      this.i64(0n); this.set(L_T1);
      this.setFlags(FL_NEG, size, L_T0, L_T1, L_T2);
      this.afterWrite();
      return;
    }
    if (i.mem) { this.prepareWriteE(size); this.loadMem(size); } else this.getReg(i.rm, size);
    this.set(L_T0);
    if (sub === 2) { // NOT: no flags
      this.get(L_T0); this.i64(mask(size)); this.op(Op.i64_xor); this.set(L_T2);
    } else { // NEG
      this.i64(0n); this.get(L_T0); this.op(Op.i64_sub);
      if (size !== 8) { this.i64(mask(size)); this.op(Op.i64_and); }
      this.set(L_T2);
      this.i64(0n); this.set(L_T1);
      this.setFlags(FL_NEG, size, L_T0, L_T1, L_T2);
    }
    this.writeE(size, () => this.get(L_T2));
    if (i.mem) this.afterWrite();
  }
  /** F6/F7 /4-/7: MUL, IMUL, DIV, IDIV through the core (wasm/exec/alu.ts), which raises #DE. */
  private mulDiv(sub: number, size: number): void {
    const signed = sub & 1;
    this.readE(size); this.set(L_T0);
    if (sub <= 5) {
      this.getReg(RAX, size); this.get(L_T0); this.i32(size); this.i32(signed);
      this.call(FN.jitMul); this.set(L_T1);
      this.flags = { kind: 'mem' }; // the core set them all (nothing it reads was left in the locals)
      if (size === 1) { this.setReg(RAX, 2, () => this.get(L_T1)); return; }
      this.gget(GL.mulDivHi); this.set(L_T2);
      this.setReg(RAX, size, () => this.get(L_T1));
      this.setReg(RDX, size, () => this.get(L_T2));
      return;
    }
    if (size === 1) { this.getReg(RAX, 2); this.i64(0n); } else { this.getReg(RAX, size); this.getReg(RDX, size); }
    this.get(L_T0); this.i32(size); this.i32(signed);
    this.call(FN.jitDiv); this.op(Op.i32_eqz);
    this.if();
    this.exit(this.k, this.cur.rip, -1, true); // #DE raised: nothing changed
    this.end();
    if (size === 1) {
      this.setReg(RAX, 2, () => { this.gget(GL.mulDivHi); this.i64(8n); this.op(Op.i64_shl); this.gget(GL.mulDivLo); this.op(Op.i64_or); });
      return;
    }
    this.setReg(RAX, size, () => this.gget(GL.mulDivLo));
    this.setReg(RDX, size, () => this.gget(GL.mulDivHi));
  }
  /** FE/FF: INC, DEC, CALL/JMP near indirect, PUSH. Returns true for the branches. */
  private group5(): boolean {
    const i = this.cur;
    const sub = i.reg & 7;
    const size = i.op === 0xfe ? 1 : i.osize;
    if (sub === 0 || sub === 1) {
      if (i.lock) {
        this.prepareAtomicE(size);
        this.get(L_H); this.i64(1n); this.rmw(sub === 0 ? 'add' : 'sub', size);
      } else if (i.mem) { this.prepareWriteE(size); this.loadMem(size); } else this.getReg(i.rm, size);
      this.set(L_T0);
      this.cf(); this.op(Op.i64_extend_i32_u); this.set(L_T1); // CF survives INC/DEC
      this.get(L_T0); this.i64(1n); this.op(sub === 0 ? Op.i64_add : Op.i64_sub);
      if (size !== 8) { this.i64(mask(size)); this.op(Op.i64_and); }
      this.set(L_T2);
      if (!i.lock) this.writeE(size, () => this.get(L_T2));
      this.get(L_T1); this.set(L_FEXP);
      this.i64(1n); this.set(L_T1);
      this.setFlags(sub === 0 ? FL_INC : FL_DEC, size, L_T0, L_T1, L_T2);
      if (i.mem) this.afterWrite();
      return false;
    }
    if (i.op === 0xfe || i.prefix66) throw new Unsupported();
    if (sub === 2 || sub === 4) { // CALL / JMP r/m64
      this.readE(8); this.set(L_T0);
      this.requireCanonical(L_T0);
      if (sub === 2) { this.i64(i.next); this.set(L_T1); this.push(L_T1, true); }
      this.exit(this.k + 1, 0n, L_T0);
      return true;
    }
    if (sub === 6) { this.readE(8); this.set(L_T1); this.push(L_T1); return false; }
    throw new Unsupported();
  }

  /** BT/BTS/BTR/BTC (op 0-3) with the bit offset in G or an imm8. */
  private bitTest(op: number, imm: boolean): void {
    const i = this.cur;
    const size = i.osize;
    const bit = (): void => {
      if (imm) this.i32(Number(i.imm & BigInt(size * 8 - 1)));
      else { this.get(this.R(i.reg)); this.op(Op.i32_wrap_i64); this.i32(size * 8 - 1); this.op(Op.i32_and); }
    };
    const m = i.mem;
    if (m) {
      this.ea(m);
      if (!imm) { // a bit string: the signed offset in G also selects the operand-sized word holding the bit
        this.get(L_EA);
        this.getReg(i.reg, size); this.sext(size); this.i64(BigInt(3 + LOG2[size])); this.op(Op.i64_shr_s);
        this.i64(BigInt(LOG2[size])); this.op(Op.i64_shl);
        this.op(Op.i64_add); this.set(L_EA);
      }
      if (op !== 0 && i.lock) {
        this.atomicHost(size);
        this.get(L_H);
        this.i64(1n); bit(); this.op(Op.i64_extend_i32_u); this.op(Op.i64_shl);
        if (op === 2) { this.i64(-1n); this.op(Op.i64_xor); }
        this.rmw(op === 1 ? 'or' : op === 2 ? 'and' : 'xor', size);
        this.set(L_T0);
        this.flush();
        this.i32(0); this.get(L_T0); bit(); this.call(FN.jitBitOp); this.op(Op.drop); // CF from the old value
        this.afterWrite();
        return;
      }
      this.host(size, op !== 0 ? ACC_WRITE : ACC_READ, m.faultSeg);
      this.loadMem(size);
    } else this.getReg(i.rm, size);
    this.set(L_T0);
    this.flush();
    this.i32(op); this.get(L_T0); bit(); this.call(FN.jitBitOp);
    if (op === 0) { this.op(Op.drop); return; }
    this.set(L_T2);
    this.writeE(size, () => this.get(L_T2));
    if (m) this.afterWrite();
  }
  /** 0F B0/B1 CMPXCHG: L_T0 = accumulator, L_T1 = destination's old value, flags as CMP. */
  private cmpxchg(): void {
    const i = this.cur;
    const size = i.op === 0x1b0 ? 1 : i.osize;
    if (i.lock) {
      this.prepareAtomicE(size);
      this.getReg(RAX, size); this.set(L_T0);
      this.get(L_H); this.get(L_T0); this.getReg(i.reg, size); this.rmw('cmpxchg', size); this.set(L_T1);
    } else if (i.mem) {
      this.prepareWriteE(size);
      this.loadMem(size); this.set(L_T1);
      this.getReg(RAX, size); this.set(L_T0);
      // The destination is always written: the source if equal, else its own value.
      this.store(size, () => {
        this.getReg(i.reg, size); this.get(L_T1);
        this.get(L_T0); this.get(L_T1); this.op(Op.i64_eq); this.op(Op.select);
      });
    } else {
      this.getReg(RAX, size); this.set(L_T0);
      this.getReg(i.rm, size); this.set(L_T1);
      this.getReg(i.reg, size); this.set(L_T3);
    }
    this.aluCompute(7, size);
    this.get(L_T0); this.get(L_T1); this.op(Op.i64_eq);
    this.if();
    if (!i.mem) this.setReg(i.rm, size, () => this.get(L_T3));
    this.else();
    if (!i.mem) this.setReg(i.rm, size, () => this.get(L_T1)); // written back, as the interpreter does
    this.setReg(RAX, size, () => this.get(L_T1));
    this.end();
    if (i.mem) this.afterWrite();
  }
  /** 0F C0/C1 XADD: L_T0 = destination's old value, L_T1 = source, L_T2 = sum. */
  private xadd(): void {
    const i = this.cur;
    const size = i.op === 0x1c0 ? 1 : i.osize;
    this.getReg(i.reg, size); this.set(L_T1);
    if (i.lock) {
      this.prepareAtomicE(size);
      this.get(L_H); this.get(L_T1); this.rmw('add', size);
    } else if (i.mem) { this.prepareWriteE(size); this.loadMem(size); } else this.getReg(i.rm, size);
    this.set(L_T0);
    this.aluCompute(0, size);
    if (i.mem && !i.lock) this.store(size, () => this.get(L_T2));
    this.setReg(i.reg, size, () => this.get(L_T0));
    if (!i.mem) this.setReg(i.rm, size, () => this.get(L_T2)); // after G: XADD r, r keeps the sum
    if (i.mem) this.afterWrite();
  }
  /** 0F BC/BD, F3 0F BC/BD/B8: the count and the flags from the core (wasm/exec/bits.ts). */
  private bitScan(kind: number): void {
    const i = this.cur;
    const size = i.osize;
    this.readE(size); this.set(L_T0);
    this.flush();
    this.i32(kind); this.i32(size); this.get(L_T0); this.get(this.R(i.reg));
    this.call(FN.jitBitScan); this.set(L_T1);
    this.setReg(i.reg, 8, () => this.get(L_T1));
  }
  private bswap(r: number): void {
    const size = this.cur.osize;
    if (size === 2) { this.setReg(r, 2, () => this.i64(0n)); return; } // undefined; the interpreter zeroes it
    const swap = (bits: bigint, m: bigint): void => {
      this.get(L_T0); this.i64(bits); this.op(Op.i64_shr_u); this.i64(m); this.op(Op.i64_and);
      this.get(L_T0); this.i64(m); this.op(Op.i64_and); this.i64(bits); this.op(Op.i64_shl);
      this.op(Op.i64_or); this.set(L_T0);
    };
    this.getReg(r, size); this.set(L_T0);
    if (size === 8) {
      swap(8n, 0x00ff00ff00ff00ffn);
      swap(16n, 0x0000ffff0000ffffn);
      this.setReg(r, 8, () => { this.get(L_T0); this.i64(32n); this.op(Op.i64_rotl); });
    } else {
      swap(8n, 0x00ff00ffn);
      swap(16n, 0x0000ffffn);
      this.setReg(r, 4, () => this.get(L_T0));
    }
  }

  /** Wrap the body: the prologue caches the core's vCPU and TLB addresses; the end is one more exit. */
  finish(count: number, next: bigint): Uint8Array {
    if (!this.endsWithBranch) this.exit(count, next, -1, false, true);
    this.op(Op.unreachable);
    const body = this.b.view();
    const out = new Bytes();
    out.byte(Op.global_get); out.u32(GL.cpu); out.byte(Op.local_set); out.u32(L_CPU);
    out.byte(Op.global_get); out.u32(GL.tlb); out.byte(Op.local_set); out.u32(L_TLB);
    out.bytes(body);
    return out.view().slice();
  }
}

/** Registers instruction `i` may read or write (a superset is fine: it only costs a load). */
function regsUsed(i: Insn): number {
  let m = 0;
  const add = (r: number): void => {
    m |= 1 << r;
    if (!i.hasRex && r >= 4 && r < 8) m |= 1 << (r - 4); // AH..BH live in RAX..RBX
  };
  if (i.mem) {
    if (i.mem.base >= 0) m |= 1 << i.mem.base;
    if (i.mem.index >= 0) m |= 1 << i.mem.index;
  } else if (i.mod === 3) add(i.rm);
  if (i.mod >= 0) add(i.reg);
  const op = i.op;
  if ((op >= 0x50 && op <= 0x5f) || (op >= 0x90 && op <= 0x97) || (op >= 0xb0 && op <= 0xbf) || (op >= 0x1c8 && op <= 0x1cf)) add(i.opReg);
  // Implicit operands: rAX, rCX (shift counts), rDX, rSP, rBP.
  if (op < 0x40 || (op >= 0x90 && op <= 0x99) || op === 0xa8 || op === 0xa9 || op === 0xf6 || op === 0xf7) m |= 1 << RAX;
  if (op === 0x1b0 || op === 0x1b1) m |= 1 << RAX;
  if (op === 0x99 || op === 0xf6 || op === 0xf7) m |= 1 << RDX;
  if (op === 0xd2 || op === 0xd3) m |= 1 << RCX;
  if ((op >= 0x50 && op <= 0x5f) || op === 0x68 || op === 0x6a || op === 0xc2 || op === 0xc3 || op === 0xc9 || op === 0xe8 || op === 0xff) m |= 1 << RSP;
  if (op === 0xc9) m |= 1 << RBP;
  return m;
}
