// The local APIC (docs/pvh-abi.md §6.4; Intel SDM vol. 3 ch. 11): one per vCPU, reachable as xAPIC
// MMIO at APIC_BASE (0xFEE00000) or, once the guest sets IA32_APIC_BASE.EXTD, as x2APIC MSRs
// 0x800–0x8FF. Registers named as in Linux/Xen apicdef.h. The APIC timer counts on a 1 GHz bus
// (1 ns per tick before the divider) of the hypervisor's virtual clock.
//
// The Xen event upcall does NOT go through here (it bypasses the LAPIC, §5.4). Interrupt acceptance
// is split: highestPending() says what the core should be offered, ack(vector) moves it IRR → ISR
// once the core delivered it.

export const APIC_DEFAULT_PHYS_BASE = 0xfee00000;
/** APIC id of vCPU n: MADT, CPUID.1:EBX[31:24] and the ID register must agree (§6.3); we use n. */
export const apicIdForVcpu = (vcpu: number): number => vcpu;
export const MSR_IA32_APICBASE_BSP = 1 << 8;
export const MSR_IA32_APICBASE_EXTD = 1 << 10;
export const MSR_IA32_APICBASE_ENABLE = 1 << 11;
export const APIC_BASE_MSR = 0x800;
export const APIC_MSR_LAST = 0x8ff;

export const APIC_ID = 0x20;
export const APIC_LVR = 0x30;
/** Version 0x14 (integrated APIC), max LVT entry 5 — what Xen's vlapic reports. */
export const APIC_LVR_VALUE = 0x00050014;
export const APIC_TASKPRI = 0x80;
export const APIC_ARBPRI = 0x90;
export const APIC_PROCPRI = 0xa0;
export const APIC_EOI = 0xb0;
export const APIC_RRR = 0xc0;
export const APIC_LDR = 0xd0;
export const APIC_DFR = 0xe0;
export const APIC_SPIV = 0xf0;
export const APIC_ISR = 0x100;
export const APIC_TMR = 0x180;
export const APIC_IRR = 0x200;
export const APIC_ESR = 0x280;
export const APIC_ICR = 0x300;
export const APIC_ICR2 = 0x310;
export const APIC_LVTT = 0x320;
export const APIC_LVTTHMR = 0x330;
export const APIC_LVTPC = 0x340;
export const APIC_LVT0 = 0x350;
export const APIC_LVT1 = 0x360;
export const APIC_LVTERR = 0x370;
export const APIC_TMICT = 0x380;
export const APIC_TMCCT = 0x390;
export const APIC_TDCR = 0x3e0;
export const APIC_SELF_IPI = 0x3f0;

export const APIC_SPIV_APIC_ENABLED = 1 << 8;
export const APIC_LVT_MASKED = 1 << 16;
export const APIC_LVT_TIMER_PERIODIC = 1 << 17;
export const APIC_LVT_TIMER_TSCDEADLINE = 2 << 17;
export const APIC_ESR_SEND_ILLEGAL_VECTOR = 1 << 5;
export const APIC_ESR_RECV_ILLEGAL_VECTOR = 1 << 6;
export const APIC_DM_FIXED = 0;
export const APIC_DM_LOWEST = 1;
export const APIC_DM_SMI = 2;
export const APIC_DM_NMI = 4;
export const APIC_DM_INIT = 5;
export const APIC_DM_STARTUP = 6;
export const APIC_DM_EXTINT = 7;
export const APIC_DEST_LOGICAL = 1 << 11;
export const APIC_INT_ASSERT = 1 << 14;
export const APIC_INT_LEVELTRIG = 1 << 15;
export const APIC_DEST_SELF = 1;
export const APIC_DEST_ALLINC = 2;
export const APIC_DEST_ALLBUT = 3;

const LVT_WRITABLE: Record<number, number> = {
  [APIC_LVTT]: 0x700ff,
  [APIC_LVTTHMR]: 0x107ff,
  [APIC_LVTPC]: 0x107ff,
  [APIC_LVT0]: 0x1a7ff,
  [APIC_LVT1]: 0x1a7ff,
  [APIC_LVTERR]: 0x100ff,
};
const LVTS = Object.keys(LVT_WRITABLE).map(Number);

/** An interrupt command issued through ICR / SELF_IPI, for the bus to route. */
export interface Ipi {
  vector: number;
  mode: number;
  logical: boolean;
  level: boolean;
  trigger: boolean;
  shorthand: number;
  /** Destination: 8-bit xAPIC id / logical mask, or 32-bit in x2APIC mode. */
  dest: number;
  x2apic: boolean;
}

export type MsrResult = { ok: true; value: bigint } | { ok: false };

const GP: MsrResult = { ok: false };

export class Lapic {
  /** Register file: reg[offset >> 4]. */
  private readonly reg = new Uint32Array(0x40);
  private esrPending = 0;
  private timerDeadline: bigint | null = null;
  private timerPeriod = 0n;
  /** Called for every ICR / SELF_IPI write. */
  onIpi: (src: Lapic, ipi: Ipi) => void = () => {};

  constructor(
    readonly id: number,
    /** Virtual time in ns (the hypervisor clock). */
    private readonly now: () => bigint,
  ) {
    this.reset();
  }

  reset(): void {
    this.reg.fill(0);
    this.reg[APIC_ID >> 4] = (this.id << 24) >>> 0;
    this.reg[APIC_LVR >> 4] = APIC_LVR_VALUE;
    this.reg[APIC_DFR >> 4] = 0xffffffff;
    this.reg[APIC_SPIV >> 4] = 0xff;
    for (const l of LVTS) this.reg[l >> 4] = APIC_LVT_MASKED;
    this.esrPending = 0;
    this.timerDeadline = null;
  }

  get softwareEnabled(): boolean {
    return (this.reg[APIC_SPIV >> 4] & APIC_SPIV_APIC_ENABLED) !== 0;
  }

  private bit(base: number, v: number): boolean {
    return (this.reg[(base >> 4) + (v >> 5)] & (1 << (v & 31))) !== 0;
  }
  private setBit(base: number, v: number, on: boolean): void {
    const i = (base >> 4) + (v >> 5);
    this.reg[i] = on ? this.reg[i] | (1 << (v & 31)) : this.reg[i] & ~(1 << (v & 31));
  }
  private highest(base: number): number {
    for (let w = 7; w >= 0; w--) {
      const x = this.reg[(base >> 4) + w];
      if (x) return w * 32 + 31 - Math.clz32(x);
    }
    return -1;
  }
  isrBit(v: number): boolean {
    return this.bit(APIC_ISR, v);
  }
  irrBit(v: number): boolean {
    return this.bit(APIC_IRR, v);
  }

  get ppr(): number {
    const tpr = this.reg[APIC_TASKPRI >> 4] & 0xff;
    const isrv = Math.max(0, this.highest(APIC_ISR));
    return (tpr & 0xf0) >= (isrv & 0xf0) ? tpr : isrv & 0xf0;
  }

  /** A fixed interrupt arrives (IPI, timer, self-IPI). Ignored while software-disabled. */
  acceptFixed(vector: number, level = false): void {
    if (vector < 16) {
      this.esrPending |= APIC_ESR_RECV_ILLEGAL_VECTOR;
      return;
    }
    if (!this.softwareEnabled) return;
    this.setBit(APIC_IRR, vector, true);
    this.setBit(APIC_TMR, vector, level);
  }

  /** Highest IRR vector whose priority class beats PPR, or -1. */
  highestPending(): number {
    const v = this.highest(APIC_IRR);
    if (v < 0) return -1;
    return (v & 0xf0) > (this.ppr & 0xf0) ? v : -1;
  }

  /** The core took `vector`: IRR → ISR. */
  ack(vector: number): void {
    this.setBit(APIC_IRR, vector, false);
    this.setBit(APIC_ISR, vector, true);
  }

  eoi(): void {
    const v = this.highest(APIC_ISR);
    if (v < 0) return;
    this.setBit(APIC_ISR, v, false);
    this.setBit(APIC_TMR, v, false);
  }

  // ---- timer ----
  private divisor(): bigint {
    const d = this.reg[APIC_TDCR >> 4];
    const v = (d & 3) | ((d & 8) >> 1);
    return v === 7 ? 1n : 2n << BigInt(v);
  }

  private startTimer(count: number): void {
    if (count === 0) {
      this.timerDeadline = null;
      return;
    }
    this.timerPeriod = BigInt(count) * this.divisor();
    this.timerDeadline = this.now() + this.timerPeriod;
  }

  /** Next APIC timer expiry (ns of virtual time), or null. */
  nextDeadline(): bigint | null {
    return this.timerDeadline;
  }

  /** Fires the timer if it expired by `now`; periodic timers re-arm. */
  tick(now: bigint): void {
    if (this.timerDeadline === null || now < this.timerDeadline) return;
    const lvt = this.reg[APIC_LVTT >> 4];
    if (!(lvt & APIC_LVT_MASKED)) this.acceptFixed(lvt & 0xff);
    if (lvt & APIC_LVT_TIMER_PERIODIC && this.timerPeriod > 0n) {
      const behind = (now - this.timerDeadline) / this.timerPeriod;
      this.timerDeadline += (behind + 1n) * this.timerPeriod;
    } else {
      this.timerDeadline = null;
    }
  }

  private currentCount(): number {
    if (this.timerDeadline === null) return 0;
    const left = this.timerDeadline - this.now();
    if (left <= 0n) return 0;
    return Number((left + this.divisor() - 1n) / this.divisor()) >>> 0;
  }

  // ---- register access (offset within the 4 KiB page) ----
  read(offset: number, x2apic: boolean): number {
    const o = offset & 0xff0;
    switch (o) {
      case APIC_ID:
        return x2apic ? this.id >>> 0 : this.reg[o >> 4];
      case APIC_PROCPRI:
        return this.ppr;
      case APIC_LDR:
        return x2apic ? this.x2apicLdr() : this.reg[o >> 4];
      case APIC_ICR:
        return this.reg[o >> 4] & ~(1 << 12); // delivery status: always idle
      case APIC_TMCCT:
        return this.currentCount();
      case APIC_ARBPRI:
      case APIC_EOI:
      case APIC_RRR:
        return 0;
      default:
        return this.reg[o >> 4];
    }
  }

  private x2apicLdr(): number {
    return (((this.id >>> 4) << 16) | (1 << (this.id & 0xf))) >>> 0;
  }

  write(offset: number, value: number, x2apic: boolean): void {
    const o = offset & 0xff0;
    const v = value >>> 0;
    switch (o) {
      case APIC_ID:
        if (!x2apic) this.reg[o >> 4] = v & 0xff000000;
        return;
      case APIC_TASKPRI:
        this.reg[o >> 4] = v & 0xff;
        return;
      case APIC_EOI:
        this.eoi();
        return;
      case APIC_LDR:
        if (!x2apic) this.reg[o >> 4] = v & 0xff000000;
        return;
      case APIC_DFR:
        if (!x2apic) this.reg[o >> 4] = (v | 0x0fffffff) >>> 0;
        return;
      case APIC_SPIV:
        this.reg[o >> 4] = v & 0x1ff;
        if (!(v & APIC_SPIV_APIC_ENABLED)) for (const l of LVTS) this.reg[l >> 4] |= APIC_LVT_MASKED;
        return;
      case APIC_ESR:
        this.reg[o >> 4] = this.esrPending;
        this.esrPending = 0;
        return;
      case APIC_ICR2:
        if (!x2apic) this.reg[o >> 4] = v & 0xff000000;
        return;
      case APIC_ICR:
        this.reg[o >> 4] = v & ~(1 << 12);
        this.sendIcr(v, x2apic ? this.reg[APIC_ICR2 >> 4] : this.reg[APIC_ICR2 >> 4] >>> 24, x2apic);
        return;
      case APIC_TMICT:
        this.reg[o >> 4] = v;
        if ((this.reg[APIC_LVTT >> 4] & APIC_LVT_TIMER_TSCDEADLINE) === 0) this.startTimer(v);
        return;
      case APIC_TDCR:
        this.reg[o >> 4] = v & 0xb;
        return;
      case APIC_SELF_IPI:
        if (x2apic) this.onIpi(this, { vector: v & 0xff, mode: APIC_DM_FIXED, logical: false, level: true, trigger: false, shorthand: APIC_DEST_SELF, dest: 0, x2apic });
        return;
      default:
        if (o in LVT_WRITABLE) {
          let nv = v & LVT_WRITABLE[o];
          if (!this.softwareEnabled) nv |= APIC_LVT_MASKED;
          this.reg[o >> 4] = nv;
        }
      // read-only and reserved registers ignore writes in xAPIC mode
    }
  }

  private sendIcr(low: number, dest: number, x2apic: boolean): void {
    const ipi: Ipi = {
      vector: low & 0xff,
      mode: (low >> 8) & 7,
      logical: (low & APIC_DEST_LOGICAL) !== 0,
      level: (low & APIC_INT_ASSERT) !== 0,
      trigger: (low & APIC_INT_LEVELTRIG) !== 0,
      shorthand: (low >> 18) & 3,
      dest: dest >>> 0,
      x2apic,
    };
    if ((ipi.mode === APIC_DM_FIXED || ipi.mode === APIC_DM_LOWEST) && ipi.vector < 16) {
      this.esrPending |= APIC_ESR_SEND_ILLEGAL_VECTOR;
      return;
    }
    this.onIpi(this, ipi);
  }

  /** Does this APIC match a (non-shorthand) destination? */
  matches(ipi: Ipi): boolean {
    if (!ipi.logical) {
      if (ipi.x2apic) return ipi.dest === 0xffffffff || ipi.dest === this.id;
      return ipi.dest === 0xff || ipi.dest === (this.id & 0xff);
    }
    if (ipi.x2apic) {
      const ldr = this.x2apicLdr();
      return ipi.dest >>> 16 === ldr >>> 16 && (ipi.dest & ldr & 0xffff) !== 0;
    }
    const ldr = this.reg[APIC_LDR >> 4] >>> 24;
    const flat = this.reg[APIC_DFR >> 4] >>> 28 === 0xf;
    if (flat) return (ipi.dest & ldr) !== 0;
    return ipi.dest >> 4 === ldr >> 4 && (ipi.dest & ldr & 0xf) !== 0;
  }

  // ---- x2APIC MSR interface: MSR 0x800 + (offset >> 4) ----
  readMsr(index: number): MsrResult {
    const o = (index - APIC_BASE_MSR) << 4;
    switch (o) {
      case APIC_ID:
      case APIC_LVR:
      case APIC_TASKPRI:
      case APIC_PROCPRI:
      case APIC_LDR:
      case APIC_SPIV:
      case APIC_ESR:
      case APIC_TMICT:
      case APIC_TMCCT:
      case APIC_TDCR:
        return { ok: true, value: BigInt(this.read(o, true)) };
      case APIC_ICR:
        return { ok: true, value: BigInt(this.read(APIC_ICR, true)) | (BigInt(this.reg[APIC_ICR2 >> 4]) << 32n) };
      default:
        if (o >= APIC_ISR && o < APIC_IRR + 0x80) return { ok: true, value: BigInt(this.read(o, true)) };
        if (o in LVT_WRITABLE) return { ok: true, value: BigInt(this.read(o, true)) };
        return GP;
    }
  }

  writeMsr(index: number, value: bigint): boolean {
    const o = (index - APIC_BASE_MSR) << 4;
    if (o === APIC_ICR) {
      this.reg[APIC_ICR2 >> 4] = Number(value >> 32n) >>> 0;
      this.write(APIC_ICR, Number(value & 0xffffffffn), true);
      return true;
    }
    if (value >> 32n !== 0n) return false;
    const v = Number(value);
    switch (o) {
      case APIC_TASKPRI:
      case APIC_SPIV:
      case APIC_TMICT:
      case APIC_TDCR:
      case APIC_SELF_IPI:
        this.write(o, v, true);
        return true;
      case APIC_EOI:
      case APIC_ESR:
        if (v !== 0) return false;
        this.write(o, v, true);
        return true;
      default:
        if (o in LVT_WRITABLE) {
          this.write(o, v, true);
          return true;
        }
        return false;
    }
  }
}

export interface ApicBusHooks {
  nmi(vcpu: number): void;
  /** INIT (assert), INIT de-assert and STARTUP IPIs, for SMP bring-up. */
  initSipi(vcpu: number, kind: 'init' | 'init-deassert' | 'startup', vector: number): void;
  /** An IPI of delivery `mode` was routed from vCPU `from` to vCPU `to` (statistics, wake-ups). */
  delivered?(from: number, to: number, mode: number): void;
}

/** Routes IPIs between the vCPUs' local APICs (index = vCPU id). */
export class ApicBus {
  readonly ipiLog: Array<{ from: number; to: number; mode: number; vector: number }> = [];
  constructor(
    readonly lapics: readonly Lapic[],
    private readonly hooks: ApicBusHooks,
  ) {
    for (const l of lapics) l.onIpi = (src, ipi) => this.route(src, ipi);
  }

  private targets(src: Lapic, ipi: Ipi): number[] {
    const all = this.lapics.map((_, i) => i);
    const self = this.lapics.indexOf(src);
    switch (ipi.shorthand) {
      case APIC_DEST_SELF:
        return [self];
      case APIC_DEST_ALLINC:
        return all;
      case APIC_DEST_ALLBUT:
        return all.filter((i) => i !== self);
      default: {
        const m = all.filter((i) => this.lapics[i].matches(ipi));
        return ipi.mode === APIC_DM_LOWEST ? m.slice(0, 1) : m;
      }
    }
  }

  route(src: Lapic, ipi: Ipi): void {
    const from = this.lapics.indexOf(src);
    for (const to of this.targets(src, ipi)) {
      this.ipiLog.push({ from, to, mode: ipi.mode, vector: ipi.vector });
      if (this.ipiLog.length > 64) this.ipiLog.shift();
      this.hooks.delivered?.(from, to, ipi.mode);
      switch (ipi.mode) {
        case APIC_DM_FIXED:
        case APIC_DM_LOWEST:
          this.lapics[to].acceptFixed(ipi.vector, ipi.trigger);
          break;
        case APIC_DM_NMI:
          this.hooks.nmi(to);
          break;
        case APIC_DM_INIT:
          this.hooks.initSipi(to, !ipi.level && ipi.trigger ? 'init-deassert' : 'init', 0);
          break;
        case APIC_DM_STARTUP:
          this.hooks.initSipi(to, 'startup', ipi.vector);
          break;
        default:
          break; // SMI, ExtINT: nothing to deliver in a PVH domain
      }
    }
  }
}
