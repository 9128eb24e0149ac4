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
  V_EXIT_BYTES,
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
import { currentCpl, HypercallDispatcher } from '../hypervisor/hypercalls/dispatch.ts';
import { loadPvh, planPvhBoot, setPvhEntryState, type PvhBootResult } from '../hypervisor/pvh-boot.ts';

export const DEFAULT_MEMORY_MIB = 256;
/** Virtual TSC frequency the guest sees (CPUID 0x40000003 ECX, and the clock's tick rate): 1 GHz. */
export const TSC_KHZ = 1_000_000;
/** Bochs/QEMU debug console port: bytes written here go to the console. */
export const DEBUGCON_PORT = 0xe9;
/** Instructions' worth of virtual time per instruction in deterministic mode (1 GHz TSC → 1 ns each). */
const DETERMINISTIC_TICKS_PER_INSN = 1n;
/** Safety valve: a slice ends after this many exits even if the budget is not spent. */
const MAX_EXITS_PER_SLICE = 100_000;
const MAX_INPUT_BUFFER = 1 << 20;

const VECTOR_GP = 13;
const ATTR_L = 1 << 13;

interface VcpuSlot {
  id: number;
  regs: VcpuRegs;
  /** Only vCPU 0 runs until SMP bring-up exists; the others stay 'down'. */
  online: boolean;
}

const hexStr = (v: number | bigint, w = 0) => '0x' + v.toString(16).padStart(w, '0');

export class Machine {
  /** The shared WebAssembly.Memory (core state + guest RAM), e.g. for a memory viewer. */
  readonly memory: WebAssembly.Memory;
  readonly boot: PvhBootResult;
  private readonly vcpus: VcpuSlot[];
  private readonly mem: GuestMemory;
  private readonly hypercalls = new HypercallDispatcher();
  private shutdownState?: MachineShutdown;
  private inputBuffer: number[] = [];
  private readonly startMs = now();
  private readonly deterministic: boolean;
  private readonly warningsList: string[] = [];
  private readonly debugExit?: DebugExit;

  private constructor(
    private readonly core: Core,
    cfg: MachineConfig,
    private readonly io: MachineIO,
  ) {
    this.memory = core.memory;
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
    for (let id = 0; id < n; id++) {
      const regs = core.vcpu(id);
      ex.resetVcpu(id);
      regs.setU32(V_TSC_KHZ, TSC_KHZ);
      regs.setU32(V_VENDOR_AMD, 0);
      this.vcpus.push({ id, regs, online: id === 0 });
    }
    if (n > 1) this.warningsList.push(`SMP not yet supported: ${n} vCPUs configured, only vCPU 0 runs`);
    this.boot = loadPvh({ kernel: cfg.kernel, initrd: cfg.initrd, cmdline: cfg.cmdline ?? '' }, this.mem);
    const v0 = this.vcpus[0].regs;
    setPvhEntryState(v0, this.boot.entry, this.boot.layout.startInfo);
    ex.flushTlb(0);
  }

  /**
   * Validates the inputs, instantiates the core with the configured RAM, loads the kernel/initrd/
   * start_info and puts vCPU 0 at the PVH entry. Rejects with BootError for unbootable inputs.
   */
  static async create(wasm: BufferSource | WebAssembly.Module, cfg: MachineConfig, io: MachineIO): Promise<Machine> {
    const c = checkConfig(cfg);
    // Check the inputs before allocating hundreds of MiB of shared memory.
    planPvhBoot({ kernel: cfg.kernel, initrd: cfg.initrd, cmdline: cfg.cmdline ?? '' }, c.ramBytes);
    const core = await Core.create(wasm, c.ramBytes);
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

  /** Buffers console input for the guest (delivered once a console device exists: hvc0 comes later). */
  sendConsoleInput(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (this.inputBuffer.length >= MAX_INPUT_BUFFER) break;
      this.inputBuffer.push(b);
    }
  }

  /** Runs every online vCPU for up to `budgetInstructions` in total and services their exits. */
  runSlice(budgetInstructions: number): SliceResult {
    if (this.shutdownState) return { instructions: 0, shutdown: this.shutdownState, idle: false };
    const budget = Math.max(1, Math.min(0x7fffffff, Math.floor(budgetInstructions)));
    let executed = 0;
    let allIdle = true;
    const online = this.vcpus.filter((v) => v.online);
    const share = Math.max(1, Math.floor(budget / online.length));
    for (const slot of online) {
      const r = this.runVcpu(slot, share);
      executed += r.executed;
      if (!r.idle) allIdle = false;
      if (this.shutdownState) break;
    }
    this.advanceClock(executed);
    return { instructions: executed, shutdown: this.shutdownState, idle: !this.shutdownState && allIdle };
  }

  private runVcpu(slot: VcpuSlot, budget: number): { executed: number; idle: boolean } {
    const v = slot.regs;
    const ex = this.core.exports;
    const start = v.u64(V_INSN_COUNT);
    let executed = 0;
    for (let exits = 0; exits < MAX_EXITS_PER_SLICE && !this.shutdownState; exits++) {
      const left = budget - executed;
      if (left <= 0) break;
      const exit = ex.run(slot.id, left);
      executed = Number(v.u64(V_INSN_COUNT) - start);
      switch (exit) {
        case EXIT_BUDGET:
        case EXIT_PAUSE:
          return { executed, idle: false };
        case EXIT_HLT:
          if (!v.has(V_RFLAGS, RFLAGS_IF)) {
            this.stop(
              'crash',
              `vCPU ${slot.id} executed HLT with interrupts disabled at RIP ${hexStr(v.u64(V_EXIT_RIP))}: nothing can wake it (the guest is stuck)`,
            );
          }
          return { executed, idle: true };
        case EXIT_HYPERCALL:
          this.hypercalls.handleExit(v, this.hypercallContext(slot.id));
          break;
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
          this.handleMmio(v);
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
      console: (bytes) => this.io.console(bytes),
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
    // Every other MSR the core leaves to us is unknown to Xen too: #GP, as Xen does.
    this.injectGp(v);
  }

  private handleIo(v: VcpuRegs): void {
    const port = v.u32(V_EXIT_PORT);
    const size = v.u32(V_EXIT_SIZE);
    if (v.u32(V_EXIT_WRITE) === 1) {
      if (port === DEBUGCON_PORT) this.io.console(new Uint8Array([Number(v.u64(V_EXIT_VALUE) & 0xffn)]));
      else if (this.debugExit?.handles(port)) {
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

  private handleMmio(v: VcpuRegs): void {
    if (v.u32(V_EXIT_WRITE) === 1) return; // no devices yet: writes vanish
    v.setU64(V_IO_DATA, allOnes(v.u32(V_EXIT_SIZE)));
    v.setU32(V_IO_PENDING, 1);
  }

  private stop(reason: ShutdownReason, detail?: string, exitStatus?: number): void {
    if (this.shutdownState) return;
    this.shutdownState = exitStatus === undefined ? { reason, detail } : { reason, detail, exitStatus };
    for (const s of this.vcpus) s.online = false;
  }

  private advanceClock(executed: number): void {
    for (const s of this.vcpus) {
      const v = s.regs;
      if (this.deterministic) {
        v.setU64(V_CLOCK, v.u64(V_CLOCK) + BigInt(executed) * DETERMINISTIC_TICKS_PER_INSN);
      } else {
        const ticks = BigInt(Math.floor((now() - this.startMs) * TSC_KHZ));
        if (ticks > v.u64(V_CLOCK)) v.setU64(V_CLOCK, ticks);
      }
    }
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
        state: !s.online ? 'down' : halted ? 'halted' : 'running',
        mode: vcpuMode(v),
        cpl: currentCpl(v),
        rip: v.rip,
        rsp: v.gpr(Gpr.RSP),
        cr3: v.u64(V_CR3),
        interruptsEnabled: v.has(V_RFLAGS, RFLAGS_IF),
        instructions: v.u64(V_INSN_COUNT),
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
