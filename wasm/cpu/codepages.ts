// Which guest-physical pages hold compiled (JIT) code, and their generation numbers.
//
// Each 4 KiB page has a u32 generation at JIT_GEN_BASE: odd while compiled blocks from the page
// exist. A compiled block remembers the generation it was made under and is used only while the
// page still has it, so invalidating a page is one increment. TLB entries for a page with code
// never carry T_DIRTY, which sends every write to it down the slow path (tlbFill), where the page
// is invalidated before the write lands.
import { JIT_GEN_BASE, GUEST_RAM_BASE, TLB_BASE, TLB_BYTES, TLB_ENTRIES, TLB_ENTRY_SIZE } from "../layout";
import { needAttention } from "./fault";

/** vCPUs whose TLBs may hold entries (highest index run + 1). */
export let tlbsInUse: i32 = 1;
export function noteVcpu(index: i32): void { if (index >= tlbsInUse) tlbsInUse = index + 1; }

const T_DIRTY: u32 = 4;
const T_MMIO: u32 = 32;

@inline function genAddr(page: u32): usize { return <usize>JIT_GEN_BASE + (<usize>page << 2); }
@inline export function pageGen(page: u32): u32 { return load<u32>(genAddr(page)); }
@inline export function pageHasCode(page: u32): bool { return (pageGen(page) & 1) != 0; }
@inline export function hostPage(host: usize): u32 { return <u32>((host - <usize>GUEST_RAM_BASE) >> 12); }

/** A write reached a page with code: drop its blocks and make the running block stop. */
export function invalidateCodePage(page: u32): void {
  const g = pageGen(page);
  if ((g & 1) == 0) return;
  store<u32>(genAddr(page), g + 1);
  needAttention(); // a block that wrote its own page must not run its stale rest
}

/** Blocks from `page` now exist: make every TLB route writes to it through the slow path. */
export function markCodePage(page: u32): void {
  const g = pageGen(page);
  if ((g & 1) != 0) return;
  store<u32>(genAddr(page), g + 1);
  const host = <u32>GUEST_RAM_BASE + (page << 12);
  for (let v = 0; v < tlbsInUse; v++) {
    const base = <usize>TLB_BASE + <usize>v * <usize>TLB_BYTES;
    for (let i = 0; i < TLB_ENTRIES; i++) {
      const e = base + <usize>i * TLB_ENTRY_SIZE;
      const f = load<u32>(e, 12);
      if (load<u32>(e, 8) == host && (f & T_MMIO) == 0) store<u32>(e, f & ~T_DIRTY, 12);
    }
  }
}
