// The Xen side of our one PVH domU: everything "Xen" keeps per domain and per vCPU that is not CPU
// state — shared_info and vcpu_info, event channels, HVM params, the per-vCPU Xen timers, blocking
// (SCHEDOP_block/poll), the local APICs, the console backend — and the rule that decides which
// interrupt a vCPU should be offered next. Hypercall handlers reach it as ctx.xen; the Machine drives
// its clock and asks it what to inject. It never touches the core.

import { ApicBus, apicIdForVcpu, Lapic } from './lapic.ts';
import { ConsoleRing } from './console-ring.ts';
import { EventChannels } from './evtchn.ts';
import type { GuestLayout, MemmapEntry } from './guest-layout.ts';
import type { GuestMemory } from './guest-memory.ts';
import { pvclockDeltaNs, pvclockNsToTicks, pvclockScale, type PvclockScale } from './pvclock.ts';
import { SharedInfo } from './shared-info.ts';
import {
  HVM_NR_PARAMS,
  HVM_PARAM_CALLBACK_IRQ,
  HVM_PARAM_CALLBACK_TYPE_VECTOR,
  HVM_PARAM_CONSOLE_EVTCHN,
  HVM_PARAM_CONSOLE_PFN,
  HVM_PARAM_STORE_EVTCHN,
  HVM_PARAM_STORE_PFN,
  RUNSTATE_running,
  VCPU_RUNSTATE_INFO_SIZE,
  VIRQ_TIMER,
} from './hypercalls/xen-abi.ts';

export interface DomainClock {
  /** Virtual clock of vCPU v in TSC ticks (V_CLOCK). */
  ticks(vcpu: number): bigint;
  /** Guest TSC minus virtual clock (V_TSC_OFFSET), so guest TSC = ticks + offset. */
  tscOffset(vcpu: number): bigint;
}

export interface DomainHooks {
  /** Something became deliverable for vCPU v (upcall, LAPIC interrupt, wake from block/poll). */
  kick(vcpu: number): void;
  nmi(vcpu: number): void;
  initSipi(vcpu: number, kind: 'init' | 'init-deassert' | 'startup', vector: number): void;
  /** An IPI reached vCPU `to`: a LAPIC IPI from vCPU `from`, or an event-channel IPI (from = -1). */
  ipi?(to: number, from: number): void;
}

export type BlockState = { kind: 'running' } | { kind: 'blocked' } | { kind: 'poll'; ports: number[]; timeoutNs: bigint | null };

interface XenVcpu {
  id: number;
  block: BlockState;
  singleshotNs: bigint | null;
  periodic: { periodNs: bigint; nextNs: bigint } | null;
  runstateGva: bigint | null;
  /** Guest TSC offset the published pvclock was computed with. */
  publishedOffset: bigint | null;
}

export interface DomainConfig {
  nrVcpus: number;
  tscKhz: number;
  /** Unix time (ms) at guest system time 0, published as the wallclock. */
  wallclockEpochMs: number;
  layout: GuestLayout;
}

/** Interrupt a vCPU should be offered, and where it came from. */
export interface PendingInterrupt {
  vector: number;
  source: 'upcall' | 'lapic';
}

export class XenDomain {
  readonly shinfo: SharedInfo;
  readonly evtchn: EventChannels;
  readonly params: bigint[] = new Array<bigint>(HVM_NR_PARAMS).fill(0n);
  readonly vcpus: XenVcpu[];
  readonly lapics: Lapic[];
  readonly apicBus: ApicBus;
  readonly scale: PvclockScale;
  readonly console: ConsoleRing;
  readonly consolePort: number;
  readonly memmap: readonly MemmapEntry[];
  /** vCPUs that run (vCPU 0 from the start; APs after SMP bring-up). */
  readonly online: boolean[];
  /** Events counted by name: virq timer fires, upcalls, unknown pokes… (stats). */
  readonly counters: Record<string, number> = {};

  constructor(
    readonly mem: GuestMemory,
    readonly cfg: DomainConfig,
    private readonly clock: DomainClock,
    private readonly hooks: DomainHooks,
    consoleOutput: (bytes: Uint8Array) => void,
  ) {
    const n = cfg.nrVcpus;
    this.scale = pvclockScale(cfg.tscKhz);
    this.memmap = cfg.layout.memmapEntries;
    this.shinfo = new SharedInfo(mem.ram, n);
    this.evtchn = new EventChannels(this.shinfo, n, {
      upcall: (v) => {
        this.count('upcall');
        this.hooks.kick(v);
      },
      portRaised: (v, port) => this.portRaised(v, port),
      ipiSent: (v) => this.hooks.ipi?.(v, -1),
    });
    this.online = Array.from({ length: n }, (_, id) => id === 0);
    this.vcpus = Array.from({ length: n }, (_, id) => ({
      id,
      block: { kind: 'running' },
      singleshotNs: null,
      periodic: null,
      runstateGva: null,
      publishedOffset: null,
    }));
    this.lapics = Array.from({ length: n }, (_, id) => new Lapic(apicIdForVcpu(id), () => this.nowNs(id)));
    this.apicBus = new ApicBus(this.lapics, {
      nmi: (v) => this.hooks.nmi(v),
      initSipi: (v, kind, vector) => this.hooks.initSipi(v, kind, vector),
      delivered: (from, to) => this.hooks.ipi?.(to, from),
    });
    // The toolstack's part (xl/libxl + xenconsoled): a console ring and its event channel. No
    // xenstored: STORE_PFN stays 0, so Linux boots without xenbus (docs/pvh-abi.md §9.1).
    this.console = new ConsoleRing(mem.ram, cfg.layout.consolePage, consoleOutput);
    this.consolePort = this.evtchn.bindBackend('console', () => this.serviceConsole());
    this.params[HVM_PARAM_CONSOLE_PFN] = BigInt(cfg.layout.consolePage / 4096);
    this.params[HVM_PARAM_CONSOLE_EVTCHN] = BigInt(this.consolePort);
    this.params[HVM_PARAM_STORE_PFN] = 0n;
    this.params[HVM_PARAM_STORE_EVTCHN] = 0n;
    for (let v = 0; v < n; v++) this.publishTime(v);
    const ms = BigInt(Math.floor(cfg.wallclockEpochMs));
    this.shinfo.writeWallclock(ms / 1000n, Number(ms % 1000n) * 1_000_000);
  }

  count(what: string): void {
    this.counters[what] = (this.counters[what] ?? 0) + 1;
  }

  // ---- time ----
  /** Xen system time of vCPU v in ns: the guest's pvclock formula on the virtual clock. */
  nowNs(v: number): bigint {
    return pvclockDeltaNs(this.clock.ticks(v), this.scale);
  }

  /** Virtual-clock ticks at which vCPU v's system time reaches `ns`. */
  ticksAt(ns: bigint): bigint {
    return pvclockNsToTicks(ns, this.scale);
  }

  /**
   * Publishes vCPU v's vcpu_time_info: tsc_timestamp = the guest TSC at virtual clock 0 and
   * system_time 0, so guest time = scale(guest TSC - offset) = scale(virtual clock) = nowNs(v),
   * exactly, forever — until the guest writes its TSC (then we republish).
   */
  publishTime(v: number): void {
    const off = this.clock.tscOffset(v);
    this.vcpus[v].publishedOffset = off;
    this.shinfo.writeTime(v, { tscTimestamp: off, systemTimeNs: 0n, scale: this.scale, flags: 0 });
  }

  /** Republish if the guest moved its TSC since the last publish (WRMSR IA32_TSC). */
  refreshTimeIfStale(v: number): void {
    if (this.vcpus[v].publishedOffset !== this.clock.tscOffset(v)) this.publishTime(v);
  }

  // ---- shared_info / vcpu_info ----
  mapSharedInfo(gpa: number): void {
    this.shinfo.map(gpa);
    for (let v = 0; v < this.vcpus.length; v++) this.publishTime(v);
  }

  registerVcpuInfo(v: number, gpa: number): void {
    this.shinfo.register(v, gpa);
    this.publishTime(v);
    this.hooks.kick(v);
  }

  registerRunstate(v: number, gva: bigint, callerVcpu: number): void {
    this.vcpus[v].runstateGva = gva;
    // state running since now, all time spent running: no steal time. Xen tolerates a bad address.
    const b = new Uint8Array(VCPU_RUNSTATE_INFO_SIZE);
    const dv = new DataView(b.buffer);
    const now = this.nowNs(v);
    dv.setInt32(0, RUNSTATE_running, true);
    dv.setBigUint64(8, now, true);
    dv.setBigUint64(16, now, true);
    this.mem.copyToGuest(callerVcpu, gva, b);
  }

  // ---- timers ----
  setSingleshot(v: number, deadlineNs: bigint): void {
    if (deadlineNs <= this.nowNs(v)) {
      this.vcpus[v].singleshotNs = null;
      this.fireVirqTimer(v);
    } else {
      this.vcpus[v].singleshotNs = deadlineNs;
    }
  }
  stopSingleshot(v: number): void {
    this.vcpus[v].singleshotNs = null;
  }
  setPeriodic(v: number, periodNs: bigint): void {
    this.vcpus[v].periodic = { periodNs, nextNs: this.nowNs(v) + periodNs };
  }
  stopPeriodic(v: number): void {
    this.vcpus[v].periodic = null;
  }

  private fireVirqTimer(v: number): void {
    this.count('virq_timer');
    this.evtchn.raiseVirq(v, VIRQ_TIMER);
  }

  /** Fires whatever of vCPU v's timers expired by now, and ends an expired poll. */
  runTimers(v: number): void {
    const x = this.vcpus[v];
    const now = this.nowNs(v);
    if (x.singleshotNs !== null && now >= x.singleshotNs) {
      x.singleshotNs = null;
      this.fireVirqTimer(v);
    }
    if (x.periodic && now >= x.periodic.nextNs) {
      const p = x.periodic;
      p.nextNs += ((now - p.nextNs) / p.periodNs + 1n) * p.periodNs;
      this.fireVirqTimer(v);
    }
    this.lapics[v].tick(now);
    if (x.block.kind === 'poll' && x.block.timeoutNs !== null && now >= x.block.timeoutNs) this.unblock(v);
  }

  /** Earliest timer of vCPU v in virtual-clock ticks, or null. */
  nextDeadlineTicks(v: number): bigint | null {
    const x = this.vcpus[v];
    let best: bigint | null = null;
    const consider = (ns: bigint | null | undefined) => {
      if (ns !== null && ns !== undefined && (best === null || ns < best)) best = ns;
    };
    consider(x.singleshotNs);
    consider(x.periodic?.nextNs);
    consider(this.lapics[v].nextDeadline());
    if (x.block.kind === 'poll') consider(x.block.timeoutNs);
    return best === null ? null : this.ticksAt(best);
  }

  // ---- blocking ----
  block(v: number, state: BlockState): void {
    this.vcpus[v].block = state;
    if (this.wakeable(v)) this.unblock(v);
  }
  unblock(v: number): void {
    if (this.vcpus[v].block.kind === 'running') return;
    this.vcpus[v].block = { kind: 'running' };
    this.hooks.kick(v);
  }
  isBlocked(v: number): boolean {
    return this.vcpus[v].block.kind !== 'running';
  }
  /** A blocked vCPU wakes for any event or interrupt for it; a polling one also for its ports. */
  private wakeable(v: number): boolean {
    const b = this.vcpus[v].block;
    if (b.kind === 'running') return false;
    if (this.shinfo.upcallPending(v) || this.lapics[v].highestPending() >= 0) return true;
    return b.kind === 'poll' && b.ports.some((p) => this.shinfo.isPending(p));
  }
  private portRaised(v: number, port: number): void {
    const b = this.vcpus[v].block;
    if (b.kind === 'poll' && b.ports.includes(port)) this.unblock(v);
    else if (b.kind !== 'running' && this.wakeable(v)) this.unblock(v);
  }
  /** Re-checks blocked vCPUs (after LAPIC interrupts or timers). */
  wakeBlocked(): void {
    for (let v = 0; v < this.vcpus.length; v++) if (this.wakeable(v)) this.unblock(v);
  }

  // ---- interrupt selection (docs/pvh-abi.md §5.4) ----
  /** HVM_PARAM_CALLBACK_IRQ vector, when the guest chose the vector callback type. */
  upcallVector(): number | null {
    const p = this.params[HVM_PARAM_CALLBACK_IRQ];
    return p >> 56n === BigInt(HVM_PARAM_CALLBACK_TYPE_VECTOR) ? Number(p & 0xffn) : null;
  }

  /**
   * What vCPU v should be offered now: the event upcall (level-triggered on upcall_pending, bypasses
   * the LAPIC, checked first) or the LAPIC's highest deliverable vector.
   */
  pendingInterrupt(v: number, lapicEnabled: boolean): PendingInterrupt | null {
    const uv = this.upcallVector();
    if (uv !== null && this.shinfo.upcallPending(v)) return { vector: uv, source: 'upcall' };
    if (lapicEnabled) {
      const lv = this.lapics[v].highestPending();
      if (lv >= 0) return { vector: lv, source: 'lapic' };
    }
    return null;
  }

  // ---- console ----
  /** Backend side of the console port: consume output, feed input, notify if we produced any. */
  serviceConsole(): void {
    this.console.drainOutput();
    if (this.console.pumpInput() > 0) this.evtchn.raise(this.consolePort);
  }

  sendConsoleInput(bytes: Uint8Array): void {
    this.console.queueInput(bytes);
    if (this.console.pumpInput() > 0) this.evtchn.raise(this.consolePort);
  }
}
