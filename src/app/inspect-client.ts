// The page's side of inspect-worker.ts: one short-lived worker per dropped file.
import type { FileReport } from './inspect';

export function inspectInWorker(name: string, bytes: Uint8Array): Promise<FileReport> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL('./inspect-worker.ts', import.meta.url), { type: 'module', name: 'webpvh-inspect' });
    worker.onmessage = (e: MessageEvent<{ report: FileReport }>) => {
      worker.terminate();
      resolve(e.data.report);
    };
    worker.onerror = (e) => {
      e.preventDefault();
      worker.terminate();
      resolve({ name, size: bytes.length, role: 'invalid', format: 'not inspected', facts: [], error: `could not inspect the file: ${e.message}` });
    };
    worker.postMessage({ id: 0, name, bytes });
  });
}
