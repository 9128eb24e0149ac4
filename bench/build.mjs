// Builds the benchmark workloads twice each from one C file: as a PVH guest for the core and as a
// native host program. bench/guest/workload.c is the integer workload (built with
// -mgeneral-regs-only), bench/guest/fpwork.c the floating-point one (SSE2 doubles and x87 long
// double; the guest's entry.S enables the FPU and SSE). Outputs go to build/bench/. Needs gcc and
// binutils.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'bench/guest');
const out = join(root, 'build/bench');
const COMMON = ['-O2', '-ffreestanding', '-fno-pic', '-fno-pie', '-mno-red-zone', '-fno-stack-protector',
  '-fno-asynchronous-unwind-tables'];
const CFLAGS = [...COMMON, '-mgeneral-regs-only'];
// FP: no -ffast-math (results must match native bit for bit); sqrt() becomes SQRTSD without errno
const FP_CFLAGS = [...COMMON, '-fno-math-errno'];

function stale(target, deps) {
  if (!existsSync(target)) return true;
  const t = statSync(target).mtimeMs;
  return deps.some((d) => statSync(d).mtimeMs > t);
}
function gcc(args) { execFileSync('gcc', args, { stdio: 'inherit' }); }

function buildPair(name, file, flags) {
  const s = (f) => join(src, f);
  const o = (f) => join(out, f);
  const sources = [file, 'guest-main.c', 'entry.S', 'native-main.c', 'guest.ld'].map(s);
  const guest = o(`${name}-guest.elf`), native = o(`${name}-native`);
  if (stale(guest, sources) || stale(native, sources)) {
    gcc([...flags, '-c', s(file), '-o', o(`${name}.o`)]);
    gcc([...CFLAGS, '-c', s('guest-main.c'), '-o', o('guest-main.o')]);
    gcc(['-c', s('entry.S'), '-o', o('entry.o')]);
    gcc(['-nostdlib', '-static', '-no-pie', '-T', s('guest.ld'), '-o', guest, o('entry.o'), o('guest-main.o'),
      o(`${name}.o`), '-lgcc', '-Wl,--build-id=none', '-Wl,--no-warn-rwx-segments']);
    gcc(['-O2', '-no-pie', '-o', native, o(`${name}.o`), s('native-main.c')]);
  }
  return { guest, native };
}

export function buildBench() {
  mkdirSync(out, { recursive: true });
  return {
    int: buildPair('int', 'workload.c', CFLAGS),
    fp: buildPair('fp', 'fpwork.c', FP_CFLAGS),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) buildBench();
