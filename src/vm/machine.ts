// Machine: one guest — the wasm core, guest RAM, the PVH-loaded kernel and the hypervisor services
// that answer the core's exits (hypercalls, Xen CPUID leaves, the hypercall-page MSR, port I/O, MMIO).
//
// Runs in Node and in a Web Worker: no Node imports; the caller passes the wasm bytes or module.
// Drive it with runSlice() in a loop, yielding to the event loop between slices.

import {
  EFER_LMA,
  MAX_GUEST_RAM,
  MAX_VCPUS,
  EVENT_EXCEPTION,
  EXIT_BUDGET,
  EXIT_CPUID,
  EXIT_HLT,
  EXIT_HYPERCALL,
  EXIT_IO,
  EXIT_MMIO,
  EXIT_MSR,
  EXIT_PAUSE,
  EXIT_SHUTDOWN,
  EXIT_UNIMPLEMENTED,
  CR0_PE,
  RFLAGS_IF,
  SEG_CS,
  V_CLOCK,
  V_CR0,
  V_CR3,
  V_EFER,
  V_APIC_BASE,
  V_APIC_ID,
  V_EXIT_ADDR,
  V_EXIT_BYTES,
  V_EXTINT_VALID,
  V_EXTINT_VECTOR,
  EVENT_NMI,
  V_TSC_OFFSET,
  V_EXIT_PORT,
  V_EXIT_REASON,
  V_EXIT_RIP,
  V_EXIT_SIZE,
  V_EXIT_VALUE,
  V_EXIT_WRITE,
  V_HALTED,
  V_INSN_COUNT,
  V_IO_DATA,
  V_IO_PENDING,
  V_PENDING_ERROR,
  V_PENDING_KIND,
  V_PENDING_VALID,
  V_PENDING_VECTOR,
  V_RFLAGS,
  V_TSC_KHZ,
  V_VENDOR_AMD,
} from '../../wasm/layout.ts';
import type { MachineConfig, MachineIO, MachineShutdown, MachineStats, ShutdownReason, SliceResult, VcpuInfo } from './api.ts';
import { Core, Gpr, type VcpuRegs } from './core.ts';
import { BootError } from '../hypervisor/boot-error.ts';
import { DEBUG_EXIT_SIZE, DebugExit } from '../hypervisor/debug-exit.ts';
import { xenCpuid, XEN_CPUID_BASE, XEN_HYPERCALL_MSR } from '../hypervisor/cpuid-xen.ts';
import { GuestMemory } from '../hypervisor/guest-memory.ts';
import { buildHypercallPage, hypercallPageGpa } from '../hypervisor/hypercall-page.ts';
import type { HypercallContext } from '../hypervisor/hypercalls/context.ts';
import { currentCpl, HypercallDispatcher, in64BitMode } from '../hypervisor/hypercalls/dispatch.ts';
import { loadPvh, planPvhBoot, setPvhEntryState, type PvhBootResult } from '../hypervisor/pvh-boot.ts';
import { XenDomain } from '../hypervisor/domain.ts';
import { VcpuStartup } from '../hypervisor/smp.ts';
import { __HYPERVISOR_sched_op, SCHEDOP_yield } from '../hypervisor/hypercalls/xen-abi.ts';
import {
  APIC_BASE_MSR,
  APIC_MSR_LAST,
  apicIdForVcpu,
  MSR_IA32_APICBASE_ENABLE,
  MSR_IA32_APICBASE_EXTD,
} from '../hypervisor/lapic.ts';
import { ACPI_S5_SLP_TYP, ACPI_SLEEP_CONTROL_PORT, ACPI_X_SLEEP_ENABLE, ACPI_X_SLEEP_TYPE_MASK, ACPI_X_SLEEP_TYPE_POSITION } from '../hypervisor/acpi.ts';

export const DEFAULT_MEMORY_MIB = 256;
/** Virtual TSC frequency the guest sees (CPUID 0x40000003 ECX, and the clock's tick rate): 1 GHz. */
export const TSC_KHZ = 1_000_000;
/** Bochs/QEMU debug console port: bytes written here go to the console. */
export const DEBUGCON_PORT = 0xe9;
/** Instructions' worth of virtual time per instruction in deterministic mode (1 GHz TSC → 1 ns each). */
const DETERMINISTIC_TICKS_PER_INSN = 1n;
/** Safety valve: a slice ends after this many exits even if the budget is not spent. */
const MAX_EXITS_PER_SLICE = 100_000;
/** Deterministic mode: how many times one slice may jump the idle clock to the next timer. */
const MAX_IDLE_SKIPS_PER_SLICE = 64;
/** Console bytes kept for crash reports. */
const CONSOLE_TAIL_BYTES = 4096;
const CRASH_TAIL_LINES = 12;
/** Fixed wall clock of deterministic runs: 2025-01-01T00:00:00Z. */
const DETERMINISTIC_WALLCLOCK_MS = 1735689600000;
const LAPIC_MMIO_SIZE = 0x1000;
/**
 * Round-robin time slice (instructions) of one vCPU while more than one is up: short enough that a
 * vCPU spinning on a lock (without PAUSE) does not hold off the lock holder for long, long enough
 * that the per-run cost stays small.
 */
export const SMP_QUANTUM = 40_000;
/** Safety valve: a slice ends after this many scheduling rounds even if the budget is not spent. */
const MAX_ROUNDS_PER_SLICE = 20_000;

const VECTOR_GP = 13;
const ATTR_L = 1 << 13;

interface VcpuSlot {
  id: number;
  regs: VcpuRegs;
  /** Per-vCPU figures for vcpuInfo()/stats() (since the machine was created). */
  stats: { events: number; interrupts: number; ipis: number; hypercalls: number };
}

/** An interrupt offered to the core through V_EXTINT before a run. */
interface Offer {
  vector: number;
  source: 'upcall' | 'lapic';
}

const hexStr = (v: number | bigint, w = 0) => '0x' + v.toString(16).padStart(w, '0');

export class Machine {
  /** The shared WebAssembly.Memory (core state + guest RAM), e.g. for a memory viewer. */
  readonly memory: WebAssembly.Memory;
  private bootResult!: PvhBootResult;
  private readonly vcpus: VcpuSlot[];
  private readonly mem: GuestMemory;
  private readonly hypercalls = new HypercallDispatcher();
  private shutdownState?: MachineShutdown;
  private rebootRequested = false;
  private reboots = 0;
  private readonly startMs = now();
  private readonly deterministic: boolean;
  private readonly warningsList: string[] = [];
  private readonly debugExit?: DebugExit;
  private readonly cfg: MachineConfig;
  /** The Xen side of the guest (event channels, shared_info, timers, LAPICs, console ring). */
  private xen!: XenDomain;
  private consoleTail: number[] = [];
  private readonly smpEvents: string[] = [];
  private readonly events: Record<string, number> = {};
  /** Up/down state and INIT/SIPI/VCPUOP_initialise handling of the vCPUs (recreated with the domain). */
  private smp!: VcpuStartup;
  /** Virtual clock (TSC ticks) of the machine: vCPUs run one after another, each from this time on. */
  private clock = 0n;
  /** Next vCPU the round-robin starts with. */
  private rr = 0;
  /** vCPU running right now (-1 between runs), and whether it made another vCPU runnable. */
  private current = -1;
  private kickedOther = false;
  /** Number of vCPUs that are up (kept by the start-up hooks). */
  private nUp = 1;

  private constructor(
    private readonly core: Core,
    cfg: MachineConfig,
    private readonly io: MachineIO,
  ) {
    this.memory = core.memory;
    this.cfg = cfg;
    this.deterministic = cfg.deterministic ?? false;
    if (cfg.debugExitPort !== undefined) this.debugExit = new DebugExit(cfg.debugExitPort);
    const ex = core.exports;
    this.mem = new GuestMemory(
      core.ram(),
      (vcpu, linear, write) => ex.translate(vcpu, linear, write ? 1 : 0),
      (gpa, len) => ex.invalidateCode(gpa, len),
    );
    const n = cfg.vcpus ?? 1;
    this.vcpus = [];
    for (let id = 0; id < n; id++) this.vcpus.push({ id, regs: core.vcpu(id), stats: { events: 0, interrupts: 0, ipis: 0, hypercalls: 0 } });
    this.bootDomain();
  }

  /** (Re)creates the domain: resets every vCPU, loads kernel/initrd/start_info/ACPI, builds Xen state. */
  private bootDomain(): void {
    const ex = this.core.exports;
    const cfg = this.cfg;
    ex.invalidateCode(0, this.core.ramBytes); // a rebooted domain gets fresh RAM contents
    for (const s of this.vcpus) {
      ex.resetVcpu(s.id);
      s.regs.setU32(V_TSC_KHZ, TSC_KHZ);
      s.regs.setU32(V_VENDOR_AMD, 0);
      s.regs.setU32(V_APIC_ID, apicIdForVcpu(s.id));
      s.regs.setU64(V_CLOCK, this.clock);
    }
    this.bootResult = loadPvh({ kernel: cfg.kernel, initrd: cfg.initrd, cmdline: cfg.cmdline ?? '', vcpus: this.vcpus.length }, this.mem);
    const wallclockMs = cfg.wallclockMs ?? (this.deterministic ? DETERMINISTIC_WALLCLOCK_MS : Date.now());
    this.xen = new XenDomain(
      this.mem,
      { nrVcpus: this.vcpus.length, tscKhz: TSC_KHZ, wallclockEpochMs: wallclockMs, layout: this.bootResult.layout },
      {
        ticks: (v) => this.vcpus[v].regs.u64(V_CLOCK),
        tscOffset: (v) => this.vcpus[v].regs.u64(V_TSC_OFFSET),
      },
      {
        kick: (v) => this.kick(v),
        nmi: (v) => this.injectNmi(v),
        initSipi: (v, kind, vector) => this.initSipi(v, kind, vector),
        ipi: (to) => {
          if (this.vcpus[to]) this.vcpus[to].stats.ipis++;
          this.kick(to);
        },
      },
      (bytes) => this.consoleOut(bytes),
    );
    this.nUp = 1;
    this.smp = new VcpuStartup(
      this.xen.online,
      { reset: (v) => ex.resetVcpu(v), regs: (v) => this.vcpus[v].regs, flushTlb: (v) => ex.flushTlb(v) },
      {
        initReset: (v) => {
          this.xen.lapics[v].reset();
          this.xen.unblock(v);
        },
        changed: (v, up) => {
          this.nUp += up ? 1 : -1;
          this.count(up ? 'vcpu_up' : 'vcpu_down');
          if (up) this.kick(v);
        },
      },
    );
    const v0 = this.vcpus[0].regs;
    setPvhEntryState(v0, this.bootResult.entry, this.bootResult.layout.startInfo);
    ex.flushTlb(0);
  }

  get boot(): PvhBootResult {
    return this.bootResult;
  }

  /** The Xen state of the guest (tests, debugging). */
  get domain(): XenDomain {
    return this.xen;
  }

  private consoleOut(bytes: Uint8Array): void {
    for (const b of bytes) this.consoleTail.push(b);
    if (this.consoleTail.length > CONSOLE_TAIL_BYTES * 2) this.consoleTail = this.consoleTail.slice(-CONSOLE_TAIL_BYTES);
    this.io.console(bytes);
  }

  /** The last lines the guest printed (for crash reports). */
  private lastConsoleLines(): string {
    const text = new TextDecoder().decode(new Uint8Array(this.consoleTail.slice(-CONSOLE_TAIL_BYTES)));
    const lines = text.replace(/\r/g, '').split('\n').filter((l) => l.trim() !== '');
    return lines.slice(-CRASH_TAIL_LINES).join('\n');
  }

  private count(what: string): void {
    this.events[what] = (this.events[what] ?? 0) + 1;
  }

  private injectNmi(v: number): void {
    const r = this.vcpus[v]?.regs;
    if (!r || r.u32(V_PENDING_VALID) === 1) return;
    r.setU32(V_PENDING_VECTOR, 2);
    r.setU32(V_PENDING_KIND, EVENT_NMI);
    r.setU32(V_PENDING_ERROR, 0xffffffff);
    r.setU32(V_PENDING_VALID, 1);
    this.count('nmi');
  }

  /** LAPIC INIT / INIT de-assert / STARTUP IPI to vCPU v (docs/pvh-abi.md §6.1). */
  private initSipi(v: number, kind: 'init' | 'init-deassert' | 'startup', vector: number): void {
    this.count(`ipi_${kind}`);
    if (this.smpEvents.length < 256) this.smpEvents.push(`${kind} -> vCPU ${v}${kind === 'startup' ? ` vector ${hexStr(vector)}` : ''}`);
    if (kind === 'init') this.smp.init(v);
    else if (kind === 'startup') this.smp.startup(v, vector);
  }

  /** Something became deliverable for vCPU v: if another vCPU is running, let it end its run soon. */
  private kick(v: number): void {
    if (this.current >= 0 && v !== this.current) this.kickedOther = true;
  }

  /** INIT/SIPI IPIs the guest sent, in order. */
  smpLog(): readonly string[] {
    return this.smpEvents;
  }

  /** The vCPU start-up state (tests, debugging). */
  get vcpuStartup(): VcpuStartup {
    return this.smp;
  }

  private upCount(): number {
    return this.nUp;
  }

  /**
   * Validates the inputs, instantiates the core with the configured RAM, loads the kernel/initrd/
   * start_info and puts vCPU 0 at the PVH entry. Rejects with BootError for unbootable inputs.
   */
  static async create(wasm: BufferSource | WebAssembly.Module, cfg: MachineConfig, io: MachineIO): Promise<Machine> {
    const c = checkConfig(cfg);
    // Check the inputs before allocating hundreds of MiB of shared memory.
    planPvhBoot({ kernel: cfg.kernel, initrd: cfg.initrd, cmdline: cfg.cmdline ?? '' }, c.ramBytes);
    const core = await Core.create(wasm, c.ramBytes, { jitThreshold: cfg.jitThreshold });
    return new Machine(core, { ...cfg, memoryMiB: c.mib, vcpus: c.vcpus }, io);
  }

  /**
   * Same as create() but on a core that already exists (its guest RAM size must match
   * cfg.memoryMiB). Used by tests with a scripted stand-in core.
   */
  static fromCore(core: Core, cfg: MachineConfig, io: MachineIO): Machine {
    const c = checkConfig(cfg);
    if (core.ramBytes !== c.ramBytes) throw new RangeError(`core has ${core.ramBytes} bytes of guest RAM, config asks for ${c.ramBytes}`);
    return new Machine(core, { ...cfg, memoryMiB: c.mib, vcpus: c.vcpus }, io);
  }

  /** Non-fatal notes about the configuration (e.g. SMP not supported yet). */
  warnings(): readonly string[] {
    return this.warningsList;
  }

  /** Console input for the guest: goes into the hvc0 ring (queued while the ring is full) and raises its port. */
  sendConsoleInput(bytes: Uint8Array): void {
    this.xen.sendConsoleInput(bytes);
  }

  /**
   * Runs the vCPUs that are up for up to `budgetInstructions` in total and services their exits.
   * One thread, round-robin: while more than one vCPU is up each gets SMP_QUANTUM instructions per
   * turn (less if it halts, blocks, spins on PAUSE, yields, or wakes another vCPU, which then runs
   * next); a single vCPU gets the whole budget. Halted, blocked and down vCPUs cost a timer check.
   * When every vCPU is idle (HLT with nothing to deliver, SCHEDOP_block/poll) the slice ends with
   * idle: true and wakeAtMs = the next timer deadline; in deterministic mode the virtual clock jumps
   * to that deadline instead and the guest runs on.
   */
  runSlice(budgetInstructions: number): SliceResult {
    if (this.shutdownState) return { instructions: 0, shutdown: this.shutdownState, idle: false };
    const budget = Math.max(1, Math.min(0x7fffffff, Math.floor(budgetInstructions)));
    this.syncClock();
    let executed = 0;
    let skips = 0;
    for (let rounds = 0; rounds < MAX_ROUNDS_PER_SLICE; rounds++) {
      let allIdle = true;
      const n = this.vcpus.length;
      const start = this.rr;
      this.rr = (this.rr + 1) % n;
      for (let k = 0; k < n && executed < budget; k++) {
        const slot = this.vcpus[(start + k) % n];
        if (!this.xen.online[slot.id]) continue;
        const quantum = this.upCount() > 1 ? SMP_QUANTUM : budget;
        const r = this.runVcpu(slot, Math.min(quantum, budget - executed));
        executed += r.executed;
        if (!r.idle) allIdle = false;
        if (this.shutdownState || this.rebootRequested) break;
      }
      if (this.rebootRequested) {
        this.rebootRequested = false;
        this.reboots++;
        this.consoleTail = [];
        this.core.ram().fill(0);
        this.bootDomain();
        return { instructions: executed, idle: false };
      }
      if (this.shutdownState) return { instructions: executed, shutdown: this.shutdownState, idle: false };
      if (executed >= budget) return { instructions: executed, idle: false };
      if (!allIdle) continue;
      if (this.allStuck()) {
        this.stop('crash', `every vCPU executed HLT with interrupts disabled (${this.vcpus.filter((s) => this.xen.online[s.id]).map((s) => `vCPU ${s.id} at RIP ${hexStr(s.regs.u64(V_EXIT_RIP))}`).join(', ')}): nothing can wake them (the guest is stuck)`);
        return { instructions: executed, shutdown: this.shutdownState, idle: false };
      }
      const deadline = this.nextDeadlineTicks();
      if (deadline === null) return { instructions: executed, shutdown: undefined, idle: true };
      if (this.deterministic) {
        // Nothing runs until the next timer: let virtual time jump there.
        if (this.clock < deadline) this.clock = deadline;
        for (const s of this.vcpus) s.regs.setU64(V_CLOCK, this.clock);
        this.count('idle_skip');
        if (++skips >= MAX_IDLE_SKIPS_PER_SLICE) return { instructions: executed, idle: false };
        continue;
      }
      return { instructions: executed, shutdown: undefined, idle: true, wakeAtMs: this.startMs + Number(deadline) / TSC_KHZ };
    }
    return { instructions: executed, idle: false };
  }

  /** Every vCPU that is up sits in HLT with IF=0 and nothing (NMI) pending: nothing will ever run. */
  private allStuck(): boolean {
    for (const s of this.vcpus) {
      if (!this.xen.online[s.id]) continue;
      const v = s.regs;
      if (v.u32(V_HALTED) !== 1 || v.has(V_RFLAGS, RFLAGS_IF) || v.u32(V_PENDING_VALID) !== 0 || this.xen.isBlocked(s.id)) return false;
    }
    return true;
  }

  private nextDeadlineTicks(): bigint | null {
    let best: bigint | null = null;
    for (const s of this.vcpus) {
      if (!this.xen.online[s.id]) continue;
      const d = this.xen.nextDeadlineTicks(s.id);
      if (d !== null && (best === null || d < best)) best = d;
    }
    return best;
  }

  private lapicMode(v: VcpuRegs): 'off' | 'xapic' | 'x2apic' {
    const base = v.u64(V_APIC_BASE);
    if ((base & BigInt(MSR_IA32_APICBASE_ENABLE)) === 0n) return 'off';
    return (base & BigInt(MSR_IA32_APICBASE_EXTD)) !== 0n ? 'x2apic' : 'xapic';
  }

  /** Offers the vCPU what it should take next (event upcall first, then the LAPIC) via V_EXTINT. */
  private offerInterrupt(slot: VcpuSlot): Offer | null {
    const v = slot.regs;
    const p = this.xen.pendingInterrupt(slot.id, this.lapicMode(v) !== 'off');
    if (!p) {
      v.setU32(V_EXTINT_VALID, 0);
      return null;
    }
    v.setU32(V_EXTINT_VECTOR, p.vector);
    v.setU32(V_EXTINT_VALID, 1);
    return p;
  }

  /** Is this exit a SCHEDOP_yield hypercall (read before the handler overwrites RAX)? */
  private isYield(v: VcpuRegs): boolean {
    return v.gpr32(Gpr.RAX) === __HYPERVISOR_sched_op && (in64BitMode(v) ? v.gpr32(Gpr.RDI) : v.gpr32(Gpr.RBX)) === SCHEDOP_yield;
  }

  private runVcpu(slot: VcpuSlot, budget: number): { executed: number; idle: boolean } {
    this.current = slot.id;
    this.kickedOther = false;
    try {
      return this.runVcpuInner(slot, budget);
    } finally {
      this.current = -1;
    }
  }

  private runVcpuInner(slot: VcpuSlot, budget: number): { executed: number; idle: boolean } {
    const v = slot.regs;
    const ex = this.core.exports;
    const start = v.u64(V_INSN_COUNT);
    let executed = 0;
    for (let exits = 0; exits < MAX_EXITS_PER_SLICE && !this.shutdownState && !this.rebootRequested; exits++) {
      const multi = this.nUp > 1;
      // Stopped by VCPUOP_down or INIT (from itself), or it woke another vCPU: let the others run.
      if (!this.xen.online[slot.id]) return { executed, idle: true };
      if (this.kickedOther && multi) return { executed, idle: false };
      // Another vCPU came up during this run: from now on the turn is one quantum.
      if (multi && budget > SMP_QUANTUM) budget = SMP_QUANTUM;
      const left = budget - executed;
      if (left <= 0) break;
      // Each run starts at the machine's time (other vCPUs may have advanced it since).
      if (v.u64(V_CLOCK) < this.clock) v.setU64(V_CLOCK, this.clock);
      this.xen.runTimers(slot.id);
      this.xen.refreshTimeIfStale(slot.id);
      if (this.xen.isBlocked(slot.id)) return { executed, idle: true };
      const offer = this.offerInterrupt(slot);
      const canTake = offer !== null && v.has(V_RFLAGS, RFLAGS_IF);
      if (v.u32(V_HALTED) === 1 && !canTake && v.u32(V_PENDING_VALID) === 0) return { executed, idle: true };
      const before = v.u64(V_INSN_COUNT);
      const exit = ex.run(slot.id, left);
      const ran = v.u64(V_INSN_COUNT) - before;
      // The core let the guest's TSC run ahead by the instructions of this run; keep the clock there.
      if (ran > 0n) v.setU64(V_CLOCK, v.u64(V_CLOCK) + ran * DETERMINISTIC_TICKS_PER_INSN);
      if (v.u64(V_CLOCK) > this.clock) this.clock = v.u64(V_CLOCK);
      executed = Number(v.u64(V_INSN_COUNT) - start);
      if (offer && v.u32(V_EXTINT_VALID) === 0) {
        // Delivered. The upcall is level-triggered on upcall_pending (re-offered while set); a LAPIC
        // vector moves from IRR to ISR and waits for the guest's EOI.
        if (offer.source === 'lapic') this.xen.lapics[slot.id].ack(offer.vector);
        this.count(offer.source === 'upcall' ? 'upcall_injected' : 'lapic_injected');
        if (offer.source === 'upcall') slot.stats.events++;
        else slot.stats.interrupts++;
      }
      v.setU32(V_EXTINT_VALID, 0);
      switch (exit) {
        case EXIT_BUDGET:
          return { executed, idle: false };
        case EXIT_PAUSE:
          // A spin-wait hint: with other vCPUs up, give the lock holder the CPU.
          if (multi) return { executed, idle: false };
          break;
        case EXIT_HLT:
          if (!v.has(V_RFLAGS, RFLAGS_IF) && this.upCount() === 1) {
            this.stop(
              'crash',
              `vCPU ${slot.id} executed HLT with interrupts disabled at RIP ${hexStr(v.u64(V_EXIT_RIP))}: nothing can wake it (the guest is stuck)`,
            );
            return { executed, idle: true };
          }
          // Idle unless something is deliverable right now (then the next run takes it and wakes).
          if (!this.xen.pendingInterrupt(slot.id, this.lapicMode(v) !== 'off') && v.u32(V_PENDING_VALID) === 0) return { executed, idle: true };
          break;
        case EXIT_HYPERCALL: {
          slot.stats.hypercalls++;
          const yielded = multi && this.isYield(v);
          this.hypercalls.handleExit(v, this.hypercallContext(slot.id));
          if (yielded) return { executed, idle: false };
          break;
        }
        case EXIT_CPUID:
          this.handleCpuid(slot);
          break;
        case EXIT_MSR:
          this.handleMsr(slot);
          break;
        case EXIT_IO:
          this.handleIo(v);
          break;
        case EXIT_MMIO:
          this.handleMmio(slot);
          break;
        case EXIT_SHUTDOWN:
          this.stop('triple-fault', `vCPU ${slot.id} triple fault at RIP ${hexStr(v.rip)}`);
          break;
        case EXIT_UNIMPLEMENTED: {
          const bytes: string[] = [];
          for (let i = 0; i < 16; i++) bytes.push(v.u8(V_EXIT_BYTES + i).toString(16).padStart(2, '0'));
          this.stop(
            'crash',
            `vCPU ${slot.id}: unimplemented instruction at RIP ${hexStr(v.u64(V_EXIT_RIP))} (${this.modeName(v)} mode), bytes ${bytes.join(' ')}`,
          );
          break;
        }
        default:
          throw new Error(`core returned unknown exit code ${exit} (V_EXIT_REASON ${v.u32(V_EXIT_REASON)})`);
      }
    }
    return { executed, idle: false };
  }

  private hypercallContext(vcpu: number): HypercallContext {
    return {
      vcpu,
      mem: this.mem,
      xen: this.xen,
      smp: this.smp,
      console: (bytes) => this.consoleOut(bytes),
      shutdown: (reason, detail) => this.stop(reason, detail),
    };
  }

  private handleCpuid(slot: VcpuSlot): void {
    const v = slot.regs;
    const leaf = v.u32(V_EXIT_PORT);
    const subleaf = v.gpr32(Gpr.RCX);
    const inXenRange = leaf >>> 16 === XEN_CPUID_BASE >>> 16;
    const [a, b, c, d] = inXenRange ? xenCpuid(leaf, subleaf, { vcpuId: slot.id, tscKhz: v.u32(V_TSC_KHZ) }) : [0, 0, 0, 0];
    v.setGpr(Gpr.RAX, BigInt(a >>> 0));
    v.setGpr(Gpr.RBX, BigInt(b >>> 0));
    v.setGpr(Gpr.RCX, BigInt(c >>> 0));
    v.setGpr(Gpr.RDX, BigInt(d >>> 0));
  }

  /** Makes the current instruction (RIP = V_EXIT_RIP) raise #GP(0) instead of completing. */
  private injectGp(v: VcpuRegs): void {
    v.rip = v.u64(V_EXIT_RIP);
    v.setU32(V_PENDING_VECTOR, VECTOR_GP);
    v.setU32(V_PENDING_KIND, EVENT_EXCEPTION);
    v.setU32(V_PENDING_ERROR, 0);
    v.setU32(V_PENDING_VALID, 1);
  }

  private handleMsr(slot: VcpuSlot): void {
    const v = slot.regs;
    const index = v.u32(V_EXIT_PORT);
    const write = v.u32(V_EXIT_WRITE) === 1;
    if (index === XEN_HYPERCALL_MSR && write) {
      const gpa = hypercallPageGpa(v.u64(V_EXIT_VALUE), this.mem.ramBytes);
      if (gpa === null) return this.injectGp(v);
      this.mem.writePhys(gpa, buildHypercallPage(v.u32(V_VENDOR_AMD) === 1));
      return;
    }
    if (index >= APIC_BASE_MSR && index <= APIC_MSR_LAST) {
      // x2APIC registers exist only in x2APIC mode (IA32_APIC_BASE.EXTD); otherwise #GP.
      if (this.lapicMode(v) !== 'x2apic') return this.injectGp(v);
      const lapic = this.xen.lapics[slot.id];
      if (write) {
        if (!lapic.writeMsr(index, v.u64(V_EXIT_VALUE))) return this.injectGp(v);
        this.xen.wakeBlocked();
        return;
      }
      const r = lapic.readMsr(index);
      if (!r.ok) return this.injectGp(v);
      v.setGpr(Gpr.RAX, r.value & 0xffffffffn);
      v.setGpr(Gpr.RDX, r.value >> 32n);
      return;
    }
    // Every other MSR the core leaves to us is unknown to Xen too: #GP, as Xen does.
    this.injectGp(v);
  }

  private handleIo(v: VcpuRegs): void {
    const port = v.u32(V_EXIT_PORT);
    const size = v.u32(V_EXIT_SIZE);
    if (v.u32(V_EXIT_WRITE) === 1) {
      if (port === DEBUGCON_PORT) this.consoleOut(new Uint8Array([Number(v.u64(V_EXIT_VALUE) & 0xffn)]));
      else if (port === ACPI_SLEEP_CONTROL_PORT) {
        const value = Number(v.u64(V_EXIT_VALUE) & 0xffn);
        const typ = (value & ACPI_X_SLEEP_TYPE_MASK) >> ACPI_X_SLEEP_TYPE_POSITION;
        if (value & ACPI_X_SLEEP_ENABLE && typ === ACPI_S5_SLP_TYP) this.stop('poweroff', 'guest entered ACPI S5 (power off)');
      } else if (this.debugExit?.handles(port)) {
        const value = v.u64(V_EXIT_VALUE) & allOnes(size);
        this.stop('poweroff', `isa-debug-exit: guest wrote ${hexStr(value)} to port ${hexStr(port)}`, DebugExit.status(value));
      }
      return;
    }
    if (this.debugExit?.handles(port)) {
      // QEMU's isa-debug-exit reads as 0.
      v.setU64(V_IO_DATA, 0n);
      v.setU32(V_IO_PENDING, 1);
      return;
    }
    // Reads: port 0xE9 answers 0xE9 (the Bochs detection convention); nothing else is there.
    const value = port === DEBUGCON_PORT ? 0xe9n : allOnes(size);
    v.setU64(V_IO_DATA, value);
    v.setU32(V_IO_PENDING, 1);
  }

  private handleMmio(slot: VcpuSlot): void {
    const v = slot.regs;
    const addr = v.u64(V_EXIT_ADDR);
    const size = v.u32(V_EXIT_SIZE);
    const write = v.u32(V_EXIT_WRITE) === 1;
    const apicBase = v.u64(V_APIC_BASE) & ~0xfffn & 0xffffffffff000n;
    if (this.lapicMode(v) === 'xapic' && addr >= apicBase && addr < apicBase + BigInt(LAPIC_MMIO_SIZE)) {
      const off = Number(addr - apicBase);
      const lapic = this.xen.lapics[slot.id];
      if (write) {
        // Registers are 32 bits wide at 16-byte strides; narrower or unaligned writes are dropped.
        if ((off & 3) === 0 && size >= 4) lapic.write(off, Number(v.u64(V_EXIT_VALUE) & 0xffffffffn), false);
        this.xen.wakeBlocked();
        return;
      }
      const dword = BigInt(lapic.read(off & ~3, false) >>> 0);
      const value = (dword >> BigInt((off & 3) * 8)) & allOnes(Math.min(size, 4));
      v.setU64(V_IO_DATA, value);
      v.setU32(V_IO_PENDING, 1);
      return;
    }
    if (write) return; // nothing else there: writes vanish
    v.setU64(V_IO_DATA, allOnes(size));
    v.setU32(V_IO_PENDING, 1);
  }

  private stop(reason: ShutdownReason, detail?: string, exitStatus?: number): void {
    if (this.shutdownState || this.rebootRequested) return;
    if (reason === 'reboot' && (this.cfg.onReboot ?? 'restart') === 'restart') {
      this.rebootRequested = true;
      return;
    }
    if (reason === 'crash' || reason === 'triple-fault') {
      const tail = this.lastConsoleLines();
      if (tail) detail = `${detail ?? reason}\n--- last console output ---\n${tail}`;
    }
    this.shutdownState = exitStatus === undefined ? { reason, detail } : { reason, detail, exitStatus };
  }

  /**
   * Keeps V_CLOCK (TSC ticks at V_TSC_KHZ) monotonic and equal on all vCPUs: one machine clock that
   * every run() advances by its instructions (the vCPUs take turns, so time is the same for all of
   * them); normal mode also follows host time, deterministic mode does not.
   */
  private syncClock(): void {
    let clock = this.clock;
    for (const s of this.vcpus) if (s.regs.u64(V_CLOCK) > clock) clock = s.regs.u64(V_CLOCK);
    if (!this.deterministic) {
      const host = BigInt(Math.floor((now() - this.startMs) * TSC_KHZ));
      if (host > clock) clock = host;
    }
    this.clock = clock;
    for (const s of this.vcpus) s.regs.setU64(V_CLOCK, clock);
  }

  private modeName(v: VcpuRegs): string {
    return vcpuMode(v);
  }

  vcpuInfo(): VcpuInfo[] {
    return this.vcpus.map((s) => {
      const v = s.regs;
      const halted = v.u32(V_HALTED) === 1;
      return {
        id: s.id,
        state: this.shutdownState || !this.xen.online[s.id] ? 'down' : this.xen.isBlocked(s.id) ? 'blocked' : halted ? 'halted' : 'running',
        mode: vcpuMode(v),
        cpl: currentCpl(v),
        rip: v.rip,
        rsp: v.gpr(Gpr.RSP),
        cr3: v.u64(V_CR3),
        interruptsEnabled: v.has(V_RFLAGS, RFLAGS_IF),
        instructions: v.u64(V_INSN_COUNT),
        events: s.stats.events,
        interrupts: s.stats.interrupts,
        ipis: s.stats.ipis,
        hypercalls: s.stats.hypercalls,
      };
    });
  }

  stats(): MachineStats {
    let instructions = 0n;
    for (const s of this.vcpus) instructions += s.regs.u64(V_INSN_COUNT);
    const h = this.hypercalls.stats;
    return {
      instructions,
      hypercalls: { ...h.calls },
      unimplementedHypercalls: h.unimplementedTotal,
      unimplementedByName: { ...h.unimplemented },
      events: { ...this.xen.counters, ...this.events },
      reboots: this.reboots,
      vcpus: this.vcpuInfo().map((i) => ({
        id: i.id,
        state: i.state,
        instructions: i.instructions,
        events: i.events ?? 0,
        interrupts: i.interrupts ?? 0,
        ipis: i.ipis ?? 0,
        hypercalls: i.hypercalls ?? 0,
      })),
      jit: this.core.jit ? { ...this.core.jit.stats } : undefined,
    };
  }

  /** Set once the guest has shut down. */
  get shutdown(): MachineShutdown | undefined {
    return this.shutdownState;
  }
}

/** Largest guest RAM: one RAM range below the 4 GiB MMIO hole (and what a 32-bit wasm memory allows). */
const MAX_RAM_BYTES = Math.min(3 * 1024 * 1024 * 1024, MAX_GUEST_RAM);
const MAX_VCPUS_CFG = MAX_VCPUS;

function checkConfig(cfg: MachineConfig): { mib: number; vcpus: number; ramBytes: number } {
  const mib = cfg.memoryMiB ?? DEFAULT_MEMORY_MIB;
  const vcpus = cfg.vcpus ?? 1;
  if (!Number.isInteger(mib) || mib < 1 || mib * 1024 * 1024 > MAX_RAM_BYTES) {
    throw new BootError('bad-config', 'config', `memory must be a whole number of MiB between 1 and ${MAX_RAM_BYTES / 1048576}, got ${mib}`);
  }
  if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > MAX_VCPUS_CFG) {
    throw new BootError('bad-config', 'config', `vcpus must be between 1 and ${MAX_VCPUS_CFG}, got ${vcpus}`);
  }
  const port = cfg.debugExitPort;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 0xffff - (DEBUG_EXIT_SIZE - 1))) {
    throw new BootError('bad-config', 'config', `debugExitPort must be an I/O port 0..${0xffff - (DEBUG_EXIT_SIZE - 1)}, got ${port}`);
  }
  return { mib, vcpus, ramBytes: mib * 1024 * 1024 };
}

function allOnes(size: number): bigint {
  return size >= 8 ? 0xffffffffffffffffn : (1n << BigInt(size * 8)) - 1n;
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

function vcpuMode(v: VcpuRegs): VcpuInfo['mode'] {
  if (!v.has(V_CR0, CR0_PE)) return 'real';
  if (v.has(V_EFER, EFER_LMA)) return (v.seg(SEG_CS).attr & ATTR_L) !== 0 ? 'long' : 'compat';
  return 'protected';
}
