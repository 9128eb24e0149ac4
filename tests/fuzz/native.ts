// Runs a case set on the host CPU through build/fuzz/harness and parses the results.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-ignore -- plain ESM helper shared with the build
import { ensureHarness } from './build.mjs';
import type { CaseSet } from './gen.ts';

/** Architectural outcome of one case (same shape for both sides). */
export interface Result {
  gpr: BigUint64Array; // 16
  rflags: bigint;
  rip: bigint;
  vector: number; // -1: ran to the sentinel; otherwise the exception vector
  err: bigint;
  cr2: bigint;
  diff: Map<number, bigint>; // data-region offset -> new 8-byte word
  simd: Map<number, bigint>; // SIMD state block offset -> new 8-byte word
  note?: string; // e.g. unimplemented / core exit
}

export interface NativeResults {
  buf: Buffer;
  offsets: Uint32Array; // start of each record in buf
}

export function runNative(set: CaseSet): NativeResults {
  const bin = ensureHarness();
  const dir = mkdtempSync(join(tmpdir(), 'webpvh-fuzz-'));
  try {
    writeFileSync(join(dir, 'in.bin'), set.buf);
    execFileSync(bin, [join(dir, 'in.bin'), join(dir, 'out.bin')], { stdio: 'inherit' });
    const buf = readFileSync(join(dir, 'out.bin'));
    const offsets = new Uint32Array(set.count);
    let p = 0;
    for (let i = 0; i < set.count; i++) {
      offsets[i] = p;
      const n = buf.readUInt32LE(p + 168);
      p += 176 + n * 16;
    }
    if (p !== buf.length) throw new Error(`harness output has ${buf.length} bytes, parsed ${p}`);
    return { buf, offsets };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const SENTINEL_LEN = 3;

export function nativeResult(nr: NativeResults, i: number, insnEnd: bigint): Result {
  const b = nr.buf;
  const p = nr.offsets[i];
  const gpr = new BigUint64Array(16);
  for (let g = 0; g < 16; g++) gpr[g] = b.readBigUInt64LE(p + g * 8);
  const rip = b.readBigUInt64LE(p + 136);
  let vector = b.readUInt32LE(p + 160);
  const n = b.readUInt32LE(p + 168);
  const diff = new Map<number, bigint>();
  const simd = new Map<number, bigint>();
  for (let k = 0; k < n; k++) {
    const off = b.readUInt32LE(p + 176 + k * 16);
    const v = b.readBigUInt64LE(p + 176 + k * 16 + 8);
    if (off & 0x10000) simd.set(off & 0xffff, v);
    else diff.set(off, v);
  }
  // the sentinel VMCALL is #UD in user mode: reaching it means the instruction completed
  // (#UD on bare metal; #GP under KVM, which intercepts it)
  if ((vector === 6 || vector === 13) && rip === insnEnd) vector = -1;
  return {
    gpr,
    rflags: b.readBigUInt64LE(p + 128),
    rip,
    vector,
    err: b.readBigUInt64LE(p + 144),
    cr2: b.readBigUInt64LE(p + 152),
    diff,
    simd,
  };
}
