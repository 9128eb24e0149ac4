// Paging (none, 32-bit, PAE, 4-level), the software TLB and linear-address memory access.
//
// TLB: direct-mapped, TLB_ENTRIES per vCPU, one entry per 4 KiB linear page (large pages are cached
// as 4 KiB slices). Entry: u64 tag = linear page | TAG_VALID; u32 host address of the page (memory
// offset of the guest-physical page, or the guest-physical page itself for MMIO); u32 T_* flags.
// The fast path of every access is one tag compare plus one permission-mask compare.
import {
  TLB_BASE, TLB_BYTES, TLB_ENTRIES, TLB_ENTRY_SIZE, GUEST_RAM_BASE, V_CR3, V_CR2, V_CR4, CR4_PSE, CR4_PGE,
  V_IO_PENDING, V_IO_DATA, SEG_SS, V_TLB_LARGE, V_EXIT_ADDR, V_EXIT_SIZE, V_EXIT_WRITE, V_EXIT_VALUE, EXIT_MMIO,
} from "../layout";
import { drData, pageWatched, checkWatch } from "./debug";
import { pageHasCode, invalidateCodePage } from "./codepages";
import { cpu, vcpuIndex, pagingMode, cpl, nxEnabled, wpEnabled, mode64, addrSeg } from "./state";
import { raise, fault, requestExit, exitAfter, exitAfterInstruction, EXC_PF, EXC_GP, EXC_SS, PF_P, PF_W, PF_U, PF_RSVD, PF_I } from "./fault";

export const ACC_READ: i32 = 0;
export const ACC_WRITE: i32 = 1;
export const ACC_FETCH: i32 = 2;

export const TAG_VALID: u64 = 1;
export const TAG_WATCH: u64 = 2;
export const T_USER: u32 = 1;
export const T_WRITE: u32 = 2;
export const T_DIRTY: u32 = 4;
export const T_NX: u32 = 8;
export const T_GLOBAL: u32 = 16;
export const T_MMIO: u32 = 32;
export const T_LARGE: u32 = 64;

const PTE_P: u64 = 1;
const PTE_RW: u64 = 2;
const PTE_US: u64 = 4;
const PTE_A: u64 = 0x20;
const PTE_D: u64 = 0x40;
const PTE_PS: u64 = 0x80;
const PTE_G: u64 = 0x100;
const PTE_NX: u64 = 0x8000000000000000;
/** Physical address bits we advertise (CPUID 0x80000008). */
export const MAXPHYADDR: i32 = 40;
const ADDR_MASK: u64 = ((<u64>1 << MAXPHYADDR) - 1) & ~(<u64>0xfff);
const RSVD_HIGH: u64 = 0x000fffffffffffff & ~((<u64>1 << MAXPHYADDR) - 1);

/** Guest RAM size in bytes: guest physical [0, ramSize) is backed by memory. */
export let ramSize: u64 = 0;
export function setRamSizeInternal(b: u64): void { ramSize = b; }

export let tlb: usize = TLB_BASE;
/** Permission bits an access must find in the entry's flags (derived from CPL, CR0.WP). */
export let readReq: u32 = 0;
export let writeReq: u32 = T_WRITE | T_DIRTY;


export function selectTlb(index: i32): void {
  tlb = <usize>TLB_BASE + <usize>index * <usize>TLB_BYTES;
}

/** Recompute the permission masks; call whenever CPL or CR0.WP changes. */
export function updateAccessMasks(): void {
  readReq = cpl == 3 ? T_USER : 0;
  writeReq = cpl == 3 ? (T_USER | T_WRITE | T_DIRTY) : (wpEnabled ? (T_WRITE | T_DIRTY) : T_DIRTY);
}

export function flushTlbAll(): void {
  memory.fill(tlb, 0, TLB_BYTES);
  store<u32>(cpu + V_TLB_LARGE, 0);
}

/** CR3 load: drop everything but global entries (when CR4.PGE). */
export function flushTlbNonGlobal(): void {
  if ((load<u64>(cpu + V_CR4) & CR4_PGE) == 0) { flushTlbAll(); return; }
  for (let i: usize = 0; i < <usize>TLB_ENTRIES; i++) {
    const e = tlb + i * TLB_ENTRY_SIZE;
    if ((load<u32>(e, 12) & T_GLOBAL) == 0) store<u64>(e, 0);
  }
}

export function invlpg(lin: u64): void {
  if (load<u32>(cpu + V_TLB_LARGE) != 0) { flushTlbAll(); return; } // a large page may sit in many slots
  const e = tlb + ((<usize>(lin >> 12) & (TLB_ENTRIES - 1)) * TLB_ENTRY_SIZE);
  store<u64>(e, 0);
}

// ---- physical memory ----
@inline export function physHost(pa: u64): usize { return <usize>GUEST_RAM_BASE + <usize>pa; }
@inline export function isRam(pa: u64, size: u64): bool { return pa + size <= ramSize && pa + size >= pa; }

function readPte(pa: u64, wide: bool): u64 {
  if (!isRam(pa, 8)) return 0; // page tables outside RAM read as not-present
  return wide ? load<u64>(physHost(pa)) : <u64>load<u32>(physHost(pa));
}
function setPteBits(pa: u64, bits: u64, wide: bool): void {
  if (!isRam(pa, 8)) return;
  if (wide) atomic.or<u64>(physHost(pa), bits);
  else atomic.or<u32>(physHost(pa), <u32>bits);
}

@inline function isCanonical(lin: u64): bool {
  return <u64>((<i64>(lin << 16)) >> 16) == lin;
}

let walkFlags: u32 = 0;
let walkLarge: bool = false;

/**
 * Walk the guest page tables for `lin`. Returns the physical address, or -1 after raising #PF.
 * Sets accessed bits on the way and the dirty bit for writes; fills walkFlags with T_* bits.
 */
function walk(lin: u64, access: i32, user: bool): i64 {
  const cr3 = load<u64>(cpu + V_CR3);
  const write = access == ACC_WRITE;
  let errBase: u32 = (write ? PF_W : 0) | (user ? PF_U : 0) | ((access == ACC_FETCH && nxEnabled) ? PF_I : 0);
  let us: bool = true, rw: bool = true, nx: bool = false;
  let pa: u64 = 0;
  let pageSize: u64 = 4096;
  let leafAddr: u64 = 0;
  let leaf: u64 = 0;
  let global: bool = false;
  const wide = pagingMode != 2;
  walkLarge = false;

  if (pagingMode == 2) {
    // 32-bit paging: 1024-entry directory, optional 4 MiB pages (CR4.PSE).
    const pdeAddr = (cr3 & 0xfffff000) + (((lin >> 22) & 0x3ff) << 2);
    const pde = readPte(pdeAddr, false);
    if ((pde & PTE_P) == 0) { pageFault(lin, errBase); return -1; }
    us = (pde & PTE_US) != 0; rw = (pde & PTE_RW) != 0;
    if ((pde & PTE_PS) != 0 && (load<u64>(cpu + V_CR4) & CR4_PSE) != 0) {
      leafAddr = pdeAddr; leaf = pde; pageSize = 0x400000;
      pa = (pde & 0xffc00000) | (((pde >> 13) & 0xff) << 32);
      walkLarge = true;
    } else {
      if ((pde & PTE_A) == 0) setPteBits(pdeAddr, PTE_A, false);
      const pteAddr = (pde & 0xfffff000) + (((lin >> 12) & 0x3ff) << 2);
      const pte = readPte(pteAddr, false);
      if ((pte & PTE_P) == 0) { pageFault(lin, errBase); return -1; }
      us = us && (pte & PTE_US) != 0; rw = rw && (pte & PTE_RW) != 0;
      leafAddr = pteAddr; leaf = pte; pa = pte & 0xfffff000;
    }
  } else {
    let table: u64;
    let level: i32;
    if (pagingMode == 4) {
      table = cr3 & ADDR_MASK;
      level = 4;
    } else {
      // PAE: four PDPTEs at CR3[31:5]; they carry no U/S or R/W bits.
      const pdpteAddr = (cr3 & 0xffffffe0) + (((lin >> 30) & 3) << 3);
      const pdpte = readPte(pdpteAddr, true);
      if ((pdpte & PTE_P) == 0) { pageFault(lin, errBase); return -1; }
      if ((pdpte & (RSVD_HIGH | 0x1e6)) != 0) { pageFault(lin, errBase | PF_P | PF_RSVD); return -1; }
      table = pdpte & ADDR_MASK;
      level = 2;
    }
    while (true) {
      const shift = <u64>(12 + 9 * (level - 1));
      const eAddr = table + (((lin >> shift) & 0x1ff) << 3);
      const e = readPte(eAddr, true);
      if ((e & PTE_P) == 0) { pageFault(lin, errBase); return -1; }
      if ((e & RSVD_HIGH) != 0 || (!nxEnabled && (e & PTE_NX) != 0) ||
          (level == 4 && (e & PTE_PS) != 0) || (level == 3 && pagingMode == 4 && (e & PTE_PS) != 0 && (e & 0x3fffe000) != 0) ||
          (level == 2 && (e & PTE_PS) != 0 && (e & 0x1fe000) != 0)) {
        pageFault(lin, errBase | PF_P | PF_RSVD); return -1;
      }
      us = us && (e & PTE_US) != 0;
      rw = rw && (e & PTE_RW) != 0;
      if (nxEnabled && (e & PTE_NX) != 0) nx = true;
      if (level == 1 || (e & PTE_PS) != 0) {
        leafAddr = eAddr; leaf = e;
        pageSize = <u64>1 << shift;
        pa = e & ADDR_MASK & ~(pageSize - 1);
        walkLarge = level > 1;
        break;
      }
      if ((e & PTE_A) == 0) setPteBits(eAddr, PTE_A, true);
      table = e & ADDR_MASK;
      level--;
    }
  }
  global = (leaf & PTE_G) != 0;
  // Permission checks (SDM 4.6).
  const err = errBase | PF_P;
  if (user && !us) { pageFault(lin, err); return -1; }
  if (write && !rw && (user || wpEnabled)) { pageFault(lin, err); return -1; }
  if (access == ACC_FETCH && nx) { pageFault(lin, err); return -1; }
  let bits: u64 = PTE_A;
  if (write) bits |= PTE_D;
  if ((leaf & bits) != bits) { setPteBits(leafAddr, bits, wide); leaf |= bits; }
  walkFlags = (us ? T_USER : 0) | (rw ? T_WRITE : 0) | ((leaf & PTE_D) != 0 ? T_DIRTY : 0) |
              (nx ? T_NX : 0) | (global ? T_GLOBAL : 0) | (walkLarge ? T_LARGE : 0);
  return <i64>(pa + (lin & (pageSize - 1)));
}

function nonCanonical(): void { raise(addrSeg == SEG_SS ? EXC_SS : EXC_GP, 0); }

/** A page-crossing access whose last byte is non-canonical faults before any page is touched. */
function crossesNonCanonical(lin: u64, size: i32): bool {
  if (!(mode64 || pagingMode == 4)) return false;
  if (isCanonical(lin + <u64>(size - 1))) return false;
  nonCanonical();
  return true;
}

function pageFault(lin: u64, err: u32): void {
  if (fault) return; // an earlier fault of this instruction wins, and CR2 stays its
  store<u64>(cpu + V_CR2, lin);
  raise(EXC_PF, <i32>err);
}

/**
 * Translate a linear address for an access, filling the TLB. Returns the TLB entry address, or 0
 * after raising a fault. `user` is false for implicit supervisor accesses (descriptor tables, TSS).
 */
export function tlbFill(lin: u64, access: i32, user: bool): usize {
  if (mode64 || pagingMode == 4) {
    if (!isCanonical(lin)) { nonCanonical(); return 0; }
  } else {
    lin &= 0xffffffff;
  }
  let pa: u64;
  let flags: u32;
  if (pagingMode == 0) {
    pa = lin & 0xffffffff;
    flags = T_USER | T_WRITE | T_DIRTY;
  } else {
    const r = walk(lin, access, user);
    if (r < 0) return 0;
    pa = <u64>r;
    flags = walkFlags;
  }
  const page = pa & ~(<u64>0xfff);
  const e = tlb + ((<usize>(lin >> 12) & (TLB_ENTRIES - 1)) * TLB_ENTRY_SIZE);
  if (!isRam(page, 4096)) {
    flags |= T_MMIO;
    store<u32>(e, <u32>(page >> 12), 8); // MMIO: remember the physical frame number
    store<u32>(e, flags, 12);
  } else {
    // Compiled code on the page: a write drops it first; other fills leave writes a slow path.
    const pg = <u32>(page >> 12);
    if (pageHasCode(pg)) { if (access == ACC_WRITE) invalidateCodePage(pg); else flags &= ~T_DIRTY; }
    store<u32>(e, <u32>physHost(page), 8);
    store<u32>(e, flags, 12);
  }
  if ((flags & T_LARGE) != 0) store<u32>(cpu + V_TLB_LARGE, 1);
  // A page with a data breakpoint keeps a tag no lookup matches: every access comes back here.
  const watched = drData && pageWatched(lin & ~(<u64>0xfff));
  store<u64>(e, (lin & ~(<u64>0xfff)) | TAG_VALID | (watched ? TAG_WATCH : 0));
  return e;
}

/** Look up a linear page for `access` with permission mask `req`; 0 after a fault. */
@inline export function entryFor(lin: u64, access: i32, req: u32): usize {
  const e = tlb + ((<usize>(lin >> 12) & (TLB_ENTRIES - 1)) * TLB_ENTRY_SIZE);
  if (load<u64>(e) == ((lin & ~(<u64>0xfff)) | TAG_VALID) && (load<u32>(e, 12) & req) == req) return e;
  const f = tlbFill(lin, access, cpl == 3);
  if (f == 0) return 0;
  // The walk enforced the architectural permissions; a stale entry could only lack the D bit.
  return f;
}

// ---- MMIO (accesses to guest-physical addresses outside RAM) ----
function mmioRead(pa: u64, size: i32): u64 {
  if (load<u32>(cpu + V_IO_PENDING) != 0 && load<u64>(cpu + V_EXIT_ADDR) == pa && load<u32>(cpu + V_EXIT_WRITE) == 0) {
    store<u32>(cpu + V_IO_PENDING, 0);
    return load<u64>(cpu + V_IO_DATA);
  }
  store<u64>(cpu + V_EXIT_ADDR, pa);
  store<u32>(cpu + V_EXIT_SIZE, size);
  store<u32>(cpu + V_EXIT_WRITE, 0);
  requestExit(EXIT_MMIO);
  return 0;
}

function mmioWrite(pa: u64, size: i32, v: u64): void {
  if (exitAfter != 0) return; // one MMIO write per instruction: a second would need another exit
  store<u64>(cpu + V_EXIT_ADDR, pa);
  store<u32>(cpu + V_EXIT_SIZE, size);
  store<u32>(cpu + V_EXIT_WRITE, 1);
  store<u64>(cpu + V_EXIT_VALUE, v);
  exitAfterInstruction(EXIT_MMIO);
}

// ---- linear-address access ----
function readSlow(lin: u64, size: i32, access: i32): u64 {
  const off = <i32>(lin & 0xfff);
  if (off + size > 4096) {
    // Crosses a page: translate both pages first so a fault leaves nothing half done.
    if (crossesNonCanonical(lin, size)) return 0;
    let v: u64 = 0;
    for (let i = 0; i < size; i++) {
      const b = readSlow(lin + <u64>i, 1, access);
      if (fault) return 0;
      v |= b << (<u64>i << 3);
    }
    return v;
  }
  const e = entryFor(lin, access, readReq);
  if (e == 0) return 0;
  if ((load<u64>(e) & TAG_WATCH) != 0 && access == ACC_READ) checkWatch(lin, size, false);
  const flags = load<u32>(e, 12);
  if ((flags & T_MMIO) != 0) return mmioRead((<u64>load<u32>(e, 8) << 12) + <u64>off, size);
  const h = <usize>load<u32>(e, 8) + <usize>off;
  if (size == 1) return <u64>load<u8>(h);
  if (size == 2) return <u64>load<u16>(h);
  if (size == 4) return <u64>load<u32>(h);
  return load<u64>(h);
}

function writeSlow(lin: u64, size: i32, v: u64): void {
  const off = <i32>(lin & 0xfff);
  if (off + size > 4096) {
    // Probe both pages for write permission before writing any byte.
    if (crossesNonCanonical(lin, size)) return;
    const first = 4096 - off;
    if (entryFor(lin, ACC_WRITE, writeReq) == 0) return;
    if (entryFor(lin + <u64>first, ACC_WRITE, writeReq) == 0) return;
    for (let i = 0; i < size; i++) {
      writeSlow(lin + <u64>i, 1, v >> (<u64>i << 3));
      if (fault) return;
    }
    return;
  }
  const e = entryFor(lin, ACC_WRITE, writeReq);
  if (e == 0) return;
  if ((load<u64>(e) & TAG_WATCH) != 0) checkWatch(lin, size, true);
  const flags = load<u32>(e, 12);
  if ((flags & T_MMIO) != 0) { mmioWrite((<u64>load<u32>(e, 8) << 12) + <u64>off, size, v); return; }
  const h = <usize>load<u32>(e, 8) + <usize>off;
  if (size == 1) store<u8>(h, <u8>v);
  else if (size == 2) store<u16>(h, <u16>v);
  else if (size == 4) store<u32>(h, <u32>v);
  else store<u64>(h, v);
}

// Fast paths: hit in the TLB, within one page, RAM, permitted. Everything else goes slow.
@inline function hostFor(lin: u64, size: i32, req: u32): usize {
  const e = tlb + ((<usize>(lin >> 12) & (TLB_ENTRIES - 1)) * TLB_ENTRY_SIZE);
  if (load<u64>(e) == ((lin & ~(<u64>0xfff)) | TAG_VALID) &&
      (load<u32>(e, 12) & (req | T_MMIO)) == req && <i32>(lin & 0xfff) <= 4096 - size) {
    return <usize>load<u32>(e, 8) + <usize>(lin & 0xfff);
  }
  return 0;
}

export function read8(lin: u64): u64 {
  const h = hostFor(lin, 1, readReq);
  return h != 0 ? <u64>load<u8>(h) : readSlow(lin, 1, ACC_READ);
}
export function read16(lin: u64): u64 {
  const h = hostFor(lin, 2, readReq);
  return h != 0 ? <u64>load<u16>(h) : readSlow(lin, 2, ACC_READ);
}
export function read32(lin: u64): u64 {
  const h = hostFor(lin, 4, readReq);
  return h != 0 ? <u64>load<u32>(h) : readSlow(lin, 4, ACC_READ);
}
export function read64(lin: u64): u64 {
  const h = hostFor(lin, 8, readReq);
  return h != 0 ? load<u64>(h) : readSlow(lin, 8, ACC_READ);
}
export function readN(lin: u64, size: i32): u64 {
  if (size == 4) return read32(lin);
  if (size == 8) return read64(lin);
  if (size == 1) return read8(lin);
  return read16(lin);
}

export function write8(lin: u64, v: u64): void {
  const h = hostFor(lin, 1, writeReq);
  if (h != 0) store<u8>(h, <u8>v); else writeSlow(lin, 1, v);
}
export function write16(lin: u64, v: u64): void {
  const h = hostFor(lin, 2, writeReq);
  if (h != 0) store<u16>(h, <u16>v); else writeSlow(lin, 2, v);
}
export function write32(lin: u64, v: u64): void {
  const h = hostFor(lin, 4, writeReq);
  if (h != 0) store<u32>(h, <u32>v); else writeSlow(lin, 4, v);
}
export function write64(lin: u64, v: u64): void {
  const h = hostFor(lin, 8, writeReq);
  if (h != 0) store<u64>(h, v); else writeSlow(lin, 8, v);
}
export function writeN(lin: u64, size: i32, v: u64): void {
  if (size == 4) write32(lin, v);
  else if (size == 8) write64(lin, v);
  else if (size == 1) write8(lin, v);
  else write16(lin, v);
}

/** Check that [lin, lin+size) is writable (faulting if not) without writing: for read-modify-write. */
export function probeWrite(lin: u64, size: i32): void {
  if (hostFor(lin, size, writeReq) != 0) return;
  const off = <i32>(lin & 0xfff);
  if (off + size > 4096 && crossesNonCanonical(lin, size)) return;
  if (entryFor(lin, ACC_WRITE, writeReq) == 0) return;
  if (off + size > 4096) entryFor(lin + <u64>(4096 - off), ACC_WRITE, writeReq);
}

/**
 * Host address for an atomic read-modify-write of `size` bytes, or 0 when the access must take the
 * ordinary path (page crossing, MMIO, misaligned for wasm atomics). Faults are raised here.
 */
export function atomicHost(lin: u64, size: i32): usize {
  if ((lin & <u64>(size - 1)) != 0) { probeWrite(lin, size); return 0; }
  let h = hostFor(lin, size, writeReq);
  if (h != 0) return h;
  const e = entryFor(lin, ACC_WRITE, writeReq);
  if (e == 0) return 0;
  if ((load<u32>(e, 12) & T_MMIO) != 0 || (load<u64>(e) & TAG_WATCH) != 0) return 0;
  return <usize>load<u32>(e, 8) + <usize>(lin & 0xfff);
}

/** Supervisor (implicit) reads of system structures: GDT, IDT, TSS. */
export function readSystem(lin: u64, size: i32): u64 {
  const savedReq = readReq;
  readReq = 0;
  let v: u64 = 0;
  const off = <i32>(lin & 0xfff);
  if (off + size > 4096) {
    for (let i = 0; i < size; i++) {
      v |= readSystem(lin + <u64>i, 1) << (<u64>i << 3);
      if (fault) break;
    }
  } else {
    const e = tlbFillSupervisor(lin, ACC_READ);
    if (e != 0) {
      const h = <usize>load<u32>(e, 8) + <usize>off;
      if ((load<u32>(e, 12) & T_MMIO) == 0) {
        if (size == 1) v = <u64>load<u8>(h); else if (size == 2) v = <u64>load<u16>(h);
        else if (size == 4) v = <u64>load<u32>(h); else v = load<u64>(h);
      } else v = <u64>-1;
    }
  }
  readReq = savedReq;
  return v;
}

export function writeSystem(lin: u64, size: i32, v: u64): void {
  const e = tlbFillSupervisor(lin, ACC_WRITE);
  if (e == 0 || (load<u32>(e, 12) & T_MMIO) != 0) return;
  const h = <usize>load<u32>(e, 8) + <usize>(lin & 0xfff);
  if (size == 1) store<u8>(h, <u8>v); else if (size == 2) store<u16>(h, <u16>v);
  else if (size == 4) store<u32>(h, <u32>v); else store<u64>(h, v);
}

function tlbFillSupervisor(lin: u64, access: i32): usize {
  return tlbFill(lin, access, false);
}

/** Instruction fetch: translate for execution at the current CPL. 0 after a fault. */
export function fetchEntry(lin: u64): usize {
  const e = tlbFill(lin, ACC_FETCH, cpl == 3);
  if (e == 0) return 0;
  return e;
}

/** Hypervisor-facing translation: linear → physical at CPL 0 without setting A/D bits or faulting. */
export function probeTranslate(lin: u64, write: bool): i64 {
  if (pagingMode == 0) return <i64>(lin & 0xffffffff);
  return walkNoSideEffects(lin, write);
}

function walkNoSideEffects(lin: u64, write: bool): i64 {
  // A read-only copy of walk(): no A/D updates, no #PF.
  if (pagingMode != 2 && !isCanonical(lin) && pagingMode == 4) return -1;
  const cr3 = load<u64>(cpu + V_CR3);
  let rw = true;
  if (pagingMode == 2) {
    const pde = readPte((cr3 & 0xfffff000) + (((lin >> 22) & 0x3ff) << 2), false);
    if ((pde & PTE_P) == 0) return -1;
    rw = (pde & PTE_RW) != 0;
    if ((pde & PTE_PS) != 0 && (load<u64>(cpu + V_CR4) & CR4_PSE) != 0) {
      if (write && !rw && wpEnabled) return -1;
      return <i64>((pde & 0xffc00000) + (lin & 0x3fffff));
    }
    const pte = readPte((pde & 0xfffff000) + (((lin >> 12) & 0x3ff) << 2), false);
    if ((pte & PTE_P) == 0) return -1;
    rw = rw && (pte & PTE_RW) != 0;
    if (write && !rw && wpEnabled) return -1;
    return <i64>((pte & 0xfffff000) + (lin & 0xfff));
  }
  let table: u64;
  let level: i32;
  if (pagingMode == 4) { table = cr3 & ADDR_MASK; level = 4; }
  else {
    const pdpte = readPte((cr3 & 0xffffffe0) + (((lin >> 30) & 3) << 3), true);
    if ((pdpte & PTE_P) == 0) return -1;
    table = pdpte & ADDR_MASK; level = 2;
  }
  while (true) {
    const shift = <u64>(12 + 9 * (level - 1));
    const e = readPte(table + (((lin >> shift) & 0x1ff) << 3), true);
    if ((e & PTE_P) == 0) return -1;
    rw = rw && (e & PTE_RW) != 0;
    if (level == 1 || ((e & PTE_PS) != 0 && level < 4)) {
      if (write && !rw && wpEnabled) return -1;
      const ps = <u64>1 << shift;
      return <i64>((e & ADDR_MASK & ~(ps - 1)) + (lin & (ps - 1)));
    }
    table = e & ADDR_MASK;
    level--;
  }
  return -1;
}
