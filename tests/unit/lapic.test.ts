// Local APIC register behaviour (docs/pvh-abi.md §6.4): reset values, TPR/PPR, IRR→ISR→EOI, SVR
// masking, ESR latching, ICR delivery (fixed, NMI, INIT, SIPI, shorthands), x2APIC MSR rules, timer.
import { describe, expect, it } from 'vitest';
import * as A from '../../src/hypervisor/lapic.ts';

function bus(n = 2) {
  let now = 0n;
  const lapics = Array.from({ length: n }, (_, i) => new A.Lapic(i, () => now));
  const nmis: number[] = [];
  const sipis: string[] = [];
  const b = new A.ApicBus(lapics, { nmi: (v) => nmis.push(v), initSipi: (v, k, vec) => sipis.push(`${k}:${v}:${vec}`) });
  return { lapics, b, nmis, sipis, setNow: (t: bigint) => (now = t) };
}
const enable = (l: A.Lapic) => l.write(A.APIC_SPIV, 0x1ff, false);

describe('local APIC', () => {
  it('reset values: ID, version 0x00050014, LVTs masked, SVR 0xFF (disabled), DFR all ones', () => {
    const { lapics } = bus();
    const l = lapics[1];
    expect(l.read(A.APIC_ID, false)).toBe(1 << 24);
    expect(l.read(A.APIC_ID, true)).toBe(1);
    expect(l.read(A.APIC_LVR, false)).toBe(0x00050014);
    for (const r of [A.APIC_LVTT, A.APIC_LVTTHMR, A.APIC_LVTPC, A.APIC_LVT0, A.APIC_LVT1, A.APIC_LVTERR]) expect(l.read(r, false)).toBe(0x10000);
    expect(l.read(A.APIC_SPIV, false)).toBe(0xff);
    expect(l.read(A.APIC_DFR, false) >>> 0).toBe(0xffffffff);
    expect(l.softwareEnabled).toBe(false);
  });

  it('a software-disabled APIC ignores fixed interrupts and forces LVT masks', () => {
    const { lapics } = bus();
    const l = lapics[0];
    l.acceptFixed(0x40);
    expect(l.highestPending()).toBe(-1);
    l.write(A.APIC_LVTT, 0x30, false);
    expect(l.read(A.APIC_LVTT, false)).toBe(0x10030);
    enable(l);
    l.write(A.APIC_LVTT, 0x30, false);
    expect(l.read(A.APIC_LVTT, false)).toBe(0x30);
    l.write(A.APIC_SPIV, 0xff, false); // disabling masks every LVT again
    expect(l.read(A.APIC_LVTT, false)).toBe(0x10030);
  });

  it('IRR → ISR → EOI, priority classes against TPR and in-service vectors', () => {
    const { lapics } = bus();
    const l = lapics[0];
    enable(l);
    l.acceptFixed(0x41);
    l.acceptFixed(0x62);
    expect(l.read(A.APIC_IRR + 0x20, false)).toBe(1 << 1); // 0x41 in IRR word 2
    expect(l.read(A.APIC_IRR + 0x30, false)).toBe(1 << 2); // 0x62 in IRR word 3
    expect(l.highestPending()).toBe(0x62);
    l.ack(0x62);
    expect(l.isrBit(0x62)).toBe(true);
    expect(l.read(A.APIC_PROCPRI, false)).toBe(0x60);
    expect(l.highestPending()).toBe(-1); // 0x41 is a lower class than the in-service 0x62
    l.write(A.APIC_EOI, 0, false);
    expect(l.isrBit(0x62)).toBe(false);
    expect(l.highestPending()).toBe(0x41);
    l.write(A.APIC_TASKPRI, 0x50, false);
    expect(l.read(A.APIC_PROCPRI, false)).toBe(0x50);
    expect(l.highestPending()).toBe(-1); // masked by TPR
    l.write(A.APIC_TASKPRI, 0, false);
    expect(l.highestPending()).toBe(0x41);
  });

  it('ESR latches errors on write; an illegal vector is a send error', () => {
    const { lapics } = bus();
    const l = lapics[0];
    enable(l);
    l.write(A.APIC_ICR, 0x5 | (A.APIC_DEST_SELF << 18), false); // fixed vector 5
    expect(l.read(A.APIC_ESR, false)).toBe(0);
    l.write(A.APIC_ESR, 0, false);
    expect(l.read(A.APIC_ESR, false)).toBe(A.APIC_ESR_SEND_ILLEGAL_VECTOR);
    l.write(A.APIC_ESR, 0, false);
    expect(l.read(A.APIC_ESR, false)).toBe(0);
  });

  it('ICR: fixed IPIs by physical id, self, all-but-self; NMI; INIT/SIPI recorded; delivery status idle', () => {
    const { lapics, nmis, sipis } = bus(3);
    lapics.forEach(enable);
    const [l0, l1, l2] = lapics;
    l0.write(A.APIC_ICR2, 2 << 24, false);
    l0.write(A.APIC_ICR, 0xf8, false);
    expect(l2.irrBit(0xf8)).toBe(true);
    expect(l1.irrBit(0xf8)).toBe(false);
    expect(l0.read(A.APIC_ICR, false) & (1 << 12)).toBe(0);
    l0.write(A.APIC_ICR, 0xf6 | (A.APIC_DEST_SELF << 18), false);
    expect(l0.irrBit(0xf6)).toBe(true);
    l1.write(A.APIC_ICR, 0xf7 | (A.APIC_DEST_ALLBUT << 18), false);
    expect([l0.irrBit(0xf7), l1.irrBit(0xf7), l2.irrBit(0xf7)]).toEqual([true, false, true]);
    l0.write(A.APIC_ICR2, 1 << 24, false);
    l0.write(A.APIC_ICR, A.APIC_DM_NMI << 8, false);
    expect(nmis).toEqual([1]);
    l0.write(A.APIC_ICR, (A.APIC_DM_INIT << 8) | A.APIC_INT_ASSERT | A.APIC_INT_LEVELTRIG, false);
    l0.write(A.APIC_ICR, (A.APIC_DM_INIT << 8) | A.APIC_INT_LEVELTRIG, false);
    l0.write(A.APIC_ICR, (A.APIC_DM_STARTUP << 8) | 0x9a, false);
    expect(sipis).toEqual(['init:1:0', 'init-deassert:1:0', 'startup:1:154']);
  });

  it('logical flat destinations match LDR bits', () => {
    const { lapics } = bus(2);
    lapics.forEach(enable);
    lapics[0].write(A.APIC_LDR, 0x01 << 24, false);
    lapics[1].write(A.APIC_LDR, 0x02 << 24, false);
    lapics[0].write(A.APIC_ICR2, 0x02 << 24, false);
    lapics[0].write(A.APIC_ICR, 0x55 | A.APIC_DEST_LOGICAL, false);
    expect([lapics[0].irrBit(0x55), lapics[1].irrBit(0x55)]).toEqual([false, true]);
  });

  it('x2APIC MSRs: 32-bit ID, derived LDR, 64-bit ICR, SELF_IPI, #GP for reads of write-only and writes of read-only', () => {
    const { lapics } = bus(2);
    lapics.forEach(enable);
    const l = lapics[1];
    expect(l.readMsr(0x802)).toEqual({ ok: true, value: 1n });
    expect(l.readMsr(0x80d)).toEqual({ ok: true, value: BigInt((0 << 16) | (1 << 1)) });
    expect(l.readMsr(0x80b).ok).toBe(false); // EOI is write-only
    expect(l.readMsr(0x83f).ok).toBe(false); // SELF_IPI is write-only
    expect(l.readMsr(0x831).ok).toBe(false); // no ICR2 in x2APIC mode
    expect(l.writeMsr(0x802, 5n)).toBe(false); // ID is read-only
    expect(l.writeMsr(0x80b, 1n)).toBe(false); // EOI must be written with 0
    expect(l.writeMsr(0x808, 1n << 32n)).toBe(false); // reserved high bits
    expect(l.writeMsr(0x830, (0n << 32n) | 0xe1n)).toBe(true);
    expect(lapics[0].irrBit(0xe1)).toBe(true);
    expect(l.readMsr(0x830)).toEqual({ ok: true, value: 0xe1n });
    expect(l.writeMsr(0x83f, 0xe2n)).toBe(true);
    expect(l.irrBit(0xe2)).toBe(true);
    expect(l.writeMsr(0x808, 0x20n)).toBe(true);
    expect(l.readMsr(0x808)).toEqual({ ok: true, value: 0x20n });
  });

  it('timer: one-shot and periodic on the 1 GHz bus with the divider; current count runs down', () => {
    const { lapics, setNow } = bus(1);
    const l = lapics[0];
    enable(l);
    l.write(A.APIC_TDCR, 0x3, false); // divide by 16
    l.write(A.APIC_LVTT, 0xec, false); // one-shot, vector 0xEC
    l.write(A.APIC_TMICT, 1000, false);
    expect(l.nextDeadline()).toBe(16000n);
    setNow(8000n);
    expect(l.read(A.APIC_TMCCT, false)).toBe(500);
    l.tick(15999n);
    expect(l.irrBit(0xec)).toBe(false);
    l.tick(16000n);
    expect(l.irrBit(0xec)).toBe(true);
    expect(l.nextDeadline()).toBe(null);
    setNow(16000n);
    expect(l.read(A.APIC_TMCCT, false)).toBe(0);
    // periodic, divide by 1
    l.write(A.APIC_EOI, 0, false);
    l.ack(0xec);
    l.write(A.APIC_EOI, 0, false);
    l.write(A.APIC_TDCR, 0xb, false);
    l.write(A.APIC_LVTT, 0xed | A.APIC_LVT_TIMER_PERIODIC, false);
    l.write(A.APIC_TMICT, 100, false);
    expect(l.nextDeadline()).toBe(16100n);
    l.tick(16350n);
    expect(l.irrBit(0xed)).toBe(true);
    expect(l.nextDeadline()).toBe(16400n);
    l.write(A.APIC_TMICT, 0, false);
    expect(l.nextDeadline()).toBe(null);
  });
});
