// The page's handle on the VM worker: starts it, tracks its status and vCPU snapshots as React
// state, and hands guest console bytes to a subscriber (the terminal) without re-rendering.

import { useCallback, useEffect, useRef, useState } from 'react';
import type { ShutdownReason } from '../vm/api';
import type { BootRequest, FromWorker, ToWorker, VcpusMessage } from './messages';

export type VmStatus =
  | { kind: 'loading'; detail?: string }
  | { kind: 'running'; warnings?: string[] }
  | { kind: 'shutdown'; reason: ShutdownReason; detail?: string }
  | { kind: 'error'; message: string };

export type ConsoleListener = (bytes: Uint8Array) => void;

/** The worker sends a vCPU snapshot every 200 ms while running; silence longer than this means it is stuck. */
const STALL_MS = 3000;

export interface Vm {
  status: VmStatus;
  /** Seconds since the running VM last reported (a slice that never returns), or 0. */
  stalledSeconds: number;
  vcpus: VcpusMessage | null;
  /** Increments on every boot; the terminal clears itself when it changes. */
  session: number;
  boot(): void;
  sendInput(bytes: Uint8Array): void;
  subscribeConsole(listener: ConsoleListener): () => void;
}

export function useVm(request: BootRequest): Vm {
  const [status, setStatus] = useState<VmStatus>({ kind: 'loading' });
  const [vcpus, setVcpus] = useState<VcpusMessage | null>(null);
  const [session, setSession] = useState(0);
  const [stalledSeconds, setStalledSeconds] = useState(0);
  const lastHeard = useRef(0);
  const workerRef = useRef<Worker | null>(null);
  const listeners = useRef(new Set<ConsoleListener>());

  const stop = useCallback(() => {
    workerRef.current?.terminate();
    workerRef.current = null;
  }, []);

  const boot = useCallback(() => {
    stop();
    setStatus({ kind: 'loading' });
    setVcpus(null);
    setSession((s) => s + 1);
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
        case 'console':
          for (const l of listeners.current) l(msg.bytes);
          break;
        case 'vcpus':
          setVcpus(msg);
          break;
        case 'shutdown':
          setStatus({ kind: 'shutdown', reason: msg.reason, detail: msg.detail });
          break;
        case 'error':
          setStatus({ kind: 'error', message: msg.message });
          break;
      }
    };
    worker.onerror = (e: ErrorEvent) => {
      if (workerRef.current !== worker) return;
      e.preventDefault();
      setStatus({ kind: 'error', message: `VM worker failed: ${e.message || 'could not load or run the worker script'}` });
    };
    const msg: ToWorker = { type: 'boot', boot: request };
    worker.postMessage(msg);
  }, [request, stop]);

  const sendInput = useCallback((bytes: Uint8Array) => {
    const msg: ToWorker = { type: 'input', bytes };
    workerRef.current?.postMessage(msg, [bytes.buffer]);
  }, []);

  const subscribeConsole = useCallback((listener: ConsoleListener) => {
    listeners.current.add(listener);
    return () => void listeners.current.delete(listener);
  }, []);

  useEffect(() => {
    boot();
    return stop;
  }, [boot, stop]);

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

  return { status, stalledSeconds, vcpus, session, boot, sendInput, subscribeConsole };
}
