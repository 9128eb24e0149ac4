// A boot demo as a URL fragment, so a link reproduces it:
//   #kernel=guests/vmlinuz-6.12-pvh&kernel-sha256=HEX&initrd=…&initrd-sha256=HEX
//    &cmdline=console%3Dhvc0&vcpus=2&mem=256&jit=0&script=uname%20-a%0Aecho%20hi
// (jit: executions before the JIT compiles a block; 0 = interpreter only; absent = the default)
// Images are URLs (site-relative or any CORS-enabled host) checked against their SHA-256 on load, or,
// for a small dropped file, the file itself: kernel-data / initrd-data = base64url(gzip(bytes)) with
// kernel-name / initrd-name. The legacy query form (?kernel=…&cmdline=…) is read too. Pure.

import { gunzipSync, gzipSync } from 'fflate';

/** A dropped file rides in the link only if its gzip is at most this big. */
export const INLINE_LIMIT = 64 * 1024;

export interface ImageRef {
  /** Absolute or page-relative URL. */
  url?: string;
  /** The file itself (a dropped file, or one that came inline in a link). */
  data?: Uint8Array;
  /** Display name (file name, or the URL's last path segment). */
  name: string;
  /** Expected SHA-256 (lower-case hex), checked on load. */
  sha256?: string;
}

export interface DemoSpec {
  kernel: ImageRef;
  initrd?: ImageRef;
  /** Optional System.map text for RIP symbolisation (never in links). */
  systemMap?: { name: string; text: string };
  cmdline: string;
  vcpus: number;
  memoryMiB: number;
  /** JIT threshold; undefined = the VM's default, 0 = interpreter only. */
  jitThreshold?: number;
  /** Lines typed into the console, one per shell prompt, after the first prompt appears. */
  script: string[];
}

export const DEFAULT_MEMORY_MIB = 256;
export const MAX_VCPUS_UI = 8;

export const LINUX_DEMO: DemoSpec = {
  kernel: { url: 'guests/vmlinuz-6.12-pvh', name: 'vmlinuz-6.12-pvh' },
  initrd: { url: 'guests/initramfs-busybox.cpio.lz4', name: 'initramfs-busybox.cpio.lz4' },
  cmdline: 'console=hvc0',
  vcpus: 1,
  memoryMiB: DEFAULT_MEMORY_MIB,
  script: [],
};

export const HELLO_DEMO: DemoSpec = {
  kernel: { url: 'guests/hello.elf', name: 'hello.elf' },
  cmdline: 'console=hvc0',
  vcpus: 1,
  memoryMiB: DEFAULT_MEMORY_MIB,
  script: [],
};

export function nameOfUrl(url: string): string {
  const path = url.split(/[?#]/)[0];
  return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1)) || url;
}

// ---- base64url ----
export function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** base64url(gzip(bytes)) if the gzip fits in INLINE_LIMIT, else null. */
export function inlineEncode(bytes: Uint8Array): string | null {
  const gz = gzipSync(bytes, { level: 9, mtime: 0 });
  return gz.length <= INLINE_LIMIT ? toBase64Url(gz) : null;
}

function positiveInt(value: string | null, max: number): number | undefined {
  if (value === null || value === '') return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n > 0 && n <= max ? n : undefined;
}

const HEX64 = /^[0-9a-f]{64}$/;

function imageFrom(p: URLSearchParams, key: 'kernel' | 'initrd', errors: string[]): ImageRef | undefined {
  const url = p.get(key);
  const data = p.get(`${key}-data`);
  const sha = p.get(`${key}-sha256`)?.toLowerCase() ?? undefined;
  if (sha !== undefined && !HEX64.test(sha)) errors.push(`${key}-sha256 in the link is not 64 hex digits; ignored`);
  const sha256 = sha && HEX64.test(sha) ? sha : undefined;
  if (data) {
    try {
      const bytes = gunzipSync(fromBase64Url(data));
      return { data: bytes, name: p.get(`${key}-name`) || `${key} (from the link)`, sha256 };
    } catch (err) {
      errors.push(`the ${key} carried in the link is corrupt (${(err as Error).message})`);
      return undefined;
    }
  }
  if (url) return { url, name: p.get(`${key}-name`) || nameOfUrl(url), sha256 };
  return undefined;
}

/** The demo a location describes (fragment first, then the query), or null for "no demo: use the default". */
export function demoFromLocation(hash: string, search: string): { spec: DemoSpec | null; errors: string[] } {
  const raw = hash.replace(/^#/, '');
  const p = new URLSearchParams(raw.includes('=') ? raw : search.replace(/^\?/, ''));
  const errors: string[] = [];
  if (p.get('demo') === 'hello') return { spec: { ...HELLO_DEMO }, errors };
  const kernel = imageFrom(p, 'kernel', errors);
  if (!kernel) return { spec: null, errors };
  const vcpus = positiveInt(p.get('vcpus'), MAX_VCPUS_UI);
  if (p.has('vcpus') && vcpus === undefined) errors.push(`vcpus=${p.get('vcpus')} is not a number from 1 to ${MAX_VCPUS_UI}; using 1`);
  const mem = positiveInt(p.get('mem'), 3072);
  if (p.has('mem') && mem === undefined) errors.push(`mem=${p.get('mem')} is not a memory size in MiB; using ${DEFAULT_MEMORY_MIB}`);
  const jitRaw = p.get('jit');
  let jitThreshold: number | undefined;
  if (jitRaw !== null) {
    const n = Number(jitRaw);
    if (jitRaw !== '' && Number.isInteger(n) && n >= 0 && n <= 1_000_000) jitThreshold = n;
    else errors.push(`jit=${jitRaw} is not a whole number from 0 (interpreter only) to 1000000; using the default`);
  }
  const script = p.get('script');
  return {
    spec: {
      kernel,
      initrd: imageFrom(p, 'initrd', errors),
      cmdline: p.get('cmdline') ?? 'console=hvc0',
      vcpus: vcpus ?? 1,
      memoryMiB: mem ?? DEFAULT_MEMORY_MIB,
      jitThreshold,
      script: script ? script.split(/\r?\n/).filter((l, i, all) => l !== '' || i < all.length - 1) : [],
    },
    errors,
  };
}

export interface ShareResult {
  /** The fragment, with its leading '#'. */
  fragment: string;
  /** Files that could not ride in the link (too big once gzipped). */
  notes: string[];
}

/**
 * Encodes a demo as a fragment. `hashes` are the SHA-256s measured when the images were loaded
 * (URL images get one so the link pins the exact file).
 */
export function encodeDemo(spec: DemoSpec, hashes: { kernel?: string; initrd?: string } = {}): ShareResult {
  const p = new URLSearchParams();
  const notes: string[] = [];
  const put = (key: 'kernel' | 'initrd', img: ImageRef | undefined) => {
    if (!img) return;
    const sha = hashes[key] ?? img.sha256;
    if (img.url) {
      p.set(key, img.url);
      if (img.name !== nameOfUrl(img.url)) p.set(`${key}-name`, img.name);
    } else if (img.data) {
      const inline = inlineEncode(img.data);
      if (inline === null) {
        notes.push(
          `the ${key} "${img.name}" (${img.data.length.toLocaleString('en-US')} bytes) is a local file too big to ride in the link ` +
            `(more than ${INLINE_LIMIT / 1024} KiB gzipped): put it on a CORS-enabled host and link it by URL`,
        );
        return;
      }
      p.set(`${key}-data`, inline);
      p.set(`${key}-name`, img.name);
    }
    if (sha) p.set(`${key}-sha256`, sha);
  };
  put('kernel', spec.kernel);
  put('initrd', spec.initrd);
  p.set('cmdline', spec.cmdline);
  if (spec.vcpus !== 1) p.set('vcpus', String(spec.vcpus));
  if (spec.memoryMiB !== DEFAULT_MEMORY_MIB) p.set('mem', String(spec.memoryMiB));
  if (spec.jitThreshold !== undefined) p.set('jit', String(spec.jitThreshold));
  if (spec.script.length) p.set('script', spec.script.join('\n'));
  if (spec.systemMap) notes.push(`the System.map "${spec.systemMap.name}" is not carried in links`);
  return { fragment: '#' + p.toString().replace(/\+/g, '%20'), notes };
}
