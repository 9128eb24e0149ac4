// Machine's exit handling, driven by a scripted stand-in for the wasm core: each run() call performs
// one scripted step on the shared vCPU state (like the core would) and returns its exit code.
import { describe, expect, it } from 'vitest';
import * as L from '../../wasm/layout.ts';
import { Core, Gpr, VcpuRegs, type CoreExports } from '../../src/vm/core.ts';
import { Machine } from '../../src/vm/machine.ts';
import { BootError } from '../../src/hypervisor/boot-error.ts';
import { PT_LOAD, PT_NOTE } from '../../src/hypervisor/elf.ts';
import { XEN_ELFNOTE_PHYS32_ENTRY } from '../../src/hypervisor/pvh-note.ts';
import { buildElf, le, note } from './helpers/elf-builder.ts';

const MIB = 4;
const RAM = MIB * 1024 * 1024;
type Step = (v: VcpuRegs, ram: Uint8Array) => number;

function fakeMachine(steps: Step[], cmdline = 'a=b', extra: { deterministic?: boolean } = {}) {
  const pages = (L.GUEST_RAM_BASE + RAM) / L.WASM_PAGE;
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const ram = new Uint8Array(memory.buffer, L.GUEST_RAM_BASE, RAM);
  const invalidated: Array<[number, number]> = [];
  const calls: string[] = [];
  const exports: CoreExports = {
    setRamSize: () => {},
    resetVcpu: (id) => calls.push(`reset${id}`),
    flushTlb: (id) => calls.push(`flush${id}`),
    translate: (_v, linear) => (linear < BigInt(RAM) ? linear : -1n),
    invalidateCode: (gpa, len) => invalidated.push([gpa, len]),
    run: (id) => {
      const v = new VcpuRegs(memory.buffer, id);
      v.setU64(L.V_INSN_COUNT, v.u64(L.V_INSN_COUNT) + 10n);
      const step = steps.shift();
      if (!step) return L.EXIT_BUDGET;
      const exit = step(v, ram);
      v.setU32(L.V_EXIT_REASON, exit);
      return exit;
    },
  };
  const kernel = buildElf({
    bits: 64,
    segments: [
      { type: PT_LOAD, paddr: 0x100000, data: new Uint8Array(0x100).fill(0x90), memsz: 0x2000 },
      { type: PT_NOTE, paddr: 0, data: note('Xen', XEN_ELFNOTE_PHYS32_ENTRY, le(0x100000, 8)) },
    ],
  });
  const out: number[] = [];
  const m = Machine.fromCore(Core.fromExports(memory, exports, RAM), { kernel, cmdline, memoryMiB: MIB, ...extra }, { console: (b) => out.push(...b) });
  const v0 = new VcpuRegs(memory.buffer, 0);
  return { m, v0, ram, out, invalidated, calls, text: () => new TextDecoder().decode(new Uint8Array(out)) };
}

/** Puts the vCPU in 64-bit mode at CPL0 (what the guest would have done by then). */
function longMode(v: VcpuRegs) {
  v.setU64(L.V_EFER, BigInt(L.EFER_LME | L.EFER_LMA));
  v.setU64(L.V_CR0, BigInt((L.CR0_PE | L.CR0_PG) >>> 0));
  v.setSeg(L.SEG_CS, { sel: 8, attr: 0xa09b, limit: 0xffffffff, base: 0n });
}

describe('Machine with a scripted core', () => {
  it('boots vCPU 0 at the PVH entry with start_info in RAM', () => {
    const { m, v0, ram, calls } = fakeMachine([]);
    expect(calls.slice(0, 2)).toEqual(['reset0', 'flush0']);
    expect(v0.rip).toBe(0x100000n);
    const si = Number(v0.gpr(Gpr.RBX));
    expect(new DataView(ram.buffer, ram.byteOffset).getUint32(si, true)).toBe(0x336ec578);
    expect(m.vcpuInfo()[0]).toMatchObject({ id: 0, state: 'running', mode: 'protected', cpl: 0, rip: 0x100000n });
  });

  it('answers Xen CPUID leaves and zero-extends', () => {
    const { m, v0 } = fakeMachine([
      (v) => {
        v.setU32(L.V_EXIT_PORT, 0x40000000);
        v.setGpr(Gpr.RAX, 0xffffffffffffffffn);
        return L.EXIT_CPUID;
      },
    ]);
    m.runSlice(1000);
    expect([v0.gpr(Gpr.RAX), v0.gpr(Gpr.RBX), v0.gpr(Gpr.RCX), v0.gpr(Gpr.RDX)]).toEqual([0x40000005n, 0x566e6558n, 0x65584d4dn, 0x4d4d566en]);
  });

  it('fills the hypercall page on WRMSR 0x40000000 and raises #GP for a bad value or unknown MSR', () => {
    const { m, v0, ram, invalidated } = fakeMachine([
      (v) => {
        v.setU32(L.V_EXIT_PORT, 0x40000000);
        v.setU32(L.V_EXIT_WRITE, 1);
        v.setU64(L.V_EXIT_VALUE, 0x105000n);
        return L.EXIT_MSR;
      },
      (v) => {
        v.setU64(L.V_EXIT_RIP, 0x100123n);
        v.rip = 0x100125n;
        v.setU64(L.V_EXIT_VALUE, 0x105008n);
        return L.EXIT_MSR;
      },
    ]);
    m.runSlice(1000);
    expect(Array.from(ram.subarray(0x105000 + 18 * 32, 0x105000 + 18 * 32 + 9))).toEqual([0xb8, 18, 0, 0, 0, 0x0f, 0x01, 0xc1, 0xc3]);
    expect(invalidated).toContainEqual([0x105000, 4096]);
    expect(v0.rip).toBe(0x100123n);
    expect([v0.u32(L.V_PENDING_VALID), v0.u32(L.V_PENDING_VECTOR), v0.u32(L.V_PENDING_KIND), v0.u32(L.V_PENDING_ERROR)]).toEqual([1, 13, L.EVENT_EXCEPTION, 0]);
  });

  it('port 0xE9 writes reach the console; unknown IN ports read all ones', () => {
    const { m, v0, text } = fakeMachine([
      (v) => {
        v.setU32(L.V_EXIT_PORT, 0xe9);
        v.setU32(L.V_EXIT_SIZE, 1);
        v.setU32(L.V_EXIT_WRITE, 1);
        v.setU64(L.V_EXIT_VALUE, 0x41n);
        return L.EXIT_IO;
      },
      (v) => {
        v.setU32(L.V_EXIT_PORT, 0x64);
        v.setU32(L.V_EXIT_SIZE, 2);
        v.setU32(L.V_EXIT_WRITE, 0);
        return L.EXIT_IO;
      },
    ]);
    m.runSlice(1000);
    expect(text()).toBe('A');
    expect(v0.u32(L.V_IO_PENDING)).toBe(1);
    expect(v0.u64(L.V_IO_DATA)).toBe(0xffffn);
  });

  it('services hypercalls until SCHEDOP_shutdown(poweroff) ends the slice', () => {
    const { m, text } = fakeMachine([
      (v, ram) => {
        longMode(v);
        ram.set(new TextEncoder().encode('hi!'), 0x200000);
        v.setGpr(Gpr.RAX, 18n);
        v.setGpr(Gpr.RDI, 0n);
        v.setGpr(Gpr.RSI, 3n);
        v.setGpr(Gpr.RDX, 0x200000n);
        return L.EXIT_HYPERCALL;
      },
      (v, ram) => {
        new DataView(ram.buffer, ram.byteOffset).setUint32(0x200100, 0, true);
        v.setGpr(Gpr.RAX, 29n);
        v.setGpr(Gpr.RDI, 2n);
        v.setGpr(Gpr.RSI, 0x200100n);
        return L.EXIT_HYPERCALL;
      },
      () => {
        throw new Error('the vCPU ran after shutdown');
      },
    ]);
    const r = m.runSlice(1_000_000);
    expect(text()).toBe('hi!');
    expect(r.shutdown?.reason).toBe('poweroff');
    expect(r.instructions).toBe(20);
    expect(m.runSlice(1000)).toMatchObject({ instructions: 0, shutdown: { reason: 'poweroff' } });
    expect(m.stats()).toMatchObject({ instructions: 20n, hypercalls: { console_io: 1, sched_op: 1 }, unimplementedHypercalls: 0 });
    expect(m.vcpuInfo()[0]).toMatchObject({ state: 'down', mode: 'long' });
  });

  it('an unimplemented instruction ends the VM as a crash naming RIP and bytes', () => {
    const { m } = fakeMachine([
      (v) => {
        v.setU64(L.V_EXIT_RIP, 0x100042n);
        for (let i = 0; i < 4; i++) v.setU32(L.V_EXIT_BYTES + i * 4, 0);
        v.setU32(L.V_EXIT_BYTES, 0x90f0ae0f); // bytes 0f ae f0 90 in memory order
        return L.EXIT_UNIMPLEMENTED;
      },
    ]);
    const r = m.runSlice(1000);
    expect(r.shutdown?.reason).toBe('crash');
    expect(r.shutdown?.detail).toMatch(/unimplemented instruction at RIP 0x100042 .*bytes 0f ae f0 90 00/);
  });

  it('HLT with interrupts off is a stuck guest; with interrupts on the machine is idle', () => {
    const stuck = fakeMachine([(v) => ((v.rflags = 2n), L.EXIT_HLT)]);
    const r = stuck.m.runSlice(1000);
    expect(r.shutdown?.reason).toBe('crash');
    expect(r.shutdown?.detail).toMatch(/HLT with interrupts disabled/);
    const idle = fakeMachine([(v) => ((v.rflags = 0x202n), L.EXIT_HLT)]);
    expect(idle.m.runSlice(1000)).toMatchObject({ idle: true, shutdown: undefined });
  });

  it('a triple fault ends the VM with reason triple-fault', () => {
    const { m } = fakeMachine([() => L.EXIT_SHUTDOWN]);
    expect(m.runSlice(1000).shutdown?.reason).toBe('triple-fault');
  });

  it('rejects a bad configuration with BootError', () => {
    expect(() => fakeMachine([], 'x'.repeat(3000))).toThrow(BootError);
  });
});

describe('Machine: event upcall, LAPIC MMIO and idle', () => {
  it('injects the callback vector through V_EXTINT when upcall_pending is set and IF=1; HLT idles with wakeAtMs', () => {
    let offered = -1;
    const { m, v0 } = fakeMachine([
      (v) => {
        v.rflags = 0x202n;
        return L.EXIT_HLT;
      },
      (v) => {
        // the core saw the offered interrupt and delivered it
        offered = v.u32(L.V_EXTINT_VALID) === 1 ? v.u32(L.V_EXTINT_VECTOR) : -1;
        v.setU32(L.V_EXTINT_VALID, 0);
        v.setU32(L.V_HALTED, 0);
        return L.EXIT_BUDGET;
      },
    ]);
    const xen = m.domain;
    xen.params[0] = 0x02000000000000f3n; // HVM_PARAM_CALLBACK_IRQ, vector 0xF3
    v0.setU32(L.V_HALTED, 1);
    v0.rflags = 0x202n;
    // nothing pending, no timer: idle without a wake time
    const first = m.runSlice(1000);
    expect(first.idle).toBe(true);
    expect(first.wakeAtMs).toBeUndefined();
    const port = xen.evtchn.bindVirq(0, 0);
    // The clock follows host time here: put the deadline far enough ahead (10 s) that a loaded
    // machine cannot reach it between these lines, then move the clock past it by hand.
    const deadline = v0.u64(L.V_CLOCK) + 10_000_000_000n;
    xen.setSingleshot(0, deadline);
    const r = m.runSlice(1000);
    expect(r.idle).toBe(true);
    expect(r.wakeAtMs).toBeGreaterThan(0);
    // the deadline passes: VIRQ_TIMER → upcall_pending → vector 0xF3 offered and taken
    v0.setU64(L.V_CLOCK, deadline + 1_000_000n);
    m.runSlice(1000);
    expect(xen.shinfo.isPending(port)).toBe(true);
    expect(offered).toBe(0xf3);
    expect(m.stats().events).toMatchObject({ virq_timer: 1, upcall_injected: 1 });
  });

  it('deterministic mode jumps the clock to the next timer instead of sleeping', () => {
    const { m, v0 } = fakeMachine([], 'a=b', { deterministic: true });
    v0.setU32(L.V_HALTED, 1);
    v0.rflags = 0x202n;
    m.domain.params[0] = 0x02000000000000f3n;
    m.domain.evtchn.bindVirq(0, 0);
    m.domain.setSingleshot(0, 2_000_000n);
    const r = m.runSlice(1000);
    // no sleeping: the clock jumped to the deadline, the timer fired and the upcall woke the vCPU
    expect(r.idle).toBe(false);
    expect(r.wakeAtMs).toBeUndefined();
    expect(v0.u64(L.V_CLOCK)).toBeGreaterThanOrEqual(2_000_000n);
    expect(m.stats().events).toMatchObject({ idle_skip: 1, virq_timer: 1 });
  });

  it('xAPIC MMIO reads re-execute with V_IO_DATA; writes reach the LAPIC', () => {
    const { m, v0 } = fakeMachine([
      (v) => {
        v.setU64(L.V_APIC_BASE, 0xfee00900n); // what the core's reset leaves: enabled, BSP, xAPIC
        v.setU64(L.V_EXIT_ADDR, 0xfee00030n);
        v.setU32(L.V_EXIT_SIZE, 4);
        v.setU32(L.V_EXIT_WRITE, 0);
        return L.EXIT_MMIO;
      },
      (v) => {
        expect([v.u32(L.V_IO_PENDING), v.u64(L.V_IO_DATA)]).toEqual([1, 0x00050014n]);
        v.setU32(L.V_IO_PENDING, 0);
        v.setU64(L.V_EXIT_ADDR, 0xfee00080n);
        v.setU32(L.V_EXIT_WRITE, 1);
        v.setU64(L.V_EXIT_VALUE, 0x20n);
        return L.EXIT_MMIO;
      },
    ]);
    m.runSlice(1000);
    expect(m.domain.lapics[0].read(0x80, false)).toBe(0x20);
    void v0;
  });

  it('a guest reboot restarts the domain by default: vCPU 0 back at the PVH entry', () => {
    const { m, v0 } = fakeMachine([
      (v, ram) => {
        longMode(v);
        new DataView(ram.buffer, ram.byteOffset).setUint32(0x200100, 1, true);
        v.setGpr(Gpr.RAX, 29n);
        v.setGpr(Gpr.RDI, 2n);
        v.setGpr(Gpr.RSI, 0x200100n);
        v.rip = 0x100055n;
        return L.EXIT_HYPERCALL;
      },
    ]);
    const r = m.runSlice(1000);
    expect(r.shutdown).toBeUndefined();
    expect(v0.rip).toBe(0x100000n);
    expect(m.stats().reboots).toBe(1);
  });
});
