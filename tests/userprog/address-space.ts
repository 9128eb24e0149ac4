// Guest-physical frame allocation and 4-level page tables for one Linux user process running on the
// core. User pages are tracked page by page (virtual page number → frame + protection) so that the
// syscall layer can read and write user memory and change mappings (brk, mmap, mprotect, munmap,
// mremap); every change is written into the real page tables the core walks.
import { PAGE_SIZE } from '../../wasm/layout.ts';

export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;

const PTE_P = 1n;
const PTE_RW = 2n;
const PTE_US = 4n;
const PTE_NX = 1n << 63n;
const ADDR_MASK = 0x000ffffffffff000n;

export class GuestFault extends Error {
  constructor(readonly va: number) {
    super(`unmapped user address 0x${va.toString(16)}`);
  }
}

interface UserPage {
  pa: number;
  prot: number;
}

export class AddressSpace {
  private readonly dv: DataView;
  private nextFrame: number;
  private readonly freeFrames: number[] = [];
  /** user pages by virtual page number */
  private readonly pages = new Map<number, UserPage>();
  readonly pml4: number;
  /** set whenever a present translation was removed or narrowed: the caller flushes the TLB */
  dirtyTlb = false;

  constructor(
    readonly ram: Uint8Array,
    firstFrame: number,
  ) {
    this.dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
    this.nextFrame = firstFrame;
    this.pml4 = this.allocFrame();
  }

  /** A zeroed 4 KiB guest-physical frame. */
  allocFrame(): number {
    let pa = this.freeFrames.pop();
    if (pa === undefined) {
      pa = this.nextFrame;
      if (pa + PAGE_SIZE > this.ram.length) throw new Error(`guest RAM exhausted (${this.ram.length >> 20} MiB)`);
      this.nextFrame += PAGE_SIZE;
    }
    this.ram.fill(0, pa, pa + PAGE_SIZE);
    return pa;
  }

  get framesInUse(): number {
    return this.nextFrame / PAGE_SIZE - this.freeFrames.length;
  }

  private entryAddr(va: bigint, create: boolean): number {
    let table = this.pml4;
    for (const shift of [39n, 30n, 21n]) {
      const idx = Number((va >> shift) & 511n);
      const e = this.dv.getBigUint64(table + idx * 8, true);
      if (e & PTE_P) {
        table = Number(e & ADDR_MASK);
      } else {
        if (!create) return -1;
        const t = this.allocFrame();
        this.dv.setBigUint64(table + idx * 8, BigInt(t) | PTE_P | PTE_RW | PTE_US, true);
        table = t;
      }
    }
    return table + Number((va >> 12n) & 511n) * 8;
  }

  /** Maps one page (any canonical address); `user` false makes it a supervisor page. */
  mapPage(va: bigint, pa: number, prot: number, user: boolean): void {
    const e = this.entryAddr(va, true);
    const old = this.dv.getBigUint64(e, true);
    let pte = 0n;
    if (prot !== 0) {
      pte = BigInt(pa) | PTE_P;
      if (prot & PROT_WRITE) pte |= PTE_RW;
      if (user) pte |= PTE_US;
      if (!(prot & PROT_EXEC)) pte |= PTE_NX;
    }
    if (old & PTE_P) this.dirtyTlb = true;
    this.dv.setBigUint64(e, pte, true);
  }

  private unmapPte(va: bigint): void {
    const e = this.entryAddr(va, false);
    if (e < 0) return;
    if (this.dv.getBigUint64(e, true) & PTE_P) this.dirtyTlb = true;
    this.dv.setBigUint64(e, 0n, true);
  }

  // ---- user pages ----

  isMapped(va: number): boolean {
    return this.pages.has(Math.floor(va / PAGE_SIZE));
  }

  /** Maps [va, va+len) (page-rounded) as fresh zeroed user pages; existing pages keep their frames. */
  mapUser(va: number, len: number, prot: number): void {
    const first = Math.floor(va / PAGE_SIZE);
    const last = Math.ceil((va + len) / PAGE_SIZE);
    for (let vpn = first; vpn < last; vpn++) {
      let p = this.pages.get(vpn);
      if (!p) {
        p = { pa: this.allocFrame(), prot };
        this.pages.set(vpn, p);
      } else p.prot = prot;
      this.mapPage(BigInt(vpn) << 12n, p.pa, p.prot, true);
    }
  }

  /** Changes protection of the mapped pages in the range; returns false if some page is unmapped. */
  protect(va: number, len: number, prot: number): boolean {
    const first = Math.floor(va / PAGE_SIZE);
    const last = Math.ceil((va + len) / PAGE_SIZE);
    let all = true;
    for (let vpn = first; vpn < last; vpn++) {
      const p = this.pages.get(vpn);
      if (!p) {
        all = false;
        continue;
      }
      if (p.prot & ~prot) this.dirtyTlb = true;
      p.prot = prot;
      this.mapPage(BigInt(vpn) << 12n, p.pa, prot, true);
    }
    return all;
  }

  unmapUser(va: number, len: number): void {
    const first = Math.floor(va / PAGE_SIZE);
    const last = Math.ceil((va + len) / PAGE_SIZE);
    for (let vpn = first; vpn < last; vpn++) {
      const p = this.pages.get(vpn);
      if (!p) continue;
      this.unmapPte(BigInt(vpn) << 12n);
      this.pages.delete(vpn);
      this.freeFrames.push(p.pa);
    }
  }

  /** Moves the pages of [from, from+len) to start at `to` (for mremap), keeping frames and protection. */
  movePages(from: number, to: number, len: number): void {
    const n = Math.ceil(len / PAGE_SIZE);
    const moved: UserPage[] = [];
    for (let i = 0; i < n; i++) {
      const vpn = from / PAGE_SIZE + i;
      const p = this.pages.get(vpn);
      if (!p) throw new GuestFault(vpn * PAGE_SIZE);
      moved.push(p);
      this.pages.delete(vpn);
      this.unmapPte(BigInt(vpn) << 12n);
    }
    for (let i = 0; i < n; i++) {
      const vpn = to / PAGE_SIZE + i;
      this.pages.set(vpn, moved[i]);
      this.mapPage(BigInt(vpn) << 12n, moved[i].pa, moved[i].prot, true);
    }
  }

  protOf(va: number): number {
    return this.pages.get(Math.floor(va / PAGE_SIZE))?.prot ?? -1;
  }

  private physOf(va: number): number {
    const p = this.pages.get(Math.floor(va / PAGE_SIZE));
    if (!p) throw new GuestFault(va);
    return p.pa + (va % PAGE_SIZE);
  }

  read(va: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const a = va + done;
      const chunk = Math.min(len - done, PAGE_SIZE - (a % PAGE_SIZE));
      const pa = this.physOf(a);
      out.set(this.ram.subarray(pa, pa + chunk), done);
      done += chunk;
    }
    return out;
  }

  write(va: number, bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) {
      const a = va + done;
      const chunk = Math.min(bytes.length - done, PAGE_SIZE - (a % PAGE_SIZE));
      const pa = this.physOf(a);
      this.ram.set(bytes.subarray(done, done + chunk), pa);
      done += chunk;
    }
  }

  readU64(va: number): bigint {
    return new DataView(this.read(va, 8).buffer).getBigUint64(0, true);
  }

  writeU64(va: number, v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
    this.write(va, b);
  }

  /** A NUL-terminated string (at most `max` bytes). */
  readCString(va: number, max = 4096): string {
    const bytes: number[] = [];
    for (let i = 0; i < max; i++) {
      const c = this.read(va + i, 1)[0];
      if (c === 0) break;
      bytes.push(c);
    }
    return Buffer.from(bytes).toString('latin1');
  }
}
