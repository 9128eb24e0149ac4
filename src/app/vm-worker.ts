/// <reference lib="webworker" />
// The VM worker: loads the images (streamed fetch with progress, SHA-256 check, bzImage unwrapping
// with progress), owns the Machine and runs it in slices, yielding to its event loop between slices
// so keystrokes reach the guest. Also watches for boot milestones, types the demo's input script,
// and symbolises RIPs. Nothing VM-related ever runs on the page's UI thread.

import { Gunzip } from 'fflate';
import { Machine } from '../vm/machine';
import type { VcpuInfo } from '../vm/api';
import { kernelElfBytes, identifyKernelImage } from '../hypervisor/kernel-image';
import { parseBzImage } from '../hypervisor/bzimage';
import { ScriptDriver } from '../cli/script-driver';
import type { BootRequest, FromWorker, ImageSource, ProgressItem, ToWorker, VcpuSnapshot } from './messages';
import { MilestoneTracker } from './milestones';
import { elfSymbols, symbolise, systemMapSymbols, type SymbolTable } from './symbols';

const ctx = self as unknown as DedicatedWorkerGlobalScope;

const SLICE_TARGET_MS = 8; // aim for slices this long: long enough to be efficient, short enough to stay responsive
const MIN_BUDGET = 10_000;
const MAX_BUDGET = 50_000_000;
const CONSOLE_FLUSH_MS = 16; // batch guest output at most this long
const SNAPSHOT_MS = 200; // vCPU panel refresh
const MAX_IDLE_SLEEP_MS = 50;
const PROGRESS_MS = 50;
/** Pause between seeing a prompt and typing a script line, so the terminal's answer to the shell's
 *  cursor-position query (ESC[6n, answered by xterm.js on the page) arrives first. */
const SCRIPT_TYPE_DELAY_MS = 150;

let machine: Machine | null = null;
let booted = false;
let stopped = false;
let pendingInput: Uint8Array[] = []; // keystrokes typed before the machine exists
let symbols: SymbolTable | null = null;
let script: ScriptDriver | null = null;
let scriptTotal = 0;
const encoder = new TextEncoder();

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  ctx.postMessage(msg, transfer);
}

// ---- milestones ----
let startedAt = 0;
const milestones = new MilestoneTracker((m) => post({ type: 'milestone', ...m }));
const sinceStart = () => performance.now() - startedAt;

function totalInstructions(infos: VcpuInfo[]): bigint {
  return infos.reduce((s, v) => s + v.instructions, 0n);
}

function observeMilestones(m: Machine): void {
  if (milestones.has('long-mode') && milestones.has('first-hypercall') && milestones.has('user-process')) return;
  const infos = m.vcpuInfo();
  const hypercalls = milestones.has('first-hypercall') ? 1 : Object.values(m.stats().hypercalls).reduce((s, n) => s + n, 0);
  // Any vCPU in user mode counts as the first user process; long mode and hypercalls start on vCPU 0.
  const user = infos.find((v) => v.cpl === 3 && v.mode !== 'real');
  const v0 = infos[0];
  milestones.observe(sinceStart(), { mode: v0.mode, cpl: user ? 3 : v0.cpl, hypercalls, instructions: totalInstructions(infos) });
}

// ---- console output batching ----
let outChunks: Uint8Array[] = [];
let outLength = 0;
let lastFlush = 0;
let lastInstructions = 0n;

function onConsole(bytes: Uint8Array): void {
  // Copy: the machine may hand us a view into its own (reused or shared) memory.
  const copy = bytes.slice();
  outChunks.push(copy);
  outLength += copy.length;
  milestones.console(copy, sinceStart(), lastInstructions);
  if (script && !script.done) {
    const { send } = script.feed(copy);
    for (const line of send) setTimeout(() => typeLine(line), SCRIPT_TYPE_DELAY_MS);
    post({ type: 'script', sent: script.sent, total: scriptTotal, done: script.done });
  }
}

function typeLine(line: string): void {
  if (!machine || stopped) return;
  machine.sendConsoleInput(encoder.encode(line));
  wake();
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
      symbol: v.cpl === 0 ? (symbolise(symbols, v.rip) ?? undefined) : undefined,
      rsp: v.rsp,
      cr3: v.cr3,
      interruptsEnabled: v.interruptsEnabled,
      instructions: v.instructions,
      mips: mipsOf(v.instructions - prev, dt),
      events: v.events,
      ipis: v.ipis,
      hypercalls: v.hypercalls,
    };
  });
  const total = totalInstructions(infos);
  lastInstructions = total;
  const j = m.stats().jit;
  const jit = j && total > 0n ? { blocks: j.blocks, compiledShare: j.executed / Number(total) } : undefined;
  post({ type: 'vcpus', vcpus, totalInstructions: total, mips: mipsOf(total - lastTotal, dt), uptimeMs: now - startedAt, jit });
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
  observeMilestones(m);

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

// ---- loading ----
function describe(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}

/** A BootError (src/hypervisor/boot-error.ts) names the problem and the input it is about. */
function describeBootFailure(err: unknown, names: Record<string, string>): string {
  if (err instanceof Error && err.name === 'BootError') {
    const input = (err as Error & { input?: string }).input;
    const name = input ? names[input] : undefined;
    return `cannot boot${input ? ` (${input}${name ? ` ${name}` : ''})` : ''}: ${err.message}`;
  }
  return `boot failed: ${describe(err)}`;
}

function progress(item: ProgressItem, label: string): (done: number, total?: number, finished?: boolean) => void {
  let last = 0;
  return (done, total, finished) => {
    const now = performance.now();
    if (!finished && now - last < PROGRESS_MS) return;
    last = now;
    post({ type: 'progress', item, label, done, total, finished });
  };
}

/** Streamed fetch with progress. */
/** Images the server sent with a Content-Encoding (the browser decoded them: hashes are of the decoded bytes). */
const contentEncoded = new Set<string>();

async function fetchBytes(url: string, what: string, item: ProgressItem): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new Error(`could not fetch the ${what} (${url}): ${describe(err)} (a file on another host needs CORS headers)`);
  }
  if (!res.ok) throw new Error(`could not fetch the ${what} (${url}): HTTP ${res.status} ${res.statusText}`);
  if ((res.headers.get('content-type') ?? '').startsWith('text/html')) {
    throw new Error(`could not fetch the ${what} (${url}): the server answered with an HTML page (missing file?)`);
  }
  if (res.headers.get('content-encoding')) contentEncoded.add(what);
  const lengthHeader = Number(res.headers.get('content-length'));
  // Content-Length is the encoded size: only trust it for progress when the body is not re-encoded.
  const total = Number.isFinite(lengthHeader) && lengthHeader > 0 && !res.headers.get('content-encoding') ? lengthHeader : undefined;
  const report = progress(item, `${what} ${url.slice(url.lastIndexOf('/') + 1)}`);
  if (!res.body) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    report(bytes.length, bytes.length, true);
    return bytes;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let done = 0;
  report(0, total);
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    chunks.push(r.value);
    done += r.value.length;
    report(done, total);
  }
  report(done, done, true);
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(done);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

async function loadImage(src: ImageSource, what: 'kernel' | 'initrd'): Promise<{ bytes: Uint8Array; sha256: string }> {
  let bytes: Uint8Array;
  if (src.bytes) {
    bytes = src.bytes;
    post({ type: 'progress', item: what, label: `${what} ${src.name} (local file)`, done: bytes.length, total: bytes.length, finished: true });
  } else if (src.url) {
    bytes = await fetchBytes(src.url, what, what);
  } else {
    throw new Error(`no ${what} given`);
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  if (src.sha256 && src.sha256 !== sha256) {
    throw new Error(
      `refusing the ${what} ${src.name}: its SHA-256 does not match the link (expected ${src.sha256}, got ${sha256}); the file changed since the link was made, or the link was altered${
        contentEncoded.has(what) ? '; note: the server sent it with Content-Encoding, so the browser decoded it before hashing' : ''
      }`,
    );
  }
  return { bytes, sha256 };
}

/** A gzip stream decompressed in chunks, reporting progress; null for other formats. */
function gunzipWithProgress(data: Uint8Array, report: (done: number, total?: number, finished?: boolean) => void): Uint8Array {
  const parts: Uint8Array[] = [];
  let outLen = 0;
  const g = new Gunzip((chunk) => {
    parts.push(chunk);
    outLen += chunk.length;
  });
  const STEP = 256 * 1024;
  for (let at = 0; at < data.length; at += STEP) {
    const end = Math.min(data.length, at + STEP);
    g.push(data.subarray(at, end), end === data.length);
    report(end, data.length);
  }
  const out = new Uint8Array(outLen);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  report(data.length, data.length, true);
  return out;
}

/** The kernel's ELF, unwrapped from a bzImage or a compressed file (gzip with progress). */
function unwrapKernel(bytes: Uint8Array): Uint8Array {
  const id = identifyKernelImage(bytes);
  if (id.kind === 'elf') return bytes;
  const report = progress('decompress', 'decompressing the kernel');
  report(0, 1);
  try {
    if (id.kind === 'bzimage') {
      const bz = parseBzImage(bytes);
      if (bz.compression === 'gzip') {
        const elf = gunzipWithProgress(bytes.subarray(bz.payloadStart, bz.payloadStart + bz.payloadLength), report);
        if (elf.length >= 4 && elf[0] === 0x7f && elf[1] === 0x45) return elf;
      }
    } else if (id.kind === 'compressed' && id.compression === 'gzip') {
      const elf = gunzipWithProgress(bytes, report);
      if (elf.length >= 4 && elf[0] === 0x7f && elf[1] === 0x45) return elf;
    }
  } catch {
    // fall through: kernelElfBytes gives the precise BootError
  }
  const elf = kernelElfBytes(bytes);
  report(1, 1, true);
  return elf;
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
  post({ type: 'status', phase: 'loading', detail: 'fetching the CPU core and the images' });
  const names = { kernel: req.kernel.name, initrd: req.initrd?.name ?? '' };
  let core: WebAssembly.Module;
  let kernel: { bytes: Uint8Array; sha256: string };
  let initrd: { bytes: Uint8Array; sha256: string } | undefined;
  try {
    [core, kernel, initrd] = await Promise.all([
      compileCore(req.wasmUrl),
      loadImage(req.kernel, 'kernel'),
      req.initrd ? loadImage(req.initrd, 'initrd') : Promise.resolve(undefined),
    ]);
  } catch (err) {
    stopped = true;
    post({ type: 'error', message: describe(err) });
    return;
  }

  let elf: Uint8Array;
  try {
    post({ type: 'status', phase: 'loading', detail: 'unwrapping the kernel' });
    elf = unwrapKernel(kernel.bytes);
  } catch (err) {
    stopped = true;
    post({ type: 'error', message: describeBootFailure(err, names) });
    return;
  }
  symbols = elfSymbols(elf) ?? (req.systemMap ? systemMapSymbols(req.systemMap) : null);
  post({
    type: 'loaded',
    kernel: { size: kernel.bytes.length, sha256: kernel.sha256, elfSize: elf.length },
    initrd: initrd && { size: initrd.bytes.length, sha256: initrd.sha256 },
    symbols: symbols ? { source: symbols.source, count: symbols.names.length } : undefined,
  });

  post({ type: 'status', phase: 'loading', detail: 'creating the machine' });
  try {
    machine = await Machine.create(
      core,
      { kernel: elf, initrd: initrd?.bytes, cmdline: req.cmdline, memoryMiB: req.memoryMiB, vcpus: req.vcpus, jitThreshold: req.jitThreshold },
      { console: onConsole },
    );
  } catch (err) {
    stopped = true;
    flushConsole(true);
    post({ type: 'error', message: describeBootFailure(err, names) });
    return;
  }
  if (req.script?.length) {
    script = new ScriptDriver(req.script, { answerCursorQueries: false });
    scriptTotal = req.script.length;
    post({ type: 'script', sent: 0, total: scriptTotal, done: false });
  }
  for (const bytes of pendingInput) machine.sendConsoleInput(bytes);
  pendingInput = [];

  startedAt = lastSnapshotAt = lastFlush = performance.now();
  post({ type: 'status', phase: 'running', warnings: [...(machine.warnings?.() ?? [])] });
  milestones.start();
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
