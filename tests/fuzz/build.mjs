// Builds the native oracle (tests/fuzz/harness.c) into build/fuzz/harness when missing or stale.
// Usable as a module (ensureHarness()) or a script (node tests/fuzz/build.mjs).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
export const HARNESS_BIN = join(root, 'build', 'fuzz', 'harness');
const SOURCES = [join(here, 'harness.c'), join(here, 'build.mjs')];

export function ensureHarness() {
  if (process.arch !== 'x64' || process.platform !== 'linux') {
    throw new Error('the fuzzer oracle needs an x86-64 Linux host');
  }
  const stale =
    !existsSync(HARNESS_BIN) ||
    SOURCES.some((s) => statSync(s).mtimeMs > statSync(HARNESS_BIN).mtimeMs);
  if (stale) {
    mkdirSync(dirname(HARNESS_BIN), { recursive: true });
    execFileSync('gcc', ['-O2', '-Wall', '-Werror', '-o', HARNESS_BIN, SOURCES[0]], { stdio: 'inherit' });
  }
  return HARNESS_BIN;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(ensureHarness());
}
