// SMP start-up: which vCPUs are up, and the two ways a PVH guest starts or stops one
// (docs/pvh-abi.md §6.1, §4.11):
//
// * Native INIT-SIPI-SIPI through the local APIC (what Linux does on Xen PVH). INIT puts the target
//   in the architectural INIT state and takes it down (wait-for-SIPI); INIT de-assert does nothing;
//   a STARTUP IPI with vector V starts a vCPU that is down in real mode at CS = V<<8 (base V<<12),
//   IP = 0 — the same register state INIT gives, except CS:IP. A STARTUP to a vCPU that is up is
//   ignored (Linux sends two).
// * The Xen vcpu_op calls: VCPUOP_initialise with a struct vcpu_hvm_context (32- or 64-bit start
//   state), VCPUOP_up, VCPUOP_down, VCPUOP_is_up. Semantics as Xen's: initialise refuses a vCPU that
//   is already initialised (-EEXIST), up needs an initialised vCPU (-EINVAL), down keeps the
//   registers (a later up resumes there) and refuses to stop the last running vCPU.
//
// "Down" is one state for both: a down vCPU costs nothing and runs no instruction. vCPU 0 starts up
// at the PVH entry; every other vCPU starts down, waiting for a SIPI or VCPUOP_up.
//
// Everything here works on the state blocks of wasm/layout.ts through VcpuRegs and the core's
// resetVcpu(); nothing assumes the vCPUs share a thread.

import {
  CR0_PE,
  CR0_PG,
  EFER_LMA,
  EFER_LME,
  SEG_CS,
  SEG_DS,
  SEG_ES,
  SEG_FS,
  SEG_GS,
  SEG_SS,
  SEG_TR,
  V_APIC_ID,
  V_CLOCK,
  V_CR0,
  V_CR3,
  V_CR4,
  V_EFER,
  V_INSN_COUNT,
  V_TSC_KHZ,
  V_TSC_OFFSET,
  V_VENDOR_AMD,
} from '../../wasm/layout.ts';
import { Gpr, type VcpuRegs } from '../vm/core.ts';
import { EEXIST, EINVAL } from './hypercalls/xen-abi.ts';

/** What the start-up logic needs from the CPU side (the Machine passes the core). */
export interface SmpCpu {
  /** The core's resetVcpu(v): the architectural INIT state; clears the whole state block. */
  reset(v: number): void;
  regs(v: number): VcpuRegs;
  flushTlb(v: number): void;
}

export interface SmpHooks {
  /** vCPU v went through INIT: its local APIC resets too (the Xen side keeps its bindings). */
  initReset?(v: number): void;
  /** v's up/down state changed (the scheduler picks it up or drops it). */
  changed?(v: number, up: boolean): void;
}

/** struct vcpu_hvm_context (xen/include/public/hvm/hvm_vcpu.h): u32 mode @0, u32 pad @4, regs @8. */
export const VCPU_HVM_CONTEXT_SIZE = 8 + 120;
export const VCPU_HVM_MODE_32B = 0;
export const VCPU_HVM_MODE_64B = 1;

/** State-block fields that survive INIT: virtual time, TSC, statistics, identity. */
const KEEP_U64 = [V_CLOCK, V_TSC_OFFSET, V_INSN_COUNT];
const KEEP_U32 = [V_TSC_KHZ, V_VENDOR_AMD, V_APIC_ID];

/** Real-mode code/data segments (VMX attribute layout): present, S, accessed, R/W. */
const ATTR_REAL_CODE = 0x9b;

const ATTR_L = 1 << 13;
/** 64-bit start of VCPU_HVM_MODE_64B: flat CS with L=1, flat data, busy 64-bit TSS. */
const ATTR_CODE64 = 0xa09b;
const ATTR_DATA = 0xc093;
const ATTR_TSS_BUSY = 0x8b;

/** vcpu_hvm_x86_32 *_ar (type[3:0] s[4] dpl[6:5] p[7] avl[8] l[9] db[10] g[11]) → VMX layout. */
export const hvmArToAttr = (ar: number): number => (ar & 0xff) | ((ar & 0xf00) << 4);

export class VcpuStartup {
  /** Xen's is_initialised: a start state was given (PVH entry, SIPI, VCPUOP_initialise). */
  readonly initialised: boolean[];
  /** INIT/SIPI/up/down transitions per vCPU (stats). */
  readonly log: string[] = [];

  constructor(
    /** Up (runs) per vCPU; the domain's `online` array, vCPU 0 up at the PVH entry. */
    readonly online: boolean[],
    private readonly cpu: SmpCpu,
    private readonly hooks: SmpHooks = {},
  ) {
    this.initialised = online.map((up) => up);
  }

  get count(): number {
    return this.online.length;
  }

  isUp(v: number): boolean {
    return this.online[v] === true;
  }

  private note(s: string): void {
    if (this.log.length >= 256) this.log.shift();
    this.log.push(s);
  }

  private setUp(v: number, up: boolean): void {
    if (this.online[v] === up) return;
    this.online[v] = up;
    this.hooks.changed?.(v, up);
  }

  /** The core's INIT state, keeping what INIT does not reset (clock, TSC, counters, APIC id). */
  private resetKeeping(v: number): VcpuRegs {
    const r = this.cpu.regs(v);
    const k64 = KEEP_U64.map((o) => r.u64(o));
    const k32 = KEEP_U32.map((o) => r.u32(o));
    this.cpu.reset(v);
    KEEP_U64.forEach((o, i) => r.setU64(o, k64[i]));
    KEEP_U32.forEach((o, i) => r.setU32(o, k32[i]));
    return r;
  }

  /** INIT IPI (assert): reset to the INIT state and wait for a SIPI. */
  init(v: number): void {
    if (v < 0 || v >= this.count) return;
    this.resetKeeping(v);
    this.initialised[v] = false;
    this.hooks.initReset?.(v);
    this.setUp(v, false);
    this.note(`INIT vCPU ${v}`);
  }

  /** STARTUP IPI with `vector`: a down vCPU starts in real mode at vector<<12; an up one ignores it. */
  startup(v: number, vector: number): boolean {
    if (v < 0 || v >= this.count || this.online[v]) return false;
    const r = this.resetKeeping(v);
    const vec = vector & 0xff;
    r.setSeg(SEG_CS, { sel: vec << 8, attr: ATTR_REAL_CODE, limit: 0xffff, base: BigInt(vec << 12) });
    r.rip = 0n;
    this.initialised[v] = true;
    this.setUp(v, true);
    this.note(`SIPI vCPU ${v} vector 0x${vec.toString(16)}`);
    return true;
  }

  /**
   * VCPUOP_initialise with the struct vcpu_hvm_context bytes `ctx` (VCPU_HVM_CONTEXT_SIZE).
   * Returns 0 or -errno.
   */
  initialise(v: number, ctx: Uint8Array): number {
    if (this.initialised[v]) return -EEXIST;
    const dv = new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength);
    const mode = dv.getUint32(0, true);
    if (mode !== VCPU_HVM_MODE_32B && mode !== VCPU_HVM_MODE_64B) return -EINVAL;
    const r = this.cpu.regs(v);
    if (mode === VCPU_HVM_MODE_64B) {
      const q = (i: number) => dv.getBigUint64(8 + i * 8, true);
      const cr0 = q(10);
      const efer = q(13);
      // Long mode needs paging, protection and LME (Xen refuses other 64-bit starts).
      if ((cr0 & BigInt((CR0_PG | CR0_PE) >>> 0)) !== BigInt((CR0_PG | CR0_PE) >>> 0) || (efer & BigInt(EFER_LME)) === 0n) return -EINVAL;
      this.resetKeeping(v);
      for (let i = 0; i < 8; i++) r.setGpr(i as Gpr, q(i));
      r.rip = q(8);
      r.rflags = q(9) | 2n;
      r.setU64(V_CR0, cr0);
      r.setU64(V_CR3, q(11));
      r.setU64(V_CR4, q(12));
      r.setU64(V_EFER, efer | BigInt(EFER_LMA));
      const flat = (attr: number) => ({ sel: 0, attr, limit: 0xffffffff, base: 0n });
      r.setSeg(SEG_CS, flat(ATTR_CODE64));
      for (const s of [SEG_DS, SEG_ES, SEG_SS, SEG_FS, SEG_GS]) r.setSeg(s, flat(ATTR_DATA));
      r.setSeg(SEG_TR, { sel: 0, attr: ATTR_TSS_BUSY, limit: 0x67, base: 0n });
    } else {
      const d = (i: number) => dv.getUint32(8 + i * 4, true);
      const cr0 = d(10);
      const efer = dv.getBigUint64(8 + 56, true); // @56 in x86_32
      const seg = (baseAt: number, limitAt: number, arAt: number) => {
        const ar = dv.getUint16(8 + arAt, true);
        return { sel: 0, attr: hvmArToAttr(ar), limit: dv.getUint32(8 + limitAt, true), base: BigInt(dv.getUint32(8 + baseAt, true)) };
      };
      // x86_32 offsets: bases @64 (cs ds ss es tr), limits @84, access rights (u16) @104.
      const cs = seg(64, 84, 104);
      // A 32-bit start needs protection on and a present code segment that is not 64-bit.
      if (!(cr0 & CR0_PE) || (cs.attr & 0x80) === 0 || (cs.attr & 0x18) !== 0x18 || (cs.attr & ATTR_L) !== 0) return -EINVAL;
      this.resetKeeping(v);
      for (let i = 0; i < 8; i++) r.setGpr(i as Gpr, BigInt(d(i)));
      r.rip = BigInt(d(8));
      r.rflags = BigInt(d(9) | 2);
      r.setU64(V_CR0, BigInt(cr0));
      r.setU64(V_CR3, BigInt(d(11)));
      r.setU64(V_CR4, BigInt(d(12)));
      r.setU64(V_EFER, (efer & BigInt(EFER_LME)) !== 0n && cr0 & CR0_PG ? efer | BigInt(EFER_LMA) : efer);
      r.setSeg(SEG_CS, cs);
      const ds = seg(68, 88, 106);
      r.setSeg(SEG_DS, ds);
      r.setSeg(SEG_SS, seg(72, 92, 108));
      r.setSeg(SEG_ES, seg(76, 96, 110));
      r.setSeg(SEG_FS, ds);
      r.setSeg(SEG_GS, ds);
      r.setSeg(SEG_TR, seg(80, 100, 112));
    }
    this.cpu.flushTlb(v);
    this.initialised[v] = true;
    this.note(`VCPUOP_initialise vCPU ${v} (${mode === VCPU_HVM_MODE_64B ? '64' : '32'}-bit)`);
    return 0;
  }

  /** VCPUOP_up: an initialised vCPU runs (again). */
  up(v: number): number {
    if (!this.initialised[v]) return -EINVAL;
    if (!this.online[v]) this.note(`VCPUOP_up vCPU ${v}`);
    this.setUp(v, true);
    return 0;
  }

  /** VCPUOP_down: v stops where it is; the last running vCPU cannot be stopped. */
  down(v: number): number {
    if (!this.online[v]) return 0;
    if (!this.online.some((up, i) => up && i !== v)) return -EINVAL;
    this.setUp(v, false);
    this.note(`VCPUOP_down vCPU ${v}`);
    return 0;
  }
}
