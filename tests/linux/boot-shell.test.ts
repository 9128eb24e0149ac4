// Boots real Linux kernels to a busybox shell in the CLI and checks the answers to a few commands.
// Kernels: the committed minimal 6.12 PVH bzImage (public/guests/vmlinuz-6.12-pvh, recipe in
// scripts/guest-images/), and Debian's stock cloud kernel, which the test setup downloads with
// scripts/fetch-debian-kernel.sh (apt-get download) into build/debian-kernel/ when it is not there.
// Initramfs: public/guests/initramfs-busybox.cpio.lz4.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const GUESTS = join(ROOT, 'public', 'guests');
const INITRD = join(GUESTS, 'initramfs-busybox.cpio.lz4');
const BOOT_TIMEOUT_S = Number(process.env.WEBPVH_LINUX_TIMEOUT ?? 600);

const SCRIPT = ['uname -r', 'cat /proc/cpuinfo', 'echo $((6*7))', 'ls /', 'poweroff'];

function debianKernel(): string | undefined {
  const d = join(ROOT, 'build', 'debian-kernel');
  if (!existsSync(d)) return undefined;
  const f = readdirSync(d).find((n) => n.startsWith('vmlinuz-'));
  return f && join(d, f);
}

/** The Debian cloud kernel, fetched from the Debian archive on first use. */
function fetchDebianKernel(): string {
  const have = debianKernel();
  if (have) return have;
  const r = spawnSync('bash', [join(ROOT, 'scripts', 'fetch-debian-kernel.sh')], { cwd: ROOT, encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`scripts/fetch-debian-kernel.sh failed (needs apt-get access to the Debian archive):\n${r.stderr ?? r.error}`);
  }
  const got = debianKernel();
  if (!got) throw new Error('scripts/fetch-debian-kernel.sh left no vmlinuz-* in build/debian-kernel/');
  return got;
}

/** Splits the console transcript into the output of each typed command. */
function answers(stdout: string): Map<string, string> {
  // eslint-disable-next-line no-control-regex
  const text = stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
  const out = new Map<string, string>();
  for (let i = 0; i < SCRIPT.length; i++) {
    const cmd = SCRIPT[i];
    const at = text.indexOf(`# ${cmd}\n`);
    if (at < 0) continue;
    const start = at + cmd.length + 3;
    const next = text.indexOf('\n~ # ', start - 1);
    const nextRoot = text.indexOf('\n/ # ', start - 1);
    const ends = [next, nextRoot].filter((x) => x >= 0);
    out.set(cmd, text.slice(start, ends.length ? Math.min(...ends) : undefined));
  }
  return out;
}

/**
 * Debian's stock kernel runs the crypto API's boot-time self-tests (CRYPTO_MANAGER_DISABLE_TESTS is
 * off in its config): ~56% of its boot instructions (~736 M of 1.31 G to the shell). The
 * `cryptomgr.notests` parameter skips them; the kernel itself is unchanged. bench/boot.ts keeps one
 * boot with the stock command line.
 */
const DEBIAN_CMDLINE = 'console=hvc0 cryptomgr.notests';

function bootToShell(kernel: string, expectRelease: RegExp, vcpus = 1, cmdline = 'console=hvc0') {
  const dir = mkdtempSync(join(tmpdir(), 'webpvh-linux-'));
  const script = join(dir, 'script.txt');
  writeFileSync(script, SCRIPT.join('\n') + '\n');
  const t0 = Date.now();
  const r = spawnSync(
    process.execPath,
    [
      join(ROOT, 'bin', 'webpvh.mjs'), 'boot', '--kernel', kernel, '--initrd', INITRD,
      '--cmdline', cmdline, '--memory', '256', '--vcpus', String(vcpus), '--script', script, '--timeout', String(BOOT_TIMEOUT_S), '--stats',
    ],
    { cwd: ROOT, encoding: 'utf8', input: '', timeout: (BOOT_TIMEOUT_S + 60) * 1000, maxBuffer: 64 << 20 },
  );
  if (r.error) throw r.error;
  const why = `exit ${r.status} after ${((Date.now() - t0) / 1000).toFixed(1)} s\n--- stderr\n${r.stderr}\n--- last console output\n${r.stdout.slice(-3000)}`;
  expect(r.stdout, why).toContain('webpvh guest: Linux');
  const a = answers(r.stdout);
  expect(a.get('uname -r')?.trim(), why).toMatch(expectRelease);
  const cpuinfo = a.get('cat /proc/cpuinfo') ?? '';
  expect(cpuinfo, why).toMatch(/^processor\s*: 0$/m);
  // Every vCPU is there (SMP: the APs came up through INIT-SIPI-SIPI) and each one ran.
  expect(cpuinfo.match(/^processor\s*: \d+$/gm)?.length, why).toBe(vcpus);
  expect(r.stdout, why).toContain(`${vcpus} CPU(s)`);
  for (let v = 0; v < vcpus; v++) expect(r.stderr, why).toMatch(new RegExp(`^webpvh: stats: vcpu${v}: state=\\w+ instructions=[1-9]`, 'm'));
  expect(cpuinfo, why).toMatch(/^vendor_id\s*: \S+/m);
  expect(cpuinfo, why).toMatch(/^flags\s*:.* fpu .*\blm\b/m);
  expect(a.get('echo $((6*7))')?.trim(), why).toBe('42');
  expect((a.get('ls /') ?? '').split(/\s+/).filter(Boolean).sort(), why).toEqual(['bin', 'dev', 'etc', 'init', 'proc', 'root', 'sbin', 'sys', 'tmp', 'usr']);
  // poweroff: busybox signals /init, which calls poweroff -f; the VM must end with status 0.
  expect(r.status, why).toBe(0);
}

describe('Linux to a busybox shell in the CLI', () => {
  it('the minimal 6.12 PVH kernel (public/guests/vmlinuz-6.12-pvh)', () => {
    bootToShell(join(GUESTS, 'vmlinuz-6.12-pvh'), /^6\.12\.\d+$/);
  }, (BOOT_TIMEOUT_S + 120) * 1000);

  it("Debian's stock cloud kernel (scripts/fetch-debian-kernel.sh) on 2 vCPUs", () => {
    bootToShell(fetchDebianKernel(), /^\d+\.\d+\.\d+-\d+-cloud-amd64$/, 2, DEBIAN_CMDLINE);
  }, (BOOT_TIMEOUT_S + 120) * 1000);

  it("Debian's stock cloud kernel on 4 vCPUs", () => {
    bootToShell(fetchDebianKernel(), /^\d+\.\d+\.\d+-\d+-cloud-amd64$/, 4, DEBIAN_CMDLINE);
  }, (BOOT_TIMEOUT_S + 120) * 1000);
});
