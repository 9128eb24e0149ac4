// Host access to guest memory, always bounds-checked against guest RAM.
//
// Physical accessors take guest-physical addresses. Virtual accessors take guest-linear addresses
// (what hypercall pointer arguments are) and translate them page by page through the vCPU's current
// paging mode, so a buffer may cross pages that are not physically contiguous. A page that is not
// mapped, not permitted, or not RAM makes the whole access fail (the caller returns -EFAULT) and the
// host touches nothing outside `ram`. Writes report the changed physical range so the core can drop
// translated code for it.

import { PAGE_SIZE } from '../../wasm/layout.ts';

/** Guest-linear → guest-physical at CPL0, or -1n when unmapped / not permitted. */
export type TranslateFn = (vcpu: number, linear: bigint, write: boolean) => bigint;
/** Called after the host wrote guest RAM [gpa, gpa+len). */
export type HostWriteFn = (gpa: number, len: number) => void;

const ADDR_MASK_64 = (1n << 64n) - 1n;

export class GuestMemory {
  constructor(
    /** Exactly the guest RAM: index = guest-physical address. */
    readonly ram: Uint8Array,
    private readonly translateFn: TranslateFn,
    private readonly onHostWrite: HostWriteFn = () => {},
  ) {}

  get ramBytes(): number {
    return this.ram.byteLength;
  }

  /** True if [gpa, gpa+len) lies entirely inside guest RAM. */
  inRam(gpa: number | bigint, len: number): boolean {
    const g = BigInt(gpa);
    return g >= 0n && len >= 0 && g + BigInt(len) <= BigInt(this.ram.byteLength);
  }

  /** Copy of guest-physical [gpa, gpa+len), or null if any byte is outside RAM. */
  readPhys(gpa: number | bigint, len: number): Uint8Array | null {
    if (!this.inRam(gpa, len)) return null;
    const g = Number(gpa);
    return this.ram.slice(g, g + len);
  }

  /** Writes bytes at guest-physical gpa; false (and nothing written) if any byte is outside RAM. */
  writePhys(gpa: number | bigint, bytes: Uint8Array): boolean {
    if (!this.inRam(gpa, bytes.byteLength)) return false;
    const g = Number(gpa);
    this.ram.set(bytes, g);
    if (bytes.byteLength > 0) this.onHostWrite(g, bytes.byteLength);
    return true;
  }

  /** Fills guest-physical [gpa, gpa+len) with `value`; false if outside RAM. */
  fillPhys(gpa: number, len: number, value: number): boolean {
    if (!this.inRam(gpa, len)) return false;
    this.ram.fill(value, gpa, gpa + len);
    if (len > 0) this.onHostWrite(gpa, len);
    return true;
  }

  /**
   * Translates [linear, linear+len) into physical chunks (one per page touched). Null if any page is
   * not mapped/permitted or not RAM. Linear addresses wrap at 2^64.
   */
  private chunks(vcpu: number, linear: bigint, len: number, write: boolean): Array<[number, number]> | null {
    const out: Array<[number, number]> = [];
    let done = 0;
    while (done < len) {
      const la = (linear + BigInt(done)) & ADDR_MASK_64;
      const inPage = PAGE_SIZE - Number(la & BigInt(PAGE_SIZE - 1));
      const n = Math.min(inPage, len - done);
      const pa = this.translateFn(vcpu, la, write);
      if (pa < 0n || !this.inRam(pa, n)) return null;
      out.push([Number(pa), n]);
      done += n;
    }
    return out;
  }

  /** copy_from_guest on a guest-linear address; null = fault (-EFAULT). */
  copyFromGuest(vcpu: number, linear: bigint, len: number): Uint8Array | null {
    if (len < 0) return null;
    const parts = this.chunks(vcpu, linear, len, false);
    if (!parts) return null;
    const out = new Uint8Array(len);
    let o = 0;
    for (const [pa, n] of parts) {
      out.set(this.ram.subarray(pa, pa + n), o);
      o += n;
    }
    return out;
  }

  /** copy_to_guest on a guest-linear address; false = fault (-EFAULT), and then nothing is written. */
  copyToGuest(vcpu: number, linear: bigint, bytes: Uint8Array): boolean {
    const parts = this.chunks(vcpu, linear, bytes.byteLength, true);
    if (!parts) return false;
    let o = 0;
    for (const [pa, n] of parts) {
      this.ram.set(bytes.subarray(o, o + n), pa);
      this.onHostWrite(pa, n);
      o += n;
    }
    return true;
  }

  readU32(vcpu: number, linear: bigint): number | null {
    const b = this.copyFromGuest(vcpu, linear, 4);
    return b ? new DataView(b.buffer).getUint32(0, true) : null;
  }

  writeU32(vcpu: number, linear: bigint, value: number): boolean {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value >>> 0, true);
    return this.copyToGuest(vcpu, linear, b);
  }
}
