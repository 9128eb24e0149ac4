// The hypercall table and dispatcher: registers in 64- and 32-bit mode, CPL check, the implemented
// sub-ops, and -ENOSYS (counted) for everything else.
import { describe, expect, it } from 'vitest';
import { EFER_LMA, SEG_CS, SEG_SS, V_CR0, V_EFER, VCPU_BASE, VCPU_SIZE } from '../../wasm/layout.ts';
import { Gpr, VcpuRegs } from '../../src/vm/core.ts';
import { GuestMemory } from '../../src/hypervisor/guest-memory.ts';
import { HypercallDispatcher } from '../../src/hypervisor/hypercalls/dispatch.ts';
import { HYPERCALLS, validateTable } from '../../src/hypervisor/hypercalls/table.ts';
import type { HypercallContext } from '../../src/hypervisor/hypercalls/context.ts';
import type { ShutdownReason } from '../../src/vm/api.ts';
import * as X from '../../src/hypervisor/hypercalls/xen-abi.ts';
import { testDomain } from './helpers/xen-domain.ts';

const RAM = 1 << 20;

function setup() {
  const ram = new Uint8Array(RAM);
  const mem = new GuestMemory(ram, (_v, linear) => (linear < BigInt(RAM) ? linear : -1n)); // identity map
  const out: string[] = [];
  const shutdowns: ShutdownReason[] = [];
  const ctx: HypercallContext = {
    vcpu: 0,
    mem,
    xen: testDomain({ mem }).xen,
    console: (b) => out.push(new TextDecoder().decode(b)),
    shutdown: (r) => shutdowns.push(r),
  };
  return { ram, mem, out, shutdowns, ctx, d: new HypercallDispatcher() };
}

function vcpu(mode: 64 | 32, dpl = 0): VcpuRegs {
  const v = new VcpuRegs(new ArrayBuffer(VCPU_BASE + VCPU_SIZE), 0);
  v.setU64(V_CR0, 0x80000011n);
  v.setU64(V_EFER, mode === 64 ? BigInt(EFER_LMA | 0x100) : 0n);
  v.setSeg(SEG_CS, { sel: 8, attr: mode === 64 ? 0xa09b | (dpl << 5) : 0xc09b | (dpl << 5), limit: 0xffffffff, base: 0n });
  v.setSeg(SEG_SS, { sel: 0x10, attr: 0xc093 | (dpl << 5), limit: 0xffffffff, base: 0n });
  return v;
}

const rax = (v: VcpuRegs) => BigInt.asIntN(64, v.gpr(Gpr.RAX));

describe('hypercall table', () => {
  it('is consistent and names Xen numbers', () => {
    expect(() => validateTable(HYPERCALLS)).not.toThrow();
    expect(HYPERCALLS.map((h) => [h.nr, h.name])).toEqual([
      [7, 'platform_op'],
      [12, 'memory_op'],
      [13, 'multicall'],
      [15, 'set_timer_op'],
      [17, 'xen_version'],
      [18, 'console_io'],
      [20, 'grant_table_op'],
      [21, 'vm_assist'],
      [24, 'vcpu_op'],
      [29, 'sched_op'],
      [32, 'event_channel_op'],
      [33, 'physdev_op'],
      [34, 'hvm_op'],
    ]);
    expect(() => validateTable([...HYPERCALLS, { ...HYPERCALLS[0], name: 'dup' }])).toThrow(/number 7 listed twice/);
  });

  it('unknown hypercalls and sub-ops return -ENOSYS and are counted, never thrown', () => {
    const { d, ctx } = setup();
    expect(d.call(45, [0n], ctx)).toBe(-X.ENOSYS);
    expect(d.call(45, [0n], ctx)).toBe(-X.ENOSYS);
    expect(d.call(0x123456789n, [0n], ctx)).toBe(-X.ENOSYS);
    expect(d.call(X.__HYPERVISOR_sched_op, [7n, 0n], ctx)).toBe(-X.ENOSYS);
    expect(d.call(X.__HYPERVISOR_xen_version, [9n, 0n], ctx)).toBe(-X.ENOSYS);
    expect(d.stats.unimplementedTotal).toBe(5);
    expect(d.stats.unimplemented).toEqual({ 'unknown(45)': 2, 'unknown(4886718345)': 1, 'sched_op:7': 1, 'xen_version:9': 1 });
    expect(d.stats.calls).toMatchObject({ 'unknown(45)': 2, sched_op: 1, xen_version: 1 });
  });
});

describe('dispatch from vCPU registers', () => {
  it('64-bit: RAX = nr, RDI/RSI/RDX = args, result in RAX', () => {
    const { d, ctx, ram, out } = setup();
    ram.set(new TextEncoder().encode('hi there'), 0x5000);
    const v = vcpu(64);
    v.setGpr(Gpr.RAX, BigInt(X.__HYPERVISOR_console_io));
    v.setGpr(Gpr.RDI, BigInt(X.CONSOLEIO_write));
    v.setGpr(Gpr.RSI, 8n);
    v.setGpr(Gpr.RDX, 0x5000n);
    v.setGpr(Gpr.RBX, 0xbadn); // 32-bit arg registers must not be used
    d.handleExit(v, ctx);
    expect(rax(v)).toBe(0n);
    expect(out.join('')).toBe('hi there');
    v.setGpr(Gpr.RAX, 99n);
    d.handleExit(v, ctx);
    expect(rax(v)).toBe(-38n);
  });

  it('32-bit: EAX = nr, EBX/ECX/EDX = args, -errno zero-extended into EAX', () => {
    const { d, ctx, ram, out } = setup();
    ram.set(new TextEncoder().encode('abc'), 0x6000);
    const v = vcpu(32);
    v.setGpr(Gpr.RAX, 0xffffffff00000000n | BigInt(X.__HYPERVISOR_console_io));
    v.setGpr(Gpr.RBX, BigInt(X.CONSOLEIO_write));
    v.setGpr(Gpr.RCX, 3n);
    v.setGpr(Gpr.RDX, 0x6000n);
    v.setGpr(Gpr.RDI, 0xbadn);
    d.handleExit(v, ctx);
    expect(v.gpr(Gpr.RAX)).toBe(0n);
    expect(out.join('')).toBe('abc');
    v.setGpr(Gpr.RAX, 99n);
    d.handleExit(v, ctx);
    expect(v.gpr(Gpr.RAX)).toBe(BigInt((-38 >>> 0) >>> 0));
  });

  it('CPL 3 gets -EPERM and nothing runs', () => {
    const { d, ctx, shutdowns } = setup();
    const v = vcpu(64, 3);
    v.setGpr(Gpr.RAX, BigInt(X.__HYPERVISOR_sched_op));
    v.setGpr(Gpr.RDI, BigInt(X.SCHEDOP_shutdown));
    v.setGpr(Gpr.RSI, 0x100n);
    d.handleExit(v, ctx);
    expect(rax(v)).toBe(-1n);
    expect(shutdowns).toEqual([]);
  });
});

describe('implemented sub-ops', () => {
  it('xen_version: version, extraversion, get_features (submap 0 = 0x304, other index -EINVAL)', () => {
    const { d, ctx, ram } = setup();
    expect(d.call(X.__HYPERVISOR_xen_version, [BigInt(X.XENVER_version), 0n], ctx)).toBe(0x00040011);
    ram.fill(0xff, 0x7000, 0x7010);
    expect(d.call(X.__HYPERVISOR_xen_version, [BigInt(X.XENVER_extraversion), 0x7000n], ctx)).toBe(0);
    expect(Array.from(ram.subarray(0x7000, 0x7010))).toEqual([0x2e, 0x30, ...new Array(14).fill(0)]);
    const dv = new DataView(ram.buffer);
    dv.setUint32(0x8000, 0, true);
    dv.setUint32(0x8004, 0xdeadbeef, true);
    expect(d.call(X.__HYPERVISOR_xen_version, [BigInt(X.XENVER_get_features), 0x8000n], ctx)).toBe(0);
    expect(dv.getUint32(0x8004, true)).toBe(0x304);
    dv.setUint32(0x8000, 1, true);
    expect(d.call(X.__HYPERVISOR_xen_version, [BigInt(X.XENVER_get_features), 0x8000n], ctx)).toBe(-X.EINVAL);
  });

  it('console_io write copies in bounded chunks; a fault part-way returns -EFAULT', () => {
    const { d, ctx } = setup();
    const sizes: number[] = [];
    const c = { ...ctx, console: (b: Uint8Array) => sizes.push(b.length) };
    expect(d.call(X.__HYPERVISOR_console_io, [0n, 200_000n, 0n], c)).toBe(0);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(200_000);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(64 * 1024);
    sizes.length = 0;
    expect(d.call(X.__HYPERVISOR_console_io, [0n, 0xffffffffn, 0n], c)).toBe(-X.EFAULT); // 4 GiB from a 1 MiB RAM
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(RAM);
  });

  it('sched_op: shutdown reads the reason from the guest struct; yield returns 0', () => {
    const reasons: Array<[number, ShutdownReason]> = [
      [X.SHUTDOWN_poweroff, 'poweroff'],
      [X.SHUTDOWN_reboot, 'reboot'],
      [X.SHUTDOWN_suspend, 'suspend'],
      [X.SHUTDOWN_crash, 'crash'],
      [X.SHUTDOWN_watchdog, 'watchdog'],
    ];
    for (const [code, name] of reasons) {
      const { d, ctx, ram, shutdowns } = setup();
      new DataView(ram.buffer).setUint32(0x9000, code, true);
      expect(d.call(X.__HYPERVISOR_sched_op, [BigInt(X.SCHEDOP_shutdown), 0x9000n], ctx)).toBe(0);
      expect(shutdowns).toEqual([name]);
    }
    const { d, ctx, ram, shutdowns } = setup();
    new DataView(ram.buffer).setUint32(0x9000, 77, true);
    expect(d.call(X.__HYPERVISOR_sched_op, [BigInt(X.SCHEDOP_shutdown), 0x9000n], ctx)).toBe(-X.EINVAL);
    expect(d.call(X.__HYPERVISOR_sched_op, [BigInt(X.SCHEDOP_shutdown), BigInt(RAM)], ctx)).toBe(-X.EFAULT);
    expect(d.call(X.__HYPERVISOR_sched_op, [BigInt(X.SCHEDOP_yield), 0n], ctx)).toBe(0);
    expect(shutdowns).toEqual([]);
  });
});
