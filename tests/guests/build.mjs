#!/usr/bin/env node
// Builds the test guests with the host's GNU toolchain (gcc as the assembler driver for the C
// preprocessor, GNU ld). Output in build/guests/:
//   hello.elf            the PVH hello guest (also copied to public/guests/hello.elf for the app)
//   hello-nonote.elf     the same code without the Xen PHYS32_ENTRY note (boot must refuse it)
//   hello-truncated.elf  hello.elf cut in the middle of its load segment (boot must refuse it)
//   hello-spin.elf       prints, then loops forever (for --timeout)
//   hello-halt.elf       prints, then cli; hlt (a stuck guest)
//   hello32.elf          ELF32 guest that stays in 32-bit protected mode (32-bit hypercall ABI)
// The build is deterministic (no build id, relative source names), so rebuilding does not dirty
// the committed public/guests/hello.elf. Needs Debian packages: gcc, binutils.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const out = join(root, 'build', 'guests');
mkdirSync(out, { recursive: true });

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: here, encoding: 'utf8' });
  if (r.error) {
    console.error(`build-guests: cannot run ${cmd}: ${r.error.message} (install the Debian packages gcc and binutils)`);
    process.exit(1);
  }
  if (r.status !== 0) {
    console.error(`build-guests: ${cmd} ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
    process.exit(1);
  }
}

function assembleAndLink(name, defines, { source = 'hello.S', script = 'hello.ld', bits = 64 } = {}) {
  const obj = join(out, `${name}.o`);
  const elf = join(out, `${name}.elf`);
  run('gcc', ['-c', bits === 32 ? '-m32' : '-m64', '-x', 'assembler-with-cpp', ...defines, '-o', obj, source]);
  run('ld', ['-nostdlib', '-static', '--build-id=none', '-m', bits === 32 ? 'elf_i386' : 'elf_x86_64',
    '-z', 'max-page-size=4096', '-z', 'noexecstack', '--no-warn-rwx-segments', '-T', script, '-o', elf, obj]);
  return elf;
}

const hello = assembleAndLink('hello', []);
assembleAndLink('hello-nonote', ['-DNO_PVH_NOTE']);
assembleAndLink('hello-spin', ['-DSPIN_FOREVER']);
assembleAndLink('hello-halt', ['-DHALT_FOREVER']);
assembleAndLink('hello32', [], { source: 'hello32.S', script: 'hello32.ld', bits: 32 });

const bytes = readFileSync(hello);
writeFileSync(join(out, 'hello-truncated.elf'), bytes.subarray(0, Math.floor(bytes.length / 2)));

const pub = join(root, 'public', 'guests', 'hello.elf');
mkdirSync(dirname(pub), { recursive: true });
if (!existsSync(pub) || !readFileSync(pub).equals(bytes)) writeFileSync(pub, bytes);
console.log(`build-guests: ${hello} (${bytes.length} bytes) and the test variants in ${out}`);
