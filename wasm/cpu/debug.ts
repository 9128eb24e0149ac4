// Debug facilities: single-step (RFLAGS.TF), the DR0–DR3 breakpoints DR7 enables, and DR6 status.
// Execute breakpoints are checked before an instruction; data breakpoints mark their pages in the TLB
// so every access to them takes the slow path, which compares against the watched ranges.
import { V_DR } from "../layout";
import { cpu } from "./state";

export const DR6_BS: u64 = 0x4000;

/**
 * Any debug facility is live (TF, RF, a breakpoint, a deferred single-step): the run loop looks at
 * the details only when this is set, so ordinary instructions pay one test.
 */
export let debugArmed: bool = false;
/** Single-step pending across a MOV SS / POP SS shadow. */
export let tfDeferred: bool = false;
let tfLive: bool = false;
let rfLive: bool = false;
function rearm(): void { debugArmed = tfLive || rfLive || drExec || drData || tfDeferred; }
/** flags.ts reports TF and RF changes here. */
export function debugFlagsChanged(tf: bool, rf: bool): void { tfLive = tf; rfLive = rf; rearm(); }
export function setTfDeferred(v: bool): void { tfDeferred = v; rearm(); }

/** An enabled execute breakpoint exists (checked before each instruction). */
export let drExec: bool = false;
/** An enabled data breakpoint exists (pages holding watched bytes bypass the TLB fast path). */
export let drData: bool = false;
/** DR6 B0–B3 bits of data breakpoints hit by the current instruction: a #DB trap follows it. */
export let dbTrapBits: u64 = 0;
export function clearDbTrap(): void { dbTrapBits = 0; }

@inline function dr(n: i32): u64 { return load<u64>(cpu + V_DR + (<usize>n << 3)); }
@inline function enabled(dr7: u64, n: i32): bool { return ((dr7 >> (<u64>n * 2)) & 3) != 0; }
@inline function rwBits(dr7: u64, n: i32): u64 { return (dr7 >> (16 + <u64>n * 4)) & 3; }
/** Watched length in bytes: LEN 00 → 1, 01 → 2, 10 → 8, 11 → 4. */
@inline function lenBytes(dr7: u64, n: i32): u64 {
  const l = (dr7 >> (18 + <u64>n * 4)) & 3;
  return l == 0 ? 1 : l == 1 ? 2 : l == 2 ? 8 : 4;
}

/** Recompute the enable summaries after a write to DR0–DR3 or DR7. */
export function updateDebugRegs(): void {
  const dr7 = dr(7);
  drExec = false;
  drData = false;
  for (let n = 0; n < 4; n++) {
    if (!enabled(dr7, n)) continue;
    const rw = rwBits(dr7, n);
    if (rw == 0) drExec = true;
    else if (rw == 1 || rw == 3) drData = true;
  }
  rearm();
}

/** DR6 bits of execute breakpoints at linear address `lin`. */
export function execBreakpointBits(lin: u64): u64 {
  const dr7 = dr(7);
  let bits: u64 = 0;
  for (let n = 0; n < 4; n++) {
    if (enabled(dr7, n) && rwBits(dr7, n) == 0 && dr(n) == lin) bits |= <u64>1 << <u64>n;
  }
  return bits;
}

/** Whether the 4 KiB linear page `page` holds a watched byte. */
export function pageWatched(page: u64): bool {
  const dr7 = dr(7);
  for (let n = 0; n < 4; n++) {
    const rw = rwBits(dr7, n);
    if (!enabled(dr7, n) || !(rw == 1 || rw == 3)) continue;
    const len = lenBytes(dr7, n);
    const a = dr(n) & ~(len - 1);
    if ((a & ~(<u64>0xfff)) == page || ((a + len - 1) & ~(<u64>0xfff)) == page) return true;
  }
  return false;
}

/** Record data-breakpoint hits for an access of `size` bytes at `lin`. */
export function checkWatch(lin: u64, size: i32, write: bool): void {
  const dr7 = dr(7);
  for (let n = 0; n < 4; n++) {
    const rw = rwBits(dr7, n);
    if (!enabled(dr7, n) || !(rw == 3 || (rw == 1 && write))) continue;
    const len = lenBytes(dr7, n);
    const a = dr(n) & ~(len - 1);
    if (lin < a + len && a < lin + <u64>size) dbTrapBits |= <u64>1 << <u64>n;
  }
}

/** Set bits in DR6 as a #DB is delivered. */
export function raiseDr6(bits: u64): void {
  store<u64>(cpu + V_DR + 6 * 8, dr(6) | bits);
}
