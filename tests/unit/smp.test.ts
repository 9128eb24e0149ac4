// SMP: vCPU start-up state transitions (INIT / SIPI / VCPUOP_initialise/up/down, src/hypervisor/smp.ts),
// the Machine's round-robin scheduling of several vCPUs with a scripted core (INIT-SIPI-SIPI through
// the xAPIC ICR, per-vCPU figures), and event delivery to a chosen vCPU.
import { describe, expect, it } from 'vitest';
import * as L from '../../wasm/layout.ts';
import { Core, Gpr, VcpuRegs, type CoreExports } from '../../src/vm/core.ts';
import { Machine, SMP_QUANTUM } from '../../src/vm/machine.ts';
import { PT_LOAD, PT_NOTE } from '../../src/hypervisor/elf.ts';
import { XEN_ELFNOTE_PHYS32_ENTRY } from '../../src/hypervisor/pvh-note.ts';
import { VcpuStartup, VCPU_HVM_CONTEXT_SIZE, VCPU_HVM_MODE_32B, VCPU_HVM_MODE_64B, hvmArToAttr } from '../../src/hypervisor/smp.ts';
import { APIC_ICR, APIC_ICR2, APIC_DM_INIT, APIC_DM_STARTUP, APIC_DM_FIXED, APIC_INT_ASSERT, APIC_INT_LEVELTRIG, APIC_SPIV } from '../../src/hypervisor/lapic.ts';
import * as X from '../../src/hypervisor/hypercalls/xen-abi.ts';
import { buildElf, le, note } from './helpers/elf-builder.ts';
import { testDomain } from './helpers/xen-domain.ts';

/** State blocks for `n` vCPUs and a reset that does what the core's resetVcpu does to the fields we check. */
function fakeCpus(n: number) {
  const buf = new ArrayBuffer(L.VCPU_BASE + n * L.VCPU_SIZE);
  const regs = Array.from({ length: n }, (_, i) => new VcpuRegs(buf, i));
  const log: string[] = [];
  const cpu = {
    reset: (v: number) => {
      new Uint8Array(buf, L.VCPU_BASE + v * L.VCPU_SIZE, L.VCPU_SIZE).fill(0);
      const r = regs[v];
      r.setSeg(L.SEG_CS, { sel: 0xf000, attr: 0x9b, limit: 0xffff, base: 0xffff0000n });
      r.rip = 0xfff0n;
      r.rflags = 2n;
      log.push(`reset${v}`);
    },
    regs: (v: number) => regs[v],
    flushTlb: (v: number) => log.push(`flush${v}`),
  };
  return { regs, log, cpu };
}

describe('VcpuStartup: INIT / SIPI', () => {
  it('APs start down; INIT resets (keeping clock, TSC offset, counters, APIC id); SIPI starts real mode at vector<<12', () => {
    const online = [true, false, false];
    const { regs, log, cpu } = fakeCpus(3);
    const inits: number[] = [];
    const changes: string[] = [];
    const s = new VcpuStartup(online, cpu, { initReset: (v) => inits.push(v), changed: (v, up) => changes.push(`${v}:${up ? 'up' : 'down'}`) });
    expect([s.isUp(0), s.isUp(1), s.isUp(2)]).toEqual([true, false, false]);
    const r = regs[1];
    r.setU64(L.V_CLOCK, 123456n);
    r.setU64(L.V_TSC_OFFSET, 77n);
    r.setU64(L.V_INSN_COUNT, 999n);
    r.setU32(L.V_APIC_ID, 1);
    r.setU32(L.V_TSC_KHZ, 1_000_000);
    r.setGpr(Gpr.RAX, 0xdeadn);

    s.init(1);
    expect(log).toEqual(['reset1']);
    expect(inits).toEqual([1]);
    expect(s.isUp(1)).toBe(false);
    expect(r.gpr(Gpr.RAX)).toBe(0n);
    expect([r.u64(L.V_CLOCK), r.u64(L.V_TSC_OFFSET), r.u64(L.V_INSN_COUNT), r.u32(L.V_APIC_ID), r.u32(L.V_TSC_KHZ)]).toEqual([123456n, 77n, 999n, 1, 1_000_000]);

    expect(s.startup(1, 0x9a)).toBe(true);
    expect(s.isUp(1)).toBe(true);
    expect(r.seg(L.SEG_CS)).toEqual({ sel: 0x9a00, attr: 0x9b, limit: 0xffff, base: 0x9a000n });
    expect(r.rip).toBe(0n);
    expect(r.u64(L.V_CLOCK)).toBe(123456n);
    // The second SIPI of the sequence finds the vCPU up and changes nothing.
    r.rip = 0x1234n;
    expect(s.startup(1, 0x9b)).toBe(false);
    expect(r.rip).toBe(0x1234n);
    expect(changes).toEqual(['1:up']);
    // INIT takes an up vCPU down again; the next SIPI restarts it from scratch.
    s.init(1);
    expect(s.isUp(1)).toBe(false);
    expect(changes).toEqual(['1:up', '1:down']);
    expect(s.startup(1, 0x10)).toBe(true);
    expect(r.seg(L.SEG_CS).base).toBe(0x10000n);
    // Out-of-range targets are ignored.
    s.init(7);
    expect(s.startup(-1, 1)).toBe(false);
    expect(online).toEqual([true, true, false]);
  });

  it('VCPUOP_initialise (64-bit): start state in long mode, -EEXIST once initialised, -EINVAL without paging/LME', () => {
    const online = [true, false];
    const { regs, cpu } = fakeCpus(2);
    const s = new VcpuStartup(online, cpu);
    const ctx = new Uint8Array(VCPU_HVM_CONTEXT_SIZE);
    const dv = new DataView(ctx.buffer);
    dv.setUint32(0, VCPU_HVM_MODE_64B, true);
    const q = (i: number, v: bigint) => dv.setBigUint64(8 + i * 8, v, true);
    q(4, 0x8000n); // rsp
    q(7, 0x55n); // rdi
    q(8, 0xffffffff81000000n); // rip
    q(9, 0x2n);
    q(10, BigInt(L.CR0_PE)); // no paging: refused
    q(11, 0x1000n);
    q(12, BigInt(L.CR4_PAE));
    q(13, BigInt(L.EFER_LME));
    expect(s.initialise(1, ctx)).toBe(-X.EINVAL);
    expect(s.up(1)).toBe(-X.EINVAL); // nothing to start yet
    q(10, BigInt((L.CR0_PE | L.CR0_PG) >>> 0));
    expect(s.initialise(1, ctx)).toBe(0);
    const r = regs[1];
    expect(r.rip).toBe(0xffffffff81000000n);
    expect(r.gpr(Gpr.RSP)).toBe(0x8000n);
    expect(r.gpr(Gpr.RDI)).toBe(0x55n);
    expect(r.u64(L.V_CR3)).toBe(0x1000n);
    expect(r.u64(L.V_EFER)).toBe(BigInt(L.EFER_LME | L.EFER_LMA));
    expect(r.seg(L.SEG_CS).attr & (1 << 13)).not.toBe(0); // CS.L
    expect(s.isUp(1)).toBe(false); // initialise does not start it
    expect(s.initialise(1, ctx)).toBe(-X.EEXIST);
    expect(s.up(1)).toBe(0);
    expect(s.isUp(1)).toBe(true);
    // down keeps the registers; up resumes there. The last running vCPU cannot go down.
    r.rip = 0x4242n;
    expect(s.down(1)).toBe(0);
    expect(s.isUp(1)).toBe(false);
    expect(s.down(0)).toBe(-X.EINVAL);
    expect(s.up(1)).toBe(0);
    expect(r.rip).toBe(0x4242n);
    // INIT clears "initialised": VCPUOP_initialise works again.
    s.init(1);
    expect(s.initialise(1, ctx)).toBe(0);
    const bad = new Uint8Array(VCPU_HVM_CONTEXT_SIZE);
    new DataView(bad.buffer).setUint32(0, 7, true);
    s.init(1);
    expect(s.initialise(1, bad)).toBe(-X.EINVAL);
  });

  it('VCPUOP_initialise (32-bit): registers and segments from vcpu_hvm_x86_32 (access rights → VMX layout)', () => {
    const { regs, cpu } = fakeCpus(2);
    const s = new VcpuStartup([true, false], cpu);
    const ctx = new Uint8Array(VCPU_HVM_CONTEXT_SIZE);
    const dv = new DataView(ctx.buffer);
    dv.setUint32(0, VCPU_HVM_MODE_32B, true);
    const d = (off: number, v: number) => dv.setUint32(8 + off, v, true);
    d(0, 0x11); // eax
    d(32, 0x100000); // eip
    d(36, 0x2);
    d(40, L.CR0_PE); // cr0
    d(64, 0); // cs_base
    d(68, 0x1000); // ds_base
    d(84, 0xffffffff); // cs_limit
    d(88, 0xffff); // ds_limit
    dv.setUint16(8 + 104, 0xc9b, true); // cs_ar: code, present, db, g
    dv.setUint16(8 + 106, 0xc93, true); // ds_ar
    dv.setUint16(8 + 112, 0x8b, true); // tr_ar
    expect(s.initialise(1, ctx)).toBe(0);
    const r = regs[1];
    expect(r.rip).toBe(0x100000n);
    expect(r.gpr(Gpr.RAX)).toBe(0x11n);
    expect(r.seg(L.SEG_CS)).toEqual({ sel: 0, attr: 0xc09b, limit: 0xffffffff, base: 0n });
    expect(r.seg(L.SEG_DS)).toEqual({ sel: 0, attr: 0xc093, limit: 0xffff, base: 0x1000n });
    expect(hvmArToAttr(0xa9b)).toBe(0xa09b);
    // A non-code CS is refused.
    s.init(1);
    dv.setUint16(8 + 104, 0xc93, true);
    expect(s.initialise(1, ctx)).toBe(-X.EINVAL);
  });
});

// ---- Machine with a scripted core, several vCPUs ----
const MIB = 4;
const RAM = MIB * 1024 * 1024;
type Step = (v: VcpuRegs) => number;

function smpMachine(vcpus: number, steps: Record<number, Step[]>) {
  const pages = (L.GUEST_RAM_BASE + RAM) / L.WASM_PAGE;
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const runs: Array<[number, number]> = [];
  /** Interrupts the fake core took: [vCPU, vector] (it delivers V_EXTINT when IF=1, like the core). */
  const delivered: Array<[number, number]> = [];
  const exports: CoreExports = {
    setRamSize: () => {},
    resetVcpu: (id) => {
      new Uint8Array(memory.buffer, L.VCPU_BASE + id * L.VCPU_SIZE, L.VCPU_SIZE).fill(0);
      const v = new VcpuRegs(memory.buffer, id);
      v.rflags = 2n;
      v.setU64(L.V_APIC_BASE, BigInt((0xfee00000 | 0x800 | (id === 0 ? 0x100 : 0)) >>> 0));
    },
    flushTlb: () => {},
    translate: (_v, linear) => (linear < BigInt(RAM) ? linear : -1n),
    invalidateCode: () => {},
    run: (id, budget) => {
      runs.push([id, budget]);
      const v = new VcpuRegs(memory.buffer, id);
      if (v.u32(L.V_EXTINT_VALID) === 1 && v.has(L.V_RFLAGS, L.RFLAGS_IF)) {
        delivered.push([id, v.u32(L.V_EXTINT_VECTOR)]);
        v.setU32(L.V_EXTINT_VALID, 0);
        v.setU32(L.V_HALTED, 0);
      }
      const step = steps[id]?.shift();
      if (!step) {
        v.setU64(L.V_INSN_COUNT, v.u64(L.V_INSN_COUNT) + BigInt(budget));
        return L.EXIT_BUDGET;
      }
      v.setU64(L.V_INSN_COUNT, v.u64(L.V_INSN_COUNT) + 10n);
      return step(v);
    },
  };
  const kernel = buildElf({
    bits: 64,
    segments: [
      { type: PT_LOAD, paddr: 0x100000, data: new Uint8Array(0x100).fill(0x90), memsz: 0x2000 },
      { type: PT_NOTE, paddr: 0, data: note('Xen', XEN_ELFNOTE_PHYS32_ENTRY, le(0x100000, 8)) },
    ],
  });
  const m = Machine.fromCore(Core.fromExports(memory, exports, RAM), { kernel, memoryMiB: MIB, vcpus, deterministic: true }, { console: () => {} });
  return { m, runs, delivered, regs: (id: number) => new VcpuRegs(memory.buffer, id) };
}

/** An xAPIC MMIO write exit of `value` to register `reg`. */
const apicWrite = (reg: number, value: number): Step => (v) => {
  v.setU64(L.V_EXIT_ADDR, BigInt(0xfee00000 + reg));
  v.setU32(L.V_EXIT_SIZE, 4);
  v.setU32(L.V_EXIT_WRITE, 1);
  v.setU64(L.V_EXIT_VALUE, BigInt(value >>> 0));
  return L.EXIT_MMIO;
};
const hlt: Step = (v) => {
  v.setU32(L.V_HALTED, 1);
  v.rflags = BigInt(L.RFLAGS_FIXED | L.RFLAGS_IF);
  return L.EXIT_HLT;
};

describe('Machine: several vCPUs', () => {
  it('vCPU 0 brings vCPU 1 up with INIT, INIT de-assert, SIPI, SIPI through the ICR; both then share the CPU', () => {
    const { m, runs, regs } = smpMachine(2, {
      0: [
        apicWrite(APIC_SPIV, 0x1ff),
        apicWrite(APIC_ICR2, 1 << 24),
        apicWrite(APIC_ICR, APIC_DM_INIT << 8 | APIC_INT_ASSERT | APIC_INT_LEVELTRIG),
        apicWrite(APIC_ICR, APIC_DM_INIT << 8 | APIC_INT_LEVELTRIG),
        apicWrite(APIC_ICR, APIC_DM_STARTUP << 8 | 0x9a),
        apicWrite(APIC_ICR, APIC_DM_STARTUP << 8 | 0x9a),
      ],
    });
    expect(m.vcpuInfo().map((i) => i.state)).toEqual(['running', 'down']);
    expect(m.domain.online).toEqual([true, false]);
    m.runSlice(4 * SMP_QUANTUM);
    expect(m.smpLog()).toEqual(['init -> vCPU 1', 'init-deassert -> vCPU 1', 'startup -> vCPU 1 vector 0x9a', 'startup -> vCPU 1 vector 0x9a']);
    expect(m.vcpuInfo().map((i) => i.state)).toEqual(['running', 'running']);
    const r1 = regs(1);
    expect(r1.seg(L.SEG_CS).sel).toBe(0x9a00);
    expect(r1.seg(L.SEG_CS).base).toBe(0x9a000n);
    // vCPU 1 ran, in turns of SMP_QUANTUM with vCPU 0.
    expect(runs.filter(([id]) => id === 1).length).toBeGreaterThan(0);
    expect(runs.filter(([id]) => id === 1).every(([, b]) => b <= SMP_QUANTUM)).toBe(true);
    const info = m.vcpuInfo();
    expect(info[1].instructions).toBeGreaterThan(0n);
    expect(info[1].ipis).toBe(4); // INIT, de-assert, 2 × SIPI
    expect(m.stats().vcpus?.map((v) => v.id)).toEqual([0, 1]);
  });

  it('round-robin is fair: four busy vCPUs get the same share of a slice', () => {
    const { m } = smpMachine(4, {});
    for (let v = 1; v < 4; v++) {
      m.vcpuStartup.init(v);
      m.vcpuStartup.startup(v, 0x10);
    }
    for (let i = 0; i < 10; i++) m.runSlice(8 * SMP_QUANTUM);
    const counts = m.vcpuInfo().map((i) => Number(i.instructions));
    expect(Math.min(...counts)).toBeGreaterThan(0.9 * Math.max(...counts));
  });

  it('a halted vCPU costs no run; a fixed IPI wakes it and it runs next', () => {
    const { m, runs } = smpMachine(2, {
      0: [apicWrite(APIC_SPIV, 0x1ff)],
      1: [apicWrite(APIC_SPIV, 0x1ff), hlt],
    });
    m.vcpuStartup.startup(1, 0x10);
    m.runSlice(4 * SMP_QUANTUM);
    expect(m.vcpuInfo()[1].state).toBe('halted');
    runs.length = 0;
    m.runSlice(4 * SMP_QUANTUM);
    expect(runs.every(([id]) => id === 0)).toBe(true);
    // vCPU 0 sends vector 0x40 to APIC id 1 and keeps going: its run ends so vCPU 1 takes it at once.
    const steps0: Step[] = [apicWrite(APIC_ICR2, 1 << 24), apicWrite(APIC_ICR, APIC_DM_FIXED << 8 | 0x40)];
    const { m: m2, runs: runs2, regs, delivered } = smpMachine(2, { 0: [apicWrite(APIC_SPIV, 0x1ff), ...steps0], 1: [hlt] });
    m2.vcpuStartup.startup(1, 0x10);
    m2.domain.lapics[1].write(APIC_SPIV, 0x1ff, false);
    regs(1).rflags = BigInt(L.RFLAGS_FIXED | L.RFLAGS_IF);
    m2.runSlice(10 * SMP_QUANTUM);
    // vCPU 1 got the IPI in its LAPIC and was offered vector 0x40 on its next run.
    const i = runs2.findIndex(([id], k) => id === 1 && k > 2);
    expect(i).toBeGreaterThan(0);
    expect(m2.vcpuInfo()[1].ipis).toBe(1);
    expect(m2.vcpuInfo()[1].interrupts).toBe(1);
    expect(m2.domain.lapics[1].isrBit(0x40)).toBe(true);
    expect(delivered).toEqual([[1, 0x40]]);
  });
});

describe('event delivery to a chosen vCPU', () => {
  it('an IPI port bound to vCPU 2 raises upcall_pending on vCPU 2 only; bind_vcpu moves a port', () => {
    const d = testDomain({ vcpus: 4 });
    const { xen } = d;
    xen.params[X.HVM_PARAM_CALLBACK_IRQ] = (2n << 56n) | 0xf3n;
    const p = xen.evtchn.bindIpi(2);
    d.kicks.length = 0;
    expect(xen.evtchn.send(p)).toBe(0);
    expect([0, 1, 2, 3].map((v) => xen.shinfo.upcallPending(v))).toEqual([false, false, true, false]);
    expect(d.kicks).toEqual([2]);
    expect(xen.pendingInterrupt(2, true)).toEqual({ vector: 0xf3, source: 'upcall' });
    expect(xen.pendingInterrupt(0, true)).toBeNull();
    // A global port (VIRQ on vCPU 0 / unbound) moves to vCPU 3 with EVTCHNOP_bind_vcpu.
    const u = xen.evtchn.allocUnbound(X.DOMID_SELF, X.DOMID_SELF);
    expect(xen.evtchn.bindVcpu(u, 3)).toBe(0);
    const local = xen.evtchn.bindInterdomain(X.DOMID_SELF, u);
    expect(local).toBeGreaterThan(0);
    d.kicks.length = 0;
    xen.evtchn.send(local);
    expect(xen.shinfo.upcallPending(3)).toBe(true);
    expect(d.kicks).toEqual([3]);
    expect(xen.evtchn.bindVcpu(p, 1)).toBe(-X.EINVAL); // IPI ports stay on their vCPU
  });

  it('the Machine injects the upcall into the vCPU the event is for', () => {
    const { m, regs, delivered } = smpMachine(2, {});
    m.vcpuStartup.startup(1, 0x10);
    m.domain.params[X.HVM_PARAM_CALLBACK_IRQ] = (2n << 56n) | 0xf3n;
    for (const id of [0, 1]) regs(id).rflags = BigInt(L.RFLAGS_FIXED | L.RFLAGS_IF);
    const p = m.domain.evtchn.bindIpi(1);
    m.domain.evtchn.send(p);
    m.runSlice(4 * SMP_QUANTUM);
    // vCPU 1 takes vector 0xf3 (level: again on every run while upcall_pending stays set); vCPU 0 never does.
    expect(delivered.length).toBeGreaterThan(0);
    expect(delivered.every(([id, vec]) => id === 1 && vec === 0xf3)).toBe(true);
    const info = m.vcpuInfo();
    expect(info[1].ipis).toBe(1);
    expect(info[0].ipis).toBe(0);
    expect(info[1].events).toBe(delivered.length);
    expect(info[0].events).toBe(0);
  });
});
