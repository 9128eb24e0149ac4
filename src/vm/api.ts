// The contract between the VM (hypervisor + core) and whoever drives it: the headless CLI and the
// browser worker. Types only; the implementation is machine.ts.

export interface MachineConfig {
  /** ELF vmlinux (PVH note) — later also bzImage. */
  kernel: Uint8Array;
  initrd?: Uint8Array;
  cmdline?: string;
  /** Guest RAM in MiB (default 256). */
  memoryMiB?: number;
  /** Number of vCPUs (default 1). */
  vcpus?: number;
  /** Deterministic time: the virtual clock advances with instructions executed, not wall time. */
  deterministic?: boolean;
  /**
   * Executions of a basic block before the JIT compiles it to WebAssembly (default 200);
   * 0 runs the interpreter only.
   */
  jitThreshold?: number;
  /**
   * Emulate QEMU's isa-debug-exit device at this I/O port (and the 3 after it): a guest write of v
   * powers the VM off with exitStatus (v << 1) | 1. Off by default (test kernels only).
   */
  debugExitPort?: number;
  /**
   * What a guest reboot (SCHEDOP_shutdown reboot) does: 'restart' (default, like xl's on_reboot)
   * resets the vCPUs, clears RAM and boots the same kernel again; 'stop' ends the VM with reason 'reboot'.
   */
  onReboot?: 'restart' | 'stop';
  /**
   * Wall-clock time (Unix ms) the guest sees at boot. Default: the host's time, or a fixed date
   * (2025-01-01T00:00:00Z) in deterministic mode so two runs see the same clock.
   */
  wallclockMs?: number;
}

export interface MachineIO {
  /** Guest console output (console_io, hvc0, port 0xE9), raw bytes. */
  console(bytes: Uint8Array): void;
}

export type ShutdownReason = 'poweroff' | 'reboot' | 'crash' | 'triple-fault' | 'watchdog' | 'suspend';

export type VcpuRunState = 'running' | 'halted' | 'blocked' | 'down';
export type CpuMode = 'real' | 'protected' | 'long' | 'compat';

export interface VcpuInfo {
  id: number;
  state: VcpuRunState;
  mode: CpuMode;
  cpl: number;
  rip: bigint;
  rsp: bigint;
  cr3: bigint;
  interruptsEnabled: boolean;
  instructions: bigint;
  /** Xen event upcalls delivered to this vCPU (vector callback injections). */
  events?: number;
  /** Local APIC interrupts delivered to this vCPU (IPIs, self-IPIs, APIC timer). */
  interrupts?: number;
  /** IPIs sent to this vCPU: LAPIC ICR (fixed/NMI/INIT/SIPI) and event-channel IPI ports. */
  ipis?: number;
  /** Hypercalls this vCPU issued. */
  hypercalls?: number;
}

/** Per-vCPU figures in MachineStats. */
export interface VcpuStats {
  id: number;
  state: VcpuRunState;
  instructions: bigint;
  events: number;
  interrupts: number;
  ipis: number;
  hypercalls: number;
}

export interface MachineStats {
  instructions: bigint;
  /** Hypercall counts by name ("console_io", "sched_op", "unknown(45)", …). */
  hypercalls: Record<string, number>;
  /** Hypercalls refused with -ENOSYS / -EINVAL because we do not implement them. */
  unimplementedHypercalls: number;
  /** The refused calls by "name" or "name:subop" (e.g. "unknown(45)", "sched_op:7"). */
  unimplementedByName?: Record<string, number>;
  /** Hypervisor events by name (upcalls injected, VIRQ_TIMER fires, LAPIC interrupts, …). */
  events?: Record<string, number>;
  /** Guest reboots that restarted the domain. */
  reboots?: number;
  /** One entry per configured vCPU. */
  vcpus?: VcpuStats[];
  /** The JIT tier's work so far (absent when it is off). */
  jit?: { blocks: number; instructions: number; refused: number; errors: number; compileMs: number; executed: number; runs: number };
}

export interface MachineShutdown {
  reason: ShutdownReason;
  detail?: string;
  /** Set when the guest ended through the isa-debug-exit device: (value << 1) | 1. */
  exitStatus?: number;
}

/** Result of one run slice. */
export interface SliceResult {
  /** Instructions executed in this slice, all vCPUs. */
  instructions: number;
  /** Set once the guest has shut down; the machine does nothing after that. */
  shutdown?: MachineShutdown;
  /** All vCPUs idle (halted/blocked): the caller may sleep until `wakeAtMs` (performance.now() clock). */
  idle: boolean;
  wakeAtMs?: number;
}
