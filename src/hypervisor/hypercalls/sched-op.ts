// sched_op (29): args (cmd, arg). See docs/pvh-abi.md §4.6. Also set_timer_op (15) and vm_assist (21),
// which are as small.

import type { ShutdownReason } from '../../vm/api.ts';
import type { HypercallHandler } from './context.ts';
import {
  EFAULT,
  EINVAL,
  ENOSYS,
  EVTCHN_2L_NR_CHANNELS,
  SCHED_POLL_MAX_PORTS,
  SCHED_POLL_SIZE,
  VMASST_CMD_disable,
  VMASST_CMD_enable,
  VMASST_TYPE_runstate_update_flag,
  SHUTDOWN_crash,
  SHUTDOWN_poweroff,
  SHUTDOWN_reboot,
  SHUTDOWN_soft_reset,
  SHUTDOWN_suspend,
  SHUTDOWN_watchdog,
} from './xen-abi.ts';

const SHUTDOWN_REASONS: Record<number, ShutdownReason> = {
  [SHUTDOWN_poweroff]: 'poweroff',
  [SHUTDOWN_reboot]: 'reboot',
  [SHUTDOWN_suspend]: 'suspend',
  [SHUTDOWN_crash]: 'crash',
  [SHUTDOWN_watchdog]: 'watchdog',
};

export const schedYield: HypercallHandler = () => 0;

/** SCHEDOP_shutdown: reads struct sched_shutdown { u32 reason } and stops the machine. */
export const schedShutdown: HypercallHandler = (ctx, args) => {
  const reason = ctx.mem.readU32(ctx.vcpu, args[1]);
  if (reason === null) return -EFAULT;
  const r = SHUTDOWN_REASONS[reason];
  if (r) {
    ctx.shutdown(r, `guest requested SCHEDOP_shutdown reason ${reason} (${r})`);
    return 0;
  }
  // soft_reset needs domain re-creation, which we do not have yet.
  return reason === SHUTDOWN_soft_reset ? -ENOSYS : -EINVAL;
};

/** SCHEDOP_block: the vCPU sleeps until an event or interrupt is pending for it (returns 0 then). */
export const schedBlock: HypercallHandler = (ctx) => {
  ctx.xen.block(ctx.vcpu, { kind: 'blocked' });
  return 0;
};

/**
 * SCHEDOP_poll {u64 ports @0 (linear address of u32[]); u32 nr_ports @8; u64 timeout @16 (absolute
 * system time ns, 0 = none)}: returns at once if a listed port is pending (even masked), else blocks
 * until one is, an event arrives for the vCPU, or the timeout passes.
 */
export const schedPoll: HypercallHandler = (ctx, args) => {
  const b = ctx.mem.copyFromGuest(ctx.vcpu, args[1], SCHED_POLL_SIZE);
  if (!b) return -EFAULT;
  const dv = new DataView(b.buffer);
  const nr = dv.getUint32(8, true);
  if (nr > SCHED_POLL_MAX_PORTS) return -EINVAL;
  const list = ctx.mem.copyFromGuest(ctx.vcpu, dv.getBigUint64(0, true), nr * 4);
  if (!list) return -EFAULT;
  const ldv = new DataView(list.buffer);
  const ports: number[] = [];
  for (let i = 0; i < nr; i++) {
    const p = ldv.getUint32(i * 4, true);
    if (p >= EVTCHN_2L_NR_CHANNELS) return -EINVAL;
    ports.push(p);
  }
  if (ports.some((p) => ctx.xen.shinfo.isPending(p))) return 0;
  const timeout = dv.getBigUint64(16, true);
  if (timeout !== 0n && timeout <= ctx.xen.nowNs(ctx.vcpu)) return 0;
  ctx.xen.block(ctx.vcpu, { kind: 'poll', ports, timeoutNs: timeout === 0n ? null : timeout });
  return 0;
};

/** set_timer_op (15): arg1 = absolute system time ns for the singleshot timer; 0 stops it. */
export const setTimerOp: HypercallHandler = (ctx, args) => {
  const t = args[0];
  if (t === 0n) ctx.xen.stopSingleshot(ctx.vcpu);
  else ctx.xen.setSingleshot(ctx.vcpu, t);
  return 0;
};

/** vm_assist (21): args (cmd, type). Only runstate_update_flag exists for an HVM/PVH domain. */
export const vmAssist: HypercallHandler = (_ctx, args) => {
  const cmd = Number(args[0] & 0xffffffffn);
  const type = Number(args[1] & 0xffffffffn);
  if (cmd !== VMASST_CMD_enable && cmd !== VMASST_CMD_disable) return -EINVAL;
  return type === VMASST_TYPE_runstate_update_flag ? 0 : -EINVAL;
};
