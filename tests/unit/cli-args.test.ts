// CLI option parsing and the exit-status mapping.
import { describe, expect, it } from 'vitest';
import { HELP, parseArgs, UsageError } from '../../src/cli/args.ts';
import { exitCodeForShutdown } from '../../src/cli/exit-codes.ts';

describe('parseArgs', () => {
  it('defaults: 256 MiB, 1 vCPU, no timeout, no stats, empty cmdline', () => {
    expect(parseArgs(['boot', '--kernel', 'k.elf'])).toEqual({
      command: 'boot', kernel: 'k.elf', cmdline: '', memoryMiB: 256, vcpus: 1, timeout: 0, stats: false, deterministic: false,
    });
  });

  it('reads every option, also in --opt=value form', () => {
    const o = parseArgs(['boot', '--kernel=k', '--initrd', 'i', '--cmdline', 'a b', '--memory', '64', '--vcpus=2',
      '--script', 's.txt', '--prompt', 'login: $', '--timeout', '2.5', '--stats', '--deterministic']);
    expect(o).toMatchObject({ kernel: 'k', initrd: 'i', cmdline: 'a b', memoryMiB: 64, vcpus: 2, script: 's.txt', timeout: 2.5, stats: true, deterministic: true });
    expect(o.command === 'boot' && o.prompt?.source).toBe('login: $');
  });

  it('--jit-threshold: a whole number, 0 for the interpreter alone; absent means the default', () => {
    const o = parseArgs(['boot', '--kernel', 'k', '--jit-threshold', '0']);
    expect(o.command === 'boot' && o.jitThreshold).toBe(0);
    const d = parseArgs(['boot', '--kernel', 'k']);
    expect(d.command === 'boot' && d.jitThreshold).toBeUndefined();
    expect(() => parseArgs(['boot', '--kernel', 'k', '--jit-threshold', 'many'])).toThrow(/--jit-threshold expects a whole number/);
  });

  it('help', () => {
    expect(parseArgs([])).toEqual({ command: 'help' });
    expect(parseArgs(['boot', '--help'])).toEqual({ command: 'help' });
    expect(HELP).toMatch(/Exit status:[\s\S]*6  --timeout expired/);
  });

  it('refuses bad usage with one clear message', () => {
    const bad: Array<[string[], RegExp]> = [
      [['run'], /unknown command "run"/],
      [['boot'], /boot needs --kernel FILE/],
      [['boot', '--kernel'], /--kernel needs a value/],
      [['boot', '--kernel', 'k', '--memory', '0'], /--memory must be at least 1/],
      [['boot', '--kernel', 'k', '--vcpus', '1.5'], /--vcpus expects a whole number/],
      [['boot', '--kernel', 'k', '--vcpus', '65'], /--vcpus must be at most 64/],
      [['boot', '--kernel', 'k', '--timeout', '-1'], /--timeout expects seconds/],
      [['boot', '--kernel', 'k', '--prompt', '('], /--prompt is not a valid regular expression/],
      [['boot', '--kernel', 'k', '--frobnicate'], /unknown option "--frobnicate"/],
    ];
    for (const [argv, msg] of bad) expect(() => parseArgs(argv), argv.join(' ')).toThrow(msg);
    expect(() => parseArgs(['boot'])).toThrow(UsageError);
  });
});

describe('exit status by shutdown reason', () => {
  it('poweroff 0, reboot 3, crash 4, triple fault 5, watchdog 7', () => {
    expect(exitCodeForShutdown('poweroff')).toBe(0);
    expect(exitCodeForShutdown('reboot')).toBe(3);
    expect(exitCodeForShutdown('crash')).toBe(4);
    expect(exitCodeForShutdown('triple-fault')).toBe(5);
    expect(exitCodeForShutdown('watchdog')).toBe(7);
  });
});
