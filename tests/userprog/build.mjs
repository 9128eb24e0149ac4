// Builds the user-program tests (tests/userprog/programs/*.c) into build/userprog/ as static musl
// binaries, rebuilding any that are missing or older than their sources. Also records, per binary,
// which functions still contain x87/MMX/SSE instructions (the core has none of those yet).
// Usable as a module (ensurePrograms()) or a script (node tests/userprog/build.mjs).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
export const PROGRAM_DIR = join(here, 'programs');
export const OUT_DIR = join(root, 'build', 'userprog');

// -mgeneral-regs-only keeps the program's own code free of x87/MMX/SSE (it implies -mno-sse
// -mno-sse2 -mno-mmx -mno-80387). musl's libc.a was compiled normally: the header comment of
// userprog.test.ts says which of its functions use SSE and which programs reach them.
export const CFLAGS = ['-static', '-O2', '-fno-pie', '-no-pie', '-mgeneral-regs-only', '-Wall', '-Werror', '-g0'];
const COMPILER = 'musl-gcc';

/** Instructions the core does not implement yet: anything touching x87, MMX or SSE state. */
const FP_RE = /%xmm|%ymm|%zmm|%st\b|%st\(|%mm\d|\bf(ld|st|ild|ist|isttp|xsave|xrstor|nstcw|ldcw|nstsw|ninit|wait)|\b(ld|st)mxcsr\b|\bemms\b/;

export function programNames() {
  return readdirSync(PROGRAM_DIR).filter((f) => f.endsWith('.c')).map((f) => f.slice(0, -2)).sort();
}

function hasCompiler() {
  try {
    execFileSync(COMPILER, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Functions of `bin` that contain x87/MMX/SSE instructions: { function: [first few instructions] }. */
export function fpFunctions(bin) {
  const dis = execFileSync('objdump', ['-d', '--no-show-raw-insn', bin], { maxBuffer: 64 << 20 }).toString();
  const out = {};
  let fn = '?';
  for (const line of dis.split('\n')) {
    const m = /^[0-9a-f]+ <(.+)>:$/.exec(line);
    if (m) {
      fn = m[1];
      continue;
    }
    const t = line.split('\t');
    if (t.length < 2) continue;
    const insn = t.slice(1).join(' ').trim();
    if (FP_RE.test(insn)) (out[fn] ??= []).length < 3 && out[fn].push(`${t[0].trim()} ${insn}`);
  }
  return out;
}

export function ensurePrograms() {
  if (process.arch !== 'x64' || process.platform !== 'linux') throw new Error('the user-program oracle needs an x86-64 Linux host');
  if (!hasCompiler()) {
    throw new Error(`${COMPILER} not found: install the Debian package musl-tools (apt-get install -y musl-tools)`);
  }
  mkdirSync(OUT_DIR, { recursive: true });
  const common = [join(PROGRAM_DIR, 'out.h'), fileURLToPath(import.meta.url)];
  const built = {};
  for (const name of programNames()) {
    const src = join(PROGRAM_DIR, `${name}.c`);
    const bin = join(OUT_DIR, name);
    const report = `${bin}.fp.json`;
    const stale = !existsSync(bin) || !existsSync(report) || [src, ...common].some((s) => statSync(s).mtimeMs > statSync(bin).mtimeMs);
    if (stale) {
      execFileSync(COMPILER, [...CFLAGS, '-o', bin, src], { stdio: ['ignore', 'inherit', 'inherit'] });
      writeFileSync(report, JSON.stringify(fpFunctions(bin), null, 1));
    }
    built[name] = { bin, fp: JSON.parse(readFileSync(report, 'utf8')) };
  }
  return built;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const built = ensurePrograms();
  for (const [name, { bin, fp }] of Object.entries(built)) {
    console.log(`${bin}: functions with x87/SSE: ${Object.keys(fp).join(', ') || '(none)'}`);
  }
}
