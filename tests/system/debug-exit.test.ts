// The isa-debug-exit device and its CLI flag, which the system tests rely on (end to end they are
// exercised by system.test.ts, whose kernels all stop through it).
import { describe, expect, it } from 'vitest';
import { HELP, parseArgs, UsageError } from '../../src/cli/args.ts';
import { DebugExit } from '../../src/hypervisor/debug-exit.ts';

describe('isa-debug-exit', () => {
  it('status is (v << 1) | 1 of the written value, as QEMU', () => {
    expect(DebugExit.status(0n)).toBe(1);
    expect(DebugExit.status(0x10n)).toBe(0x21);
    expect(DebugExit.status(0xffffffffn)).toBe(0x1ffffffff);
  });

  it('answers its base port and the three after it', () => {
    const d = new DebugExit(0xf4);
    expect([0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8].map((p) => d.handles(p))).toEqual([false, true, true, true, true, false]);
    expect(() => new DebugExit(0x10000)).toThrow(RangeError);
  });

  it('--debug-exit takes a decimal or 0x port; absent by default', () => {
    expect(parseArgs(['boot', '--kernel', 'k', '--debug-exit', '0xf4'])).toMatchObject({ debugExit: 0xf4 });
    expect(parseArgs(['boot', '--kernel', 'k', '--debug-exit=244'])).toMatchObject({ debugExit: 244 });
    expect(parseArgs(['boot', '--kernel', 'k'])).not.toHaveProperty('debugExit');
    expect(() => parseArgs(['boot', '--kernel', 'k', '--debug-exit', 'f4'])).toThrow(UsageError);
    expect(() => parseArgs(['boot', '--kernel', 'k', '--debug-exit', '0x10000'])).toThrow(UsageError);
    expect(HELP).toContain('--debug-exit PORT');
  });
});
