// How a real Linux guest ends, with the committed minimal 6.12 PVH kernel and busybox initramfs:
//  - the ACPI tables load cleanly (no "ACPI Error"), and `poweroff` reaches our hardware-reduced ACPI
//    S5 sleep register (Linux has no PV power-off for PVH) → reason poweroff, CLI exit 0;
//  - `reboot` arrives as SCHEDOP_shutdown(reboot): the Machine restarts the domain by default and the
//    guest boots again to a shell; the CLI keeps its contract (stop, exit 3);
//  - a kernel panic (init exits) arrives as SCHEDOP_shutdown(crash) (Linux's Xen panic notifier) →
//    CLI exit 4 with the last console lines;
//  - --deterministic: two boots print byte-identical console output, and so do the JIT tier and the
//    interpreter alone.
// In-process boots run the Machine in deterministic mode (idle time jumps to the next timer), so they
// take only as long as the instructions do.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScriptDriver } from '../../src/cli/script-driver.ts';
import type { MachineShutdown } from '../../src/vm/api.ts';
import { Machine } from '../../src/vm/machine.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const KERNEL = join(ROOT, 'public', 'guests', 'vmlinuz-6.12-pvh');
const INITRD = join(ROOT, 'public', 'guests', 'initramfs-busybox.cpio.lz4');
const BANNER = 'webpvh guest: Linux';
const TIMEOUT_MS = 300_000;
const MAX_INSTRUCTIONS = 2_000_000_000n;

interface Run {
  console: string;
  shutdown?: MachineShutdown;
  reboots: number;
}

/**
 * Boots in-process and types `phases[i]` at the shell prompts of the i-th boot (a reboot starts the
 * next phase). Runs until the VM shuts down or MAX_INSTRUCTIONS.
 */
async function bootAndType(phases: string[][], cmdline = 'console=hvc0'): Promise<Run> {
  const wasm = readFileSync(join(ROOT, 'build', 'core.wasm'));
  let phase = 0;
  let driver = new ScriptDriver(phases[0], { answerCursorQueries: true });
  let text = '';
  const dec = new TextDecoder();
  const enc = new TextEncoder();
  let m: Machine | undefined;
  m = await Machine.create(
    wasm,
    { kernel: readFileSync(KERNEL), initrd: readFileSync(INITRD), cmdline, memoryMiB: 256, deterministic: true },
    {
      console: (b) => {
        text += dec.decode(b, { stream: true });
        for (const s of driver.feed(b).send) m!.sendConsoleInput(enc.encode(s));
      },
    },
  );
  const reboots = () => m!.stats().reboots ?? 0;
  for (;;) {
    const r = m.runSlice(2_000_000);
    if (r.shutdown) return { console: text, shutdown: r.shutdown, reboots: reboots() };
    if (reboots() > phase) {
      phase = reboots();
      driver = new ScriptDriver(phases[phase] ?? [], { answerCursorQueries: true });
    }
    if (m.stats().instructions > MAX_INSTRUCTIONS) return { console: text, reboots: reboots() };
    if (r.idle) await new Promise((res) => setTimeout(res, 5)); // waiting for input: nothing scheduled
  }
}

function cli(args: string[], input = '') {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'webpvh.mjs'), 'boot', '--kernel', KERNEL, '--initrd', INITRD, '--memory', '256', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    input,
    timeout: TIMEOUT_MS,
    maxBuffer: 64 << 20,
  });
  if (r.error) throw r.error;
  return r;
}

function scriptFile(lines: string[]): string {
  const f = join(mkdtempSync(join(tmpdir(), 'webpvh-power-')), 'script.txt');
  writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

const tail = (s: string) => s.slice(-3000);

describe('Linux power paths (minimal 6.12 kernel)', () => {
  it(
    'ACPI tables load without errors; `poweroff` powers off through ACPI S5',
    async () => {
      const r = await bootAndType([['poweroff']]);
      expect(r.console, tail(r.console)).toContain(BANNER);
      expect(r.console).not.toMatch(/ACPI Error|ACPI BIOS Error|ACPI Exception|Unable to load the System Description Tables/);
      expect(r.console).toMatch(/ACPI: \d+ ACPI AML tables successfully acquired and loaded/);
      expect(r.console).toContain('ACPI: PM: (supports S0 S5)');
      expect(r.shutdown, tail(r.console)).toEqual({ reason: 'poweroff', detail: 'guest entered ACPI S5 (power off)' });
      expect(r.reboots).toBe(0);
    },
    TIMEOUT_MS,
  );

  it(
    '`reboot` restarts the domain (onReboot default) and the guest boots again to a shell',
    async () => {
      const r = await bootAndType([['reboot'], ['echo second-boot-$((6*7))', 'poweroff']]);
      expect(r.reboots, tail(r.console)).toBe(1);
      // The console log restarts with the new boot: it shows the second kernel and its shell.
      expect(r.console.split(BANNER).length - 1).toBe(2);
      expect(r.console).toContain('second-boot-42');
      expect(r.shutdown?.reason, tail(r.console)).toBe('poweroff');
    },
    TIMEOUT_MS,
  );

  it(
    'CLI: poweroff ends with exit 0 (from the guest, without --script), reboot with exit 3',
    () => {
      // No --script: the command goes in through stdin (typed ahead, before the shell prompt).
      const off = cli(['--cmdline', 'console=hvc0'], 'poweroff\n');
      expect(off.status, `${off.stderr}\n${tail(off.stdout)}`).toBe(0);
      expect(off.stdout).toContain('reboot: Power down');
      const re = cli(['--cmdline', 'console=hvc0'], 'reboot\n');
      expect(re.status, `${re.stderr}\n${tail(re.stdout)}`).toBe(3);
      expect(re.stdout).toContain('reboot: Restarting system');
    },
    TIMEOUT_MS,
  );

  it(
    'CLI: a kernel panic (init exits) ends with exit 4 and the last console lines',
    () => {
      // /bin/busybox as init prints its usage and exits: "Attempted to kill init!" → panic → Xen's
      // panic notifier → SCHEDOP_shutdown(crash).
      const r = cli(['--cmdline', 'console=hvc0 rdinit=/bin/busybox']);
      expect(r.status, `${r.stderr}\n${tail(r.stdout)}`).toBe(4);
      expect(r.stdout).toContain('Kernel panic - not syncing: Attempted to kill init!');
      expect(r.stderr).toMatch(/guest crash[\s\S]*--- last console output ---[\s\S]*Kernel panic/);
    },
    TIMEOUT_MS,
  );

  it(
    'CLI --deterministic: two boots print byte-identical console output',
    () => {
      const script = scriptFile(['cat /proc/uptime', 'date', 'cat /proc/interrupts', 'poweroff']);
      const args = ['--cmdline', 'console=hvc0', '--script', script, '--deterministic'];
      const a = cli(args);
      const b = cli(args);
      expect(a.status, `${a.stderr}\n${tail(a.stdout)}`).toBe(0);
      expect(b.status, `${b.stderr}\n${tail(b.stdout)}`).toBe(0);
      expect(a.stdout).toContain(BANNER);
      expect(a.stdout).toMatch(/Wed Jan {2}1 00:00:\d\d UTC 2025/);
      expect(b.stdout === a.stdout, 'the two deterministic boots printed different bytes').toBe(true);
    },
    TIMEOUT_MS,
  );

  it(
    'CLI --deterministic: the JIT tier and the interpreter alone print the same bytes and count the same instructions',
    () => {
      // Blocks never run past the budget and count a faulting instruction as the interpreter does, so
      // every exit, timer and interrupt lands on the same instruction: the whole boot must agree.
      const script = scriptFile(['cat /proc/uptime', 'cat /proc/interrupts', 'ls /proc | wc -l', 'poweroff']);
      const args = ['--cmdline', 'console=hvc0', '--script', script, '--deterministic', '--stats'];
      const jit = cli([...args, '--jit-threshold', '200']);
      const interp = cli([...args, '--jit-threshold', '0']);
      expect(jit.status, `${jit.stderr}\n${tail(jit.stdout)}`).toBe(0);
      expect(interp.status, `${interp.stderr}\n${tail(interp.stdout)}`).toBe(0);
      const executed = /jit: blocks=(\d+) .*executed=(\d+)/.exec(jit.stderr);
      expect(executed, jit.stderr).not.toBeNull();
      expect(Number(executed![2])).toBeGreaterThan(10_000_000); // the JIT really ran most of it
      expect(interp.stderr).toMatch(/jit: off/);
      const count = (s: string) => /stats: instructions=(\d+)/.exec(s)?.[1];
      expect(count(jit.stderr)).toBe(count(interp.stderr));
      expect(jit.stdout === interp.stdout, 'JIT and interpreter boots printed different bytes').toBe(true);
    },
    TIMEOUT_MS,
  );
});
