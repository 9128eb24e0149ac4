// THE hypercall table: every hypercall we answer, its Xen number and name, and either the allow-list
// of its sub-operations (selected by arg1) or one handler for calls without sub-ops. A row (or sub-op)
// may instead be a documented refusal: `refuse` is the errno returned, as Xen (or docs/pvh-abi.md §4)
// says a PVH domU gets. Anything not listed is refused with -ENOSYS. Every refusal is counted by name.
// validateTable() checks the table's own consistency (unique numbers, names and sub-ops).

import { consoleRead, consoleWrite } from './console-io.ts';
import type { HypercallHandler } from './context.ts';
import {
  evtchnAllocUnbound,
  evtchnBindInterdomain,
  evtchnBindIpi,
  evtchnBindVcpu,
  evtchnBindVirq,
  evtchnClose,
  evtchnSend,
  evtchnStatus,
  evtchnUnmask,
} from './evtchn-op.ts';
import { hvmGetParam, hvmSetParam } from './hvm-op.ts';
import { memoryAddToPhysmap, memoryDecreaseReservation, memoryMemoryMap, memoryPopulatePhysmap } from './memory-op.ts';
import { schedBlock, schedPoll, schedShutdown, schedYield, setTimerOp, vmAssist } from './sched-op.ts';
import {
  vcpuDown,
  vcpuInitialise,
  vcpuIsUp,
  vcpuRegisterRunstate,
  vcpuRegisterVcpuInfo,
  vcpuSetPeriodic,
  vcpuSetSingleshot,
  vcpuStopPeriodic,
  vcpuStopSingleshot,
  vcpuUp,
} from './vcpu-op.ts';
import { versionExtraversion, versionGetFeatures, versionVersion } from './xen-version.ts';
import * as X from './xen-abi.ts';

export type SubOp = { cmd: number; name: string } & ({ handler: HypercallHandler } | { refuse: number });

export interface HypercallDef {
  nr: number;
  name: string;
  /** Number of argument registers the hypercall uses. */
  args: number;
  /** Allowed sub-operations, selected by arg1 (masked with cmdMask). */
  subops?: readonly SubOp[];
  /** Bits of arg1 that select the sub-op (memory_op keeps a continuation index above them). */
  cmdMask?: number;
  /** Handler of a call without sub-ops. */
  handler?: HypercallHandler;
  /** The whole hypercall is refused with this errno. */
  refuse?: number;
}

const refuse = (cmd: number, name: string, errno: number): SubOp => ({ cmd, name, refuse: errno });

export const HYPERCALLS: readonly HypercallDef[] = [
  // platform_op: dom0 only (firmware info, time sync).
  { nr: X.__HYPERVISOR_platform_op, name: 'platform_op', args: 1, refuse: X.EPERM },
  {
    nr: X.__HYPERVISOR_memory_op,
    name: 'memory_op',
    args: 2,
    cmdMask: 0x3f, // MEMOP_CMD_MASK
    subops: [
      { cmd: X.XENMEM_decrease_reservation, name: 'XENMEM_decrease_reservation', handler: memoryDecreaseReservation },
      { cmd: X.XENMEM_populate_physmap, name: 'XENMEM_populate_physmap', handler: memoryPopulatePhysmap },
      { cmd: X.XENMEM_add_to_physmap, name: 'XENMEM_add_to_physmap', handler: memoryAddToPhysmap },
      { cmd: X.XENMEM_memory_map, name: 'XENMEM_memory_map', handler: memoryMemoryMap },
    ],
  },
  // multicall: PV only.
  { nr: X.__HYPERVISOR_multicall, name: 'multicall', args: 2, refuse: X.ENOSYS },
  { nr: X.__HYPERVISOR_set_timer_op, name: 'set_timer_op', args: 1, handler: setTimerOp },
  {
    nr: X.__HYPERVISOR_xen_version,
    name: 'xen_version',
    args: 2,
    subops: [
      { cmd: X.XENVER_version, name: 'XENVER_version', handler: versionVersion },
      { cmd: X.XENVER_extraversion, name: 'XENVER_extraversion', handler: versionExtraversion },
      { cmd: X.XENVER_get_features, name: 'XENVER_get_features', handler: versionGetFeatures },
    ],
  },
  {
    nr: X.__HYPERVISOR_console_io,
    name: 'console_io',
    args: 3,
    subops: [
      { cmd: X.CONSOLEIO_write, name: 'CONSOLEIO_write', handler: consoleWrite },
      { cmd: X.CONSOLEIO_read, name: 'CONSOLEIO_read', handler: consoleRead },
    ],
  },
  // grant tables: no PV devices, so none; Linux disables them with a warning (§4.8).
  { nr: X.__HYPERVISOR_grant_table_op, name: 'grant_table_op', args: 3, refuse: X.ENOSYS },
  { nr: X.__HYPERVISOR_vm_assist, name: 'vm_assist', args: 2, handler: vmAssist },
  {
    nr: X.__HYPERVISOR_vcpu_op,
    name: 'vcpu_op',
    args: 3,
    subops: [
      { cmd: X.VCPUOP_is_up, name: 'VCPUOP_is_up', handler: vcpuIsUp },
      { cmd: X.VCPUOP_register_runstate_memory_area, name: 'VCPUOP_register_runstate_memory_area', handler: vcpuRegisterRunstate },
      { cmd: X.VCPUOP_set_periodic_timer, name: 'VCPUOP_set_periodic_timer', handler: vcpuSetPeriodic },
      { cmd: X.VCPUOP_stop_periodic_timer, name: 'VCPUOP_stop_periodic_timer', handler: vcpuStopPeriodic },
      { cmd: X.VCPUOP_set_singleshot_timer, name: 'VCPUOP_set_singleshot_timer', handler: vcpuSetSingleshot },
      { cmd: X.VCPUOP_stop_singleshot_timer, name: 'VCPUOP_stop_singleshot_timer', handler: vcpuStopSingleshot },
      { cmd: X.VCPUOP_register_vcpu_info, name: 'VCPUOP_register_vcpu_info', handler: vcpuRegisterVcpuInfo },
      // Linux starts PVH APs with INIT-SIPI through the LAPIC; these are for guests that use Xen's way.
      { cmd: X.VCPUOP_initialise, name: 'VCPUOP_initialise', handler: vcpuInitialise },
      { cmd: X.VCPUOP_up, name: 'VCPUOP_up', handler: vcpuUp },
      { cmd: X.VCPUOP_down, name: 'VCPUOP_down', handler: vcpuDown },
      // No TSC_STABLE flag in pvclock, so Linux does not need a vDSO time area.
      refuse(X.VCPUOP_register_vcpu_time_memory_area, 'VCPUOP_register_vcpu_time_memory_area', X.ENOSYS),
    ],
  },
  {
    nr: X.__HYPERVISOR_sched_op,
    name: 'sched_op',
    args: 2,
    subops: [
      { cmd: X.SCHEDOP_yield, name: 'SCHEDOP_yield', handler: schedYield },
      { cmd: X.SCHEDOP_block, name: 'SCHEDOP_block', handler: schedBlock },
      { cmd: X.SCHEDOP_shutdown, name: 'SCHEDOP_shutdown', handler: schedShutdown },
      { cmd: X.SCHEDOP_poll, name: 'SCHEDOP_poll', handler: schedPoll },
    ],
  },
  {
    nr: X.__HYPERVISOR_event_channel_op,
    name: 'event_channel_op',
    args: 2,
    subops: [
      { cmd: X.EVTCHNOP_bind_interdomain, name: 'EVTCHNOP_bind_interdomain', handler: evtchnBindInterdomain },
      { cmd: X.EVTCHNOP_bind_virq, name: 'EVTCHNOP_bind_virq', handler: evtchnBindVirq },
      refuse(X.EVTCHNOP_bind_pirq, 'EVTCHNOP_bind_pirq', X.ENOSYS),
      { cmd: X.EVTCHNOP_close, name: 'EVTCHNOP_close', handler: evtchnClose },
      { cmd: X.EVTCHNOP_send, name: 'EVTCHNOP_send', handler: evtchnSend },
      { cmd: X.EVTCHNOP_status, name: 'EVTCHNOP_status', handler: evtchnStatus },
      { cmd: X.EVTCHNOP_alloc_unbound, name: 'EVTCHNOP_alloc_unbound', handler: evtchnAllocUnbound },
      { cmd: X.EVTCHNOP_bind_ipi, name: 'EVTCHNOP_bind_ipi', handler: evtchnBindIpi },
      { cmd: X.EVTCHNOP_bind_vcpu, name: 'EVTCHNOP_bind_vcpu', handler: evtchnBindVcpu },
      { cmd: X.EVTCHNOP_unmask, name: 'EVTCHNOP_unmask', handler: evtchnUnmask },
      refuse(X.EVTCHNOP_reset, 'EVTCHNOP_reset', X.ENOSYS),
      // FIFO event channels refused: Linux falls back to the 2-level ABI (§4.5).
      refuse(X.EVTCHNOP_init_control, 'EVTCHNOP_init_control', X.ENOSYS),
      refuse(X.EVTCHNOP_expand_array, 'EVTCHNOP_expand_array', X.ENOSYS),
      refuse(X.EVTCHNOP_set_priority, 'EVTCHNOP_set_priority', X.ENOSYS),
      refuse(X.EVTCHNOP_reset_cont, 'EVTCHNOP_reset_cont', X.ENOSYS),
    ],
  },
  // physdev_op: no PIRQs without XENFEAT_hvm_pirqs (§4.9).
  { nr: X.__HYPERVISOR_physdev_op, name: 'physdev_op', args: 2, refuse: X.ENOSYS },
  {
    nr: X.__HYPERVISOR_hvm_op,
    name: 'hvm_op',
    args: 2,
    subops: [
      { cmd: X.HVMOP_set_param, name: 'HVMOP_set_param', handler: hvmSetParam },
      { cmd: X.HVMOP_get_param, name: 'HVMOP_get_param', handler: hvmGetParam },
      // Xen with HAP refuses it; success would cost a hypercall per process exit (§4.3).
      refuse(X.HVMOP_pagetable_dying, 'HVMOP_pagetable_dying', X.EINVAL),
      refuse(X.HVMOP_get_mem_type, 'HVMOP_get_mem_type', X.ENOSYS),
      // Not advertised (CPUID 0x40000004 bit 6 clear): the domain-wide callback vector is used.
      refuse(X.HVMOP_set_evtchn_upcall_vector, 'HVMOP_set_evtchn_upcall_vector', X.ENOSYS),
    ],
  },
];

/** Throws if the table has duplicate numbers, names or sub-op commands, or rows without behaviour. */
export function validateTable(table: readonly HypercallDef[]): void {
  const nrs = new Set<number>();
  const names = new Set<string>();
  for (const d of table) {
    if (nrs.has(d.nr)) throw new Error(`hypercall table: number ${d.nr} listed twice`);
    if (names.has(d.name)) throw new Error(`hypercall table: name ${d.name} listed twice`);
    if (d.args < 1 || d.args > 5) throw new Error(`hypercall table: ${d.name} has ${d.args} arguments (1..5)`);
    const kinds = [d.subops !== undefined, d.handler !== undefined, d.refuse !== undefined].filter(Boolean).length;
    if (kinds !== 1) throw new Error(`hypercall table: ${d.name} needs exactly one of subops, handler, refuse`);
    nrs.add(d.nr);
    names.add(d.name);
    const cmds = new Set<number>();
    for (const s of d.subops ?? []) {
      if (cmds.has(s.cmd)) throw new Error(`hypercall table: ${d.name} sub-op ${s.cmd} listed twice`);
      cmds.add(s.cmd);
    }
  }
}
