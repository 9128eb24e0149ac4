// Byte offsets of every Xen structure the hypervisor reads or writes, checked against Xen's public
// headers (Debian libxen-dev, /usr/include/xen) with gcc offsetof/sizeof. Missing gcc or headers is a
// failure, not a skip.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as SI from '../../src/hypervisor/shared-info.ts';
import * as PV from '../../src/hypervisor/pvclock.ts';
import * as CR from '../../src/hypervisor/console-ring.ts';
import * as X from '../../src/hypervisor/hypercalls/xen-abi.ts';

const C = `
#include <stdint.h>
#include <stdio.h>
#include <stddef.h>
#include <xen/xen.h>
#include <xen/memory.h>
#include <xen/vcpu.h>
#include <xen/event_channel.h>
#include <xen/sched.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/io/console.h>
#define O(t, f) printf(#t "." #f " %zu\\n", offsetof(struct t, f))
#define S(t) printf(#t " %zu\\n", sizeof(struct t))
#define V(n) printf(#n " %lld\\n", (long long)(n))
int main(void) {
  S(shared_info); O(shared_info, vcpu_info); O(shared_info, evtchn_pending); O(shared_info, evtchn_mask);
  O(shared_info, wc_version); O(shared_info, wc_sec); O(shared_info, wc_nsec); O(shared_info, wc_sec_hi); O(shared_info, arch);
  S(vcpu_info); O(vcpu_info, evtchn_upcall_pending); O(vcpu_info, evtchn_upcall_mask); O(vcpu_info, evtchn_pending_sel);
  O(vcpu_info, arch); O(vcpu_info, time);
  S(vcpu_time_info); O(vcpu_time_info, version); O(vcpu_time_info, tsc_timestamp); O(vcpu_time_info, system_time);
  O(vcpu_time_info, tsc_to_system_mul); O(vcpu_time_info, tsc_shift); O(vcpu_time_info, flags);
  S(xencons_interface); O(xencons_interface, in); O(xencons_interface, out); O(xencons_interface, in_cons);
  O(xencons_interface, in_prod); O(xencons_interface, out_cons); O(xencons_interface, out_prod);
  S(xen_add_to_physmap); O(xen_add_to_physmap, domid); O(xen_add_to_physmap, size); O(xen_add_to_physmap, space);
  O(xen_add_to_physmap, idx); O(xen_add_to_physmap, gpfn);
  S(xen_memory_map); O(xen_memory_map, nr_entries); O(xen_memory_map, buffer);
  S(xen_hvm_param); O(xen_hvm_param, domid); O(xen_hvm_param, index); O(xen_hvm_param, value);
  S(vcpu_register_vcpu_info); O(vcpu_register_vcpu_info, mfn); O(vcpu_register_vcpu_info, offset);
  S(vcpu_set_singleshot_timer); O(vcpu_set_singleshot_timer, timeout_abs_ns); O(vcpu_set_singleshot_timer, flags);
  S(vcpu_runstate_info); O(vcpu_runstate_info, state); O(vcpu_runstate_info, state_entry_time); O(vcpu_runstate_info, time);
  S(sched_poll); O(sched_poll, ports); O(sched_poll, nr_ports); O(sched_poll, timeout);
  S(evtchn_bind_virq); O(evtchn_bind_virq, virq); O(evtchn_bind_virq, vcpu); O(evtchn_bind_virq, port);
  S(evtchn_bind_ipi); O(evtchn_bind_ipi, vcpu); O(evtchn_bind_ipi, port);
  S(evtchn_alloc_unbound); O(evtchn_alloc_unbound, dom); O(evtchn_alloc_unbound, remote_dom); O(evtchn_alloc_unbound, port);
  S(evtchn_bind_interdomain); O(evtchn_bind_interdomain, remote_dom); O(evtchn_bind_interdomain, remote_port); O(evtchn_bind_interdomain, local_port);
  S(evtchn_status); O(evtchn_status, dom); O(evtchn_status, port); O(evtchn_status, status); O(evtchn_status, vcpu);
  O(evtchn_status, u.interdomain.dom); O(evtchn_status, u.interdomain.port); O(evtchn_status, u.virq);
  S(evtchn_bind_vcpu); O(evtchn_bind_vcpu, port); O(evtchn_bind_vcpu, vcpu);
  S(evtchn_send);
  V(XEN_LEGACY_MAX_VCPUS); V(DOMID_SELF); V(HVM_NR_PARAMS); V(HVM_PARAM_CALLBACK_IRQ); V(HVM_PARAM_STORE_PFN);
  V(HVM_PARAM_STORE_EVTCHN); V(HVM_PARAM_CONSOLE_PFN); V(HVM_PARAM_CONSOLE_EVTCHN); V(NR_VIRQS);
  V(XENMEM_add_to_physmap); V(XENMEM_memory_map); V(XENMAPSPACE_shared_info); V(XENMAPSPACE_grant_table);
  V(VCPUOP_register_vcpu_info); V(VCPUOP_set_singleshot_timer); V(VCPUOP_register_runstate_memory_area);
  V(EVTCHNOP_init_control); V(EVTCHNOP_unmask); V(SCHEDOP_poll); V(HVMOP_pagetable_dying); V(VMASST_TYPE_runstate_update_flag);
  V(__HYPERVISOR_event_channel_op); V(__HYPERVISOR_hvm_op); V(__HYPERVISOR_vcpu_op); V(__HYPERVISOR_memory_op);
  V(__HYPERVISOR_set_timer_op); V(__HYPERVISOR_vm_assist); V(__HYPERVISOR_physdev_op); V(__HYPERVISOR_platform_op);
  V(__HYPERVISOR_grant_table_op); V(__HYPERVISOR_multicall);
  return 0;
}
`;

let c: Record<string, number> = {};

beforeAll(() => {
  if (spawnSync('gcc', ['--version']).error) throw new Error('gcc is not installed (apt-get install -y gcc)');
  if (!existsSync('/usr/include/xen/xen.h')) throw new Error('/usr/include/xen is missing: install libxen-dev');
  const dir = mkdtempSync(join(tmpdir(), 'webpvh-xenstructs-'));
  writeFileSync(join(dir, 'x.c'), C);
  execFileSync('gcc', ['-Wall', '-Werror', '-D__XEN_INTERFACE_VERSION__=0x00040d00', '-o', join(dir, 'x'), join(dir, 'x.c')]);
  const out = execFileSync(join(dir, 'x'), { encoding: 'utf8' });
  c = Object.fromEntries(out.trim().split('\n').map((l) => { const [k, v] = l.split(' '); return [k, Number(v)]; }));
});

describe("Xen structures match Xen's public headers", () => {
  it('shared_info', () => {
    expect(c['shared_info']).toBe(SI.SHARED_INFO_SIZE);
    expect([c['shared_info.vcpu_info'], c['shared_info.evtchn_pending'], c['shared_info.evtchn_mask']]).toEqual([SI.SHINFO_VCPU_INFO, SI.SHINFO_EVTCHN_PENDING, SI.SHINFO_EVTCHN_MASK]);
    expect([c['shared_info.wc_version'], c['shared_info.wc_sec'], c['shared_info.wc_nsec'], c['shared_info.wc_sec_hi'], c['shared_info.arch']]).toEqual([
      SI.SHINFO_WC_VERSION, SI.SHINFO_WC_SEC, SI.SHINFO_WC_NSEC, SI.SHINFO_WC_SEC_HI, SI.SHINFO_ARCH,
    ]);
    expect(c['XEN_LEGACY_MAX_VCPUS']).toBe(SI.XEN_LEGACY_MAX_VCPUS);
  });

  it('vcpu_info and vcpu_time_info', () => {
    expect(c['vcpu_info']).toBe(SI.VCPU_INFO_SIZE);
    expect([c['vcpu_info.evtchn_upcall_pending'], c['vcpu_info.evtchn_upcall_mask'], c['vcpu_info.evtchn_pending_sel'], c['vcpu_info.arch'], c['vcpu_info.time']]).toEqual([
      SI.VCPUINFO_UPCALL_PENDING, SI.VCPUINFO_UPCALL_MASK, SI.VCPUINFO_PENDING_SEL, SI.VCPUINFO_ARCH, SI.VCPUINFO_TIME,
    ]);
    expect(c['vcpu_time_info']).toBe(PV.VCPU_TIME_INFO_SIZE);
    expect([c['vcpu_time_info.version'], c['vcpu_time_info.tsc_timestamp'], c['vcpu_time_info.system_time'], c['vcpu_time_info.tsc_to_system_mul'], c['vcpu_time_info.tsc_shift'], c['vcpu_time_info.flags']]).toEqual([
      PV.TIME_VERSION, PV.TIME_TSC_TIMESTAMP, PV.TIME_SYSTEM_TIME, PV.TIME_TSC_TO_SYSTEM_MUL, PV.TIME_TSC_SHIFT, PV.TIME_FLAGS,
    ]);
  });

  it('xencons_interface', () => {
    expect([c['xencons_interface.in'], c['xencons_interface.out'], c['xencons_interface.in_cons'], c['xencons_interface.in_prod'], c['xencons_interface.out_cons'], c['xencons_interface.out_prod']]).toEqual([
      CR.XENCONS_IN, CR.XENCONS_OUT, CR.XENCONS_IN_CONS, CR.XENCONS_IN_PROD, CR.XENCONS_OUT_CONS, CR.XENCONS_OUT_PROD,
    ]);
    expect(c['xencons_interface.out'] - c['xencons_interface.in']).toBe(CR.XENCONS_IN_SIZE);
    expect(c['xencons_interface.in_cons'] - c['xencons_interface.out']).toBe(CR.XENCONS_OUT_SIZE);
  });

  it('hypercall argument structs (the offsets the handlers use)', () => {
    expect([c['xen_add_to_physmap'], c['xen_add_to_physmap.domid'], c['xen_add_to_physmap.size'], c['xen_add_to_physmap.space'], c['xen_add_to_physmap.idx'], c['xen_add_to_physmap.gpfn']]).toEqual([X.XEN_ADD_TO_PHYSMAP_SIZE, 0, 2, 4, 8, 16]);
    expect([c['xen_memory_map'], c['xen_memory_map.nr_entries'], c['xen_memory_map.buffer']]).toEqual([X.XEN_MEMORY_MAP_SIZE, 0, 8]);
    expect([c['xen_hvm_param'], c['xen_hvm_param.domid'], c['xen_hvm_param.index'], c['xen_hvm_param.value']]).toEqual([X.XEN_HVM_PARAM_SIZE, 0, 4, 8]);
    expect([c['vcpu_register_vcpu_info'], c['vcpu_register_vcpu_info.mfn'], c['vcpu_register_vcpu_info.offset']]).toEqual([X.VCPU_REGISTER_VCPU_INFO_SIZE, 0, 8]);
    expect([c['vcpu_set_singleshot_timer'], c['vcpu_set_singleshot_timer.timeout_abs_ns'], c['vcpu_set_singleshot_timer.flags']]).toEqual([X.VCPU_SET_SINGLESHOT_TIMER_SIZE, 0, 8]);
    expect([c['vcpu_runstate_info'], c['vcpu_runstate_info.state'], c['vcpu_runstate_info.state_entry_time'], c['vcpu_runstate_info.time']]).toEqual([X.VCPU_RUNSTATE_INFO_SIZE, 0, 8, 16]);
    expect([c['sched_poll'], c['sched_poll.ports'], c['sched_poll.nr_ports'], c['sched_poll.timeout']]).toEqual([X.SCHED_POLL_SIZE, 0, 8, 16]);
    expect([c['evtchn_bind_virq'], c['evtchn_bind_virq.virq'], c['evtchn_bind_virq.vcpu'], c['evtchn_bind_virq.port']]).toEqual([12, 0, 4, 8]);
    expect([c['evtchn_bind_ipi'], c['evtchn_bind_ipi.vcpu'], c['evtchn_bind_ipi.port']]).toEqual([8, 0, 4]);
    expect([c['evtchn_alloc_unbound'], c['evtchn_alloc_unbound.dom'], c['evtchn_alloc_unbound.remote_dom'], c['evtchn_alloc_unbound.port']]).toEqual([8, 0, 2, 4]);
    expect([c['evtchn_bind_interdomain'], c['evtchn_bind_interdomain.remote_dom'], c['evtchn_bind_interdomain.remote_port'], c['evtchn_bind_interdomain.local_port']]).toEqual([12, 0, 4, 8]);
    expect([c['evtchn_status'], c['evtchn_status.dom'], c['evtchn_status.port'], c['evtchn_status.status'], c['evtchn_status.vcpu'], c['evtchn_status.u.interdomain.dom'], c['evtchn_status.u.interdomain.port'], c['evtchn_status.u.virq']]).toEqual([24, 0, 4, 8, 12, 16, 20, 16]);
    expect([c['evtchn_bind_vcpu'], c['evtchn_bind_vcpu.port'], c['evtchn_bind_vcpu.vcpu'], c['evtchn_send']]).toEqual([8, 0, 4, 4]);
  });

  it('numbers', () => {
    const ours: Record<string, number> = {
      DOMID_SELF: X.DOMID_SELF, HVM_NR_PARAMS: X.HVM_NR_PARAMS, HVM_PARAM_CALLBACK_IRQ: X.HVM_PARAM_CALLBACK_IRQ,
      HVM_PARAM_STORE_PFN: X.HVM_PARAM_STORE_PFN, HVM_PARAM_STORE_EVTCHN: X.HVM_PARAM_STORE_EVTCHN,
      HVM_PARAM_CONSOLE_PFN: X.HVM_PARAM_CONSOLE_PFN, HVM_PARAM_CONSOLE_EVTCHN: X.HVM_PARAM_CONSOLE_EVTCHN, NR_VIRQS: X.NR_VIRQS,
      XENMEM_add_to_physmap: X.XENMEM_add_to_physmap, XENMEM_memory_map: X.XENMEM_memory_map,
      XENMAPSPACE_shared_info: X.XENMAPSPACE_shared_info, XENMAPSPACE_grant_table: X.XENMAPSPACE_grant_table,
      VCPUOP_register_vcpu_info: X.VCPUOP_register_vcpu_info, VCPUOP_set_singleshot_timer: X.VCPUOP_set_singleshot_timer,
      VCPUOP_register_runstate_memory_area: X.VCPUOP_register_runstate_memory_area, EVTCHNOP_init_control: X.EVTCHNOP_init_control,
      EVTCHNOP_unmask: X.EVTCHNOP_unmask, SCHEDOP_poll: X.SCHEDOP_poll, HVMOP_pagetable_dying: X.HVMOP_pagetable_dying,
      VMASST_TYPE_runstate_update_flag: X.VMASST_TYPE_runstate_update_flag,
      __HYPERVISOR_event_channel_op: X.__HYPERVISOR_event_channel_op, __HYPERVISOR_hvm_op: X.__HYPERVISOR_hvm_op,
      __HYPERVISOR_vcpu_op: X.__HYPERVISOR_vcpu_op, __HYPERVISOR_memory_op: X.__HYPERVISOR_memory_op,
      __HYPERVISOR_set_timer_op: X.__HYPERVISOR_set_timer_op, __HYPERVISOR_vm_assist: X.__HYPERVISOR_vm_assist,
      __HYPERVISOR_physdev_op: X.__HYPERVISOR_physdev_op, __HYPERVISOR_platform_op: X.__HYPERVISOR_platform_op,
      __HYPERVISOR_grant_table_op: X.__HYPERVISOR_grant_table_op, __HYPERVISOR_multicall: X.__HYPERVISOR_multicall,
    };
    for (const [k, v] of Object.entries(ours)) expect([k, c[k]]).toEqual([k, v]);
  });
});
