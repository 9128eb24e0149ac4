// What the page boots. Defaults to the bundled hello guest; URL parameters override
// (?kernel=guests/foo.elf&cmdline=console%3Dhvc0&mem=256&vcpus=1), resolved against the page URL.

import coreUrl from '../../build/core.wasm?url';
import type { BootRequest } from './messages';

export const DEFAULT_KERNEL = 'guests/hello.elf';
export const DEFAULT_CMDLINE = 'console=hvc0';

function positiveInt(value: string | null): number | undefined {
  if (value === null) return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export function bootRequestFromLocation(loc: Location = window.location): BootRequest {
  const params = new URLSearchParams(loc.search);
  const base = document.baseURI;
  const initrd = params.get('initrd');
  return {
    wasmUrl: new URL(coreUrl, base).href,
    kernelUrl: new URL(params.get('kernel') ?? DEFAULT_KERNEL, base).href,
    initrdUrl: initrd ? new URL(initrd, base).href : undefined,
    cmdline: params.get('cmdline') ?? DEFAULT_CMDLINE,
    memoryMiB: positiveInt(params.get('mem')),
    vcpus: positiveInt(params.get('vcpus')),
  };
}

/** Short name of the kernel for the status line ("hello.elf"). */
export function kernelName(req: BootRequest): string {
  const path = new URL(req.kernelUrl).pathname;
  return path.slice(path.lastIndexOf('/') + 1) || path;
}
