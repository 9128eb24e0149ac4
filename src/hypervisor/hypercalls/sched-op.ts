// sched_op (29): args (cmd, arg). See docs/pvh-abi.md §4.6.

import type { ShutdownReason } from '../../vm/api.ts';
import type { HypercallHandler } from './context.ts';
import {
  EFAULT,
  EINVAL,
  ENOSYS,
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
