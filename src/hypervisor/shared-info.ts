// struct shared_info and struct vcpu_info (64-bit layout, xen/include/public/xen.h and
// arch-x86/xen-x86_64.h; docs/pvh-abi.md §5.1, §5.2): where they live and the atomic bit operations
// the 2-level event channel ABI performs on them.
//
// Like Xen, the shared_info page exists from domain creation. Until the guest maps it with
// XENMEM_add_to_physmap(XENMAPSPACE_shared_info) it lives in a host buffer; mapping copies its
// contents to the chosen guest frame and from then on the guest page *is* shared_info. Each vCPU's
// vcpu_info is slot n of shared_info (n < 32) until VCPUOP_register_vcpu_info moves it into guest RAM.
//
// Bit operations use Atomics on 32-bit words: the guest's bitmaps are little-endian u64 arrays, so bit
// p of the array is bit (p & 31) of u32 word (p >> 5), and vCPUs may later run in other threads.

import { PAGE_SIZE } from '../../wasm/layout.ts';
import { VCPU_TIME_INFO_SIZE, writeTimeInfo, type TimeInfo } from './pvclock.ts';

export const XEN_LEGACY_MAX_VCPUS = 32;
export const VCPU_INFO_SIZE = 64;
// struct shared_info
export const SHINFO_VCPU_INFO = 0;
export const SHINFO_EVTCHN_PENDING = 2048;
export const SHINFO_EVTCHN_MASK = 2560;
export const SHINFO_WC_VERSION = 3072;
export const SHINFO_WC_SEC = 3076;
export const SHINFO_WC_NSEC = 3080;
export const SHINFO_WC_SEC_HI = 3084;
export const SHINFO_ARCH = 3088;
export const SHARED_INFO_SIZE = 3136;
// struct vcpu_info
export const VCPUINFO_UPCALL_PENDING = 0;
export const VCPUINFO_UPCALL_MASK = 1;
export const VCPUINFO_PENDING_SEL = 8;
export const VCPUINFO_ARCH = 16;
export const VCPUINFO_TIME = 32;

/** A 4 KiB-or-less region of some buffer, addressed by byte offset `base` within `i32`'s buffer view. */
interface Region {
  i32: Int32Array;
  dv: DataView;
  base: number;
}

function hostPage(): Region {
  const buf = new ArrayBuffer(PAGE_SIZE);
  return { i32: new Int32Array(buf), dv: new DataView(buf), base: 0 };
}

function bitOp(r: Region, byteOff: number, bit: number, set: boolean): boolean {
  const idx = (r.base + byteOff + (bit >>> 5) * 4) >>> 2;
  const m = 1 << (bit & 31);
  const old = set ? Atomics.or(r.i32, idx, m) : Atomics.and(r.i32, idx, ~m);
  return (old & m) !== 0;
}

export class SharedInfo {
  private page: Region = hostPage();
  private mappedGpa: number | null = null;
  /** Guest-physical address of each vCPU's registered vcpu_info, or null (slot in shared_info). */
  private readonly registered: Array<number | null>;
  private readonly ramI32: Int32Array;
  private readonly ramDv: DataView;

  constructor(
    /** Guest RAM (index = guest-physical address); its byteOffset must be 4-aligned. */
    private readonly ram: Uint8Array,
    readonly nrVcpus: number,
  ) {
    this.ramI32 = new Int32Array(ram.buffer, ram.byteOffset, ram.byteLength >>> 2);
    this.ramDv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
    this.registered = new Array<number | null>(nrVcpus).fill(null);
  }

  /** Guest-physical address of the shared_info page, or null while it is not mapped. */
  get gpa(): number | null {
    return this.mappedGpa;
  }

  /** XENMAPSPACE_shared_info: the page moves (contents and all) to guest frame `gpa`. */
  map(gpa: number): void {
    const old = new Uint8Array(this.page.dv.buffer, this.page.dv.byteOffset + this.page.base, PAGE_SIZE).slice();
    this.ram.set(old, gpa);
    this.page = { i32: this.ramI32, dv: this.ramDv, base: gpa };
    this.mappedGpa = gpa;
  }

  /** The region holding vCPU v's vcpu_info and the byte offset of the struct in it. */
  private vcpuInfo(v: number): { r: Region; off: number } | null {
    const g = this.registered[v];
    if (g !== null && g !== undefined) return { r: { i32: this.ramI32, dv: this.ramDv, base: 0 }, off: g };
    if (v < XEN_LEGACY_MAX_VCPUS) return { r: this.page, off: SHINFO_VCPU_INFO + v * VCPU_INFO_SIZE };
    return null;
  }

  registeredGpa(v: number): number | null {
    return this.registered[v] ?? null;
  }

  /**
   * VCPUOP_register_vcpu_info: from now on vCPU v's vcpu_info is at guest-physical `gpa` (64 bytes, in
   * RAM, not crossing a page; the caller checked). Xen copies the current contents over, then marks
   * every selector bit and upcall_pending so the guest rescans (the "all pending" mark).
   */
  register(v: number, gpa: number): void {
    const cur = this.vcpuInfo(v);
    const bytes = new Uint8Array(VCPU_INFO_SIZE);
    if (cur) bytes.set(new Uint8Array(cur.r.dv.buffer, cur.r.dv.byteOffset + cur.r.base + cur.off, VCPU_INFO_SIZE));
    this.ram.set(bytes, gpa);
    this.registered[v] = gpa;
    this.ramDv.setBigUint64(gpa + VCPUINFO_PENDING_SEL, 0xffffffffffffffffn, true);
    this.ramDv.setUint8(gpa + VCPUINFO_UPCALL_PENDING, 1);
  }

  // ---- the 2-level bitmaps in shared_info ----
  testAndSetPending(port: number): boolean {
    return bitOp(this.page, SHINFO_EVTCHN_PENDING, port, true);
  }
  clearPending(port: number): boolean {
    return bitOp(this.page, SHINFO_EVTCHN_PENDING, port, false);
  }
  isPending(port: number): boolean {
    const idx = (this.page.base + SHINFO_EVTCHN_PENDING + (port >>> 5) * 4) >>> 2;
    return (Atomics.load(this.page.i32, idx) & (1 << (port & 31))) !== 0;
  }
  isMasked(port: number): boolean {
    const idx = (this.page.base + SHINFO_EVTCHN_MASK + (port >>> 5) * 4) >>> 2;
    return (Atomics.load(this.page.i32, idx) & (1 << (port & 31))) !== 0;
  }
  /** Sets the mask bit (guest-owned; used by tests and at reset). Returns the old bit. */
  setMask(port: number): boolean {
    return bitOp(this.page, SHINFO_EVTCHN_MASK, port, true);
  }
  /** Clears the mask bit and returns whether it was set. */
  testAndClearMask(port: number): boolean {
    return bitOp(this.page, SHINFO_EVTCHN_MASK, port, false);
  }

  // ---- per-vCPU fields ----
  /** Sets bit `word` of v's evtchn_pending_sel; returns the old bit. */
  testAndSetSelector(v: number, word: number): boolean {
    const vi = this.vcpuInfo(v);
    return vi ? bitOp(vi.r, vi.off + VCPUINFO_PENDING_SEL, word, true) : true;
  }
  /** Sets v's evtchn_upcall_pending; returns true if it was already set. */
  testAndSetUpcallPending(v: number): boolean {
    const vi = this.vcpuInfo(v);
    if (!vi) return true;
    const idx = (vi.r.base + vi.off + VCPUINFO_UPCALL_PENDING) >>> 2;
    // upcall_pending is byte 0 of a 4-aligned word (vcpu_info is 8-aligned): set it to 1 atomically.
    for (;;) {
      const old = Atomics.load(vi.r.i32, idx);
      if ((old & 0xff) !== 0) return true;
      if (Atomics.compareExchange(vi.r.i32, idx, old, (old & ~0xff) | 1) === old) return false;
    }
  }
  /** What the guest's upcall handler does first (tests; the hypervisor never clears it). */
  clearUpcallPending(v: number): void {
    const vi = this.vcpuInfo(v);
    if (vi) vi.r.dv.setUint8(vi.r.base + vi.off + VCPUINFO_UPCALL_PENDING, 0);
  }
  upcallPending(v: number): boolean {
    const vi = this.vcpuInfo(v);
    return vi ? vi.r.dv.getUint8(vi.r.base + vi.off + VCPUINFO_UPCALL_PENDING) !== 0 : false;
  }
  pendingSelector(v: number): bigint {
    const vi = this.vcpuInfo(v);
    return vi ? vi.r.dv.getBigUint64(vi.r.base + vi.off + VCPUINFO_PENDING_SEL, true) : 0n;
  }

  /** Writes vCPU v's vcpu_time_info in every place the guest may read it (slot and registered copy). */
  writeTime(v: number, t: TimeInfo): void {
    if (v < XEN_LEGACY_MAX_VCPUS) writeTimeInfo(this.page.dv, this.page.base + SHINFO_VCPU_INFO + v * VCPU_INFO_SIZE + VCPUINFO_TIME, t);
    const g = this.registered[v];
    if (g !== null && g !== undefined) writeTimeInfo(this.ramDv, g + VCPUINFO_TIME, t);
  }

  /** Wall-clock time (Unix epoch) at guest system time 0, under the wc_version seqcount. */
  writeWallclock(sec: bigint, nsec: number): void {
    const dv = this.page.dv;
    const b = this.page.base;
    const v = dv.getUint32(b + SHINFO_WC_VERSION, true);
    const odd = (v | 1) >>> 0;
    dv.setUint32(b + SHINFO_WC_VERSION, odd, true);
    dv.setUint32(b + SHINFO_WC_SEC, Number(sec & 0xffffffffn), true);
    dv.setUint32(b + SHINFO_WC_NSEC, nsec >>> 0, true);
    dv.setUint32(b + SHINFO_WC_SEC_HI, Number((sec >> 32n) & 0xffffffffn), true);
    dv.setUint32(b + SHINFO_WC_VERSION, (odd + 1) >>> 0, true);
  }

  /** Copy of the whole shared_info page (tests, debugging). */
  snapshot(): Uint8Array {
    return new Uint8Array(this.page.dv.buffer, this.page.dv.byteOffset + this.page.base, PAGE_SIZE).slice();
  }
}

export { VCPU_TIME_INFO_SIZE };
