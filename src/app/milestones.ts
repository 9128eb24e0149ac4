// Boot milestones, detected in the VM worker from what it can see between run slices: vCPU 0's mode
// and CPL, the hypercall counters, and the console text. Pure: the worker feeds it.

import type { CpuMode } from '../vm/api';
import { DEFAULT_PROMPT, ScriptDriver } from '../cli/script-driver';

export type MilestoneId = 'pvh-entry' | 'long-mode' | 'first-hypercall' | 'user-process' | 'shell-prompt';

export const MILESTONES: { id: MilestoneId; label: string }[] = [
  { id: 'pvh-entry', label: 'PVH entry' },
  { id: 'long-mode', label: 'long mode' },
  { id: 'first-hypercall', label: 'first hypercall' },
  { id: 'user-process', label: 'first user process' },
  { id: 'shell-prompt', label: 'shell prompt' },
];

export interface Milestone {
  id: MilestoneId;
  /** Milliseconds since the machine started running. */
  ms: number;
  /** Instructions executed by then (all vCPUs). */
  instructions: bigint;
}

export interface MachineView {
  mode: CpuMode;
  cpl: number;
  hypercalls: number;
  instructions: bigint;
}

export class MilestoneTracker {
  private readonly seen = new Set<MilestoneId>();
  private readonly prompt = new ScriptDriver([], { answerCursorQueries: false, prompt: DEFAULT_PROMPT });
  private readonly decoder = new TextDecoder();
  private consoleText = '';

  constructor(private readonly onMilestone: (m: Milestone) => void) {}

  has(id: MilestoneId): boolean {
    return this.seen.has(id);
  }

  private hit(id: MilestoneId, ms: number, instructions: bigint): void {
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.onMilestone({ id, ms, instructions });
  }

  /** The machine is about to run its first instruction (at the PVH entry point). */
  start(): void {
    this.hit('pvh-entry', 0, 0n);
  }

  /** After a slice: the state of vCPU 0 and the counters. */
  observe(ms: number, v: MachineView): void {
    if (v.mode === 'long') this.hit('long-mode', ms, v.instructions);
    if (v.hypercalls > 0) this.hit('first-hypercall', ms, v.instructions);
    if (v.mode !== 'real' && v.cpl === 3) this.hit('user-process', ms, v.instructions);
  }

  /** Guest console output. */
  console(bytes: Uint8Array, ms: number, instructions: bigint): void {
    if (this.seen.has('shell-prompt')) return;
    if (!this.seen.has('user-process')) {
      // A slice can start and finish a short user process between two looks at the CPL: Linux's
      // "Run /init as init process" says the first one is starting.
      this.consoleText = (this.consoleText + this.decoder.decode(bytes, { stream: true })).slice(-256);
      if (/Run \S+ as init process/.test(this.consoleText)) this.hit('user-process', ms, instructions);
    }
    if (this.prompt.feed(bytes).done) this.hit('shell-prompt', ms, instructions);
  }

  /** Everything is found (the worker can stop looking). */
  get complete(): boolean {
    return this.seen.size === MILESTONES.length;
  }
}
