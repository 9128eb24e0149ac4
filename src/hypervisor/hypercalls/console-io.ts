// console_io (18): args (cmd, count, buffer). CONSOLEIO_write prints the guest buffer on the machine
// console and returns 0; CONSOLEIO_read has no input to give a domU and returns 0 bytes.
//
// Like Xen, a write is copied in bounded chunks: a huge count costs no more host memory than one
// chunk, and a fault part-way returns -EFAULT after the chunks before it were printed.

import type { HypercallHandler } from './context.ts';
import { EFAULT } from './xen-abi.ts';

const CHUNK = 64 * 1024;

export const consoleWrite: HypercallHandler = (ctx, args) => {
  const count = Number(args[1] & 0xffffffffn); // unsigned int count
  for (let done = 0; done < count; ) {
    const n = Math.min(CHUNK, count - done);
    const bytes = ctx.mem.copyFromGuest(ctx.vcpu, args[2] + BigInt(done), n);
    if (!bytes) return -EFAULT;
    ctx.console(bytes);
    done += n;
  }
  return 0;
};

export const consoleRead: HypercallHandler = () => 0;
