// SMP with real Linux: the committed minimal 6.12 PVH kernel boots on 2 and 4 vCPUs (parallel AP
// bring-up through INIT-SIPI-SIPI), the guest sees every CPU (nproc, /proc/cpuinfo), the same md5sum
// computed on each CPU at once (taskset -c N; /proc/self/stat field 39 says where it ran) agrees with
// the host's, CPU 1 goes offline and comes back (CONFIG_HOTPLUG_CPU: hlt_play_dead, then INIT-SIPI-
// SIPI again), and `poweroff` ends the VM.
// In-process and deterministic (virtual time follows instructions; idle time jumps to the next
// timer), so a run takes only as long as its instructions and is the same every time.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScriptDriver } from '../../src/cli/script-driver.ts';
import type { MachineShutdown, MachineStats } from '../../src/vm/api.ts';
import { Machine } from '../../src/vm/machine.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const KERNEL = join(ROOT, 'public', 'guests', 'vmlinuz-6.12-pvh');
const INITRD = join(ROOT, 'public', 'guests', 'initramfs-busybox.cpio.lz4');
const MAX_INSTRUCTIONS = 3_000_000_000n;

/** md5 of the initramfs's /bin/busybox: Debian's busybox-static, the file build.sh packs. */
function busyboxMd5(): string | undefined {
  try {
    return createHash('md5').update(readFileSync('/bin/busybox')).digest('hex');
  } catch {
    return undefined;
  }
}

function script(n: number): string[] {
  const cpus = Array.from({ length: n }, (_, i) => i).join(' ');
  return [
    'nproc',
    'grep -c ^processor /proc/cpuinfo',
    `for c in ${cpus}; do taskset -c $c sh -c 'echo "ran-on $(cut -d" " -f39 /proc/self/stat) $(md5sum /bin/busybox)"' > /tmp/r$c & done; wait; cat /tmp/r*`,
    'echo 0 > /sys/devices/system/cpu/cpu1/online; cat /sys/devices/system/cpu/online',
    'echo 1 > /sys/devices/system/cpu/cpu1/online; cat /sys/devices/system/cpu/online',
    'taskset -c 1 cut -d" " -f39 /proc/self/stat',
    'poweroff',
  ];
}

async function boot(vcpus: number, lines: string[]): Promise<{ text: string; shutdown?: MachineShutdown; stats: MachineStats }> {
  const wasm = readFileSync(join(ROOT, 'build', 'core.wasm'));
  const driver = new ScriptDriver(lines, { answerCursorQueries: true });
  let text = '';
  const dec = new TextDecoder();
  const enc = new TextEncoder();
  let m: Machine | undefined;
  m = await Machine.create(
    wasm,
    { kernel: readFileSync(KERNEL), initrd: readFileSync(INITRD), cmdline: 'console=hvc0', memoryMiB: 256, vcpus, deterministic: true },
    {
      console: (b) => {
        text += dec.decode(b, { stream: true });
        for (const s of driver.feed(b).send) m!.sendConsoleInput(enc.encode(s));
      },
    },
  );
  for (;;) {
    const r = m.runSlice(2_000_000);
    if (r.shutdown) return { text, shutdown: r.shutdown, stats: m.stats() };
    if (m.stats().instructions > MAX_INSTRUCTIONS) return { text, stats: m.stats() };
  }
}

/** Output of the command typed as `cmd` (up to the next prompt). */
function answer(text: string, cmd: string): string {
  // eslint-disable-next-line no-control-regex
  const t = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
  const at = t.indexOf(cmd.slice(0, 70));
  if (at < 0) return '';
  const nl = t.indexOf('\n', at + Math.min(cmd.length, 70));
  const end = t.indexOf('~ # ', nl);
  return t.slice(nl + 1, end < 0 ? undefined : end);
}

function check(vcpus: number, r: Awaited<ReturnType<typeof boot>>) {
  const lines = script(vcpus);
  const why = `--- last console output\n${r.text.slice(-4000)}`;
  expect(r.text, why).toContain(`${vcpus} CPU(s)`);
  expect(answer(r.text, lines[0]).trim(), why).toBe(String(vcpus));
  expect(answer(r.text, lines[1]).trim(), why).toBe(String(vcpus));
  const runs = [...answer(r.text, lines[2]).matchAll(/^ran-on (\d+) ([0-9a-f]{32})\s+\/bin\/busybox$/gm)];
  expect(runs.map((x) => Number(x[1])), why).toEqual(Array.from({ length: vcpus }, (_, i) => i));
  const sums = new Set(runs.map((x) => x[2]));
  expect(sums.size, why).toBe(1);
  const host = busyboxMd5();
  if (host) expect([...sums][0]).toBe(host);
  const others = vcpus > 2 ? `,2-${vcpus - 1}` : '';
  expect(answer(r.text, lines[3]).trim().split('\n').pop(), why).toBe(`0${others}`);
  expect(answer(r.text, lines[4]).trim().split('\n').pop(), why).toBe(`0-${vcpus - 1}`);
  expect(answer(r.text, lines[5]).trim(), why).toBe('1');
  expect(r.shutdown?.reason, why).toBe('poweroff');
  // Every vCPU ran and took events; the APs were started by SIPIs (twice each: boot and re-online).
  const per = r.stats.vcpus ?? [];
  expect(per.length).toBe(vcpus);
  for (const v of per) {
    expect(v.instructions).toBeGreaterThan(1_000_000n);
    expect(v.events).toBeGreaterThan(0);
    expect(v.hypercalls).toBeGreaterThan(0);
  }
  expect(r.stats.events?.ipi_startup).toBe(2 * (vcpus - 1) + 2);
}

describe('Linux SMP (minimal 6.12 PVH kernel, in-process, deterministic)', () => {
  for (const n of [2, 4]) {
    it(`${n} vCPUs: all online, parallel md5sum on every CPU, CPU 1 offline/online, poweroff`, async () => {
      check(n, await boot(n, script(n)));
    }, 300_000);
  }
});
