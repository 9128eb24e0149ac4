// End to end through the real CLI (bin/webpvh.mjs → tsx → Machine → build/core.wasm): boots the hello
// PVH guest, and checks that unbootable inputs exit 2 with one clear line on stderr.
// Needs the test guests (built here if missing, with gcc + binutils) and the core (the CLI builds
// build/core.wasm itself when it is missing).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const GUESTS = join(ROOT, 'build', 'guests');
const HELLO = join(GUESTS, 'hello.elf');

function webpvh(args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'webpvh.mjs'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    input: '',
    timeout: 110_000,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  const needed = ['hello.elf', 'hello-nonote.elf', 'hello-truncated.elf', 'hello-spin.elf', 'hello-halt.elf', 'hello32.elf'];
  if (!needed.every((f) => existsSync(join(GUESTS, f)))) {
    const r = spawnSync(process.execPath, [join(ROOT, 'tests', 'guests', 'build.mjs')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`building the test guests failed:\n${r.stderr}`);
  }
});

describe('webpvh boot hello.elf', () => {
  it('prints the greeting and the command line, powers off with status 0, reports stats', () => {
    const r = webpvh(['boot', '--kernel', HELLO, '--cmdline', 'console=hvc0 test=1', '--stats', '--timeout', '60']);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.stdout).toContain('hello from PVH\n');
    expect(r.stdout).toContain('cmdline: console=hvc0 test=1\n');
    expect(r.code, `stderr:\n${r.stderr}`).toBe(0);
    const m = r.stderr.match(/instructions=(\d+)/);
    expect(m, `no stats line in stderr:\n${r.stderr}`).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(500); // the page-table loop alone runs 512 iterations
    expect(r.stderr).toMatch(/hypercalls: .*console_io=4/);
    expect(r.stderr).toMatch(/sched_op=1/);
    expect(r.stderr).toMatch(/unimplemented-hypercalls=0/);
  });

  it('an ELF32 guest using the 32-bit hypercall convention (EBX/ECX/EDX) boots too', () => {
    const r = webpvh(['boot', '--kernel', join(GUESTS, 'hello32.elf'), '--cmdline', 'x=1 y', '--memory', '16', '--timeout', '60', '--stats']);
    expect(r.stdout).toBe('hello from PVH (32-bit)\ncmdline: x=1 y\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/console_io=3 sched_op=1/);
  });

  it('an empty command line prints an empty cmdline line', () => {
    const r = webpvh(['boot', '--kernel', HELLO, '--memory', '16', '--timeout', '60']);
    expect(r.stdout).toBe('hello from PVH\ncmdline: \n');
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('how a run ends', () => {
  it('--timeout stops a guest that never shuts down (exit 6) while the slices keep running', () => {
    const t0 = Date.now();
    const r = webpvh(['boot', '--kernel', join(GUESTS, 'hello-spin.elf'), '--memory', '16', '--timeout', '1', '--stats']);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stdout).toContain('hello from PVH');
    expect(r.stderr).toMatch(/timeout: stopped the VM after 1 s/);
    expect(Number(r.stderr.match(/instructions=(\d+)/)![1])).toBeGreaterThan(1_000_000);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it('HLT with interrupts disabled is reported as a stuck guest (exit 4)', () => {
    const r = webpvh(['boot', '--kernel', join(GUESTS, 'hello-halt.elf'), '--memory', '16', '--timeout', '60']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/^webpvh: guest crash: vCPU 0 executed HLT with interrupts disabled at RIP 0x[0-9a-f]+/);
  });

  it('--vcpus 2 boots without warnings (the APs wait for a SIPI) and --stats lists each vCPU', () => {
    const r = webpvh(['boot', '--kernel', HELLO, '--memory', '16', '--vcpus', '2', '--timeout', '60', '--stats']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/warning/);
    expect(r.stderr).toMatch(/^webpvh: stats: vcpu0: state=\w+ instructions=[1-9]\d* /m);
    expect(r.stderr).toMatch(/^webpvh: stats: vcpu1: state=down instructions=0 events=0 interrupts=0 ipis=0 hypercalls=0$/m);
    expect(r.stdout).toContain('hello from PVH');
  });
});

describe('bad input exits 2 with one clear line', () => {
  const oneLine = (stderr: string) => {
    const lines = stderr.trimEnd().split('\n');
    expect(lines, stderr).toHaveLength(1);
    return lines[0];
  };

  it('a file that is not ELF', () => {
    const r = webpvh(['boot', '--kernel', join(ROOT, 'package.json')]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/^webpvh: .*package\.json: not an ELF file \(bad magic/);
  });

  it('an ELF without the PVH note', () => {
    const r = webpvh(['boot', '--kernel', join(GUESTS, 'hello-nonote.elf')]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/hello-nonote\.elf: kernel has no Xen PHYS32_ENTRY note: it was not built with CONFIG_PVH$/);
  });

  it('a truncated ELF', () => {
    const r = webpvh(['boot', '--kernel', join(GUESTS, 'hello-truncated.elf')]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/hello-truncated\.elf: truncated ELF file: PT_LOAD segment 0 .* but the file is only \d+ bytes long$/);
  });

  it('an initrd bigger than RAM', () => {
    const dir = mkdtempSync(join(tmpdir(), 'webpvh-it-'));
    const initrd = join(dir, 'big.cpio');
    writeFileSync(initrd, new Uint8Array(17 * 1024 * 1024));
    const r = webpvh(['boot', '--kernel', HELLO, '--initrd', initrd, '--memory', '16']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/big\.cpio: initrd is 17825792 bytes but only \d+ bytes of guest RAM are free/);
  });

  it('a missing file and a bad option', () => {
    const a = webpvh(['boot', '--kernel', join(ROOT, 'no-such-kernel')]);
    expect(a.code).toBe(2);
    expect(oneLine(a.stderr)).toMatch(/no-such-kernel: cannot read kernel: no such file$/);
    const b = webpvh(['boot', '--kernel', HELLO, '--memory', 'lots']);
    expect(b.code).toBe(2);
    expect(oneLine(b.stderr)).toBe('webpvh: --memory expects a whole number, got "lots"');
  });
});
