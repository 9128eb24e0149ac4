// console_io (18): args (cmd, count, buffer). CONSOLEIO_write prints the guest buffer on the machine
// console and returns 0; CONSOLEIO_read has no input to give a domU and returns 0 bytes.

import type { HypercallHandler } from './context.ts';
import { EFAULT } from './xen-abi.ts';

export const consoleWrite: HypercallHandler = (ctx, args) => {
  const count = Number(args[1] & 0xffffffffn); // unsigned int count
  const bytes = ctx.mem.copyFromGuest(ctx.vcpu, args[2], count);
  if (!bytes) return -EFAULT;
  if (bytes.byteLength > 0) ctx.console(bytes);
  return 0;
};

export const consoleRead: HypercallHandler = () => 0;
