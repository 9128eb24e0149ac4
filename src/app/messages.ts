// Typed messages between the page (main thread) and the VM worker (vm-worker.ts).
// Everything here is structured-clone safe; 64-bit values travel as bigint.

import type { CpuMode, ShutdownReason, VcpuRunState } from '../vm/api';
import type { Milestone } from './milestones';

/** A kernel or initrd: fetched from a URL, or bytes the page already has (a dropped file). */
export interface ImageSource {
  name: string;
  /** Absolute URL. */
  url?: string;
  bytes?: Uint8Array;
  /** Expected SHA-256 (hex): the worker refuses the image if it differs. */
  sha256?: string;
}

/** What to boot. URLs are absolute (resolved by the page against its own location). */
export interface BootRequest {
  wasmUrl: string;
  kernel: ImageSource;
  initrd?: ImageSource;
  cmdline: string;
  memoryMiB?: number;
  vcpus?: number;
  /** Executions before the JIT compiles a block (0 = interpreter only; absent = the default). */
  jitThreshold?: number;
  /** Lines typed into the console, one per shell prompt. */
  script?: string[];
  /** System.map text, to symbolise RIPs of a stripped kernel. */
  systemMap?: string;
}

// ---- page -> worker ----
export type ToWorker =
  | { type: 'boot'; boot: BootRequest }
  /** Keystrokes for the guest console (UTF-8). */
  | { type: 'input'; bytes: Uint8Array };

// ---- worker -> page ----
export interface VcpuSnapshot {
  id: number;
  state: VcpuRunState;
  mode: CpuMode;
  cpl: number;
  rip: bigint;
  /** "function+0x12" when the kernel's symbols are known. */
  symbol?: string;
  rsp: bigint;
  cr3: bigint;
  interruptsEnabled: boolean;
  instructions: bigint;
  /** Millions of instructions per second since the previous snapshot. */
  mips: number;
  /** Event-channel upcalls and IPIs received, hypercalls issued (when the Machine counts them). */
  events?: number;
  ipis?: number;
  hypercalls?: number;
}

export interface VcpusMessage {
  type: 'vcpus';
  vcpus: VcpuSnapshot[];
  totalInstructions: bigint;
  /** All vCPUs, since the previous snapshot. */
  mips: number;
  /** Milliseconds since the machine started running. */
  uptimeMs: number;
  /** The JIT tier so far: blocks compiled and the share of all instructions that ran compiled. */
  jit?: { blocks: number; compiledShare: number };
}

export type BootPhase = 'loading' | 'running';

export type ProgressItem = 'core' | 'kernel' | 'initrd' | 'decompress';

export interface ProgressMessage {
  type: 'progress';
  item: ProgressItem;
  label: string;
  done: number;
  /** Unknown (no Content-Length) when absent. */
  total?: number;
  finished?: boolean;
}

/** What was loaded: sizes, measured SHA-256s (for share links), symbol source. */
export interface LoadedMessage {
  type: 'loaded';
  kernel: { size: number; sha256: string; elfSize: number };
  initrd?: { size: number; sha256: string };
  symbols?: { source: string; count: number };
}

export type FromWorker =
  | { type: 'status'; phase: BootPhase; detail?: string; warnings?: string[] }
  | ProgressMessage
  | LoadedMessage
  /** Guest console output, batched. */
  | { type: 'console'; bytes: Uint8Array }
  | VcpusMessage
  | ({ type: 'milestone' } & Milestone)
  | { type: 'script'; sent: number; total: number; done: boolean }
  | { type: 'shutdown'; reason: ShutdownReason; detail?: string }
  | { type: 'error'; message: string };
