// Typed messages between the page (main thread) and the VM worker (vm-worker.ts).
// Everything here is structured-clone safe; 64-bit values travel as bigint.

import type { CpuMode, ShutdownReason, VcpuRunState } from '../vm/api';

/** What to boot. URLs are absolute (resolved by the page against its own location). */
export interface BootRequest {
  wasmUrl: string;
  kernelUrl: string;
  initrdUrl?: string;
  cmdline: string;
  memoryMiB?: number;
  vcpus?: number;
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
  rsp: bigint;
  cr3: bigint;
  interruptsEnabled: boolean;
  instructions: bigint;
  /** Millions of instructions per second since the previous snapshot. */
  mips: number;
}

export interface VcpusMessage {
  type: 'vcpus';
  vcpus: VcpuSnapshot[];
  totalInstructions: bigint;
  /** All vCPUs, since the previous snapshot. */
  mips: number;
  /** Milliseconds since the machine started running. */
  uptimeMs: number;
}

export type BootPhase = 'loading' | 'running';

export type FromWorker =
  | { type: 'status'; phase: BootPhase; detail?: string; warnings?: string[] }
  /** Guest console output, batched. */
  | { type: 'console'; bytes: Uint8Array }
  | VcpusMessage
  | { type: 'shutdown'; reason: ShutdownReason; detail?: string }
  | { type: 'error'; message: string };
