// Loads the AssemblyScript CPU core (build/core.wasm) and gives typed access to its vCPU state.
//
// Works in Node and in a Web Worker: the caller passes the wasm bytes or a compiled module; nothing
// here imports Node modules. The core shares one WebAssembly.Memory with us; its layout (vCPU blocks,
// guest RAM offset) comes from wasm/layout.ts and is never restated here.

import {
  GUEST_RAM_BASE,
  MAX_GUEST_RAM,
  MAX_VCPUS,
  SEG_ATTR,
  SEG_BASE,
  SEG_LIMIT,
  SEG_SEL,
  SEG_SIZE,
  V_GPR,
  V_RFLAGS,
  V_RIP,
  V_SEG,
  VCPU_BASE,
  VCPU_SIZE,
  WASM_PAGE,
} from '../../wasm/layout.ts';
import { Jit, DEFAULT_JIT_THRESHOLD } from '../jit/jit.ts';

/** General register numbers in encoding order (the order of the V_GPR array). */
export const Gpr = {
  RAX: 0,
  RCX: 1,
  RDX: 2,
  RBX: 3,
  RSP: 4,
  RBP: 5,
  RSI: 6,
  RDI: 7,
  R8: 8,
  R9: 9,
  R10: 10,
  R11: 11,
  R12: 12,
  R13: 13,
  R14: 14,
  R15: 15,
} as const;
export type Gpr = (typeof Gpr)[keyof typeof Gpr];

export interface SegmentState {
  sel: number;
  /** VMX-layout attributes: type[3:0] S[4] DPL[6:5] P[7] AVL[12] L[13] D/B[14] G[15]. */
  attr: number;
  limit: number;
  base: bigint;
}

/** The functions build/core.wasm exports (see the contract in wasm/layout.ts / the core's index.ts). */
export interface CoreExports {
  setRamSize(bytes: number): void;
  resetVcpu(vcpu: number): void;
  run(vcpu: number, budget: number): number;
  flushTlb(vcpu: number): void;
  translate(vcpu: number, linear: bigint, write: number): bigint;
  invalidateCode(gpa: number, len: number): void;
  /** Executions before the JIT compiles a block; 0 turns it off. Absent in cores without a JIT. */
  setJitThreshold?(n: number): void;
}

export interface CoreOptions {
  /** Executions before a block is compiled to wasm; 0 runs the interpreter only. */
  jitThreshold?: number;
}

const REQUIRED_EXPORTS: ReadonlyArray<keyof CoreExports> = [
  'setRamSize',
  'resetVcpu',
  'run',
  'flushTlb',
  'translate',
  'invalidateCode',
];

/** Typed view of one vCPU's state block. */
export class VcpuRegs {
  private readonly dv: DataView;
  constructor(
    buffer: ArrayBufferLike,
    readonly id: number,
  ) {
    this.dv = new DataView(buffer, VCPU_BASE + id * VCPU_SIZE, VCPU_SIZE);
  }
  u32(off: number): number {
    return this.dv.getUint32(off, true);
  }
  setU32(off: number, v: number): void {
    this.dv.setUint32(off, v >>> 0, true);
  }
  u64(off: number): bigint {
    return this.dv.getBigUint64(off, true);
  }
  setU64(off: number, v: bigint): void {
    this.dv.setBigUint64(off, BigInt.asUintN(64, v), true);
  }
  /** True if any bit of `mask` (a 32-bit mask) is set in the u64 at `off` (CR0, CR4, EFER, RFLAGS). */
  has(off: number, mask: number): boolean {
    return (this.u64(off) & BigInt(mask >>> 0)) !== 0n;
  }
  u8(off: number): number {
    return this.dv.getUint8(off);
  }
  gpr(r: Gpr): bigint {
    return this.u64(V_GPR + r * 8);
  }
  setGpr(r: Gpr, v: bigint): void {
    this.setU64(V_GPR + r * 8, v);
  }
  /** Low 32 bits of a general register. */
  gpr32(r: Gpr): number {
    return this.u32(V_GPR + r * 8);
  }
  get rip(): bigint {
    return this.u64(V_RIP);
  }
  set rip(v: bigint) {
    this.setU64(V_RIP, v);
  }
  get rflags(): bigint {
    return this.u64(V_RFLAGS);
  }
  set rflags(v: bigint) {
    this.setU64(V_RFLAGS, v);
  }
  seg(s: number): SegmentState {
    const o = V_SEG + s * SEG_SIZE;
    return { sel: this.u32(o + SEG_SEL), attr: this.u32(o + SEG_ATTR), limit: this.u32(o + SEG_LIMIT), base: this.u64(o + SEG_BASE) };
  }
  setSeg(s: number, v: SegmentState): void {
    const o = V_SEG + s * SEG_SIZE;
    this.setU32(o + SEG_SEL, v.sel);
    this.setU32(o + SEG_ATTR, v.attr);
    this.setU32(o + SEG_LIMIT, v.limit);
    this.setU64(o + SEG_BASE, v.base);
  }
}

/** Reads an AssemblyScript string (UTF-16LE, byte length at ptr-4) out of the core's memory. */
function readAsString(memory: WebAssembly.Memory, ptr: number): string {
  if (!ptr) return '(null)';
  const buf = new Uint8Array(memory.buffer);
  if (ptr < 4 || ptr > buf.length) return `(bad string pointer ${ptr})`;
  const len = new DataView(memory.buffer).getUint32(ptr - 4, true);
  if (ptr + len > buf.length) return `(bad string length at ${ptr})`;
  let s = '';
  for (let i = 0; i + 1 < len; i += 2) s += String.fromCharCode(buf[ptr + i] | (buf[ptr + i + 1] << 8));
  return s;
}

export class Core {
  private constructor(
    readonly memory: WebAssembly.Memory,
    readonly exports: CoreExports,
    readonly ramBytes: number,
    /** The JIT tier, when enabled (its statistics are in jit.stats). */
    readonly jit: Jit | null = null,
  ) {}

  /**
   * Instantiates the core with a shared memory big enough for `ramBytes` of guest RAM.
   * `ramBytes` must be a multiple of 64 KiB.
   */
  static async create(wasm: BufferSource | WebAssembly.Module, ramBytes: number, opts: CoreOptions = {}): Promise<Core> {
    if (ramBytes <= 0 || ramBytes % WASM_PAGE !== 0 || ramBytes > MAX_GUEST_RAM) {
      throw new RangeError(`guest RAM of ${ramBytes} bytes is not a positive multiple of 64 KiB up to ${MAX_GUEST_RAM}`);
    }
    const pages = (GUEST_RAM_BASE + ramBytes) / WASM_PAGE;
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const module = wasm instanceof WebAssembly.Module ? wasm : await WebAssembly.compile(wasm);
    const env: Record<string, WebAssembly.ImportValue> = {
      memory,
      abort: (msg: number, file: number, line: number, col: number) => {
        throw new Error(`core aborted: ${readAsString(memory, msg)} at ${readAsString(memory, file)}:${line}:${col}`);
      },
    };
    const jit = new Jit(memory);
    env.jitCompile = (queue: number) => jit.compile(queue);
    const imports: WebAssembly.Imports = { env };
    // Any other function import gets a stub that names itself, so a new core import fails loudly.
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.kind !== 'function') continue;
      const ns = (imports[imp.module] ??= {}) as Record<string, WebAssembly.ImportValue>;
      if (!(imp.name in ns)) {
        ns[imp.name] = () => {
          throw new Error(`core called import ${imp.module}.${imp.name}, which the host does not provide`);
        };
      }
    }
    const instance = await WebAssembly.instantiate(module, imports);
    const ex = instance.exports as unknown as CoreExports;
    for (const name of REQUIRED_EXPORTS) {
      if (typeof ex[name] !== 'function') throw new Error(`core.wasm does not export ${name}()`);
    }
    ex.setRamSize(ramBytes);
    const threshold = opts.jitThreshold ?? DEFAULT_JIT_THRESHOLD;
    const linked = threshold > 0 && jit.attach(instance.exports as Record<string, unknown>);
    if (linked) ex.setJitThreshold?.(threshold);
    return new Core(memory, ex, ramBytes, linked ? jit : null);
  }

  /**
   * Wraps an already-instantiated core (or a stand-in with the same exports, e.g. a scripted fake in
   * tests). `memory` must be laid out as wasm/layout.ts says and hold `ramBytes` of guest RAM.
   */
  static fromExports(memory: WebAssembly.Memory, exports: CoreExports, ramBytes: number): Core {
    if (memory.buffer.byteLength < GUEST_RAM_BASE + ramBytes) {
      throw new RangeError(`memory of ${memory.buffer.byteLength} bytes cannot hold ${ramBytes} bytes of guest RAM at ${GUEST_RAM_BASE}`);
    }
    exports.setRamSize(ramBytes);
    return new Core(memory, exports, ramBytes);
  }

  /** Guest RAM as bytes: index = guest-physical address. */
  ram(): Uint8Array {
    return new Uint8Array(this.memory.buffer, GUEST_RAM_BASE, this.ramBytes);
  }

  vcpu(id: number): VcpuRegs {
    if (id < 0 || id >= MAX_VCPUS) throw new RangeError(`vCPU ${id} out of range`);
    return new VcpuRegs(this.memory.buffer, id);
  }
}
