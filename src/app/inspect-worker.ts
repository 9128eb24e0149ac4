/// <reference lib="webworker" />
// Runs inspectFile() off the UI thread (unwrapping a bzImage decompresses megabytes).
import { inspectFile } from './inspect';

const ctx = self as unknown as DedicatedWorkerGlobalScope;
ctx.onmessage = (e: MessageEvent<{ id: number; name: string; bytes: Uint8Array }>) => {
  const { id, name, bytes } = e.data;
  ctx.postMessage({ id, report: inspectFile(name, bytes) });
};
