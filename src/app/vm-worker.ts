/// <reference lib="webworker" />
// The VM worker: owns the Machine and runs it in slices, yielding to its event loop between
// slices so keystrokes reach the guest. Nothing VM-related ever runs on the page's UI thread.

import { Machine } from '../vm/machine';
import type { VcpuInfo } from '../vm/api';
import type { BootRequest, FromWorker, ToWorker, VcpuSnapshot } from './messages';

const ctx = self as unknown as DedicatedWorkerGlobalScope;

const SLICE_TARGET_MS = 8; // aim for slices this long: long enough to be efficient, short enough to stay responsive
const MIN_BUDGET = 10_000;
const MAX_BUDGET = 50_000_000;
const CONSOLE_FLUSH_MS = 16; // batch guest output at most this long
const SNAPSHOT_MS = 200; // vCPU panel refresh
const MAX_IDLE_SLEEP_MS = 50;

let machine: Machine | null = null;
let booted = false;
let stopped = false;
let pendingInput: Uint8Array[] = []; // keystrokes typed before the machine exists

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  ctx.postMessage(msg, transfer);
}

// ---- console output batching ----
let outChunks: Uint8Array[] = [];
let outLength = 0;
let lastFlush = 0;

function onConsole(bytes: Uint8Array): void {
  // Copy: the machine may hand us a view into its own (reused or shared) memory.
  outChunks.push(bytes.slice());
  outLength += bytes.length;
}

function flushConsole(force: boolean): void {
  if (outLength === 0) return;
  const now = performance.now();
  if (!force && now - lastFlush < CONSOLE_FLUSH_MS) return;
  const all = new Uint8Array(outLength);
  let at = 0;
  for (const c of outChunks) {
    all.set(c, at);
    at += c.length;
  }
  outChunks = [];
  outLength = 0;
  lastFlush = now;
  post({ type: 'console', bytes: all }, [all.buffer]);
}

// ---- vCPU snapshots ----
let startedAt = 0;
let lastSnapshotAt = 0;
let lastTotal = 0n;
const lastPerVcpu = new Map<number, bigint>();

function mipsOf(deltaInstructions: bigint, deltaMs: number): number {
  return deltaMs > 0 ? Number(deltaInstructions) / deltaMs / 1000 : 0;
}

function snapshot(m: Machine): void {
  const now = performance.now();
  const dt = now - lastSnapshotAt;
  const infos: VcpuInfo[] = m.vcpuInfo();
  const vcpus: VcpuSnapshot[] = infos.map((v) => {
    const prev = lastPerVcpu.get(v.id) ?? 0n;
    lastPerVcpu.set(v.id, v.instructions);
    return {
      id: v.id,
      state: v.state,
      mode: v.mode,
      cpl: v.cpl,
      rip: v.rip,
      rsp: v.rsp,
      cr3: v.cr3,
      interruptsEnabled: v.interruptsEnabled,
      instructions: v.instructions,
      mips: mipsOf(v.instructions - prev, dt),
    };
  });
  const total = vcpus.reduce((s, v) => s + v.instructions, 0n);
  post({
    type: 'vcpus',
    vcpus,
    totalInstructions: total,
    mips: mipsOf(total - lastTotal, dt),
    uptimeMs: now - startedAt,
  });
  lastTotal = total;
  lastSnapshotAt = now;
}

// ---- yielding: a MessageChannel round trip is a macrotask without setTimeout's 4 ms clamp ----
const yieldChannel = new MessageChannel();
let afterYield: (() => void) | null = null;
yieldChannel.port1.onmessage = () => {
  const cb = afterYield;
  afterYield = null;
  cb?.();
};
function yieldThen(cb: () => void): void {
  afterYield = cb;
  yieldChannel.port2.postMessage(null);
}

let sleepTimer: ReturnType<typeof setTimeout> | null = null;
function sleepThen(ms: number, cb: () => void): void {
  sleepTimer = setTimeout(() => {
    sleepTimer = null;
    cb();
  }, ms);
}
/** New input while the guest idles: run it now instead of waiting for the timer. */
function wake(): void {
  if (sleepTimer !== null) {
    clearTimeout(sleepTimer);
    sleepTimer = null;
    yieldThen(runLoop);
  }
}

// ---- the run loop ----
let budget = 200_000;

function runLoop(): void {
  const m = machine;
  if (!m || stopped) return;
  const t0 = performance.now();
  let result;
  try {
    result = m.runSlice(budget);
  } catch (err) {
    flushConsole(true);
    stopped = true;
    post({ type: 'error', message: `VM stopped: ${describe(err)}` });
    return;
  }
  const now = performance.now();
  const elapsed = now - t0;
  // Adapt the budget so one slice takes about SLICE_TARGET_MS (only when the slice was busy).
  if (!result.idle && result.instructions >= budget * 0.9) {
    const scale = elapsed > 0.5 ? SLICE_TARGET_MS / elapsed : 2;
    budget = Math.round(Math.min(MAX_BUDGET, Math.max(MIN_BUDGET, budget * Math.min(2, Math.max(0.5, scale)))));
  }

  if (result.shutdown) {
    stopped = true;
    flushConsole(true);
    snapshot(m);
    post({ type: 'shutdown', reason: result.shutdown.reason, detail: result.shutdown.detail });
    return;
  }

  flushConsole(result.idle);
  if (now - lastSnapshotAt >= SNAPSHOT_MS) snapshot(m);

  if (result.idle) {
    const wait = result.wakeAtMs === undefined ? MAX_IDLE_SLEEP_MS : result.wakeAtMs - performance.now();
    sleepThen(Math.max(0, Math.min(MAX_IDLE_SLEEP_MS, wait)), runLoop);
  } else {
    yieldThen(runLoop);
  }
}

// ---- boot ----
function describe(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}

/** A BootError (src/hypervisor/boot-error.ts) names the problem and the input it is about. */
function describeBootFailure(err: unknown): string {
  if (err instanceof Error && err.name === 'BootError') {
    const input = (err as Error & { input?: string }).input;
    return `cannot boot${input ? ` (${input})` : ''}: ${err.message}`;
  }
  return `boot failed: ${describe(err)}`;
}

async function fetchBytes(url: string, what: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new Error(`could not fetch the ${what} (${url}): ${describe(err)}`);
  }
  if (!res.ok) throw new Error(`could not fetch the ${what} (${url}): HTTP ${res.status} ${res.statusText}`);
  if ((res.headers.get('content-type') ?? '').startsWith('text/html')) {
    throw new Error(`could not fetch the ${what} (${url}): the server answered with an HTML page (missing file?)`);
  }
  return new Uint8Array(await res.arrayBuffer());
}

async function compileCore(url: string): Promise<WebAssembly.Module> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new Error(`could not fetch the CPU core (${url}): ${describe(err)}`);
  }
  if (!res.ok) throw new Error(`could not fetch the CPU core (${url}): HTTP ${res.status} ${res.statusText}`);
  if ((res.headers.get('content-type') ?? '').startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(res);
  }
  return WebAssembly.compile(await res.arrayBuffer());
}

async function boot(req: BootRequest): Promise<void> {
  post({ type: 'status', phase: 'loading', detail: 'fetching the CPU core and the kernel' });
  let core: WebAssembly.Module;
  let kernel: Uint8Array;
  let initrd: Uint8Array | undefined;
  try {
    [core, kernel, initrd] = await Promise.all([
      compileCore(req.wasmUrl),
      fetchBytes(req.kernelUrl, 'kernel'),
      req.initrdUrl ? fetchBytes(req.initrdUrl, 'initrd') : Promise.resolve(undefined),
    ]);
  } catch (err) {
    stopped = true;
    post({ type: 'error', message: describe(err) });
    return;
  }

  post({ type: 'status', phase: 'loading', detail: 'creating the machine' });
  try {
    machine = await Machine.create(
      core,
      { kernel, initrd, cmdline: req.cmdline, memoryMiB: req.memoryMiB, vcpus: req.vcpus },
      { console: onConsole },
    );
  } catch (err) {
    stopped = true;
    flushConsole(true);
    post({ type: 'error', message: describeBootFailure(err) });
    return;
  }
  for (const bytes of pendingInput) machine.sendConsoleInput(bytes);
  pendingInput = [];

  startedAt = lastSnapshotAt = lastFlush = performance.now();
  post({ type: 'status', phase: 'running', warnings: [...(machine.warnings?.() ?? [])] });
  snapshot(machine);
  yieldThen(runLoop);
}

ctx.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  switch (msg.type) {
    case 'boot':
      if (booted) return; // one machine per worker: the page starts a fresh worker to boot again
      booted = true;
      void boot(msg.boot);
      break;
    case 'input':
      if (machine && !stopped) {
        machine.sendConsoleInput(msg.bytes);
        wake();
      } else if (!stopped) {
        pendingInput.push(msg.bytes);
      }
      break;
  }
};
