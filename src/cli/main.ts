// `webpvh boot`: the headless VM. Reads the kernel/initrd, creates a Machine, runs it in slices
// (yielding to the event loop between slices so stdin, the script driver and --timeout keep working),
// copies the guest console to stdout and exits with a status that says how the VM ended
// (see exit-codes.ts).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BootError } from '../hypervisor/boot-error.ts';
import { planPvhBoot } from '../hypervisor/pvh-boot.ts';
import { Machine } from '../vm/machine.ts';
import type { ShutdownReason } from '../vm/api.ts';
import { HELP, parseArgs, UsageError, type BootOptions } from './args.ts';
import {
  EXIT_BAD_INPUT,
  EXIT_INTERNAL,
  EXIT_POWEROFF,
  EXIT_TIMEOUT,
  exitCodeForShutdown,
} from './exit-codes.ts';
import { ScriptDriver, scriptLines } from './script-driver.ts';

const SLICE_INSTRUCTIONS = 2_000_000;
const IDLE_SLEEP_MS = 10;

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CORE_WASM_PATH = join(packageRoot, 'build', 'core.wasm');

class InputError extends Error {}

async function readInput(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new InputError(`${path}: cannot read ${what}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  }
}

function fail(code: number, line: string): never {
  process.stderr.write(`webpvh: ${line}\n`);
  process.exit(code);
}

function formatStats(m: Machine, elapsedS: number): string {
  const s = m.stats();
  const mips = elapsedS > 0 ? Number(s.instructions) / elapsedS / 1e6 : 0;
  const calls = Object.entries(s.hypercalls)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const refused = Object.entries(s.unimplementedByName ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return (
    `webpvh: stats: instructions=${s.instructions} elapsed=${elapsedS.toFixed(3)}s mips=${mips.toFixed(2)}\n` +
    `webpvh: stats: hypercalls: ${calls || '(none)'}\n` +
    `webpvh: stats: unimplemented-hypercalls=${s.unimplementedHypercalls}${refused ? ' (' + refused + ')' : ''}\n` +
    (s.vcpus ?? [])
      .map(
        (v) =>
          `webpvh: stats: vcpu${v.id}: state=${v.state} instructions=${v.instructions} events=${v.events} interrupts=${v.interrupts} ipis=${v.ipis} hypercalls=${v.hypercalls}\n`,
      )
      .join('') +
    (s.jit
      ? `webpvh: stats: jit: blocks=${s.jit.blocks} instructions=${s.jit.instructions} refused=${s.jit.refused} errors=${s.jit.errors} executed=${s.jit.executed} compile=${(s.jit.compileMs / 1000).toFixed(3)}s\n`
      : 'webpvh: stats: jit: off\n')
  );
}

/** "FILE: message" for errors about a file, "cmdline: message" / "message" for the rest. */
function bootErrorLine(e: BootError, opts: BootOptions): string {
  if (e.input === 'kernel') return `${opts.kernel}: ${e.message}`;
  if (e.input === 'initrd') return `${opts.initrd ?? 'initrd'}: ${e.message}`;
  if (e.input === 'cmdline') return `--cmdline: ${e.message}`;
  return e.message;
}

/** Builds build/core.wasm with "npm run build:wasm" if it is missing. */
function ensureCoreWasm(): void {
  if (existsSync(CORE_WASM_PATH)) return;
  process.stderr.write('webpvh: build/core.wasm is missing; building it with "npm run build:wasm"...\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', '--silent', 'build:wasm'], { cwd: packageRoot, stdio: ['ignore', 2, 2] });
  if (r.status !== 0 || !existsSync(CORE_WASM_PATH)) {
    fail(EXIT_INTERNAL, `could not build build/core.wasm: run "npm run build:wasm" in ${packageRoot} and fix the errors`);
  }
}

async function boot(opts: BootOptions): Promise<void> {
  let kernel: Uint8Array, initrd: Uint8Array | undefined, script: string[] | undefined, wasm: Uint8Array;
  try {
    kernel = await readInput(opts.kernel, 'kernel');
    initrd = opts.initrd ? await readInput(opts.initrd, 'initrd') : undefined;
    script = opts.script ? scriptLines(new TextDecoder().decode(await readInput(opts.script, 'script'))) : undefined;
  } catch (e) {
    if (e instanceof InputError) fail(EXIT_BAD_INPUT, e.message);
    throw e;
  }
  // Refuse unbootable inputs before anything else (no core needed for that).
  try {
    planPvhBoot({ kernel, initrd, cmdline: opts.cmdline }, opts.memoryMiB * 1024 * 1024);
  } catch (e) {
    if (e instanceof BootError) fail(EXIT_BAD_INPUT, bootErrorLine(e, opts));
    throw e;
  }
  ensureCoreWasm();
  try {
    wasm = new Uint8Array(await readFile(CORE_WASM_PATH));
  } catch (e) {
    fail(EXIT_INTERNAL, `cannot read ${CORE_WASM_PATH}: ${(e as Error).message}`);
  }

  const out = process.stdout;
  const answerCursor = !out.isTTY || script !== undefined;
  const driver = script ? new ScriptDriver(script, { prompt: opts.prompt, answerCursorQueries: answerCursor }) : undefined;
  // Without a script we still answer cursor queries when nobody else can (stdout not a terminal).
  const cursorOnly = !driver && answerCursor ? new ScriptDriver([], { prompt: /(?!)/, answerCursorQueries: true }) : undefined;
  let machine: Machine | undefined;
  let scriptDone = false;

  const console = (bytes: Uint8Array) => {
    out.write(bytes);
    const d = driver ?? cursorOnly;
    if (!d || !machine) return;
    const r = d.feed(bytes);
    for (const s of r.send) machine.sendConsoleInput(new TextEncoder().encode(s));
    if (driver && r.done) scriptDone = true;
  };

  try {
    machine = await Machine.create(
      wasm,
      { kernel, initrd, cmdline: opts.cmdline, memoryMiB: opts.memoryMiB, vcpus: opts.vcpus, debugExitPort: opts.debugExit, onReboot: 'stop', deterministic: opts.deterministic, jitThreshold: opts.jitThreshold },
      { console },
    );
  } catch (e) {
    if (e instanceof BootError) fail(EXIT_BAD_INPUT, bootErrorLine(e, opts));
    throw e;
  }
  const m = machine;
  for (const w of m.warnings()) process.stderr.write(`webpvh: warning: ${w}\n`);

  const started = performance.now();
  let finished = false;
  const finish = (code: number, message?: string) => {
    if (finished) return;
    finished = true;
    if (message) process.stderr.write(`webpvh: ${message}\n`);
    if (opts.stats) process.stderr.write(formatStats(m, (performance.now() - started) / 1000));
    process.stdin.pause();
    out.write('', () => process.exit(code));
  };

  if (opts.timeout > 0) {
    setTimeout(() => finish(EXIT_TIMEOUT, `timeout: stopped the VM after ${opts.timeout} s`), opts.timeout * 1000).unref();
  }
  // While every vCPU idles, step() sleeps until the next guest timer; input must not wait for it.
  let sleeping: ReturnType<typeof setTimeout> | undefined;
  const wake = () => {
    if (sleeping === undefined) return;
    clearTimeout(sleeping);
    sleeping = undefined;
    setImmediate(step);
  };
  if (!driver) {
    process.stdin.on('data', (b: Buffer) => {
      m.sendConsoleInput(new Uint8Array(b));
      wake();
    });
    process.stdin.on('error', () => {});
  }

  const describe = (reason: ShutdownReason, detail?: string) =>
    reason === 'poweroff' ? undefined : `guest ${reason}${detail ? ': ' + detail : ''}`;

  const step = () => {
    sleeping = undefined;
    if (finished) return;
    let r;
    try {
      r = m.runSlice(SLICE_INSTRUCTIONS);
    } catch (e) {
      return finish(EXIT_INTERNAL, `internal error: ${(e as Error).stack ?? e}`);
    }
    if (r.shutdown?.exitStatus !== undefined) return finish(r.shutdown.exitStatus & 0xff, undefined);
    if (r.shutdown) return finish(exitCodeForShutdown(r.shutdown.reason), describe(r.shutdown.reason, r.shutdown.detail));
    if (scriptDone) return finish(EXIT_POWEROFF, undefined);
    if (r.idle) {
      const wait = r.wakeAtMs !== undefined ? Math.max(0, r.wakeAtMs - performance.now()) : IDLE_SLEEP_MS;
      sleeping = setTimeout(step, Math.min(wait, 1000));
    } else {
      setImmediate(step);
    }
  };
  setImmediate(step);
}

export async function main(argv: readonly string[]): Promise<void> {
  let cmd;
  try {
    cmd = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) fail(EXIT_BAD_INPUT, e.message);
    throw e;
  }
  if (cmd.command === 'help') {
    process.stdout.write(HELP);
    return;
  }
  await boot(cmd);
}

const isEntry = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isEntry) {
  main(process.argv.slice(2)).catch((e) => fail(EXIT_INTERNAL, `internal error: ${(e as Error).stack ?? e}`));
}
