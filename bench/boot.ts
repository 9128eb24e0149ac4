// npm run bench (second part): seconds from power-on to the busybox shell prompt.
//
// 1. Both kernels, 1 vCPU: the committed minimal Linux 6.12 PVH kernel and Debian's stock cloud kernel
//    (build/debian-kernel/, fetched with scripts/fetch-debian-kernel.sh when missing), each with the
//    committed busybox initramfs (LZ4). Prints wall seconds, guest instructions and MIPS until the
//    first shell prompt, and next to it QEMU TCG's wall time to the same prompt for the same kernel +
//    initramfs when qemu-system-x86_64 is installed (QEMU boots the bzImages with -kernel, serial
//    console; both kernels have the 8250 UART).
//    Debian's kernel boots with `cryptomgr.notests`: its boot-time crypto self-tests are ~56% of its
//    boot instructions (the kernel itself is unchanged; it only skips the self-tests). One run with the
//    stock command line (`console=hvc0` only) is kept in the table for honesty.
//    Each row also shows the share of instructions that ran JIT-compiled, and the same boot on the
//    interpreter alone (--jit-threshold 0; skipped for the long stock command line).
// 2. The minimal kernel at 1, 2 and 4 vCPUs (SMP boot).
//
// Deterministic mode: virtual time follows instructions and idle time jumps to the next timer, so the
// wall time is the emulation work only and runs are repeatable. "Power-on" is Machine.create (loading
// and decompressing the kernel and initrd included) for webpvh, and spawning the process for QEMU.
// Environment: BENCH_BOOT_VCPUS="1 2 4" (SMP counts), BENCH_RUNS (repetitions, best wall time kept),
// BENCH_INITRD (another initramfs), BENCH_NO_DEBIAN=1, BENCH_NO_QEMU=1.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine } from '../src/vm/machine.ts';

const root = new URL('..', import.meta.url);
const rootPath = fileURLToPath(root);
const wasm = readFileSync(new URL('build/core.wasm', root));
const MINIMAL = fileURLToPath(new URL('public/guests/vmlinuz-6.12-pvh', root));
const INITRD = process.env.BENCH_INITRD ?? fileURLToPath(new URL('public/guests/initramfs-busybox.cpio.lz4', root));
const initrd = readFileSync(INITRD);
const COUNTS = (process.env.BENCH_BOOT_VCPUS ?? '1 2 4').split(/\s+/).filter(Boolean).map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const LIMIT = 5_000_000_000n;
const PROMPT = /\n[~/][^\n]* # /;
const QEMU_TIMEOUT_S = 300;
/** Debian's stock kernel runs its crypto self-tests at boot (~56% of its boot instructions). */
const NOTESTS = 'cryptomgr.notests';

interface BootResult {
  seconds: number;
  instructions: bigint;
  perVcpu: bigint[];
  ok: boolean;
  /** Instructions that ran JIT-compiled. */
  compiled: number;
}

async function bootToShell(kernel: Uint8Array, cmdline: string, vcpus: number, jitThreshold?: number): Promise<BootResult> {
  let text = '';
  let atPrompt = false;
  const dec = new TextDecoder();
  const t0 = performance.now();
  const m = await Machine.create(
    wasm,
    { kernel, initrd, cmdline, memoryMiB: 256, vcpus, deterministic: true, jitThreshold },
    {
      console: (b) => {
        text += dec.decode(b, { stream: true });
        if (!atPrompt && PROMPT.test(text.slice(-4096))) atPrompt = true;
      },
    },
  );
  while (!atPrompt) {
    const r = m.runSlice(2_000_000);
    if (r.shutdown || m.stats().instructions > LIMIT) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  const s = m.stats();
  return { seconds, instructions: s.instructions, perVcpu: (s.vcpus ?? []).map((v) => v.instructions), ok: atPrompt, compiled: s.jit?.executed ?? 0 };
}

async function best(kernel: Uint8Array, cmdline: string, vcpus: number, jitThreshold?: number): Promise<BootResult> {
  let b: BootResult | undefined;
  for (let i = 0; i < RUNS; i++) {
    const r = await bootToShell(kernel, cmdline, vcpus, jitThreshold);
    if (!b || r.seconds < b.seconds) b = r;
  }
  return b!;
}

function hasQemu(): boolean {
  if (process.env.BENCH_NO_QEMU === '1') return false;
  return spawnSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** QEMU TCG, 1 vCPU, 256 MiB, serial console: wall seconds from spawning QEMU to the shell prompt. */
function qemuToShell(kernel: string, cmdline: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const q = spawn(
      'qemu-system-x86_64',
      ['-accel', 'tcg', '-m', '256', '-smp', '1', '-nographic', '-no-reboot', '-nodefaults', '-serial', 'stdio',
        '-kernel', kernel, '-initrd', INITRD, '-append', cmdline],
      { stdio: ['pipe', 'pipe', 'ignore'] },
    );
    let text = '';
    let done = false;
    const finish = (v: number | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      q.kill('SIGKILL');
      resolve(v);
    };
    const timer = setTimeout(() => finish(undefined), QEMU_TIMEOUT_S * 1000);
    q.stdout.on('data', (b: Buffer) => {
      text = (text + b.toString('latin1').replace(/\r/g, '')).slice(-4096);
      if (PROMPT.test(text)) finish((performance.now() - t0) / 1000);
    });
    q.on('exit', () => finish(undefined));
    q.on('error', () => finish(undefined));
  });
}

function debianKernel(): string | undefined {
  if (process.env.BENCH_NO_DEBIAN === '1') return undefined;
  const find = () => {
    const d = join(rootPath, 'build', 'debian-kernel');
    if (!existsSync(d)) return undefined;
    const f = readdirSync(d).find((n) => n.startsWith('vmlinuz-'));
    return f && join(d, f);
  };
  const have = find();
  if (have) return have;
  const r = spawnSync('bash', [join(rootPath, 'scripts', 'fetch-debian-kernel.sh')], { cwd: rootPath, stdio: 'ignore' });
  return r.status === 0 ? find() : undefined;
}

const pad = (s: string, n: number) => s.padStart(n);
const fmtMips = (r: BootResult) => (Number(r.instructions) / r.seconds / 1e6).toFixed(1);
let failed = false;

// 1. Both kernels to the shell prompt, next to QEMU TCG.
const qemu = hasQemu();
const debian = debianKernel();
const rows: { name: string; path: string; cmdline: string; qemuCmdline: string; interpreter: boolean }[] = [
  { name: 'minimal 6.12 PVH', path: MINIMAL, cmdline: 'console=hvc0', qemuCmdline: 'console=ttyS0', interpreter: true },
];
if (debian) {
  const rel = /vmlinuz-(.*)$/.exec(debian)![1];
  rows.push({ name: `Debian ${rel}`, path: debian, cmdline: `console=hvc0 ${NOTESTS}`, qemuCmdline: `console=ttyS0 ${NOTESTS}`, interpreter: true });
  // The stock command line, self-tests included, for honesty.
  rows.push({ name: `Debian ${rel}`, path: debian, cmdline: 'console=hvc0', qemuCmdline: 'console=ttyS0', interpreter: false });
}
console.log(`boot to shell: kernel + ${INITRD.slice(INITRD.lastIndexOf('/') + 1)}, 1 vCPU, 256 MiB, deterministic time`);
console.log(`${'kernel'.padEnd(28)} ${'command line'.padEnd(32)} ${pad('wall s', 7)} ${pad('guest insns', 14)} ${pad('MIPS', 6)} ${pad('compiled', 8)} ${pad('interp. s', 9)}   QEMU TCG s`);
for (const row of rows) {
  const r = await best(readFileSync(row.path), row.cmdline, 1);
  if (!r.ok) failed = true;
  let interp = '-';
  if (row.interpreter) {
    const i = await best(readFileSync(row.path), row.cmdline, 1, 0);
    if (!i.ok) failed = true;
    interp = i.seconds.toFixed(2);
  }
  const compiled = `${((100 * r.compiled) / Number(r.instructions)).toFixed(0)}%`;
  let q = process.env.BENCH_NO_QEMU === '1' ? 'skipped' : 'qemu-system-x86_64 absent';
  if (qemu) {
    const s = await qemuToShell(row.path, row.qemuCmdline);
    q = s === undefined ? `no prompt within ${QEMU_TIMEOUT_S} s` : s.toFixed(2);
  }
  console.log(
    `${row.name.padEnd(28)} ${row.cmdline.padEnd(32)} ${pad(r.seconds.toFixed(2), 7)} ${pad(String(r.instructions), 14)} ${pad(fmtMips(r), 6)} ${pad(compiled, 8)} ${pad(interp, 9)}   ${pad(q, 10)}${r.ok ? '' : '  (NO SHELL PROMPT)'}`,
  );
}
if (!debian) console.log("Debian's cloud kernel: not in build/debian-kernel/ and scripts/fetch-debian-kernel.sh failed; skipped");

// 2. SMP: the minimal kernel at 1, 2 and 4 vCPUs.
console.log('');
console.log('SMP boot to shell: minimal Linux 6.12 PVH kernel, deterministic time');
console.log('vCPUs   wall s   guest instructions   MIPS   per-vCPU instructions');
const minimal = readFileSync(MINIMAL);
for (const n of COUNTS) {
  const b = await best(minimal, 'console=hvc0', n);
  if (!b.ok) failed = true;
  console.log(
    `${String(n).padStart(5)}  ${b.seconds.toFixed(2).padStart(7)}  ${String(b.instructions).padStart(19)}  ${fmtMips(b).padStart(5)}   ${b.perVcpu.join(' ')}${b.ok ? '' : '  (NO SHELL PROMPT)'}`,
  );
}
if (failed) process.exit(1);
