// What a hypercall handler may touch: the calling vCPU's view of guest memory, the domain's Xen
// state (domain.ts) and the machine's console and shutdown hooks. Handlers never see the core.

import type { ShutdownReason } from '../../vm/api.ts';
import type { XenDomain } from '../domain.ts';
import type { GuestMemory } from '../guest-memory.ts';
import type { VcpuStartup } from '../smp.ts';

export interface HypercallContext {
  /** Calling vCPU (its paging mode translates pointer arguments). */
  vcpu: number;
  mem: GuestMemory;
  /** The domain's Xen state: event channels, shared_info, timers, params. */
  xen: XenDomain;
  /** vCPU start-up/stop (VCPUOP_initialise/up/down); absent where vCPUs cannot be started. */
  smp?: VcpuStartup;
  console(bytes: Uint8Array): void;
  shutdown(reason: ShutdownReason, detail?: string): void;
}

/**
 * A hypercall (or sub-op) handler. `args` are the raw argument registers (arg1 first), already
 * truncated to 32 bits for 32-bit callers. Returns the value for RAX: >= 0, or -errno.
 */
export type HypercallHandler = (ctx: HypercallContext, args: readonly bigint[]) => number;
