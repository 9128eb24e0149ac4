// hvm_op (34): args (cmd, arg). docs/pvh-abi.md §4.3. struct xen_hvm_param {u16 domid @0; u32 index @4; u64 value @8}.

import type { HypercallHandler } from './context.ts';
import {
  DOMID_SELF,
  EFAULT,
  EINVAL,
  EPERM,
  ESRCH,
  HVM_NR_PARAMS,
  HVM_PARAM_CALLBACK_IRQ,
  HVM_PARAM_CALLBACK_TYPE_VECTOR,
  HVM_PARAM_CONSOLE_EVTCHN,
  HVM_PARAM_CONSOLE_PFN,
  HVM_PARAM_STORE_EVTCHN,
  HVM_PARAM_STORE_PFN,
  XEN_DOMID,
  XEN_HVM_PARAM_SIZE,
} from './xen-abi.ts';

/** Params a guest may set (Xen hvm_allow_set_param, the ones that concern a PVH domU). */
export const GUEST_SETTABLE_PARAMS: readonly number[] = [HVM_PARAM_CALLBACK_IRQ, HVM_PARAM_STORE_EVTCHN, HVM_PARAM_CONSOLE_EVTCHN];
/** Params a guest may read (Xen hvm_allow_get_param). */
export const GUEST_READABLE_PARAMS: readonly number[] = [
  HVM_PARAM_CALLBACK_IRQ,
  HVM_PARAM_STORE_PFN,
  HVM_PARAM_STORE_EVTCHN,
  HVM_PARAM_CONSOLE_PFN,
  HVM_PARAM_CONSOLE_EVTCHN,
];

function readParam(ctx: Parameters<HypercallHandler>[0], ptr: bigint) {
  const b = ctx.mem.copyFromGuest(ctx.vcpu, ptr, XEN_HVM_PARAM_SIZE);
  if (!b) return null;
  const dv = new DataView(b.buffer);
  return { b, dv, domid: dv.getUint16(0, true), index: dv.getUint32(4, true), value: dv.getBigUint64(8, true) };
}

export const hvmSetParam: HypercallHandler = (ctx, args) => {
  const p = readParam(ctx, args[1]);
  if (!p) return -EFAULT;
  if (p.domid !== DOMID_SELF && p.domid !== XEN_DOMID) return -ESRCH;
  if (p.index >= HVM_NR_PARAMS) return -EINVAL;
  if (!GUEST_SETTABLE_PARAMS.includes(p.index)) return -EPERM;
  if (p.index === HVM_PARAM_CALLBACK_IRQ && p.value >> 56n === BigInt(HVM_PARAM_CALLBACK_TYPE_VECTOR)) {
    const vector = Number(p.value & 0xffn);
    if (vector < 0x10) return -EINVAL;
  }
  ctx.xen.params[p.index] = p.value;
  // A pending upcall may now be deliverable.
  if (p.index === HVM_PARAM_CALLBACK_IRQ) ctx.xen.wakeBlocked();
  return 0;
};

export const hvmGetParam: HypercallHandler = (ctx, args) => {
  const p = readParam(ctx, args[1]);
  if (!p) return -EFAULT;
  if (p.domid !== DOMID_SELF && p.domid !== XEN_DOMID) return -ESRCH;
  if (p.index >= HVM_NR_PARAMS) return -EINVAL;
  if (!GUEST_READABLE_PARAMS.includes(p.index)) return -EPERM;
  p.dv.setBigUint64(8, ctx.xen.params[p.index], true);
  return ctx.mem.copyToGuest(ctx.vcpu, args[1], p.b) ? 0 : -EFAULT;
};
