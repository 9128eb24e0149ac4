// Builds the benchmark workload twice from one C file: as a PVH guest for the core and as a native
// host program. Outputs go to build/bench/. Needs gcc and binutils.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'bench/guest');
const out = join(root, 'build/bench');
const CFLAGS = ['-O2', '-ffreestanding', '-fno-pic', '-fno-pie', '-mno-red-zone', '-mgeneral-regs-only',
  '-fno-stack-protector', '-fno-asynchronous-unwind-tables'];

function stale(target, deps) {
  if (!existsSync(target)) return true;
  const t = statSync(target).mtimeMs;
  return deps.some((d) => statSync(d).mtimeMs > t);
}
function gcc(args) { execFileSync('gcc', args, { stdio: 'inherit' }); }

export function buildBench() {
  mkdirSync(out, { recursive: true });
  const s = (f) => join(src, f);
  const o = (f) => join(out, f);
  const sources = ['workload.c', 'guest-main.c', 'entry.S', 'native-main.c', 'guest.ld'].map(s);
  if (stale(o('guest.elf'), sources) || stale(o('native'), sources)) {
    gcc([...CFLAGS, '-c', s('workload.c'), '-o', o('workload.o')]);
    gcc([...CFLAGS, '-c', s('guest-main.c'), '-o', o('guest-main.o')]);
    gcc(['-c', s('entry.S'), '-o', o('entry.o')]);
    gcc(['-nostdlib', '-static', '-no-pie', '-T', s('guest.ld'), '-o', o('guest.elf'), o('entry.o'), o('guest-main.o'),
      o('workload.o'), '-lgcc', '-Wl,--build-id=none', '-Wl,--no-warn-rwx-segments']);
    gcc(['-O2', '-no-pie', '-o', o('native'), o('workload.o'), s('native-main.c')]);
  }
  return { guest: o('guest.elf'), native: o('native') };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) buildBench();
