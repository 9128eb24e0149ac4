// Event channels, 2-level ABI (docs/pvh-abi.md §4.5, §5.3; Xen xen/common/event_channel.c and
// event_2l.c): the port table, binding/closing, and "raise port p", which updates the pending bitmap
// in shared_info, the owning vCPU's selector and evtchn_upcall_pending exactly as Xen does.
//
// Ports: 0 is never valid; allocation hands out the lowest free port. Each port has a notify vCPU.
// Interdomain ports connect either to another port of this domain (loopback) or to a host backend
// (our "dom0": the console and xenstore), whose handler runs when the guest sends on the port.

import type { SharedInfo } from './shared-info.ts';
import {
  DOMID_BACKEND,
  DOMID_SELF,
  EEXIST,
  EINVAL,
  ENOENT,
  ENOSPC,
  ESRCH,
  EVTCHN_2L_NR_CHANNELS,
  EVTCHNSTAT_closed,
  EVTCHNSTAT_interdomain,
  EVTCHNSTAT_ipi,
  EVTCHNSTAT_unbound,
  EVTCHNSTAT_virq,
  NR_VIRQS,
  PER_VCPU_VIRQS,
  VIRQ_TIMER,
  XEN_DOMID,
} from './hypercalls/xen-abi.ts';

export type ChannelState =
  | { kind: 'unbound'; remoteDom: number }
  | { kind: 'interdomain'; remoteDom: number; remotePort: number }
  | { kind: 'virq'; virq: number }
  | { kind: 'ipi' };

interface Channel {
  state: ChannelState;
  /** vCPU notified when the port is raised. */
  vcpu: number;
  /** Host backend end of an interdomain channel to dom0: runs when the guest sends. */
  backend?: () => void;
  name?: string;
}

export interface EvtchnStatus {
  status: number;
  vcpu: number;
  /** union u: unbound {dom}, interdomain {dom, port}, virq. */
  dom?: number;
  port?: number;
  virq?: number;
}

export interface EvtchnHooks {
  /** vCPU v's evtchn_upcall_pending went 0 → 1: deliver the upcall / wake it. */
  upcall(vcpu: number): void;
  /** Port was newly raised for vCPU v (masked or not): wake it if it polls this port. */
  portRaised(vcpu: number, port: number): void;
  /** EVTCHNOP_send on an IPI port that notifies `vcpu` (statistics). */
  ipiSent?(vcpu: number): void;
}

const isSelf = (dom: number) => dom === DOMID_SELF || dom === XEN_DOMID;

export class EventChannels {
  private readonly ports = new Map<number, Channel>();
  /** (vcpu, virq) → port for per-vCPU VIRQs; global VIRQs use vcpu 0. */
  private readonly virqs = new Map<string, number>();

  constructor(
    private readonly shinfo: SharedInfo,
    private readonly nrVcpus: number,
    private readonly hooks: EvtchnHooks,
  ) {}

  private alloc(ch: Channel): number {
    for (let p = 1; p < EVTCHN_2L_NR_CHANNELS; p++) {
      if (!this.ports.has(p)) {
        this.ports.set(p, ch);
        return p;
      }
    }
    return -ENOSPC;
  }

  private validVcpu(v: number): boolean {
    return Number.isInteger(v) && v >= 0 && v < this.nrVcpus;
  }

  channel(port: number): Readonly<Channel> | undefined {
    return this.ports.get(port);
  }

  /** Ports in use, lowest first (tests, debugging). */
  allocated(): number[] {
    return [...this.ports.keys()].sort((a, b) => a - b);
  }

  /** Host side: an interdomain channel between the guest and a backend in "dom0" (console, xenstore). */
  bindBackend(name: string, handler: () => void, vcpu = 0): number {
    return this.alloc({ state: { kind: 'interdomain', remoteDom: DOMID_BACKEND, remotePort: 0 }, vcpu, backend: handler, name });
  }

  /** EVTCHNOP_bind_virq: per-vCPU VIRQs on any vCPU, global ones only on vCPU 0. */
  bindVirq(virq: number, vcpu: number): number {
    if (!Number.isInteger(virq) || virq < 0 || virq >= NR_VIRQS) return -EINVAL;
    if (!this.validVcpu(vcpu)) return -ENOENT;
    if (!PER_VCPU_VIRQS.includes(virq) && vcpu !== 0) return -EINVAL;
    const key = `${vcpu}:${virq}`;
    if (this.virqs.has(key)) return -EEXIST;
    const port = this.alloc({ state: { kind: 'virq', virq }, vcpu });
    if (port > 0) this.virqs.set(key, port);
    return port;
  }

  /** EVTCHNOP_bind_ipi: a port that notifies `vcpu` when any vCPU sends on it. */
  bindIpi(vcpu: number): number {
    if (!this.validVcpu(vcpu)) return -ENOENT;
    return this.alloc({ state: { kind: 'ipi' }, vcpu });
  }

  /** EVTCHNOP_alloc_unbound for (DOMID_SELF, remote_dom): a port waiting for remote_dom to bind. */
  allocUnbound(dom: number, remoteDom: number): number {
    if (!isSelf(dom)) return -ESRCH; // a domU may not allocate in another domain
    const remote = isSelf(remoteDom) ? XEN_DOMID : remoteDom;
    if (remote !== XEN_DOMID && remote !== DOMID_BACKEND) return -ESRCH;
    return this.alloc({ state: { kind: 'unbound', remoteDom: remote }, vcpu: 0 });
  }

  /**
   * EVTCHNOP_bind_interdomain. Only loopback exists: binding to an unbound port of our own domain
   * that accepts us. The backends in dom0 never offer unbound ports, so everything else is refused.
   */
  bindInterdomain(remoteDom: number, remotePort: number): number {
    if (!isSelf(remoteDom)) return remoteDom === DOMID_BACKEND ? -EINVAL : -ESRCH;
    const r = this.ports.get(remotePort);
    if (!r || r.state.kind !== 'unbound' || r.state.remoteDom !== XEN_DOMID) return -EINVAL;
    const local = this.alloc({ state: { kind: 'interdomain', remoteDom: XEN_DOMID, remotePort }, vcpu: 0 });
    if (local < 0) return local;
    r.state = { kind: 'interdomain', remoteDom: XEN_DOMID, remotePort: local };
    // Xen raises the local port so the binder sees the connection.
    this.raise(local);
    return local;
  }

  /** EVTCHNOP_send. */
  send(port: number): number {
    const ch = this.ports.get(port);
    if (!ch) return -EINVAL;
    switch (ch.state.kind) {
      case 'interdomain':
        if (ch.backend) ch.backend();
        else this.raise(ch.state.remotePort);
        return 0;
      case 'ipi':
        this.hooks.ipiSent?.(ch.vcpu);
        this.raise(port);
        return 0;
      case 'unbound':
        return 0; // nobody listening yet: silently dropped, as Xen does
      case 'virq':
        return -EINVAL;
    }
  }

  /** EVTCHNOP_close: frees the port (and the far end's binding for loopback). */
  close(port: number): number {
    const ch = this.ports.get(port);
    if (!ch) return -EINVAL;
    if (ch.state.kind === 'virq') this.virqs.delete(`${PER_VCPU_VIRQS.includes(ch.state.virq) ? ch.vcpu : 0}:${ch.state.virq}`);
    if (ch.state.kind === 'interdomain' && !ch.backend) {
      const peer = this.ports.get(ch.state.remotePort);
      if (peer && peer !== ch) peer.state = { kind: 'unbound', remoteDom: XEN_DOMID };
    }
    this.ports.delete(port);
    // A later binding of this port number must not see a stale event.
    this.shinfo.clearPending(port);
    return 0;
  }

  /** EVTCHNOP_unmask: clear the mask bit; if the port was masked and is pending, mark events pending. */
  unmask(port: number): number {
    const ch = this.ports.get(port);
    if (!ch) return -EINVAL;
    if (this.shinfo.testAndClearMask(port) && this.shinfo.isPending(port)) this.markSelector(ch.vcpu, port);
    return 0;
  }

  /** EVTCHNOP_bind_vcpu: move the notify vCPU (not for per-vCPU VIRQs or IPIs, as in Xen). */
  bindVcpu(port: number, vcpu: number): number {
    const ch = this.ports.get(port);
    if (!ch) return -EINVAL;
    if (!this.validVcpu(vcpu)) return -ENOENT;
    if (ch.state.kind === 'ipi' || (ch.state.kind === 'virq' && PER_VCPU_VIRQS.includes(ch.state.virq))) return -EINVAL;
    ch.vcpu = vcpu;
    return 0;
  }

  /** EVTCHNOP_status for one of our ports (dom must be self). */
  status(dom: number, port: number): EvtchnStatus | number {
    if (!isSelf(dom)) return -ESRCH;
    if (!Number.isInteger(port) || port < 0 || port >= EVTCHN_2L_NR_CHANNELS) return -EINVAL;
    const ch = this.ports.get(port);
    if (!ch) return { status: EVTCHNSTAT_closed, vcpu: 0 };
    switch (ch.state.kind) {
      case 'unbound':
        return { status: EVTCHNSTAT_unbound, vcpu: ch.vcpu, dom: ch.state.remoteDom };
      case 'interdomain':
        return { status: EVTCHNSTAT_interdomain, vcpu: ch.vcpu, dom: ch.state.remoteDom, port: ch.state.remotePort };
      case 'virq':
        return { status: EVTCHNSTAT_virq, vcpu: ch.vcpu, virq: ch.state.virq };
      case 'ipi':
        return { status: EVTCHNSTAT_ipi, vcpu: ch.vcpu };
    }
  }

  /** Raise the port bound to (vcpu, virq), if the guest bound one. Returns the port or 0. */
  raiseVirq(vcpu: number, virq: number = VIRQ_TIMER): number {
    const port = this.virqs.get(`${PER_VCPU_VIRQS.includes(virq) ? vcpu : 0}:${virq}`);
    if (port === undefined) return 0;
    this.raise(port);
    return port;
  }

  /**
   * "Set pending" (Xen evtchn_2l_set_pending): test-and-set the pending bit; if it was clear and the
   * port is not masked, set the selector bit of the notify vCPU and, if that was clear, its
   * upcall_pending. A newly pending port wakes a vCPU polling it even when masked.
   */
  raise(port: number): void {
    const ch = this.ports.get(port);
    if (!ch) return;
    if (this.shinfo.testAndSetPending(port)) return;
    if (!this.shinfo.isMasked(port)) this.markSelector(ch.vcpu, port);
    this.hooks.portRaised(ch.vcpu, port);
  }

  private markSelector(vcpu: number, port: number): void {
    if (this.shinfo.testAndSetSelector(vcpu, port >>> 6)) return;
    if (!this.shinfo.testAndSetUpcallPending(vcpu)) this.hooks.upcall(vcpu);
  }
}
