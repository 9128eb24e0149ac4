// The 2-level event channel state machine (docs/pvh-abi.md §5.3): bitmaps in shared_info, the
// selector and upcall_pending in vcpu_info, bind/send/close/unmask/status semantics and errors.
import { describe, expect, it } from 'vitest';
import { testDomain } from './helpers/xen-domain.ts';
import * as X from '../../src/hypervisor/hypercalls/xen-abi.ts';
import { SHINFO_EVTCHN_MASK, SHINFO_EVTCHN_PENDING, VCPUINFO_PENDING_SEL } from '../../src/hypervisor/shared-info.ts';

function setup(vcpus = 2) {
  const t = testDomain({ vcpus });
  const e = t.xen.evtchn;
  const si = t.xen.shinfo;
  return { ...t, e, si };
}

describe('event channels: binding', () => {
  it('allocates the lowest free port >= 1 (the console backend holds one)', () => {
    const { e, xen } = setup();
    expect(xen.consolePort).toBe(1);
    expect(e.bindVirq(X.VIRQ_TIMER, 0)).toBe(2);
    expect(e.bindIpi(0)).toBe(3);
    expect(e.bindVirq(X.VIRQ_TIMER, 1)).toBe(4);
    expect(e.close(3)).toBe(0);
    expect(e.bindIpi(1)).toBe(3);
    expect(e.allocated()).toEqual([1, 2, 3, 4]);
  });

  it('bind_virq: -EEXIST for a bound (virq, vcpu), -EINVAL for bad virqs or a global virq off vCPU 0, -ENOENT for bad vCPUs', () => {
    const { e } = setup();
    expect(e.bindVirq(X.VIRQ_TIMER, 0)).toBeGreaterThan(0);
    expect(e.bindVirq(X.VIRQ_TIMER, 0)).toBe(-X.EEXIST);
    expect(e.bindVirq(X.NR_VIRQS, 0)).toBe(-X.EINVAL);
    expect(e.bindVirq(X.VIRQ_CONSOLE, 1)).toBe(-X.EINVAL);
    expect(e.bindVirq(X.VIRQ_CONSOLE, 0)).toBeGreaterThan(0);
    expect(e.bindVirq(X.VIRQ_TIMER, 2)).toBe(-X.ENOENT);
    expect(e.bindIpi(7)).toBe(-X.ENOENT);
  });

  it('status reports each kind; close frees, clears pending and a closed port reports closed', () => {
    const { e, si } = setup();
    const t = e.bindVirq(X.VIRQ_TIMER, 1);
    const ipi = e.bindIpi(1);
    const ub = e.allocUnbound(X.DOMID_SELF, X.DOMID_BACKEND);
    expect(e.status(X.DOMID_SELF, t)).toEqual({ status: X.EVTCHNSTAT_virq, vcpu: 1, virq: X.VIRQ_TIMER });
    expect(e.status(X.DOMID_SELF, ipi)).toEqual({ status: X.EVTCHNSTAT_ipi, vcpu: 1 });
    expect(e.status(X.DOMID_SELF, ub)).toEqual({ status: X.EVTCHNSTAT_unbound, vcpu: 0, dom: 0 });
    expect(e.status(X.DOMID_SELF, 1)).toMatchObject({ status: X.EVTCHNSTAT_interdomain, dom: 0 });
    expect(e.status(5, 1)).toBe(-X.ESRCH);
    si.setMask(ipi);
    e.send(ipi);
    expect(si.isPending(ipi)).toBe(true);
    expect(e.close(ipi)).toBe(0);
    expect(si.isPending(ipi)).toBe(false);
    expect(e.status(X.DOMID_SELF, ipi)).toEqual({ status: X.EVTCHNSTAT_closed, vcpu: 0 });
    expect(e.close(ipi)).toBe(-X.EINVAL);
    expect(e.send(ipi)).toBe(-X.EINVAL);
    expect(e.unmask(999)).toBe(-X.EINVAL);
    // the VIRQ binding is gone with the port: it can be bound again
    expect(e.close(t)).toBe(0);
    expect(e.bindVirq(X.VIRQ_TIMER, 1)).toBeGreaterThan(0);
  });

  it('bind_interdomain: loopback to our own unbound port connects both ends; dom0 and others refused', () => {
    const { e, si } = setup();
    const a = e.allocUnbound(X.DOMID_SELF, X.DOMID_SELF);
    expect(e.bindInterdomain(X.DOMID_BACKEND, a)).toBe(-X.EINVAL);
    expect(e.bindInterdomain(42, a)).toBe(-X.ESRCH);
    expect(e.bindInterdomain(X.DOMID_SELF, 1)).toBe(-X.EINVAL); // the console port is not unbound
    const b = e.bindInterdomain(X.DOMID_SELF, a);
    expect(b).toBeGreaterThan(a);
    expect(e.status(X.DOMID_SELF, a)).toMatchObject({ status: X.EVTCHNSTAT_interdomain, port: b });
    si.clearPending(b);
    expect(e.send(b)).toBe(0);
    expect(si.isPending(a)).toBe(true);
    expect(e.send(e.bindVirq(X.VIRQ_TIMER, 0))).toBe(-X.EINVAL); // sending on a VIRQ port
  });

  it('bind_vcpu moves global ports, not per-vCPU VIRQs or IPIs', () => {
    const { e } = setup();
    const ub = e.allocUnbound(X.DOMID_SELF, 0);
    expect(e.bindVcpu(ub, 1)).toBe(0);
    expect(e.channel(ub)?.vcpu).toBe(1);
    expect(e.bindVcpu(e.bindIpi(0), 1)).toBe(-X.EINVAL);
    expect(e.bindVcpu(e.bindVirq(X.VIRQ_TIMER, 0), 1)).toBe(-X.EINVAL);
    expect(e.bindVcpu(ub, 9)).toBe(-X.ENOENT);
  });
});

describe('event channels: raising (2-level)', () => {
  it('an unmasked port sets pending, the selector bit of its word, upcall_pending, and kicks once', () => {
    const { e, si, kicks, xen } = setup();
    for (let i = 0; i < 70; i++) e.bindIpi(1); // ports 2..71 (word 1 from port 64)
    kicks.length = 0;
    e.send(65);
    expect(si.isPending(65)).toBe(true);
    expect(si.pendingSelector(1)).toBe(1n << 1n);
    expect(si.upcallPending(1)).toBe(true);
    expect(si.upcallPending(0)).toBe(false);
    expect(kicks).toEqual([1]);
    // already pending: nothing more
    e.send(65);
    e.send(66); // same word: selector already set, upcall already pending → no kick
    expect(kicks).toEqual([1]);
    const page = si.snapshot();
    const dv = new DataView(page.buffer);
    expect(dv.getBigUint64(SHINFO_EVTCHN_PENDING + 8, true)).toBe((1n << 1n) | (1n << 2n));
    expect(dv.getBigUint64(1 * 64 + VCPUINFO_PENDING_SEL, true)).toBe(2n);
    expect(xen.counters.upcall).toBe(1);
  });

  it('a masked port only sets pending; unmask then marks the selector and upcall', () => {
    const { e, si, kicks } = setup();
    const p = e.bindIpi(0);
    si.setMask(p);
    kicks.length = 0;
    e.send(p);
    expect(si.isPending(p)).toBe(true);
    expect(si.pendingSelector(0)).toBe(0n);
    expect(si.upcallPending(0)).toBe(false);
    expect(kicks).toEqual([]);
    expect(e.unmask(p)).toBe(0);
    expect(new DataView(si.snapshot().buffer).getBigUint64(SHINFO_EVTCHN_MASK, true)).toBe(0n);
    expect(si.pendingSelector(0)).toBe(1n);
    expect(si.upcallPending(0)).toBe(true);
    expect(kicks).toEqual([0]);
  });

  it('unmask of a port that is not pending, or not masked, marks nothing', () => {
    const { e, si } = setup();
    const p = e.bindIpi(0);
    si.setMask(p);
    e.unmask(p);
    expect(si.upcallPending(0)).toBe(false);
    e.send(p); // unmasked now: normal delivery
    expect(si.upcallPending(0)).toBe(true);
  });

  it('VIRQ_TIMER is raised on the port bound for that vCPU', () => {
    const { e, si } = setup();
    const p0 = e.bindVirq(X.VIRQ_TIMER, 0);
    const p1 = e.bindVirq(X.VIRQ_TIMER, 1);
    expect(e.raiseVirq(1)).toBe(p1);
    expect(si.isPending(p1)).toBe(true);
    expect(si.isPending(p0)).toBe(false);
    expect(si.upcallPending(1)).toBe(true);
    expect(e.raiseVirq(0, X.VIRQ_DEBUG)).toBe(0); // not bound
  });

  it('registering vcpu_info copies it and marks everything pending (Xen map_guest_area)', () => {
    const { xen, si, mem } = setup();
    xen.mapSharedInfo(0x10000);
    expect(si.upcallPending(0)).toBe(false);
    xen.registerVcpuInfo(0, 0x20040);
    expect(si.registeredGpa(0)).toBe(0x20040);
    expect(si.pendingSelector(0)).toBe(0xffffffffffffffffn);
    expect(si.upcallPending(0)).toBe(true);
    expect(mem.ram[0x20040]).toBe(1);
    // time fields are published in the new copy too
    expect(new DataView(mem.ram.buffer).getUint32(0x20040 + 32 + 24, true)).toBe(0x80000000);
  });
});
