// Test-only stand-in for src/vm/machine.ts, used to exercise the page shell before the real
// Machine exists. Prints a greeting, echoes console input, powers off on 'q'.
import type { MachineConfig, MachineIO, MachineStats, SliceResult, VcpuInfo } from '../../../src/vm/api';

export class Machine {
  private insns = 0n;
  private input: number[] = [];
  private greeted = false;
  private off = false;
  readonly memory = new WebAssembly.Memory({ initial: 1 });
  private constructor(private cfg: MachineConfig, private io: MachineIO) {}

  static async create(_wasm: BufferSource | WebAssembly.Module, cfg: MachineConfig, io: MachineIO): Promise<Machine> {
    if (cfg.cmdline?.includes('fail')) throw Object.assign(new Error('no PVH note in the kernel'), { name: 'BootError', input: 'kernel' });
    return new Machine(cfg, io);
  }
  runSlice(budget: number): SliceResult {
    if (this.off) return { instructions: 0, idle: true, shutdown: { reason: 'poweroff' } };
    const enc = new TextEncoder();
    if (!this.greeted) {
      this.greeted = true;
      this.io.console(enc.encode(`hello from PVH (fake machine), cmdline "${this.cfg.cmdline}"\n> `));
      return { instructions: 100, idle: true, wakeAtMs: performance.now() + 300 };
    }
    if (this.input.length) {
      const s = String.fromCharCode(...this.input.splice(0));
      if (s.includes('q')) {
        this.off = true;
        this.io.console(enc.encode('bye\n'));
        return { instructions: 10, idle: false, shutdown: { reason: 'poweroff', detail: 'SCHEDOP_shutdown' } };
      }
      this.io.console(enc.encode(s.replace(/\r/g, '\n> ')));
    }
    if (this.cfg.cmdline?.includes('hang')) for (;;); // a core stuck inside one run() call
    // pretend to burn the budget for ~2 ms
    const t = performance.now();
    while (performance.now() - t < 2);
    this.insns += BigInt(budget);
    return { instructions: budget, idle: false };
  }
  sendConsoleInput(bytes: Uint8Array): void {
    this.input.push(...bytes);
  }
  vcpuInfo(): VcpuInfo[] {
    return [
      { id: 0, state: 'running', mode: 'long', cpl: 0, rip: 0xffffffff81000000n + (this.insns & 0xfffn), rsp: 0xffffc90000003f00n, cr3: 0x1000n, interruptsEnabled: true, instructions: this.insns },
    ];
  }
  stats(): MachineStats {
    return { instructions: this.insns, hypercalls: {}, unimplementedHypercalls: 0 };
  }
}
