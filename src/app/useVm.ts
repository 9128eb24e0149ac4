// The page's handle on the VM worker: starts it, tracks its status, loading progress, milestones and
// vCPU snapshots as React state, and hands guest console bytes to a subscriber (the terminal)
// without re-rendering. Also measures main-thread long tasks while a guest boots.

import { useCallback, useEffect, useRef, useState } from 'react';
import type { ShutdownReason } from '../vm/api';
import type { BootRequest, FromWorker, LoadedMessage, ProgressItem, ProgressMessage, ToWorker, VcpusMessage } from './messages';
import type { Milestone } from './milestones';

export type VmStatus =
  | { kind: 'idle' }
  | { kind: 'loading'; detail?: string }
  | { kind: 'running'; warnings?: string[] }
  | { kind: 'shutdown'; reason: ShutdownReason; detail?: string }
  | { kind: 'error'; message: string };

export type ConsoleListener = (bytes: Uint8Array) => void;

/** The worker sends a vCPU snapshot every 200 ms while running; silence longer than this means it is stuck. */
const STALL_MS = 3000;

export interface LongTasks {
  /** Longest main-thread task (ms) since the boot started, until the shell prompt (or the end). */
  maxMs: number;
  count: number;
  /** Still measuring (the boot has not reached a prompt or stopped yet). */
  measuring: boolean;
  /** The browser reports long tasks at all. */
  supported: boolean;
}

export interface Vm {
  status: VmStatus;
  /** Seconds since the running VM last reported (a slice that never returns), or 0. */
  stalledSeconds: number;
  vcpus: VcpusMessage | null;
  progress: Partial<Record<ProgressItem, ProgressMessage>>;
  loaded: LoadedMessage | null;
  milestones: Milestone[];
  script: { sent: number; total: number; done: boolean } | null;
  longTasks: LongTasks;
  /** Increments on every boot; the terminal clears itself when it changes. */
  session: number;
  boot(request: BootRequest): void;
  sendInput(bytes: Uint8Array): void;
  subscribeConsole(listener: ConsoleListener): () => void;
}

declare global {
  interface Window {
    /** Test hook: main-thread long tasks during the current boot. */
    __webpvhLongTasks?: LongTasks;
  }
}

const LONGTASK_SUPPORTED = typeof PerformanceObserver !== 'undefined' && (PerformanceObserver.supportedEntryTypes ?? []).includes('longtask');
/** Stop measuring this long after a boot started even if no prompt appears (a guest without a shell). */
const LONGTASK_WINDOW_MS = 120_000;

export function useVm(): Vm {
  const [status, setStatus] = useState<VmStatus>({ kind: 'idle' });
  const [vcpus, setVcpus] = useState<VcpusMessage | null>(null);
  const [progress, setProgress] = useState<Vm['progress']>({});
  const [loaded, setLoaded] = useState<LoadedMessage | null>(null);
  const [milestones, setMilestones] = useState<Milestone[]>([]);
  const [script, setScript] = useState<Vm['script']>(null);
  const [session, setSession] = useState(0);
  const [stalledSeconds, setStalledSeconds] = useState(0);
  const [longTasks, setLongTasks] = useState<LongTasks>({ maxMs: 0, count: 0, measuring: false, supported: LONGTASK_SUPPORTED });
  const lastHeard = useRef(0);
  const workerRef = useRef<Worker | null>(null);
  const listeners = useRef(new Set<ConsoleListener>());
  const measure = useRef({ active: false, start: 0, maxMs: 0, count: 0 });

  const endMeasure = useCallback(() => {
    const m = measure.current;
    if (!m.active) return;
    m.active = false;
    const lt = { maxMs: m.maxMs, count: m.count, measuring: false, supported: LONGTASK_SUPPORTED };
    window.__webpvhLongTasks = lt;
    setLongTasks(lt);
    console.info(`webpvh: longest main-thread task during the boot: ${m.maxMs.toFixed(0)} ms (${m.count} long tasks)`);
  }, []);

  useEffect(() => {
    if (!LONGTASK_SUPPORTED) return;
    const obs = new PerformanceObserver((list) => {
      const m = measure.current;
      if (!m.active) return;
      for (const e of list.getEntries()) {
        if (e.startTime + e.duration < m.start) continue;
        m.count++;
        m.maxMs = Math.max(m.maxMs, e.duration);
      }
      if (performance.now() - m.start > LONGTASK_WINDOW_MS) endMeasure();
      else {
        const lt = { maxMs: m.maxMs, count: m.count, measuring: true, supported: true };
        window.__webpvhLongTasks = lt;
        setLongTasks(lt);
      }
    });
    obs.observe({ type: 'longtask', buffered: false });
    return () => obs.disconnect();
  }, [endMeasure]);

  const stop = useCallback(() => {
    workerRef.current?.terminate();
    workerRef.current = null;
  }, []);

  const boot = useCallback(
    (request: BootRequest) => {
      stop();
      setStatus({ kind: 'loading' });
      setVcpus(null);
      setProgress({});
      setLoaded(null);
      setMilestones([]);
      setScript(null);
      setSession((s) => s + 1);
      measure.current = { active: true, start: performance.now(), maxMs: 0, count: 0 };
      const lt = { maxMs: 0, count: 0, measuring: true, supported: LONGTASK_SUPPORTED };
      window.__webpvhLongTasks = lt;
      setLongTasks(lt);
      const worker = new Worker(new URL('./vm-worker.ts', import.meta.url), { type: 'module', name: 'webpvh-vm' });
      workerRef.current = worker;
      worker.onmessage = (e: MessageEvent<FromWorker>) => {
        if (workerRef.current !== worker) return; // a late message from a worker we already replaced
        const msg = e.data;
        lastHeard.current = performance.now();
        switch (msg.type) {
          case 'status':
            setStatus(msg.phase === 'running' ? { kind: 'running', warnings: msg.warnings } : { kind: 'loading', detail: msg.detail });
            break;
          case 'progress':
            setProgress((p) => ({ ...p, [msg.item]: msg }));
            break;
          case 'loaded':
            setLoaded(msg);
            break;
          case 'console':
            for (const l of listeners.current) l(msg.bytes);
            break;
          case 'vcpus':
            setVcpus(msg);
            break;
          case 'milestone': {
            const { type: _t, ...m } = msg;
            setMilestones((ms) => [...ms, m]);
            if (m.id === 'shell-prompt') endMeasure();
            break;
          }
          case 'script':
            setScript({ sent: msg.sent, total: msg.total, done: msg.done });
            break;
          case 'shutdown':
            setStatus({ kind: 'shutdown', reason: msg.reason, detail: msg.detail });
            endMeasure();
            break;
          case 'error':
            setStatus({ kind: 'error', message: msg.message });
            endMeasure();
            break;
        }
      };
      worker.onerror = (e: ErrorEvent) => {
        if (workerRef.current !== worker) return;
        e.preventDefault();
        setStatus({ kind: 'error', message: `VM worker failed: ${e.message || 'could not load or run the worker script'}` });
        endMeasure();
      };
      const msg: ToWorker = { type: 'boot', boot: request };
      worker.postMessage(msg);
    },
    [stop, endMeasure],
  );

  const sendInput = useCallback((bytes: Uint8Array) => {
    const msg: ToWorker = { type: 'input', bytes };
    workerRef.current?.postMessage(msg, [bytes.buffer]);
  }, []);

  const subscribeConsole = useCallback((listener: ConsoleListener) => {
    listeners.current.add(listener);
    return () => void listeners.current.delete(listener);
  }, []);

  useEffect(() => stop, [stop]);

  // Watchdog: notice a worker stuck inside one runSlice (it cannot post anything then).
  const running = status.kind === 'running';
  useEffect(() => {
    setStalledSeconds(0);
    if (!running) return;
    lastHeard.current = performance.now();
    const timer = setInterval(() => {
      const silent = performance.now() - lastHeard.current;
      setStalledSeconds(silent > STALL_MS ? Math.floor(silent / 1000) : 0);
    }, 1000);
    return () => clearInterval(timer);
  }, [running, session]);

  return { status, stalledSeconds, vcpus, progress, loaded, milestones, script, longTasks, session, boot, sendInput, subscribeConsole };
}
