// The core's half of the JIT tier: find a compiled block for RIP, count executions of blocks that
// are not compiled yet, ask the host to compile hot ones, and the helpers compiled code calls.
//
// Blocks are keyed by the host address of their first byte (that is, the guest-physical location)
// together with the linear RIP they were compiled for, so the same page mapped twice is never
// confused. Code is compiled by src/jit/ into a separate wasm module that shares this memory and
// is installed in this module's function table; run() calls it with call_indirect.
import {
  JIT_BLOCKS_BASE, JIT_BLOCK_ENTRIES, JIT_BLOCK_SIZE, JB_HOST, JB_GEN, JB_RIP, JB_FN, JB_HITS, JB_COUNT,
  JB_STATE, JBS_COUNTING, JBS_COMPILED, JBS_REFUSED, TLB_ENTRIES, TLB_ENTRY_SIZE,
} from "../layout";
import { cpl, setAddrSeg } from "./state";
import { fetchPage, fetchHost } from "./decode";
import { tlb, readReq, writeReq, entryFor, ACC_WRITE, T_MMIO, T_NX, T_USER, TAG_VALID, TAG_WATCH } from "./mmu";
import { pageGen, hostPage, markCodePage } from "./codepages";
import { cond, getCF } from "./flags";
import { shiftValue } from "../exec/shift";
import { imulTrunc } from "../exec/alu";

/** The host compiles the block at `host` (linear `rip`) into entry `entry`'s slot; returns its length. */
@external("env", "jitCompile")
declare function jitCompile(host: u32, rip: u64, entry: u32): i32;

/** Executions before a block is compiled; 0 turns the JIT off. */
let threshold: u32 = 0;
export function setJitThreshold(n: u32): void { threshold = n; }
@inline export function jitOn(): bool { return threshold != 0; }

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
 * sets blockFn, or returns 0 (interpret the next instruction), compiling the block once it is hot.
 */
export function blockAt(lin: u64, remaining: u64): u32 {
  const host = codeHost(lin);
  if (host == 0) return 0;
  const h = <u32>host;
  const e = <usize>JIT_BLOCKS_BASE + <usize>(((h * 0x9e3779b1) >> 17) & (JIT_BLOCK_ENTRIES - 1)) * JIT_BLOCK_SIZE;
  const page = hostPage(host);
  if (load<u32>(e, JB_HOST) != h || load<u64>(e, JB_RIP) != lin) {
    store<u32>(e, h, JB_HOST);
    store<u64>(e, lin, JB_RIP);
    store<u32>(e, JBS_COUNTING, JB_STATE);
    store<u32>(e, 0, JB_HITS);
  }
  const state = load<u32>(e, JB_STATE);
  if (state != JBS_COUNTING) {
    if (load<u32>(e, JB_GEN) == pageGen(page)) {
      if (state != JBS_COMPILED) return 0;
      const n = load<u32>(e, JB_COUNT);
      if (<u64>n > remaining) return 0;
      blockFn = load<u32>(e, JB_FN);
      return n;
    }
    // The page was written since: count again from scratch.
    store<u32>(e, JBS_COUNTING, JB_STATE);
    store<u32>(e, 0, JB_HITS);
  }
  const hits = load<u32>(e, JB_HITS) + 1;
  store<u32>(e, hits, JB_HITS);
  if (hits < threshold) return 0;
  const n = <u32>jitCompile(h, lin, <u32>e);
  // Compiled or refused, the verdict holds only while the page is unchanged: watch it for writes.
  markCodePage(page);
  store<u32>(e, pageGen(page), JB_GEN);
  store<u32>(e, n, JB_COUNT);
  store<u32>(e, n != 0 ? JBS_COMPILED : JBS_REFUSED, JB_STATE);
  if (n == 0 || <u64>n > remaining) return 0;
  blockFn = load<u32>(e, JB_FN);
  return n;
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
