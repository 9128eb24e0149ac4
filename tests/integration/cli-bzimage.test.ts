// The CLI takes a kernel as users have it: a bzImage (/boot/vmlinuz-*) or a compressed vmlinux,
// recognised by content. Wraps the hello PVH guest the way Linux's build does (see
// tests/unit/bzimage.test.ts) and boots it; an unsupported payload exits 2 with one line.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const HELLO = new Uint8Array(readFileSync(join(ROOT, 'public', 'guests', 'hello.elf')));
const dir = mkdtempSync(join(tmpdir(), 'webpvh-bz-'));

function webpvh(args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'webpvh.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', input: '', timeout: 110_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function compress(tool: string, args: string[], data: Uint8Array): Uint8Array {
  return new Uint8Array(execFileSync(tool, args, { input: data }));
}

function withSize(data: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(data.length + 4);
  out.set(data);
  new DataView(out.buffer).setUint32(data.length, size, true);
  return out;
}

/** boot sector + 3 setup sectors, payload right at the protected-mode start. */
function bzImage(payload: Uint8Array): Uint8Array {
  const img = new Uint8Array(4 * 512 + payload.length);
  const dv = new DataView(img.buffer);
  img[0x1f1] = 3;
  dv.setUint16(0x1fe, 0xaa55, true);
  img.set([0x48, 0x64, 0x72, 0x53], 0x202);
  dv.setUint16(0x206, 0x020f, true);
  dv.setUint32(0x248, 0, true);
  dv.setUint32(0x24c, payload.length, true);
  img.set(payload, 4 * 512);
  return img;
}

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

describe('webpvh boot with a bzImage or compressed kernel', () => {
  it('a bzImage with a zstd payload boots the hello guest', () => {
    const k = file('vmlinuz-hello', bzImage(withSize(compress('zstd', ['-q', '-19', '-c'], HELLO), HELLO.length)));
    const r = webpvh(['boot', '--kernel', k, '--cmdline', 'from=bzImage', '--memory', '16', '--timeout', '60']);
    expect(r.stdout).toBe('hello from PVH\ncmdline: from=bzImage\n');
    expect(r.code, r.stderr).toBe(0);
  });

  it('an LZ4-legacy bzImage (as Debian 6.1 ships) boots too', () => {
    const k = file('vmlinuz-hello-lz4', bzImage(withSize(compress('lz4', ['-q', '-l', '-9', '-c'], HELLO), HELLO.length)));
    const r = webpvh(['boot', '--kernel', k, '--memory', '16', '--timeout', '60']);
    expect(r.stdout).toContain('hello from PVH\n');
    expect(r.code, r.stderr).toBe(0);
  });

  it('a gzip-compressed vmlinux boots', () => {
    const k = file('hello.elf.gz', compress('gzip', ['-c'], HELLO));
    const r = webpvh(['boot', '--kernel', k, '--memory', '16', '--timeout', '60']);
    expect(r.stdout).toContain('hello from PVH\n');
    expect(r.code, r.stderr).toBe(0);
  });

  it('a bzip2 bzImage exits 2 naming the format', () => {
    const k = file('vmlinuz-bz2', bzImage(withSize(compress('bzip2', ['-c'], HELLO), HELLO.length)));
    const r = webpvh(['boot', '--kernel', k, '--memory', '16']);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/vmlinuz-bz2: bzImage payload at file offset 0x800 \(boot protocol 2\.15\) is bzip2-compressed, which is not supported/);
  });
});
