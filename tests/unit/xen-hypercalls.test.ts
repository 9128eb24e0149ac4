// The Xen hypercalls a Linux PVH domU needs (docs/pvh-abi.md §4), through the dispatcher: results,
// guest-visible effects, refusals counted by name, and -EFAULT (never a host exception) for wild pointers.
import { describe, expect, it } from 'vitest';
import { HypercallDispatcher } from '../../src/hypervisor/hypercalls/dispatch.ts';
import * as X from '../../src/hypervisor/hypercalls/xen-abi.ts';
import { testDomain } from './helpers/xen-domain.ts';

const RAM = 1 << 20;
function setup(vcpus = 1) {
  const t = testDomain({ vcpus, ram: new Uint8Array(RAM) });
  const d = new HypercallDispatcher();
  const dv = new DataView(t.mem.ram.buffer);
  const call = (nr: number, ...args: Array<number | bigint>) => d.call(nr, args.map(BigInt), t.ctx());
  return { ...t, d, dv, call };
}
const WILD = [0xdead0000000n, BigInt(RAM) - 2n, 0xffffffffffffffffn];

describe('hvm_op params', () => {
  it('CALLBACK_IRQ vector type is accepted; console params read back; STORE_PFN is 0; others -EPERM', () => {
    const { call, dv, xen } = setup();
    dv.setUint16(0x1000, X.DOMID_SELF, true);
    dv.setUint32(0x1004, X.HVM_PARAM_CALLBACK_IRQ, true);
    dv.setBigUint64(0x1008, 0x02000000000000f3n, true);
    expect(call(X.__HYPERVISOR_hvm_op, X.HVMOP_set_param, 0x1000)).toBe(0);
    expect(xen.upcallVector()).toBe(0xf3);
    dv.setBigUint64(0x1008, 0x0200000000000005n, true);
    expect(call(X.__HYPERVISOR_hvm_op, X.HVMOP_set_param, 0x1000)).toBe(-X.EINVAL);
    const get = (index: number) => {
      dv.setUint32(0x1004, index, true);
      dv.setBigUint64(0x1008, 0xffn, true);
      return [call(X.__HYPERVISOR_hvm_op, X.HVMOP_get_param, 0x1000), dv.getBigUint64(0x1008, true)];
    };
    expect(get(X.HVM_PARAM_CONSOLE_EVTCHN)).toEqual([0, BigInt(xen.consolePort)]);
    expect(get(X.HVM_PARAM_CONSOLE_PFN)).toEqual([0, BigInt(xen.cfg.layout.consolePage / 4096)]);
    expect(get(X.HVM_PARAM_STORE_PFN)).toEqual([0, 0n]);
    expect(get(X.HVM_PARAM_STORE_EVTCHN)).toEqual([0, 0n]);
    expect(get(10)[0]).toBe(-X.EPERM);
    expect(get(500)[0]).toBe(-X.EINVAL);
    dv.setUint32(0x1004, X.HVM_PARAM_CONSOLE_PFN, true);
    expect(call(X.__HYPERVISOR_hvm_op, X.HVMOP_set_param, 0x1000)).toBe(-X.EPERM);
    dv.setUint16(0x1000, 7, true);
    expect(call(X.__HYPERVISOR_hvm_op, X.HVMOP_get_param, 0x1000)).toBe(-X.ESRCH);
  });

  it('refusals per the reference are counted by name', () => {
    const { call, d } = setup();
    expect(call(X.__HYPERVISOR_hvm_op, X.HVMOP_pagetable_dying, 0x1000)).toBe(-X.EINVAL);
    expect(call(X.__HYPERVISOR_event_channel_op, X.EVTCHNOP_init_control, 0x1000)).toBe(-X.ENOSYS);
    expect(call(X.__HYPERVISOR_physdev_op, 0, 0)).toBe(-X.ENOSYS);
    expect(call(X.__HYPERVISOR_platform_op, 0)).toBe(-X.EPERM);
    expect(call(X.__HYPERVISOR_grant_table_op, 6, 0x1000, 1)).toBe(-X.ENOSYS);
    expect(d.stats.unimplemented).toEqual({
      'hvm_op:HVMOP_pagetable_dying': 1,
      'event_channel_op:EVTCHNOP_init_control': 1,
      physdev_op: 1,
      platform_op: 1,
      grant_table_op: 1,
    });
  });
});

describe('memory_op', () => {
  it('add_to_physmap(shared_info) maps it at the guest frame with time already filled', () => {
    const { call, dv, xen, mem } = setup();
    dv.setUint16(0x1000, X.DOMID_SELF, true);
    dv.setUint32(0x1004, X.XENMAPSPACE_shared_info, true);
    dv.setBigUint64(0x1008, 0n, true);
    dv.setBigUint64(0x1010, 0x42n, true);
    mem.ram.fill(0xaa, 0x42000, 0x43000);
    expect(call(X.__HYPERVISOR_memory_op, X.XENMEM_add_to_physmap, 0x1000)).toBe(0);
    expect(xen.shinfo.gpa).toBe(0x42000);
    expect(dv.getUint32(0x42000 + 32 + 24, true)).toBe(0x80000000); // vcpu_info[0].time.tsc_to_system_mul
    expect(dv.getBigUint64(0x42000 + 2048, true)).toBe(0n); // pending bitmap zeroed
    dv.setBigUint64(0x1010, BigInt(RAM / 4096), true);
    expect(call(X.__HYPERVISOR_memory_op, X.XENMEM_add_to_physmap, 0x1000)).toBe(-X.EINVAL); // not RAM
    dv.setUint32(0x1004, X.XENMAPSPACE_grant_table, true);
    expect(call(X.__HYPERVISOR_memory_op, X.XENMEM_add_to_physmap, 0x1000)).toBe(-X.ENOSYS);
  });

  it('memory_map returns the e820 map up to the capacity given', () => {
    const { call, dv } = setup();
    dv.setUint32(0x1000, 8, true);
    dv.setBigUint64(0x1008, 0x2000n, true);
    expect(call(X.__HYPERVISOR_memory_op, X.XENMEM_memory_map, 0x1000)).toBe(0);
    expect(dv.getUint32(0x1000, true)).toBe(2);
    expect([dv.getBigUint64(0x2000, true), dv.getBigUint64(0x2008, true), dv.getUint32(0x2010, true)]).toEqual([0n, BigInt(RAM - 65536), 1]);
    expect([dv.getBigUint64(0x2014, true), dv.getUint32(0x2024, true)]).toEqual([BigInt(RAM - 65536), 2]);
  });

  it('decrease_reservation returns the number of extents (Linux BUG()s otherwise)', () => {
    const { call, dv } = setup();
    for (let i = 0; i < 4; i++) dv.setBigUint64(0x3000 + i * 8, BigInt(0x80 + i), true);
    dv.setBigUint64(0x1000, 0x3000n, true);
    dv.setBigUint64(0x1008, 4n, true);
    dv.setUint32(0x1010, 0, true);
    dv.setUint16(0x1018, X.DOMID_SELF, true);
    expect(call(X.__HYPERVISOR_memory_op, X.XENMEM_decrease_reservation, 0x1000)).toBe(4);
    dv.setBigUint64(0x3010, 0xfffffn, true); // not RAM: stops there
    expect(call(X.__HYPERVISOR_memory_op, X.XENMEM_populate_physmap, 0x1000)).toBe(2);
  });
});

describe('vcpu_op and timers', () => {
  it('register_vcpu_info once per vCPU; bad vcpuid -ENOENT; page-crossing -EINVAL', () => {
    const { call, dv, xen } = setup(2);
    dv.setBigUint64(0x1000, 0x50n, true);
    dv.setUint32(0x1008, 0x40, true);
    expect(call(X.__HYPERVISOR_vcpu_op, X.VCPUOP_register_vcpu_info, 1, 0x1000)).toBe(0);
    expect(xen.shinfo.registeredGpa(1)).toBe(0x50040);
    expect(call(X.__HYPERVISOR_vcpu_op, X.VCPUOP_register_vcpu_info, 1, 0x1000)).toBe(-X.EBUSY);
    expect(call(X.__HYPERVISOR_vcpu_op, X.VCPUOP_register_vcpu_info, 2, 0x1000)).toBe(-X.ENOENT);
    dv.setUint32(0x1008, 4096 - 32, true);
    expect(call(X.__HYPERVISOR_vcpu_op, X.VCPUOP_register_vcpu_info, 0, 0x1000)).toBe(-X.EINVAL);
    expect(call(X.__HYPERVISOR_vcpu_op, X.VCPUOP_is_up, 0, 0)).toBe(1);
    expect(call(X.__HYPERVISOR_vcpu_op, X.VCPUOP_is_up, 1, 0)).toBe(0);
  });

  it('set_singleshot_timer arms a deadline that raises VIRQ_TIMER; a past deadline fires at once; only for the caller', () => {
    const { call, dv, xen, clock } = setup(2);
    const port = xen.evtchn.bindVirq(X.VIRQ_TIMER, 0);
    clock.ticks = 1_000_000n;
    dv.setBigUint64(0x1000, 3_000_000n, true);
    expect(call(X.__HYPERVISOR_vcpu_op, X.VCPUOP_set_singleshot_timer, 0, 0x1000)).toBe(0);
    expect(xen.nextDeadlineTicks(0)).toBe(3_000_000n);
    xen.runTimers(0);
    expect(xen.shinfo.isPending(port)).toBe(false);
    clock.ticks = 3_000_000n;
    xen.runTimers(0);
    expect(xen.shinfo.isPending(port)).toBe(true);
    expect(xen.nextDeadlineTicks(0)).toBe(null);
    xen.shinfo.clearPending(port);
    dv.setBigUint64(0x1000, 5n, true);
    expect(call(X.__HYPERVISOR_vcpu_op, X.VCPUOP_set_singleshot_timer, 0, 0x1000)).toBe(0);
    expect(xen.shinfo.isPending(port)).toBe(true);
    expect(call(X.__HYPERVISOR_vcpu_op, X.VCPUOP_set_singleshot_timer, 1, 0x1000)).toBe(-X.EINVAL);
    expect(call(X.__HYPERVISOR_vcpu_op, X.VCPUOP_stop_singleshot_timer, 0, 0)).toBe(0);
    expect(call(X.__HYPERVISOR_vcpu_op, X.VCPUOP_stop_periodic_timer, 0, 0)).toBe(0);
    dv.setBigUint64(0x1000, 1000n, true);
    expect(call(X.__HYPERVISOR_vcpu_op, X.VCPUOP_set_periodic_timer, 0, 0x1000)).toBe(-X.EINVAL);
    dv.setBigUint64(0x1000, 4_000_000n, true);
    expect(call(X.__HYPERVISOR_vcpu_op, X.VCPUOP_set_periodic_timer, 0, 0x1000)).toBe(0);
    expect(xen.nextDeadlineTicks(0)).toBe(7_000_000n);
    expect(call(X.__HYPERVISOR_set_timer_op, 6_000_000)).toBe(0);
    expect(xen.nextDeadlineTicks(0)).toBe(6_000_000n);
  });
});

describe('sched_op block and poll', () => {
  it('block sleeps until an event for the vCPU; poll returns at once for a pending port, else blocks until it', () => {
    const { call, dv, xen } = setup();
    const ipi = xen.evtchn.bindIpi(0);
    const other = xen.evtchn.bindIpi(0);
    expect(call(X.__HYPERVISOR_sched_op, X.SCHEDOP_block, 0)).toBe(0);
    expect(xen.isBlocked(0)).toBe(true);
    xen.evtchn.send(ipi);
    expect(xen.isBlocked(0)).toBe(false);
    // poll on a masked port: masked events do not set upcall_pending but still wake the poller
    xen.shinfo.clearPending(ipi);
    xen.shinfo.setMask(other);
    dv.setUint32(0x2000, other, true);
    dv.setBigUint64(0x1000, 0x2000n, true);
    dv.setUint32(0x1008, 1, true);
    dv.setBigUint64(0x1010, 0n, true);
    // upcall_pending is still set from the IPI above: poll returns (spurious wake is fine)
    expect(call(X.__HYPERVISOR_sched_op, X.SCHEDOP_poll, 0x1000)).toBe(0);
    expect(xen.isBlocked(0)).toBe(false);
    xen.shinfo.clearUpcallPending(0); // what the guest's handler does
    expect(call(X.__HYPERVISOR_sched_op, X.SCHEDOP_poll, 0x1000)).toBe(0);
    expect(xen.isBlocked(0)).toBe(true);
    xen.evtchn.send(other);
    expect(xen.isBlocked(0)).toBe(false);
    dv.setUint32(0x1008, 129, true);
    expect(call(X.__HYPERVISOR_sched_op, X.SCHEDOP_poll, 0x1000)).toBe(-X.EINVAL);
  });
});

describe('wild pointers get -EFAULT, never a host exception', () => {
  const pointerCalls: Array<[string, number, (p: bigint) => Array<number | bigint>]> = [
    ['memory_op add_to_physmap', X.__HYPERVISOR_memory_op, (p) => [X.XENMEM_add_to_physmap, p]],
    ['memory_op memory_map', X.__HYPERVISOR_memory_op, (p) => [X.XENMEM_memory_map, p]],
    ['memory_op decrease_reservation', X.__HYPERVISOR_memory_op, (p) => [X.XENMEM_decrease_reservation, p]],
    ['hvm_op set_param', X.__HYPERVISOR_hvm_op, (p) => [X.HVMOP_set_param, p]],
    ['hvm_op get_param', X.__HYPERVISOR_hvm_op, (p) => [X.HVMOP_get_param, p]],
    ['vcpu_op register_vcpu_info', X.__HYPERVISOR_vcpu_op, (p) => [X.VCPUOP_register_vcpu_info, 0, p]],
    ['vcpu_op register_runstate', X.__HYPERVISOR_vcpu_op, (p) => [X.VCPUOP_register_runstate_memory_area, 0, p]],
    ['vcpu_op set_singleshot_timer', X.__HYPERVISOR_vcpu_op, (p) => [X.VCPUOP_set_singleshot_timer, 0, p]],
    ['vcpu_op set_periodic_timer', X.__HYPERVISOR_vcpu_op, (p) => [X.VCPUOP_set_periodic_timer, 0, p]],
    ['sched_op poll', X.__HYPERVISOR_sched_op, (p) => [X.SCHEDOP_poll, p]],
    ['sched_op shutdown', X.__HYPERVISOR_sched_op, (p) => [X.SCHEDOP_shutdown, p]],
    ...[X.EVTCHNOP_bind_virq, X.EVTCHNOP_bind_ipi, X.EVTCHNOP_send, X.EVTCHNOP_close, X.EVTCHNOP_unmask, X.EVTCHNOP_status, X.EVTCHNOP_alloc_unbound, X.EVTCHNOP_bind_interdomain, X.EVTCHNOP_bind_vcpu].map(
      (cmd) => [`event_channel_op ${cmd}`, X.__HYPERVISOR_event_channel_op, (p: bigint) => [cmd, p]] as [string, number, (p: bigint) => Array<number | bigint>],
    ),
  ];
  it.each(pointerCalls)('%s', (_name, nr, args) => {
    const { call } = setup();
    for (const p of WILD) expect(call(nr, ...args(p))).toBe(-X.EFAULT);
  });

  it('a valid struct pointing at a wild buffer also faults (memory_map buffer, poll port list)', () => {
    const { call, dv } = setup();
    dv.setUint32(0x1000, 4, true);
    dv.setBigUint64(0x1008, 0xdead000000n, true);
    expect(call(X.__HYPERVISOR_memory_op, X.XENMEM_memory_map, 0x1000)).toBe(-X.EFAULT);
    dv.setBigUint64(0x1000, 0xdead000000n, true);
    dv.setUint32(0x1008, 2, true);
    expect(call(X.__HYPERVISOR_sched_op, X.SCHEDOP_poll, 0x1000)).toBe(-X.EFAULT);
  });
});
