// The core's half of the JIT tier: find a compiled block for RIP, count executions of blocks that
// are not compiled yet, ask the host to compile hot ones, and the helpers compiled code calls.
//
// Blocks are keyed by the host address of their first byte (that is, the guest-physical location)
// together with the linear RIP they were compiled for, so the same page mapped twice is never
// confused. Code is compiled by src/jit/ into a separate wasm module that shares this memory and
// is installed in this module's function table; run() calls it with call_indirect.
import {
  JIT_BLOCKS_BASE, JIT_BLOCK_ENTRIES, JIT_BLOCK_SIZE, JB_HOST, JB_GEN, JB_RIP, JB_FN, JB_HITS, JB_COUNT,
  JB_STATE, JL_SLOT, JL_COUNT, JL_EPOCH, JBS_COUNTING, JBS_COMPILED, JBS_REFUSED, JBS_QUEUED, JIT_QUEUE_BASE, JIT_QUEUE_MAX, TLB_ENTRIES,
  TLB_ENTRY_SIZE,
} from "../layout";
import { cpl, setAddrSeg } from "./state";
import { fetchPage, fetchHost } from "./decode";
import { tlb, readReq, writeReq, entryFor, ACC_WRITE, T_MMIO, T_NX, T_USER, TAG_VALID, TAG_WATCH } from "./mmu";
import { pageGen, hostPage, markCodePage } from "./codepages";
import { cond, getCF } from "./flags";
import { shiftValue } from "../exec/shift";
import { imulTrunc, mulValue, divValue } from "../exec/alu";
import { bitOpValue, bitScanValue, SCAN_TZCNT } from "../exec/bits";

/** The host compiles the queued blocks (JIT_QUEUE_BASE), writing JB_FN and JB_COUNT (0 = refused) of each. */
@external("env", "jitCompile")
declare function jitCompile(queue: u32): void;

/** Executions before a block is compiled; 0 turns the JIT off. */
let threshold: u32 = 0;
export function setJitThreshold(n: u32): void { threshold = n; }
@inline export function jitOn(): bool { return threshold != 0; }

/** Instructions completed inside compiled blocks, all vCPUs (statistics). */
export let jitExecuted: u64 = 0;
/** Calls into compiled blocks (statistics). */
export let jitRuns: u64 = 0;
export function addJitExecuted(n: u32): void { jitExecuted += <u64>n; jitRuns++; }

/**
 * Chaining: links are valid while their epoch equals linkEpoch. It moves on whenever a table slot
 * may change hands (an entry holding a slot is re-keyed) and when the host recycles cells.
 */
export let linkEpoch: i32 = 1;
/** The chaining cell of the exit a block left by (0 = that exit cannot chain). Set by every exit. */
export let lastLink: u32 = 0;
/** Point chaining cell `cell` at the block blockAt() just found (`n` instructions). */
export function linkCell(cell: u32, n: u32): void {
  store<u32>(cell, blockFn, JL_SLOT);
  store<u32>(cell, n, JL_COUNT);
  store<i32>(cell, linkEpoch, JL_EPOCH);
}

/** Set by blockAt(): whether the instruction after an interpreted one may start a block. */
export let probeNext: bool = true;

/** Table slot of the block blockAt() found. */
export let blockFn: u32 = 0;

/** Host address of the instruction at linear `lin` if it may be fetched now, else 0 (interpret). */
@inline function codeHost(lin: u64): usize {
  if ((lin & ~(<u64>0xfff)) == fetchPage) return fetchHost + <usize>(lin & 0xfff);
  const e = tlb + ((<usize>(lin >> 12) & (TLB_ENTRIES - 1)) * TLB_ENTRY_SIZE);
  if (load<u64>(e) != ((lin & ~(<u64>0xfff)) | TAG_VALID)) return 0;
  const f = load<u32>(e, 12);
  if ((f & (T_MMIO | T_NX)) != 0 || (cpl == 3 && (f & T_USER) == 0)) return 0;
  return <usize>load<u32>(e, 8) + <usize>(lin & 0xfff);
}

/**
 * The compiled block at linear `lin` with at most `remaining` instructions: returns its length and
 * sets blockFn, or returns 0 (interpret the next instruction). Counts executions of blocks not
 * compiled yet and queues the hot ones for compilation.
 */
export function blockAt(lin: u64, remaining: u64): u32 {
  probeNext = true;
  const host = codeHost(lin);
  if (host == 0) return 0;
  const h = <u32>host;
  // Two-way set associative: a block start that misses evicts a way holding no live compiled block
  // if there is one, so code that is interpreted once in a while does not push out hot blocks.
  const e0 = <usize>JIT_BLOCKS_BASE + <usize>(((h * 0x9e3779b1) >> 18) & ((JIT_BLOCK_ENTRIES >> 1) - 1)) * (JIT_BLOCK_SIZE << 1);
  const e1 = e0 + JIT_BLOCK_SIZE;
  let e = e0;
  if (load<u32>(e0, JB_HOST) == h && load<u64>(e0, JB_RIP) == lin) e = e0;
  else if (load<u32>(e1, JB_HOST) == h && load<u64>(e1, JB_RIP) == lin) e = e1;
  else {
    e = liveCompiled(e0) ? e1 : e0;
    if (load<u32>(e, JB_FN) != 0) linkEpoch++; // its slot will get another block: drop every link
    store<u32>(e, h, JB_HOST);
    store<u64>(e, lin, JB_RIP);
    store<u32>(e, JBS_COUNTING, JB_STATE);
    store<u32>(e, 0, JB_HITS);
  }
  let state = load<u32>(e, JB_STATE);
  if (state == JBS_COMPILED || state == JBS_REFUSED) {
    if (load<u32>(e, JB_GEN) == pageGen(hostPage(host))) return state == JBS_COMPILED ? found(e, remaining) : 0;
    // The page was written since: count again from scratch.
    state = JBS_COUNTING;
    store<u32>(e, state, JB_STATE);
    store<u32>(e, 0, JB_HITS);
  }
  // A block start still counting: the instructions after it belong to its block, not new starts.
  probeNext = false;
  const hits = load<u32>(e, JB_HITS) + 1;
  store<u32>(e, hits, JB_HITS);
  if (state == JBS_COUNTING) {
    if (hits < threshold) return 0;
    store<u32>(e, JBS_QUEUED, JB_STATE);
    const n = load<u32>(JIT_QUEUE_BASE);
    store<u32>(<usize>JIT_QUEUE_BASE + 4 + (<usize>n << 2), <u32>e);
    store<u32>(JIT_QUEUE_BASE, n + 1);
    if (n + 1 < <u32>JIT_QUEUE_MAX && threshold > 1) return 0; // threshold 1 (tests): compile at once
  } else if (hits < threshold << 2) {
    return 0; // queued: wait for company unless it keeps running hot
  }
  compileQueue();
  return load<u32>(e, JB_STATE) == JBS_COMPILED ? found(e, remaining) : 0;
}

@inline function liveCompiled(e: usize): bool {
  return load<u32>(e, JB_STATE) == JBS_COMPILED && load<u32>(e, JB_GEN) == pageGen(hostPage(<usize>load<u32>(e, JB_HOST)));
}

@inline function found(e: usize, remaining: u64): u32 {
  const n = load<u32>(e, JB_COUNT);
  if (<u64>n > remaining) return 0;
  blockFn = load<u32>(e, JB_FN);
  return n;
}

/** Compile every queued block in one batch and record the verdicts. */
function compileQueue(): void {
  jitCompile(JIT_QUEUE_BASE);
  const count = load<u32>(JIT_QUEUE_BASE);
  for (let i: u32 = 0; i < count; i++) {
    const e = <usize>load<u32>(<usize>JIT_QUEUE_BASE + 4 + (<usize>i << 2));
    if (load<u32>(e, JB_STATE) != JBS_QUEUED) continue; // re-keyed while it waited
    const page = hostPage(<usize>load<u32>(e, JB_HOST));
    // Compiled or refused, the verdict holds only while the page is unchanged: watch it for writes.
    markCodePage(page);
    store<u32>(e, pageGen(page), JB_GEN);
    store<u32>(e, load<u32>(e, JB_COUNT) != 0 ? JBS_COMPILED : JBS_REFUSED, JB_STATE);
  }
  store<u32>(JIT_QUEUE_BASE, 0);
}

// ---- helpers compiled code calls (exported from index.ts) ----

/**
 * Host address for a data access the inline TLB check did not satisfy. Returns 0 after raising a
 * fault, or 0 with no fault when the interpreter must do this access (page crossing, MMIO, watch).
 */
export function jitHost(lin: u64, size: i32, access: i32, seg: i32): u32 {
  setAddrSeg(seg);
  if (<i32>(lin & 0xfff) + size > 4096) return 0;
  const e = entryFor(lin, access, access == ACC_WRITE ? writeReq : readReq);
  if (e == 0) return 0;
  if ((load<u32>(e, 12) & T_MMIO) != 0 || (load<u64>(e) & TAG_WATCH) != 0) return 0;
  return load<u32>(e, 8) + <u32>(lin & 0xfff);
}

export function jitCond(cc: i32): i32 { return cond(cc) ? 1 : 0; }
export function jitGetCF(): i32 { return getCF() ? 1 : 0; }

/** Group-2 shift or rotate of a register value; a masked count of 0 changes nothing. */
export function jitShift(op: i32, size: i32, a: u64, rawCount: i32): u64 {
  const count = rawCount & (size == 8 ? 0x3f : 0x1f);
  if (count == 0) return a;
  return shiftValue(size, op, a, count);
}

export function jitImul(a: u64, b: u64, size: i32): u64 { return imulTrunc(a, b, size); }

/** BT/BTS/BTR/BTC (op 0..3) on a value: sets CF, returns the new value. */
export function jitBitOp(op: i32, v: u64, bit: i32): u64 { return bitOpValue(op, v, <u64>1 << <u64>bit); }

/** One-operand MUL/IMUL: returns the low half (AX for bytes); the high half is in mulDivHi. */
export function jitMul(a: u64, src: u64, size: i32, signed: i32): u64 { return mulValue(a, src, size, signed != 0); }

/** DIV/IDIV: 1 with the quotient in mulDivLo and the remainder in mulDivHi, or 0 after raising #DE. */
export function jitDiv(lo: u64, hi: u64, src: u64, size: i32, signed: i32): i32 {
  return divValue(lo, hi, src, size, signed != 0) ? 1 : 0;
}

/** BSF/BSR/TZCNT/LZCNT/POPCNT (bits.ts SCAN_*) of `v` into the 64-bit register `old`: its new value. */
export function jitBitScan(kind: i32, size: i32, v: u64, old: u64): u64 {
  const n = bitScanValue(kind, size, v);
  if (v == 0 && kind < SCAN_TZCNT) return old; // BSF/BSR of 0: destination unchanged
  return size == 2 ? (old & ~(<u64>0xffff)) | n : n;
}
