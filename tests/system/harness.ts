// Builds the system test kernels (tests/system/kernels/*.S → build/system/*.elf with GNU as + ld)
// and runs one under QEMU or under webpvh, returning the debug-console output and exit status.
// Used by system.test.ts; also a small CLI for working on a kernel:
//   npx tsx tests/system/harness.ts [NAME...]     build, run QEMU and every webpvh configuration
//                                                 (WEBPVH_CONFIGS), show a diff of the outputs
// Needs the Debian packages binutils (as, ld) and qemu-system-x86 (qemu-system-x86_64).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(import.meta.dirname, '..', '..');
export const KERNEL_DIR = join(ROOT, 'tests', 'system', 'kernels');
export const OUT_DIR = join(ROOT, 'build', 'system');
export const QEMU = 'qemu-system-x86_64';
/** Status QEMU exits with when the guest writes v to isa-debug-exit: (v << 1) | 1. Kernels end with EXIT 0. */
export const PASS_STATUS = 1;
export const DEBUG_EXIT_PORT = 0xf4;
export const MEMORY_MIB = 64;

export interface RunResult {
  output: string;
  status: number | null;
  stderr: string;
}

function need(cmd: string, args: string[], pkg: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd} not found: install the Debian package ${pkg} (apt-get install ${pkg})`);
}

/** Throws a clear message naming the Debian package when a host tool is missing. */
export function checkTools(): void {
  need('as', ['--version'], 'binutils');
  need('ld', ['--version'], 'binutils');
  need(QEMU, ['--version'], 'qemu-system-x86');
}

export function kernelNames(): string[] {
  return readdirSync(KERNEL_DIR)
    .filter((f) => f.endsWith('.S'))
    .map((f) => basename(f, '.S'))
    .sort();
}

/** Assembles and links one kernel; returns the ELF path. */
export function buildKernel(name: string): string {
  mkdirSync(OUT_DIR, { recursive: true });
  const obj = join(OUT_DIR, `${name}.o`);
  const elf = join(OUT_DIR, `${name}.elf`);
  const steps: [string, string[]][] = [
    ['as', ['--64', '-I', KERNEL_DIR, '-o', obj, join(KERNEL_DIR, `${name}.S`)]],
    ['ld', ['-nostdlib', '-static', '--build-id=none', '-z', 'max-page-size=4096', '-z', 'noexecstack',
      '--no-warn-rwx-segments', '-T', join(KERNEL_DIR, 'kernel.ld'), '-o', elf, obj]],
  ];
  for (const [cmd, args] of steps) {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message} (install the Debian package binutils)`);
    if (r.status !== 0) throw new Error(`${cmd} failed for ${name}:\n${r.stderr}${r.stdout}`);
  }
  return elf;
}

/**
 * QEMU is the reference. -cpu max: the default qemu64 model lacks 1 GiB pages (PDPE1GB), which our
 * core has; every feature the kernels use is present in both.
 */
export function runQemu(elf: string, timeoutMs = 90_000): RunResult {
  const r = spawnSync(QEMU, [
    '-accel', 'tcg', '-M', 'q35', '-cpu', 'max', '-m', String(MEMORY_MIB), '-nographic', '-no-reboot',
    '-display', 'none', '-serial', 'none', '-monitor', 'none', '-debugcon', 'stdio',
    '-device', `isa-debug-exit,iobase=0x${DEBUG_EXIT_PORT.toString(16)},iosize=0x04`, '-kernel', elf,
  ], { encoding: 'latin1', timeout: timeoutMs, input: '' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(`${QEMU} not found: install the Debian package qemu-system-x86`);
  }
  return { output: r.stdout ?? '', status: r.status, stderr: r.stderr ?? '' };
}

/**
 * The ways every kernel runs under webpvh, each compared with QEMU: `suffix` is appended to the
 * kernel's name in test names, `args` go to `webpvh boot`. The default run uses the JIT's default
 * threshold (hot blocks compiled, the rest interpreted); with --jit-threshold 1 every block is
 * compiled at its first execution, so all code, including code patched a moment ago, runs compiled.
 */
export const WEBPVH_CONFIGS: ReadonlyArray<{ suffix: string; args: readonly string[]; timeoutS: number }> = [
  { suffix: '', args: [], timeoutS: 60 },
  { suffix: ' (jit-threshold 1)', args: ['--jit-threshold', '1'], timeoutS: 90 },
];

/** Runs `elf` under webpvh's CLI; `extraArgs` are added to `webpvh boot` (e.g. --jit-threshold 1). */
export function runWebpvh(elf: string, timeoutS = 60, extraArgs: readonly string[] = []): RunResult {
  const r = spawnSync(process.execPath, [
    join(ROOT, 'bin', 'webpvh.mjs'), 'boot', '--kernel', elf, '--memory', String(MEMORY_MIB),
    '--debug-exit', `0x${DEBUG_EXIT_PORT.toString(16)}`, '--timeout', String(timeoutS), ...extraArgs,
  ], { cwd: ROOT, encoding: 'latin1', timeout: (timeoutS + 20) * 1000, input: '' });
  if (r.error) throw r.error;
  return { output: r.stdout ?? '', status: r.status, stderr: r.stderr ?? '' };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  checkTools();
  const names = process.argv.length > 2 ? process.argv.slice(2) : kernelNames();
  for (const name of names) {
    const elf = buildKernel(name);
    const q = runQemu(elf);
    if (q.stderr.trim()) console.log(`   qemu stderr: ${q.stderr.trim()}`);
    for (const config of WEBPVH_CONFIGS) {
      const w = runWebpvh(elf, config.timeoutS, config.args);
      const ql = q.output.split('\n');
      const wl = w.output.split('\n');
      const same = q.output === w.output && q.status === w.status;
      console.log(`== ${name}${config.suffix}: ${same ? 'SAME' : 'DIFFERENT'} (qemu status ${q.status}, webpvh status ${w.status})`);
      for (let i = 0; i < Math.max(ql.length, wl.length); i++) {
        if (ql[i] === wl[i]) console.log(`   ${ql[i]}`);
        else {
          if (ql[i] !== undefined) console.log(` Q ${ql[i]}`);
          if (wl[i] !== undefined) console.log(` W ${wl[i]}`);
        }
      }
      if (w.stderr.trim()) console.log(`   webpvh stderr: ${w.stderr.trim()}`);
    }
  }
}
