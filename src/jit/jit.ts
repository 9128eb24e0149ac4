// The JIT tier's host side: the core calls jitCompile() when a block at a guest address gets hot;
// we decode it, generate a wasm function, instantiate it against the core's memory, globals and
// helpers, and put it in the core's function table for run() to call. Everything a block needs
// comes from the core instance; the JIT holds no guest state of its own.
import { buildModule, Bytes, I32, I64, Op, type FuncBody, type Import } from './wasm-builder.ts';
import { BLOCK_TYPE, compileBlock } from './codegen.ts';
import { decodeInsn, type Insn } from './x86-decode.ts';
import {
  JB_COUNT, JB_FN, JB_HOST, JB_RIP, JB_STATE, JBS_QUEUED, JIT_LINK_SIZE, JIT_LINKS, JIT_LINKS_BASE, JL_EPOCH, JL_SLOT, PAGE_SIZE,
} from '../../wasm/layout.ts';

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
  /** Time spent compiling, ms: all of it, and the part inside WebAssembly.Module/Instance. */
  compileMs: number;
  wasmMs: number;
  /** Instructions executed inside compiled blocks, and calls into them. */
  executed: number;
  runs: number;
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
  ['jitBitOp', { params: [I32, I64, I32], results: [I64] }],
  ['jitMul', { params: [I64, I64, I32, I32], results: [I64] }],
  ['jitDiv', { params: [I64, I64, I64, I32, I32], results: [I32] }],
  ['jitBitScan', { params: [I32, I32, I64, I64], results: [I64] }],
  // Not a core export: the trampoline below, (done, left, slot) -> tail call of table[slot](done, left).
  ['jitChain', { params: [I32, I32, I32], results: [I32] }],
];
const GLOBAL_IMPORTS: Array<[string, typeof I32 | typeof I64]> = [
  ['cpu', I32], ['curRip', I64], ['tlb', I32], ['readReq', I32], ['writeReq', I32], ['fault', I32], ['attention', I32],
  ['lzOp', I32], ['lzA', I64], ['lzB', I64], ['lzRes', I64], ['lzSize', I32], ['lzExplicit', I64],
  ['linkEpoch', I32], ['lastLink', I32], ['mulDivLo', I64], ['mulDivHi', I64],
];

export class Jit {
  private readonly stats_: JitStats = { blocks: 0, instructions: 0, refused: 0, errors: 0, lastError: '', compileMs: 0, wasmMs: 0, executed: 0, runs: 0 };
  private counters: { executed: WebAssembly.Global; runs: WebAssembly.Global } | null = null;
  get stats(): JitStats {
    if (this.counters) {
      this.stats_.executed = Number(this.counters.executed.value);
      this.stats_.runs = Number(this.counters.runs.value);
    }
    return this.stats_;
  }
  private table: WebAssembly.Table | null = null;
  private linkEpoch: WebAssembly.Global | null = null;
  /** Next unused function table slot (0 until the first block: the core's own functions come first). */
  private nextSlot = 0;
  /** Next chaining cell to hand out (cells are recycled wholesale by moving the link epoch on). */
  private nextCell = 0;
  private readonly allocCell = (): number => {
    if (this.nextCell === JIT_LINKS) {
      this.nextCell = 0;
      this.linkEpoch!.value = (this.linkEpoch!.value + 1) | 0; // every link made so far is void
    }
    const cell = JIT_LINKS_BASE + JIT_LINK_SIZE * this.nextCell++;
    this.dv.setUint32(cell + JL_SLOT, 0, true);
    this.dv.setUint32(cell + JL_EPOCH, 0, true);
    return cell;
  };
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
      if (name === 'jitChain') continue;
      if (typeof ex[name] !== 'function') return false;
      core[name] = ex[name] as WebAssembly.ImportValue;
    }
    core.jitChain = chainTrampoline(ex.table);
    for (const [name] of GLOBAL_IMPORTS) {
      if (!(ex[name] instanceof WebAssembly.Global)) return false;
      core[name] = ex[name] as WebAssembly.Global;
    }
    this.table = ex.table;
    this.linkEpoch = ex.linkEpoch as WebAssembly.Global;
    if (ex.jitExecuted instanceof WebAssembly.Global && ex.jitRuns instanceof WebAssembly.Global) {
      this.counters = { executed: ex.jitExecuted, runs: ex.jitRuns };
    }
    this.linkImports = { core };
    return true;
  }

  /**
   * Decode the block at memory offset `host` (guest linear `rip`): a trace through conditional
   * branches (side exits) and forward direct JMP/CALL within the page, ending at an indirect
   * branch, a backward or off-page jump, an instruction outside the JIT's subset, the page end, or
   * MAX_BLOCK. (Following backward jumps would unroll loops into long traces: slower here.)
   */
  decodeBlock(host: number, rip: bigint): Insn[] {
    const pageBase = host & ~(PAGE_SIZE - 1);
    const bytes = this.u8.subarray(0, pageBase + PAGE_SIZE);
    const ripToOff = (ip: bigint): number => host + Number(BigInt.asIntN(64, ip - rip));
    const out: Insn[] = [];
    let off = host;
    let ip = rip;
    while (out.length < MAX_BLOCK) {
      const i = decodeInsn(bytes, off, ip);
      if (!i) break;
      out.push(i);
      if (i.op === 0xe8 || i.op === 0xe9 || i.op === 0xeb) {
        const t = BigInt.asUintN(64, i.next + i.imm);
        const toff = ripToOff(t);
        if (t <= i.rip || toff < pageBase || toff >= pageBase + PAGE_SIZE || out.length === MAX_BLOCK) break;
        i.followed = true;
        off = toff;
        ip = t;
        continue;
      }
      if (endsBlock(i)) break;
      off += i.len;
      ip = i.next;
    }
    return out;
  }

  /**
   * The core's jitCompile import: compile the queued block entries at `queue` (u32 count, then
   * entry addresses) into one module, writing each entry's JB_FN slot and JB_COUNT (0 = refused).
   */
  compile(queue: number): void {
    if (!this.table || !this.linkImports) return;
    const t0 = performance.now();
    const n = this.dv.getUint32(queue, true);
    const entries: number[] = [];
    const bodies: Array<FuncBody & { count: number }> = [];
    const seen = new Set<number>();
    for (let i = 0; i < n; i++) {
      const e = this.dv.getUint32(queue + 4 + 4 * i, true);
      if (seen.has(e) || this.dv.getUint32(e + JB_STATE, true) !== JBS_QUEUED) continue;
      seen.add(e);
      this.dv.setUint32(e + JB_COUNT, 0, true);
      try {
        const insns = this.decodeBlock(this.dv.getUint32(e + JB_HOST, true), this.dv.getBigUint64(e + JB_RIP, true));
        const block = insns.length ? compileBlock(insns, this.allocCell) : null;
        if (!block) { this.stats_.refused++; continue; }
        entries.push(e);
        bodies.push({ type: BLOCK_TYPE, locals: block.locals, code: block.code, exportName: `b${bodies.length}`, count: block.count });
      } catch (err) {
        this.fail(err, this.dv.getBigUint64(e + JB_RIP, true));
      }
    }
    if (bodies.length) this.install(entries, bodies);
    this.stats_.compileMs += performance.now() - t0;
  }

  private install(entries: number[], bodies: Array<FuncBody & { count: number }>): void {
    const table = this.table!;
    let exports: WebAssembly.Exports;
    try {
      const bytes = buildModule(this.importDecls, bodies, [BLOCK_TYPE]);
      const t0 = performance.now();
      exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), this.linkImports!).exports;
      this.stats_.wasmMs += performance.now() - t0;
    } catch (err) {
      // A JIT bug: find the offending blocks one by one so the others still run compiled.
      if (bodies.length > 1) { bodies.forEach((b, i) => this.install([entries[i]], [{ ...b, exportName: 'b0' }])); return; }
      this.fail(err, this.dv.getBigUint64(entries[0] + JB_RIP, true));
      return;
    }
    bodies.forEach((b, i) => {
      const e = entries[i];
      let slot = this.dv.getUint32(e + JB_FN, true);
      if (slot === 0) {
        // Grow the table in chunks: V8 updates every instance importing it on each grow.
        if (this.nextSlot === 0) this.nextSlot = table.length;
        if (this.nextSlot >= table.length) table.grow(Math.max(256, table.length));
        slot = this.nextSlot++;
        this.dv.setUint32(e + JB_FN, slot, true);
      }
      table.set(slot, exports[b.exportName] as WebAssembly.ExportValue);
      this.dv.setUint32(e + JB_COUNT, b.count, true);
      this.stats_.blocks++;
      this.stats_.instructions += b.count;
    });
  }

  private fail(err: unknown, rip: bigint): void {
    this.stats_.errors++;
    this.stats_.lastError = `block at ${rip.toString(16)}: ${(err as Error).message}`;
  }
}


/** Branches a trace cannot continue through: returns and indirect jumps/calls. */
function endsBlock(i: Insn): boolean {
  const op = i.op;
  return op === 0xc2 || op === 0xc3 || (op === 0xff && ((i.reg & 7) === 2 || (i.reg & 7) === 4));
}

/**
 * The one module that imports the core's function table: `chain(done, left, slot)` tail-calls
 * table[slot](done, left). Blocks reach each other through it, so no block module imports the table.
 */
function chainTrampoline(table: WebAssembly.Table): WebAssembly.ImportValue {
  const code = new Bytes();
  code.byte(Op.local_get); code.u32(0);
  code.byte(Op.local_get); code.u32(1);
  code.byte(Op.local_get); code.u32(2);
  code.byte(Op.return_call_indirect); code.u32(0); code.u32(0); // type 0 = BLOCK_TYPE, table 0
  const bytes = buildModule(
    [{ module: 'core', name: 'table', kind: 'table', min: 1 }],
    [{ type: { params: [I32, I32, I32], results: [I32] }, locals: [], code: code.view().slice(), exportName: 'chain' }],
    [BLOCK_TYPE],
  );
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), { core: { table } }).exports.chain as WebAssembly.ImportValue;
}
