// vcpu_op (24): args (cmd, vcpuid, arg). docs/pvh-abi.md §4.4. An out-of-range vcpuid is -ENOENT.

import type { HypercallContext, HypercallHandler } from './context.ts';
import {
  EBUSY,
  EFAULT,
  EINVAL,
  ENOENT,
  ENOSYS,
  VCPU_PERIODIC_MIN_NS,
  VCPU_REGISTER_VCPU_INFO_SIZE,
  VCPU_SET_SINGLESHOT_TIMER_SIZE,
} from './xen-abi.ts';
import { VCPU_INFO_SIZE } from '../shared-info.ts';
import { VCPU_HVM_CONTEXT_SIZE } from '../smp.ts';

/** Wraps a handler that needs a valid target vcpuid (args[1]). */
function withVcpu(h: (ctx: HypercallContext, target: number, arg: bigint) => number): HypercallHandler {
  return (ctx, args) => {
    const id = args[1];
    if (id < 0n || id >= BigInt(ctx.xen.vcpus.length)) return -ENOENT;
    return h(ctx, Number(id), args[2]);
  };
}

/** VCPUOP_register_vcpu_info {u64 mfn @0; u32 offset @8; u32 rsvd @12}: once per vCPU. */
export const vcpuRegisterVcpuInfo = withVcpu((ctx, v, arg) => {
  const b = ctx.mem.copyFromGuest(ctx.vcpu, arg, VCPU_REGISTER_VCPU_INFO_SIZE);
  if (!b) return -EFAULT;
  const dv = new DataView(b.buffer);
  const mfn = dv.getBigUint64(0, true);
  const offset = dv.getUint32(8, true);
  if (offset > 4096 - VCPU_INFO_SIZE || offset % 8 !== 0) return -EINVAL;
  const gpa = mfn * 4096n + BigInt(offset);
  if (gpa + BigInt(VCPU_INFO_SIZE) > BigInt(ctx.xen.cfg.layout.usableEnd)) return -EINVAL;
  if (ctx.xen.shinfo.registeredGpa(v) !== null) return -EBUSY;
  ctx.xen.registerVcpuInfo(v, Number(gpa));
  return 0;
});

/** VCPUOP_register_runstate_memory_area {u64 addr}: a guest-linear address of vcpu_runstate_info. */
export const vcpuRegisterRunstate = withVcpu((ctx, v, arg) => {
  const b = ctx.mem.copyFromGuest(ctx.vcpu, arg, 8);
  if (!b) return -EFAULT;
  ctx.xen.registerRunstate(v, new DataView(b.buffer).getBigUint64(0, true), ctx.vcpu);
  return 0;
});

/** VCPUOP_set_singleshot_timer {u64 timeout_abs_ns; u32 flags}: the calling vCPU only. */
export const vcpuSetSingleshot = withVcpu((ctx, v, arg) => {
  if (v !== ctx.vcpu) return -EINVAL;
  const b = ctx.mem.copyFromGuest(ctx.vcpu, arg, VCPU_SET_SINGLESHOT_TIMER_SIZE);
  if (!b) return -EFAULT;
  // VCPU_SSHOTTMR_future is ignored, as by modern Xen: a past deadline fires at once.
  ctx.xen.setSingleshot(v, new DataView(b.buffer).getBigUint64(0, true));
  return 0;
});

export const vcpuStopSingleshot = withVcpu((ctx, v) => {
  if (v !== ctx.vcpu) return -EINVAL;
  ctx.xen.stopSingleshot(v);
  return 0;
});

/** VCPUOP_set_periodic_timer {u64 period_ns}: at least 1 ms. */
export const vcpuSetPeriodic = withVcpu((ctx, v, arg) => {
  const b = ctx.mem.copyFromGuest(ctx.vcpu, arg, 8);
  if (!b) return -EFAULT;
  const period = new DataView(b.buffer).getBigUint64(0, true);
  if (period < VCPU_PERIODIC_MIN_NS) return -EINVAL;
  ctx.xen.setPeriodic(v, period);
  return 0;
});

export const vcpuStopPeriodic = withVcpu((ctx, v) => {
  ctx.xen.stopPeriodic(v);
  return 0;
});

/** VCPUOP_is_up: 1 if the vCPU runs (started by the PVH entry, a SIPI or VCPUOP_up). */
export const vcpuIsUp = withVcpu((ctx, v) => (ctx.xen.online[v] ? 1 : 0));

/** VCPUOP_initialise {struct vcpu_hvm_context}: the start state of a vCPU that is not initialised. */
export const vcpuInitialise = withVcpu((ctx, v, arg) => {
  if (!ctx.smp) return -ENOSYS;
  const b = ctx.mem.copyFromGuest(ctx.vcpu, arg, VCPU_HVM_CONTEXT_SIZE);
  if (!b) return -EFAULT;
  return ctx.smp.initialise(v, b);
});

/** VCPUOP_up: start an initialised vCPU (-EINVAL if it has no start state). */
export const vcpuUp = withVcpu((ctx, v) => (ctx.smp ? ctx.smp.up(v) : -ENOSYS));

/** VCPUOP_down: stop a vCPU where it is (any vCPU, itself included; not the last running one). */
export const vcpuDown = withVcpu((ctx, v) => (ctx.smp ? ctx.smp.down(v) : -ENOSYS));
