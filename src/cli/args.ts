// Command-line parsing for `webpvh`. Pure: no I/O, throws UsageError with one clear line.

import { EXIT_CODES_HELP } from './exit-codes.ts';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface BootOptions {
  command: 'boot';
  kernel: string;
  initrd?: string;
  cmdline: string;
  memoryMiB: number;
  vcpus: number;
  script?: string;
  prompt?: RegExp;
  /** Seconds; 0 = none. */
  timeout: number;
  stats: boolean;
  /** Virtual time follows instructions, not the host clock: the same inputs give the same run. */
  deterministic: boolean;
  /** I/O port of an emulated QEMU isa-debug-exit device (test kernels). */
  debugExit?: number;
  /** Executions before the JIT compiles a block; 0 = interpreter only; undefined = the default. */
  jitThreshold?: number;
}

export type CliCommand = BootOptions | { command: 'help' };

export const HELP = `usage: webpvh boot --kernel FILE [options]

Boots an x86-64 Linux kernel (ELF vmlinux with a Xen PVH note) in the webpvh VM.
Guest console output goes to stdout, stdin goes to the guest console.

options:
  --kernel FILE     ELF kernel with a XEN_ELFNOTE_PHYS32_ENTRY note (required)
  --initrd FILE     initial ramdisk (module 0)
  --cmdline S       kernel command line (at most 2047 bytes)
  --memory MiB      guest RAM in MiB (default 256)
  --vcpus N         number of vCPUs, 1..64 (default 1); APs start by INIT-SIPI-SIPI like on Xen PVH
  --script FILE     type each line of FILE at the guest's shell prompt; exit 0 after the
                    last line's output is followed by a prompt
  --prompt REGEX    what a prompt looks like, matched against the current output line with
                    terminal escapes removed (default: a line ending in "# " or "$ ")
  --timeout SECONDS stop the VM after this long (default 0 = never)
  --stats           print instruction and hypercall statistics to stderr at exit
  --deterministic   virtual time advances with executed instructions (1 ns each) instead of
                    the host clock, and the guest's wall clock starts at 2025-01-01: two runs
                    with the same inputs and --script print the same bytes
  --debug-exit PORT emulate QEMU's isa-debug-exit device at I/O port PORT (decimal or 0x hex,
                    4 ports wide): a guest write of V stops the VM with exit status
                    ((V << 1) | 1) & 0xff, as QEMU does (for test kernels)
  --jit-threshold N executions of a basic block before it is compiled to WebAssembly
                    (default 200); 0 runs the interpreter only
  -h, --help        this text

${EXIT_CODES_HELP}
`;

function positiveInt(flag: string, v: string, min: number): number {
  if (!/^\d+$/.test(v)) throw new UsageError(`${flag} expects a whole number, got "${v}"`);
  const n = Number(v);
  if (n < min) throw new UsageError(`${flag} must be at least ${min}, got ${n}`);
  return n;
}

export function parseArgs(argv: readonly string[]): CliCommand {
  if (argv.length === 0 || argv.includes('-h') || argv.includes('--help') || argv[0] === 'help') {
    return { command: 'help' };
  }
  const [cmd, ...rest] = argv;
  if (cmd !== 'boot') throw new UsageError(`unknown command "${cmd}" (try: webpvh boot --kernel FILE)`);
  const o: Partial<BootOptions> & { command: 'boot' } = { command: 'boot', cmdline: '', memoryMiB: 256, vcpus: 1, timeout: 0, stats: false, deterministic: false };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const [name, inline] = flag.startsWith('--') && flag.includes('=') ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)] : [flag, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--kernel':
        o.kernel = value();
        break;
      case '--initrd':
        o.initrd = value();
        break;
      case '--cmdline':
        o.cmdline = value();
        break;
      case '--memory':
        o.memoryMiB = positiveInt(name, value(), 1);
        break;
      case '--vcpus':
        o.vcpus = positiveInt(name, value(), 1);
        if (o.vcpus > 64) throw new UsageError(`--vcpus must be at most 64, got ${o.vcpus}`);
        break;
      case '--script':
        o.script = value();
        break;
      case '--prompt': {
        const src = value();
        try {
          o.prompt = new RegExp(src);
        } catch (e) {
          throw new UsageError(`--prompt is not a valid regular expression: ${(e as Error).message}`);
        }
        break;
      }
      case '--timeout': {
        const v = value();
        const n = Number(v);
        if (!/^\d+(\.\d+)?$/.test(v) || !Number.isFinite(n)) throw new UsageError(`--timeout expects seconds, got "${v}"`);
        o.timeout = n;
        break;
      }
      case '--debug-exit': {
        const v = value();
        const n = /^0x[0-9a-f]+$/i.test(v) ? parseInt(v.slice(2), 16) : /^\d+$/.test(v) ? Number(v) : NaN;
        if (!(n >= 0 && n <= 0xfffc)) throw new UsageError(`--debug-exit expects an I/O port 0..0xfffc (decimal or 0x hex), got "${v}"`);
        o.debugExit = n;
        break;
      }
      case '--stats':
        if (inline !== undefined) throw new UsageError('--stats takes no value');
        o.stats = true;
        break;
      case '--jit-threshold':
        o.jitThreshold = positiveInt(name, value(), 0);
        break;
      case '--deterministic':
        if (inline !== undefined) throw new UsageError('--deterministic takes no value');
        o.deterministic = true;
        break;
      default:
        throw new UsageError(`unknown option "${flag}" (see webpvh --help)`);
    }
  }
  if (!o.kernel) throw new UsageError('boot needs --kernel FILE');
  return o as BootOptions;
}
