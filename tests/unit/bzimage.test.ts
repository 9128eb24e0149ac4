// bzImage unwrapping and kernel-image identification. Synthetic bzImages wrap the hello PVH guest
// (public/guests/hello.elf) compressed by the host tools exactly as Linux's build does
// (scripts/Makefile.lib: gzip -n -9; xz --check=crc32 --x86 --lzma2; zstd -22 --ultra; lz4 -l -9; a
// 4-byte little-endian size after every format but gzip). Needs the Debian packages gzip, xz-utils,
// zstd, lz4 and bzip2 (all on the base image; .ci/run should list them).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BootError } from '../../src/hypervisor/boot-error.ts';
import { parseBzImage, unwrapBzImage } from '../../src/hypervisor/bzimage.ts';
import { decompress, detectCompression } from '../../src/hypervisor/decompress/index.ts';
import { lz4LegacyDecode } from '../../src/hypervisor/decompress/lz4.ts';
import { bcjX86Decode, xzDecode } from '../../src/hypervisor/decompress/xz.ts';
import { identifyKernelImage, kernelElfBytes } from '../../src/hypervisor/kernel-image.ts';
import { planPvhBoot } from '../../src/hypervisor/pvh-boot.ts';
import { parsePvhKernel } from '../../src/hypervisor/pvh-note.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const HELLO = new Uint8Array(readFileSync(join(ROOT, 'public', 'guests', 'hello.elf')));
const MiB = 1024 * 1024;

/** Runs a host compressor on the bytes (stdin → stdout). */
function host(cmd: string, args: string[], input: Uint8Array): Uint8Array {
  try {
    return new Uint8Array(execFileSync(cmd, args, { input, maxBuffer: 256 * MiB }));
  } catch (e) {
    throw new Error(`host tool "${cmd}" failed (Debian packages: gzip xz-utils zstd lz4 bzip2): ${(e as Error).message}`);
  }
}

function sizeTrailer(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A minimal bzImage: boot sector + setup (setupSects sectors), then the protected-mode part. */
function bzImage(payload: Uint8Array, opts: { setupSects?: number; version?: number; pmPrefix?: number } = {}): Uint8Array {
  const setupSects = opts.setupSects ?? 7;
  const pmStart = (setupSects + 1) * 512;
  const pmPrefix = opts.pmPrefix ?? 0x3c0; // the decompressor stub before the payload
  const img = new Uint8Array(pmStart + pmPrefix + payload.length + 64);
  const dv = new DataView(img.buffer);
  img[0x1f1] = setupSects === 4 ? 0 : setupSects;
  dv.setUint16(0x1fe, 0xaa55, true);
  img.set([0x48, 0x64, 0x72, 0x53], 0x202);
  dv.setUint16(0x206, opts.version ?? 0x020f, true);
  dv.setUint32(0x248, pmPrefix, true);
  dv.setUint32(0x24c, payload.length, true);
  img.fill(0xcc, pmStart, pmStart + pmPrefix);
  img.set(payload, pmStart + pmPrefix);
  return img;
}

const compressors: { name: string; magic: string; make: (elf: Uint8Array) => Uint8Array }[] = [
  { name: 'gzip', magic: 'gzip', make: (e) => host('gzip', ['-n', '-9', '-c'], e) },
  { name: 'xz (x86 BCJ + LZMA2, as xz_wrap.sh)', magic: 'xz', make: (e) => concat(host('xz', ['--check=crc32', '--threads=1', '--x86', '--lzma2=preset=9,dict=32MiB', '-c'], e), sizeTrailer(e.length)) },
  { name: 'zstd (-22 --ultra)', magic: 'zstd', make: (e) => concat(host('zstd', ['-q', '-22', '--ultra', '-c'], e), sizeTrailer(e.length)) },
  { name: 'LZ4 legacy frame (lz4 -l -9)', magic: 'lz4-legacy', make: (e) => concat(host('lz4', ['-q', '-l', '-9', '-c'], e), sizeTrailer(e.length)) },
];

describe('bzImage with each supported payload compression', () => {
  for (const c of compressors) {
    it(`${c.name}: unwraps to the hello ELF and plans a PVH boot`, () => {
      const payload = c.make(HELLO);
      expect(detectCompression(payload)).toBe(c.magic);
      const img = bzImage(payload);
      const info = parseBzImage(img);
      expect(info.pmStart).toBe(8 * 512);
      expect(info.payloadStart).toBe(8 * 512 + 0x3c0);
      expect(info.compression).toBe(c.magic);
      expect(identifyKernelImage(img).kind).toBe('bzimage');
      const { elf } = unwrapBzImage(img);
      expect(Buffer.compare(Buffer.from(elf), Buffer.from(HELLO))).toBe(0);
      const plan = planPvhBoot({ kernel: img, cmdline: 'console=hvc0' }, 64 * MiB);
      expect(plan.pvh.entry).toBe(parsePvhKernel(HELLO).pvh.entry);
      expect(kernelElfBytes(img)).toBe(kernelElfBytes(img)); // decompressed once, then cached
    });
  }

  it('setup_sects 0 means 4 sectors', () => {
    const img = bzImage(host('gzip', ['-n', '-c'], HELLO), { setupSects: 4 });
    expect(img[0x1f1]).toBe(0);
    expect(parseBzImage(img).pmStart).toBe(5 * 512);
    expect(kernelElfBytes(img).length).toBe(HELLO.length);
  });
});

describe('compressed vmlinux files (no bzImage around them)', () => {
  for (const [tool, args] of [
    ['gzip', ['-n', '-c']],
    ['xz', ['-c']], // default check CRC64 (not verified), no BCJ
    ['zstd', ['-q', '-c']],
    ['lz4', ['-q', '-l', '-c']],
  ] as const) {
    it(`${tool}-compressed ELF is accepted`, () => {
      const file = host(tool, [...args], HELLO);
      expect(identifyKernelImage(file).kind).toBe('compressed');
      expect(Buffer.compare(Buffer.from(kernelElfBytes(file)), Buffer.from(HELLO))).toBe(0);
    });
  }
  it('a compressed file that is not an ELF is refused', () => {
    const file = host('gzip', ['-c'], new TextEncoder().encode('just text\n'));
    expect(() => kernelElfBytes(file)).toThrow(/gzip-compressed, but what it holds is not an ELF vmlinux/);
  });
});

function bootError(fn: () => unknown): BootError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BootError) return e;
    throw e;
  }
  throw new Error('expected a BootError');
}

describe('refusals', () => {
  it('a truncated bzImage (payload runs past the end of the file)', () => {
    const img = bzImage(host('gzip', ['-n', '-c'], HELLO));
    const cut = img.subarray(0, 8 * 512 + 0x3c0 + 100);
    const e = bootError(() => planPvhBoot({ kernel: cut, cmdline: '' }, 64 * MiB));
    expect(e.code).toBe('truncated');
    expect(e.message).toMatch(/truncated bzImage: the compressed kernel spans bytes \[0x13c0, 0x[0-9a-f]+\) but the file is only 0x1424 bytes long/);
  });

  it('a bzImage cut inside the boot header', () => {
    const e = bootError(() => kernelElfBytes(bzImage(new Uint8Array(16)).subarray(0, 0x210)));
    expect(e.code).toBe('truncated');
    expect(e.message).toMatch(/shorter than the boot protocol header/);
  });

  it('a payload whose compressed stream is cut short (header consistent)', () => {
    for (const c of compressors) {
      const payload = c.make(HELLO);
      const short = c.magic === 'gzip' ? payload.subarray(0, payload.length >> 1) : concat(payload.subarray(0, payload.length >> 1), sizeTrailer(HELLO.length));
      const e = bootError(() => unwrapBzImage(bzImage(short)));
      expect(e.message, c.name).toMatch(/cannot decompress the bzImage's .* payload at file offset 0x13c0/);
    }
  });

  it('an unknown payload compression names its first bytes', () => {
    const e = bootError(() => kernelElfBytes(bzImage(new Uint8Array([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]))));
    expect(e.code).toBe('unsupported');
    expect(e.message).toMatch(/bzImage payload at file offset 0x13c0 \(boot protocol 2\.15\) is in an unknown compression format \(first bytes de ad be ef\)/);
  });

  for (const [name, payload] of [
    ['bzip2', () => host('bzip2', ['-9', '-c'], HELLO)],
    ['LZMA', () => host('xz', ['--format=lzma', '-9', '-c'], HELLO)],
    ['LZO', () => new Uint8Array([0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a, 0x10, 0x40])],
  ] as const) {
    it(`a ${name} payload is named and refused`, () => {
      const e = bootError(() => kernelElfBytes(bzImage(concat(payload(), sizeTrailer(HELLO.length)))));
      expect(e.code).toBe('unsupported');
      expect(e.message).toContain(`is ${name}-compressed, which is not supported; supported: gzip, xz, zstd, LZ4 (legacy frame)`);
    });
  }

  it('boot protocol older than 2.08 has no payload fields', () => {
    const e = bootError(() => kernelElfBytes(bzImage(host('gzip', ['-c'], HELLO), { version: 0x0206 })));
    expect(e.message).toMatch(/boot protocol 2\.06 is too old/);
  });

  it('a bzImage whose payload is not an ELF', () => {
    const e = bootError(() => kernelElfBytes(bzImage(host('gzip', ['-c'], new Uint8Array(1000)))));
    expect(e.code).toBe('not-elf');
    expect(e.message).toMatch(/payload decompressed, but it is not an ELF vmlinux/);
  });

  it('other files say what they look like', () => {
    expect(bootError(() => kernelElfBytes(new Uint8Array(0))).message).toBe('the kernel file is empty');
    expect(bootError(() => kernelElfBytes(new TextEncoder().encode('070701000000'))).message).toMatch(/cpio archive .*--initrd/);
    const e = bootError(() => kernelElfBytes(new TextEncoder().encode('{"name": 1}')));
    expect(e.code).toBe('not-elf');
    expect(e.message).toMatch(/^not an ELF file \(bad magic: expected 7f 45 4c 46\), nor a bzImage .* it starts with 7b 22 6e 61$/);
  });
});

describe('decoders on larger data', () => {
  // Real x86 code exercises the BCJ filter and long LZ4/LZMA matches: a slice of the host's busybox
  // or of node itself.
  const sample = new Uint8Array(readFileSync(process.execPath).subarray(0, 3 * MiB));

  it('xz --x86 round trip on x86 machine code', () => {
    const out = xzDecode(host('xz', ['--check=crc32', '--x86', '-6', '-c'], sample));
    expect(Buffer.compare(Buffer.from(out), Buffer.from(sample))).toBe(0);
  });

  it('BCJ decoding changes nothing without E8/E9 bytes', () => {
    const b = new Uint8Array(100).fill(0x90);
    bcjX86Decode(b);
    expect(b.every((x) => x === 0x90)).toBe(true);
  });

  it('xz with several blocks and concatenated streams', () => {
    const a = host('xz', ['--check=crc32', '--block-size=300000', '-c'], sample);
    const b = host('xz', ['--check=none', '-c'], HELLO);
    const out = xzDecode(concat(a, b));
    expect(out.length).toBe(sample.length + HELLO.length);
    expect(Buffer.compare(Buffer.from(out.subarray(sample.length)), Buffer.from(HELLO))).toBe(0);
  });

  it('xz detects corrupted data through its CRC32', () => {
    const x = host('xz', ['--check=crc32', '-0', '-c'], new Uint8Array(5000).fill(7));
    // Flip the stored check (the 4 bytes before the index) rather than the LZMA data, so the
    // decoder runs to the end and the check has to catch it.
    const bad = x.slice();
    const indexAt = bad.length - 12 - 12; // footer 12, index 12 bytes for one block
    bad[indexAt - 1] ^= 0xff;
    expect(() => xzDecode(bad)).toThrow(/CRC32 of the decoded data does not match/);
  });

  it('LZ4 legacy frame with several 8 MiB blocks', () => {
    const big = new Uint8Array(20 * MiB);
    big.set(sample, 0);
    big.set(sample, 9 * MiB);
    big.set(sample, 17 * MiB);
    const out = lz4LegacyDecode(host('lz4', ['-q', '-l', '-c'], big));
    expect(out.length).toBe(big.length);
    expect(Buffer.compare(Buffer.from(out), Buffer.from(big))).toBe(0);
  });

  it('zstd and gzip report truncation', () => {
    const z = host('zstd', ['-q', '-c'], sample);
    expect(() => decompress(z.subarray(0, 1000), 'zstd')).toThrow();
    const g = host('gzip', ['-c'], sample);
    expect(() => decompress(g.subarray(0, 1000), 'gzip')).toThrow();
  });
});

describe('the committed guest kernel (public/guests/vmlinuz-6.12-pvh)', () => {
  it('is a gzip bzImage around a PVH ELF entered at 0x1000000', () => {
    const img = new Uint8Array(readFileSync(join(ROOT, 'public', 'guests', 'vmlinuz-6.12-pvh')));
    const info = parseBzImage(img);
    expect(info.compression).toBe('gzip');
    expect(info.version).toBe(0x020f);
    const { elf, pvh } = parsePvhKernel(kernelElfBytes(img));
    expect(elf.bits).toBe(64);
    expect(pvh.entry).toBe(0x1000000);
    expect(pvh.reloc).toMatchObject({ align: 0x200000, min: 0x1000000 });
    const plan = planPvhBoot({ kernel: img, cmdline: 'console=hvc0' }, 256 * MiB);
    expect(plan.layout.kernel.start).toBe(0x1000000);
  });
});
