// From a demo (what the user chose, or what a link describes) to the worker's BootRequest: URLs
// are resolved against the page, so site-relative links work from any sub-directory of a host.

import coreUrl from '../../build/core.wasm?url';
import type { BootRequest, ImageSource } from './messages';
import type { DemoSpec, ImageRef } from './share';

function source(img: ImageRef, base: string): ImageSource {
  return img.data ? { name: img.name, bytes: img.data, sha256: img.sha256 } : { name: img.name, url: new URL(img.url!, base).href, sha256: img.sha256 };
}

export function bootRequest(spec: DemoSpec, base: string = document.baseURI): BootRequest {
  return {
    wasmUrl: new URL(coreUrl, base).href,
    kernel: source(spec.kernel, base),
    initrd: spec.initrd && source(spec.initrd, base),
    cmdline: spec.cmdline,
    memoryMiB: spec.memoryMiB,
    vcpus: spec.vcpus,
    jitThreshold: spec.jitThreshold,
    script: spec.script.length ? spec.script : undefined,
    systemMap: spec.systemMap?.text,
  };
}
