// System-architecture tests: tiny PVH test kernels (tests/system/kernels/*.S) run under QEMU (the
// reference: its debug-console output and isa-debug-exit status are the expected results) and under
// webpvh's CLI, once as configured by default and once with --jit-threshold 1 (every block compiled
// at its first execution; see WEBPVH_CONFIGS); each run must print exactly the same lines as QEMU
// and exit with the same status.
// Needs the Debian packages binutils and qemu-system-x86 (the test fails, naming them, if missing).
// Work on one kernel with: npx tsx tests/system/harness.ts NAME
import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel, checkTools, kernelNames, PASS_STATUS, runQemu, runWebpvh, WEBPVH_CONFIGS, type RunResult } from './harness.ts';

const names = kernelNames();
const elves = new Map<string, string>();
const qemu = new Map<string, RunResult>();

beforeAll(() => {
  checkTools();
  for (const name of names) {
    const elf = buildKernel(name);
    elves.set(name, elf);
    qemu.set(name, runQemu(elf));
  }
});

/** Side-by-side of the first lines that differ, for a readable failure. */
function firstDifference(expected: string, actual: string): string {
  const e = expected.split('\n');
  const a = actual.split('\n');
  for (let i = 0; i < Math.max(e.length, a.length); i++) {
    if (e[i] !== a[i]) return `line ${i + 1}:\n  qemu:   ${JSON.stringify(e[i] ?? '<end>')}\n  webpvh: ${JSON.stringify(a[i] ?? '<end>')}`;
  }
  return 'no line differs';
}

describe('system test kernels: webpvh matches QEMU', () => {
  it('found the kernels', () => {
    expect(names).toEqual(expect.arrayContaining(['descriptors', 'interrupts', 'modes', 'paging', 'realmode', 'smc', 'syscall']));
  });

  for (const name of names) {
    for (const config of WEBPVH_CONFIGS) {
      const title = `${name}${config.suffix}`;
      it(title, () => {
        const q = qemu.get(name)!;
        // The reference run itself must have reached the end (a kernel bug, not a core bug, otherwise).
        expect(q.status, `QEMU run of ${name} did not exit through isa-debug-exit with 0:\n${q.output}${q.stderr}`).toBe(PASS_STATUS);
        expect(q.output).toMatch(/: done\n$/);
        const w = runWebpvh(elves.get(name)!, config.timeoutS, config.args);
        expect(w.output, `${title}: ${firstDifference(q.output, w.output)}\nwebpvh stderr: ${w.stderr}`).toBe(q.output);
        expect(w.status, `${title}: webpvh exit status (stderr: ${w.stderr})`).toBe(q.status);
      });
    }
  }
});
