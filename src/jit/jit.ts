// The JIT tier's host side: the core calls jitCompile() when a block at a guest address gets hot;
// we decode it, generate a wasm function, instantiate it against the core's memory, globals and
// helpers, and put it in the core's function table for run() to call. Everything a block needs
// comes from the core instance; the JIT holds no guest state of its own.
import { buildModule, I32, I64, type Import } from './wasm-builder.ts';
import { compileBlock } from './codegen.ts';
import { decodeInsn, type Insn } from './x86-decode.ts';
import { JB_FN, PAGE_SIZE } from '../../wasm/layout.ts';

/** Longest block, in instructions. */
const MAX_BLOCK = 64;
/** Executions before a block is compiled (the core counts). */
export const DEFAULT_JIT_THRESHOLD = 200;

export interface JitStats {
  /** Blocks compiled and the instructions in them. */
  blocks: number;
  instructions: number;
  /** Block starts the JIT could not translate (their first instruction is outside its subset). */
  refused: number;
  /** Blocks whose generated module failed to compile or link: always a JIT bug. */
  errors: number;
  lastError: string;
  /** Time spent compiling, ms. */
  compileMs: number;
}

/** Exports of the core a block links against. */
interface CoreJitExports {
  table: WebAssembly.Table;
  [name: string]: unknown;
}

const FUNC_IMPORTS: Array<[string, { params: Array<typeof I32 | typeof I64>; results: Array<typeof I32 | typeof I64> }]> = [
  ['jitHost', { params: [I64, I32, I32, I32], results: [I32] }],
  ['jitCond', { params: [I32], results: [I32] }],
  ['jitGetCF', { params: [], results: [I32] }],
  ['jitShift', { params: [I32, I32, I64, I32], results: [I64] }],
  ['jitImul', { params: [I64, I64, I32], results: [I64] }],
];
const GLOBAL_IMPORTS: Array<[string, typeof I32 | typeof I64]> = [
  ['cpu', I32], ['curRip', I64], ['tlb', I32], ['readReq', I32], ['writeReq', I32], ['fault', I32], ['attention', I32],
  ['lzOp', I32], ['lzA', I64], ['lzB', I64], ['lzRes', I64], ['lzSize', I32], ['lzExplicit', I64],
];

export class Jit {
  readonly stats: JitStats = { blocks: 0, instructions: 0, refused: 0, errors: 0, lastError: '', compileMs: 0 };
  private table: WebAssembly.Table | null = null;
  private linkImports: WebAssembly.Imports | null = null;
  private readonly importDecls: Import[];
  private readonly u8: Uint8Array;
  private readonly dv: DataView;

  constructor(private readonly memory: WebAssembly.Memory) {
    this.u8 = new Uint8Array(memory.buffer);
    this.dv = new DataView(memory.buffer);
    this.importDecls = [
      ...FUNC_IMPORTS.map(([name, type]): Import => ({ module: 'core', name, kind: 'func', type })),
      ...GLOBAL_IMPORTS.map(([name, type]): Import => ({ module: 'core', name, kind: 'global', type, mutable: true })),
      { module: 'core', name: 'memory', kind: 'memory', shared: true, min: 0, max: 65536 },
    ];
  }

  /** Link to an instantiated core; returns false if it lacks the JIT interface. */
  attach(exports: Record<string, unknown>): boolean {
    const ex = exports as CoreJitExports;
    if (!(ex.table instanceof WebAssembly.Table)) return false;
    const core: Record<string, WebAssembly.ImportValue> = { memory: this.memory };
    for (const [name] of FUNC_IMPORTS) {
      if (typeof ex[name] !== 'function') return false;
      core[name] = ex[name] as WebAssembly.ImportValue;
    }
    for (const [name] of GLOBAL_IMPORTS) {
      if (!(ex[name] instanceof WebAssembly.Global)) return false;
      core[name] = ex[name] as WebAssembly.Global;
    }
    this.table = ex.table;
    this.linkImports = { core };
    return true;
  }

  /** Decode the block at memory offset `host` (guest linear `rip`): up to the page end, a branch, or MAX_BLOCK. */
  decodeBlock(host: number, rip: bigint): Insn[] {
    const pageEnd = (host & ~(PAGE_SIZE - 1)) + PAGE_SIZE;
    const bytes = this.u8.subarray(0, pageEnd);
    const out: Insn[] = [];
    let off = host;
    let ip = rip;
    while (out.length < MAX_BLOCK) {
      const i = decodeInsn(bytes, off, ip);
      if (!i) break;
      out.push(i);
      off += i.len;
      ip = i.next;
      if (isBranch(i)) break;
    }
    return out;
  }

  /** The core's jitCompile import: compile into block entry `entry`; returns the block's length or 0. */
  compile(host: number, rip: bigint, entry: number): number {
    if (!this.table || !this.linkImports) return 0;
    const t0 = performance.now();
    try {
      const insns = this.decodeBlock(host, rip);
      const block = insns.length ? compileBlock(insns) : null;
      if (!block) { this.stats.refused++; return 0; }
      const bytes = buildModule(this.importDecls, [{ type: { params: [], results: [I32] }, locals: block.locals, code: block.code, exportName: 'b' }]);
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), this.linkImports);
      let slot = this.dv.getUint32(entry + JB_FN, true);
      if (slot === 0) {
        slot = this.table.grow(1);
        this.dv.setUint32(entry + JB_FN, slot, true);
      }
      this.table.set(slot, instance.exports.b as WebAssembly.ExportValue);
      this.stats.blocks++;
      this.stats.instructions += block.count;
      return block.count;
    } catch (e) {
      this.stats.errors++;
      this.stats.lastError = `block at ${rip.toString(16)}: ${(e as Error).message}`;
      return 0;
    } finally {
      this.stats.compileMs += performance.now() - t0;
    }
  }
}

function isBranch(i: Insn): boolean {
  const op = i.op;
  return (op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f) || op === 0xc2 || op === 0xc3 ||
    op === 0xe8 || op === 0xe9 || op === 0xeb || ((op === 0xff) && ((i.reg & 7) === 2 || (i.reg & 7) === 4));
}
