// Emulator side of the differential fuzzer: one build/core.wasm instance running each case in a
// real 64-bit user-mode environment (4-level paging, GDT, TSS, IDT) that mirrors the native
// harness's address space: code page at 0x70000000 (user, read+exec), data at 0x60000000 (user,
// read/write, NX), selectors as Linux sets them for a 64-bit process (CS 0x33, SS 0x2B, DS=ES 0).
import { Jit } from '../../src/jit/jit.ts';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as L from '../../wasm/layout.ts';
import { CODE_VA, DATA_SIZE, DATA_VA, INSN_OFF, INSN_VA } from './forms.ts';
import { HEADER, NPATCH, NXOVR, REC_IN, SIMD_SIZE } from './gen.ts';

export const RAM_SIZE = 16 << 20;

// guest-physical layout
const PML4 = 0x1000, PDPT = 0x2000, PD = 0x3000, PT_DATA = 0x4000, PT_CODE = 0x5000, PT_SYS = 0x6000;
const GDT_PA = 0x7000, IDT_PA = 0x8000, TSS_PA = 0x9000, STUB_PA = 0xa000, KSTACK_PA = 0xb000;
const DATA_PA = 0x10000, CODE_PA = 0x12000;
// supervisor virtual addresses (PT_SYS maps 0x40000000.. to GDT_PA..)
const SYS_VA = 0x40000000n;
const GDT_VA = SYS_VA, IDT_VA = SYS_VA + 0x1000n, TSS_VA = SYS_VA + 0x2000n, STUB_VA = SYS_VA + 0x3000n;
const KSTACK_TOP = SYS_VA + 0x6000n;
const STUB_SIZE = 16;
const NVEC = 32;
const SEL_KCODE = 0x10, SEL_UCODE = 0x33, SEL_UDATA = 0x2b, SEL_TSS = 0x40;
const ERRCODE_VECTORS = new Set([8, 10, 11, 12, 13, 14, 17, 21, 29, 30]);

const P = 1n, RW = 2n, US = 4n, NX = 1n << 63n;

export interface CoreOutcome {
  kind: 'done' | 'exception' | 'unimplemented' | 'error';
  gpr: BigUint64Array;
  rflags: bigint;
  rip: bigint;
  vector: number; // -1 when the instruction completed
  err: bigint;
  cr2: bigint;
  note: string;
}

export class CoreRunner {
  readonly memory: WebAssembly.Memory;
  private exp: {
    setRamSize(n: number): void;
    resetVcpu(v: number): void;
    run(v: number, budget: number): number;
    flushTlb(v: number): void;
    invalidateCode(gpa: bigint | number, len: number): void;
    setJitThreshold(n: number): void;
  };
  private u8: Uint8Array;
  private u32: Uint32Array;
  private u64: BigUint64Array;
  private dv: DataView;
  private cpu = L.VCPU_BASE;
  private lastLen = 0;
  /** the data region as loaded for the current case (for the memory comparison) */
  readonly initial = new Uint8Array(DATA_SIZE);
  private initial32 = new Uint32Array(this.initial.buffer);
  private invalidateTakesBigInt = false;
  /** the SIMD state block (see harness.c) as loaded for the current case */
  readonly simdInitial = new Uint8Array(SIMD_SIZE);

  /** The JIT tier when the runner was asked to compile every case (jitThreshold > 0). */
  readonly jit: Jit | null;

  constructor(wasmPath = resolve(import.meta.dirname ?? '.', '../../build/core.wasm'), jitThreshold = 0) {
    const pages = (L.GUEST_RAM_BASE + RAM_SIZE) / L.WASM_PAGE;
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const mod = new WebAssembly.Module(readFileSync(wasmPath));
    const jit = new Jit(this.memory);
    const inst = new WebAssembly.Instance(mod, {
      env: {
        memory: this.memory,
        abort: (msg: number, file: number, line: number, col: number) => {
          throw new Error(`core abort at ${this.str(file)}:${line}:${col}: ${this.str(msg)}`);
        },
        jitCompile: (queue: number) => jit.compile(queue),
        seed: () => 0,
        trace: () => {},
      },
    });
    this.exp = inst.exports as any;
    this.jit = jitThreshold > 0 && jit.attach(inst.exports as Record<string, unknown>) ? jit : null;
    if (this.jit) this.exp.setJitThreshold(jitThreshold);
    for (const k of ['setRamSize', 'resetVcpu', 'run', 'flushTlb', 'invalidateCode']) {
      if (typeof (this.exp as any)[k] !== 'function') throw new Error(`core.wasm does not export ${k}`);
    }
    const inv = WebAssembly.Module.exports(mod).find((e) => e.name === 'invalidateCode');
    void inv;
    const buf = this.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.u32 = new Uint32Array(buf);
    this.u64 = new BigUint64Array(buf);
    this.dv = new DataView(buf);
    this.exp.setRamSize(RAM_SIZE);
    this.exp.resetVcpu(0);
    this.buildMachine();
    // invalidateCode(gpa: u64, len) takes a BigInt if gpa is i64
    try {
      this.exp.invalidateCode(CODE_PA, 4096);
    } catch {
      this.invalidateTakesBigInt = true;
      this.exp.invalidateCode(BigInt(CODE_PA), 4096);
    }
  }

  private str(ptr: number): string {
    if (!ptr) return '';
    const len = this.u32[(ptr - 4) >>> 2] >>> 1;
    let s = '';
    for (let i = 0; i < len; i++) s += String.fromCharCode(this.dv.getUint16(ptr + 2 * i, true));
    return s;
  }

  private pw64(pa: number, v: bigint) {
    this.dv.setBigUint64(L.GUEST_RAM_BASE + pa, v, true);
  }
  private vw64(off: number, v: bigint) {
    this.u64[(this.cpu + off) >>> 3] = v;
  }
  private vr64(off: number): bigint {
    return this.u64[(this.cpu + off) >>> 3];
  }
  private vw32(off: number, v: number) {
    this.u32[(this.cpu + off) >>> 2] = v;
  }
  private setSeg(seg: number, sel: number, attr: number, limit: number, base: bigint) {
    const o = L.V_SEG + seg * L.SEG_SIZE;
    this.vw32(o + L.SEG_SEL, sel);
    this.vw32(o + L.SEG_ATTR, attr);
    this.vw32(o + L.SEG_LIMIT, limit);
    this.vw64(o + L.SEG_BASE, base);
  }

  private buildMachine() {
    const R = L.GUEST_RAM_BASE;
    this.u8.fill(0, R, R + 0x20000);
    // page tables
    this.pw64(PML4, BigInt(PDPT) | P | RW | US);
    this.pw64(PDPT + 8 * 1, BigInt(PD) | P | RW | US); // 0x40000000..0x7fffffff
    this.pw64(PD + 8 * 0x000, BigInt(PT_SYS) | P | RW | US); // 0x40000000
    this.pw64(PD + 8 * 0x100, BigInt(PT_DATA) | P | RW | US); // 0x60000000
    this.pw64(PD + 8 * 0x180, BigInt(PT_CODE) | P | RW | US); // 0x70000000
    this.pw64(PT_DATA + 0, BigInt(DATA_PA) | P | RW | US | NX);
    this.pw64(PT_DATA + 8, BigInt(DATA_PA + 0x1000) | P | RW | US | NX);
    this.pw64(PT_CODE + 0, BigInt(CODE_PA) | P | US);
    this.pw64(PT_SYS + 0, BigInt(GDT_PA) | P | RW | NX);
    this.pw64(PT_SYS + 8, BigInt(IDT_PA) | P | NX);
    this.pw64(PT_SYS + 16, BigInt(TSS_PA) | P | RW | NX);
    this.pw64(PT_SYS + 24, BigInt(STUB_PA) | P);
    this.pw64(PT_SYS + 32, BigInt(KSTACK_PA) | P | RW | NX);
    this.pw64(PT_SYS + 40, BigInt(KSTACK_PA + 0x1000) | P | RW | NX);
    // GDT, Linux's layout
    this.pw64(GDT_PA + 0x08, 0x00cf9b000000ffffn);
    this.pw64(GDT_PA + 0x10, 0x00af9b000000ffffn); // kernel code 64
    this.pw64(GDT_PA + 0x18, 0x00cf93000000ffffn); // kernel data
    this.pw64(GDT_PA + 0x20, 0x00cffb000000ffffn); // user code 32
    this.pw64(GDT_PA + 0x28, 0x00cff3000000ffffn); // user data
    this.pw64(GDT_PA + 0x30, 0x00affb000000ffffn); // user code 64
    const tb = TSS_VA;
    const tssLo = 0x67n | ((tb & 0xffffffn) << 16n) | (0x8bn << 40n) | (((tb >> 24n) & 0xffn) << 56n);
    this.pw64(GDT_PA + SEL_TSS, tssLo);
    this.pw64(GDT_PA + SEL_TSS + 8, tb >> 32n);
    // TSS: RSP0, no I/O bitmap
    this.pw64(TSS_PA + 4, KSTACK_TOP);
    this.dv.setUint16(R + TSS_PA + 0x66, 0x68, true);
    // IDT: interrupt gates (DPL0; DPL3 for #BP and #OF, as Linux) to stubs that just VMCALL
    for (let v = 0; v < NVEC; v++) {
      const off = STUB_VA + BigInt(v * STUB_SIZE);
      const dpl = v === 3 || v === 4 ? 3n : 0n;
      const lo = (off & 0xffffn) | (BigInt(SEL_KCODE) << 16n) | ((0x8en | (dpl << 5n)) << 40n) | (((off >> 16n) & 0xffffn) << 48n);
      this.pw64(IDT_PA + v * 16, lo);
      this.pw64(IDT_PA + v * 16 + 8, off >> 32n);
      const s = R + STUB_PA + v * STUB_SIZE;
      this.u8.set([0x0f, 0x01, 0xc1, 0xf4, 0xeb, 0xfd], s);
    }
    // code page: 0xCC everywhere (branch landings trap with #BP)
    this.u8.fill(0xcc, R + CODE_PA, R + CODE_PA + 0x1000);
  }

  /** system state for user mode; rewritten for every case (exception delivery changes it) */
  private loadSystemState() {
    this.vw64(L.V_CR0, 0x80010033n);
    this.vw64(L.V_CR3, BigInt(PML4));
    this.vw64(L.V_CR4, 0x620n);
    this.vw64(L.V_EFER, 0xd01n);
    this.vw64(L.V_GDTR_BASE, GDT_VA);
    this.vw32(L.V_GDTR_LIMIT, 0x4f);
    this.vw64(L.V_IDTR_BASE, IDT_VA);
    this.vw32(L.V_IDTR_LIMIT, NVEC * 16 - 1);
    this.setSeg(L.SEG_CS, SEL_UCODE, 0xa0fb, 0xffffffff, 0n);
    this.setSeg(L.SEG_SS, SEL_UDATA, 0xc0f3, 0xffffffff, 0n);
    this.setSeg(L.SEG_DS, 0, 0xc0f3, 0xffffffff, 0n);
    this.setSeg(L.SEG_ES, 0, 0xc0f3, 0xffffffff, 0n);
    this.setSeg(L.SEG_FS, 0, 0xc0f3, 0xffffffff, 0n);
    this.setSeg(L.SEG_GS, 0, 0xc0f3, 0xffffffff, 0n);
    this.setSeg(L.SEG_LDTR, 0, 0x82, 0, 0n);
    this.setSeg(L.SEG_TR, SEL_TSS, 0x8b, 0x67, TSS_VA);
    this.vw32(L.V_PENDING_VALID, 0);
    this.vw32(L.V_EXTINT_VALID, 0);
    this.vw32(L.V_HALTED, 0);
    this.vw32(L.V_INT_SHADOW, 0);
    this.vw32(L.V_FAULT_COUNT, 0);
    this.vw32(L.V_IO_PENDING, 0);
  }

  private first = true;

  /** Load case `i` of the harness input `buf` and run it to its end. */
  runCase(buf: Uint8Array, i: number): CoreOutcome {
    const R = L.GUEST_RAM_BASE;
    const rec = HEADER + (buf.length >= HEADER ? new DataView(buf.buffer, buf.byteOffset).getUint32(12, true) : 0) + i * REC_IN;
    const dv = new DataView(buf.buffer, buf.byteOffset);
    const len = dv.getUint32(rec + 16, true);
    const poolOff = dv.getUint32(rec + 20, true);
    // data region
    this.initial.set(buf.subarray(HEADER + poolOff, HEADER + poolOff + DATA_SIZE));
    for (let p = 0; p < NPATCH; p++) {
      const off = dv.getUint32(rec + 160 + p * 24, true);
      const plen = dv.getUint32(rec + 164 + p * 24, true);
      if (plen && plen <= 16 && off + plen <= DATA_SIZE) this.initial.set(buf.subarray(rec + 168 + p * 24, rec + 168 + p * 24 + plen), off);
    }
    this.u8.set(this.initial, R + DATA_PA);
    // code
    const code = R + CODE_PA + INSN_OFF;
    this.u8.fill(0xcc, code, code + this.lastLen + 3);
    this.u8.set(buf.subarray(rec, rec + len), code);
    this.u8.set([0x0f, 0x01, 0xc1], code + len);
    this.lastLen = len;
    const inv = Math.max(len + 3, 16);
    if (this.invalidateTakesBigInt) this.exp.invalidateCode(BigInt(CODE_PA + INSN_OFF), inv);
    else this.exp.invalidateCode(CODE_PA + INSN_OFF, inv);
    // registers
    for (let g = 0; g < 16; g++) this.vw64(L.V_GPR + 8 * g, dv.getBigUint64(rec + 24 + g * 8, true));
    this.vw64(L.V_RIP, INSN_VA);
    this.vw64(L.V_RFLAGS, (dv.getBigUint64(rec + 152, true) & ~0x100n) | 0x202n);
    this.loadSystemState();
    // SIMD state: base block from the pool, register overrides, MXCSR/FSW/FTW
    const sb = this.simdInitial;
    const soff = dv.getUint32(rec + 256, true);
    sb.fill(0);
    sb.set(buf.subarray(HEADER + soff, HEADER + soff + 384), 0);
    for (let k = 0; k < 8; k++) sb.fill(0, 256 + 16 * k + 10, 256 + 16 * k + 16);
    sb.set(buf.subarray(rec + 260, rec + 264), 384);
    sb.set(buf.subarray(rec + 264, rec + 266), 388);
    sb[390] = buf[rec + 266];
    for (let k = 0; k < NXOVR; k++) {
      const idx = dv.getUint32(rec + 272 + k * 24, true);
      if (idx < 16) sb.set(buf.subarray(rec + 280 + k * 24, rec + 296 + k * 24), 16 * idx);
      else if (idx < 24) sb.set(buf.subarray(rec + 280 + k * 24, rec + 290 + k * 24), 256 + 16 * (idx - 16));
    }
    const fx = this.cpu + L.V_FXSAVE;
    this.u8.set(sb.subarray(0, 256), fx + L.FX_XMM);
    this.u8.fill(0, fx + L.FX_ST, fx + L.FX_ST + 128);
    for (let k = 0; k < 8; k++) this.u8.set(sb.subarray(256 + 16 * k, 266 + 16 * k), fx + L.FX_ST + 16 * k);
    this.dv.setUint32(fx + L.FX_MXCSR, new DataView(sb.buffer).getUint32(384, true), true);
    this.dv.setUint16(fx + L.FX_FSW, new DataView(sb.buffer).getUint16(388, true), true);
    this.u8[fx + L.FX_FTW] = sb[390];
    this.dv.setUint16(fx + L.FX_FCW, 0x37f, true);
    if (this.first) {
      this.exp.flushTlb(0);
      this.first = false;
    }
    const insnEnd = INSN_VA + BigInt(len);
    return this.execute(insnEnd);
  }

  private outcome(kind: CoreOutcome['kind'], vector: number, note = ''): CoreOutcome {
    const gpr = new BigUint64Array(16);
    for (let g = 0; g < 16; g++) gpr[g] = this.vr64(L.V_GPR + 8 * g);
    return { kind, gpr, rflags: this.vr64(L.V_RFLAGS), rip: this.vr64(L.V_RIP), vector, err: 0n, cr2: 0n, note };
  }

  private execute(insnEnd: bigint): CoreOutcome {
    for (let round = 0; round < 20; round++) {
      let exit: number;
      try {
        exit = this.exp.run(0, 1000);
      } catch (e) {
        return this.outcome('error', -2, `core trapped: ${(e as Error).message}`);
      }
      if (exit === L.EXIT_BUDGET || exit === L.EXIT_PAUSE) continue;
      if (exit === L.EXIT_UNIMPLEMENTED) {
        const rip = this.vr64(L.V_EXIT_RIP) || this.vr64(L.V_RIP);
        const bytes = this.u8.subarray(this.cpu + L.V_EXIT_BYTES, this.cpu + L.V_EXIT_BYTES + 16);
        if (rip === insnEnd) {
          // the sentinel VMCALL itself: the instruction completed
          const o = this.outcome('done', -1);
          o.rip = insnEnd;
          return o;
        }
        const at = rip === INSN_VA ? '' : ` at rip ${rip.toString(16)}`;
        return this.outcome('unimplemented', -2, `unimplemented: ${hex(bytes.subarray(0, 15))}${at}`);
      }
      if (exit !== L.EXIT_HYPERCALL) {
        return this.outcome('error', -2, `core exit ${exitName(exit)} at rip ${this.vr64(L.V_RIP).toString(16)}`);
      }
      const rip = this.vr64(L.V_RIP);
      if (rip === insnEnd + 3n) {
        const o = this.outcome('done', -1);
        o.rip = insnEnd;
        return o;
      }
      const s = rip - 3n - STUB_VA;
      if (s >= 0n && s < BigInt(NVEC * STUB_SIZE) && s % BigInt(STUB_SIZE) === 0n) {
        const v = Number(s / BigInt(STUB_SIZE));
        const o = this.outcome('exception', v);
        let sp = this.vr64(L.V_GPR + 8 * 4);
        const rd = (a: bigint) => {
          const pa = Number(a - SYS_VA) - 0x4000 + KSTACK_PA;
          if (pa < KSTACK_PA || pa + 8 > KSTACK_PA + 0x2000) throw new Error('frame outside kernel stack');
          return this.dv.getBigUint64(L.GUEST_RAM_BASE + pa, true);
        };
        try {
          if (ERRCODE_VECTORS.has(v)) {
            o.err = rd(sp);
            sp += 8n;
          }
          o.rip = rd(sp);
          const cs = rd(sp + 8n);
          o.rflags = rd(sp + 16n);
          o.gpr[4] = rd(sp + 24n);
          if (sp + 40n !== KSTACK_TOP) o.note = `kernel stack frame misplaced (rsp ${sp.toString(16)})`;
          if ((cs & 0xffffn) !== BigInt(SEL_UCODE)) o.note = `exception frame CS ${cs.toString(16)} (fault not from user mode)`;
        } catch (e) {
          return this.outcome('error', -2, `exception ${v}: ${(e as Error).message}`);
        }
        if (v === 14) o.cr2 = this.vr64(L.V_CR2);
        if ((v === 6 || v === 13) && o.rip === insnEnd) {
          o.kind = 'done';
          o.vector = -1;
        }
        return o;
      }
      return this.outcome('error', -2, `VMCALL from unexpected rip ${rip.toString(16)}`);
    }
    return this.outcome('error', -2, 'no end after 20000 instructions');
  }

  /** the 8-byte word at data-region offset `off` after the case ran, and before */
  dataWord(off: number): bigint {
    return this.dv.getBigUint64(L.GUEST_RAM_BASE + DATA_PA + off, true);
  }
  initialWord(off: number): bigint {
    return new DataView(this.initial.buffer).getBigUint64(off, true);
  }
  /** the SIMD state block now (same layout as simdInitial) */
  simdNow(): Uint8Array {
    const b = new Uint8Array(SIMD_SIZE);
    const fx = this.cpu + L.V_FXSAVE;
    b.set(this.u8.subarray(fx + L.FX_XMM, fx + L.FX_XMM + 256), 0);
    for (let k = 0; k < 8; k++) b.set(this.u8.subarray(fx + L.FX_ST + 16 * k, fx + L.FX_ST + 16 * k + 10), 256 + 16 * k);
    b.set(this.u8.subarray(fx + L.FX_MXCSR, fx + L.FX_MXCSR + 4), 384);
    b.set(this.u8.subarray(fx + L.FX_FSW, fx + L.FX_FSW + 2), 388);
    b[390] = this.u8[fx + L.FX_FTW];
    return b;
  }
  /** offsets of the 8-byte words whose contents changed */
  changedWords(): number[] {
    const base = (L.GUEST_RAM_BASE + DATA_PA) >>> 2;
    const out: number[] = [];
    const a = this.u32, b = this.initial32;
    for (let i = 0; i < DATA_SIZE / 4; i += 2) {
      if (a[base + i] !== b[i] || a[base + i + 1] !== b[i + 1]) out.push(i * 4);
    }
    return out;
  }
}

export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

function exitName(e: number): string {
  for (const [k, v] of Object.entries(L)) if (k.startsWith('EXIT_') && v === e) return k;
  return String(e);
}

void CODE_VA;
void DATA_VA;
