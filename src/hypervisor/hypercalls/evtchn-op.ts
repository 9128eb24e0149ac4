// event_channel_op (32): args (cmd, arg). docs/pvh-abi.md §4.5; the state machine is ../evtchn.ts.
// Each handler reads its struct from the guest (-EFAULT if it cannot), calls the state machine and
// writes the OUT fields back.

import type { HypercallContext, HypercallHandler } from './context.ts';
import { EFAULT } from './xen-abi.ts';

/** Reads `size` bytes at args[1], runs `op`, writes the (possibly updated) struct back when op says so. */
function withStruct(size: number, op: (ctx: HypercallContext, dv: DataView) => { rc: number; writeBack?: boolean }): HypercallHandler {
  return (ctx, args) => {
    const b = ctx.mem.copyFromGuest(ctx.vcpu, args[1], size);
    if (!b) return -EFAULT;
    const r = op(ctx, new DataView(b.buffer));
    if (r.writeBack && !ctx.mem.copyToGuest(ctx.vcpu, args[1], b)) return -EFAULT;
    return r.rc;
  };
}

/** Result of an allocating call: a port (> 0) goes to the OUT field at `off`, errors are returned. */
function portOut(dv: DataView, off: number, port: number) {
  if (port < 0) return { rc: port };
  dv.setUint32(off, port, true);
  return { rc: 0, writeBack: true };
}

/** EVTCHNOP_bind_virq {u32 virq @0; u32 vcpu @4; u32 port @8 (out)} */
export const evtchnBindVirq = withStruct(12, (ctx, dv) => portOut(dv, 8, ctx.xen.evtchn.bindVirq(dv.getUint32(0, true), dv.getUint32(4, true))));

/** EVTCHNOP_bind_ipi {u32 vcpu @0; u32 port @4 (out)} */
export const evtchnBindIpi = withStruct(8, (ctx, dv) => portOut(dv, 4, ctx.xen.evtchn.bindIpi(dv.getUint32(0, true))));

/** EVTCHNOP_alloc_unbound {u16 dom @0; u16 remote_dom @2; u32 port @4 (out)} */
export const evtchnAllocUnbound = withStruct(8, (ctx, dv) =>
  portOut(dv, 4, ctx.xen.evtchn.allocUnbound(dv.getUint16(0, true), dv.getUint16(2, true))),
);

/** EVTCHNOP_bind_interdomain {u16 remote_dom @0; u32 remote_port @4; u32 local_port @8 (out)} */
export const evtchnBindInterdomain = withStruct(12, (ctx, dv) =>
  portOut(dv, 8, ctx.xen.evtchn.bindInterdomain(dv.getUint16(0, true), dv.getUint32(4, true))),
);

/** EVTCHNOP_send {u32 port} */
export const evtchnSend = withStruct(4, (ctx, dv) => ({ rc: ctx.xen.evtchn.send(dv.getUint32(0, true)) }));

/** EVTCHNOP_close {u32 port} */
export const evtchnClose = withStruct(4, (ctx, dv) => ({ rc: ctx.xen.evtchn.close(dv.getUint32(0, true)) }));

/** EVTCHNOP_unmask {u32 port} */
export const evtchnUnmask = withStruct(4, (ctx, dv) => ({ rc: ctx.xen.evtchn.unmask(dv.getUint32(0, true)) }));

/** EVTCHNOP_bind_vcpu {u32 port @0; u32 vcpu @4} */
export const evtchnBindVcpu = withStruct(8, (ctx, dv) => ({ rc: ctx.xen.evtchn.bindVcpu(dv.getUint32(0, true), dv.getUint32(4, true)) }));

/**
 * EVTCHNOP_status {u16 dom @0; u32 port @4; u32 status @8 (out); u32 vcpu @12 (out); union u @16 (out):
 * unbound {u16 dom}, interdomain {u16 dom @16; u32 port @20}, virq u32 @16}
 */
export const evtchnStatus = withStruct(24, (ctx, dv) => {
  const s = ctx.xen.evtchn.status(dv.getUint16(0, true), dv.getUint32(4, true));
  if (typeof s === 'number') return { rc: s };
  dv.setUint32(8, s.status, true);
  dv.setUint32(12, s.vcpu, true);
  dv.setBigUint64(16, 0n, true);
  if (s.virq !== undefined) dv.setUint32(16, s.virq, true);
  if (s.dom !== undefined) dv.setUint16(16, s.dom, true);
  if (s.port !== undefined) dv.setUint32(20, s.port, true);
  return { rc: 0, writeBack: true };
});
