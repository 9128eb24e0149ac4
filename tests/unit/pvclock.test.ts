// pvclock math (docs/pvh-abi.md §5.2, §8): the scale we publish, the guest's formula, and what Linux
// derives back from it.
import { describe, expect, it } from 'vitest';
import {
  pvclockDeltaNs,
  pvclockNsToTicks,
  pvclockScale,
  pvclockTscKhz,
  readGuestTime,
  writeTimeInfo,
  TIME_VERSION,
} from '../../src/hypervisor/pvclock.ts';
import { testDomain } from './helpers/xen-domain.ts';

describe('pvclock scale', () => {
  it('1 GHz: shift 1, mul 2^31 (1 ns per tick)', () => {
    expect(pvclockScale(1_000_000)).toEqual({ mul: 0x80000000, shift: 1 });
    expect(pvclockDeltaNs(123456789n, pvclockScale(1_000_000))).toBe(123456789n);
  });

  it.each([1_000, 32_768, 1_000_000, 2_400_000, 3_000_000, 3_999_999, 10_000_000])('%i kHz: mul in [2^31, 2^32), Linux reads the frequency back', (khz) => {
    const s = pvclockScale(khz);
    expect(s.mul).toBeGreaterThanOrEqual(0x80000000);
    expect(s.mul).toBeLessThan(2 ** 32);
    // pvclock_tsc_khz truncates; it may be at most 0.0001% low
    expect(Math.abs(pvclockTscKhz(s) - khz) / khz).toBeLessThan(1e-6);
    // one second of ticks is one second of ns (within truncation)
    const ns = pvclockDeltaNs(BigInt(khz) * 1000n, s);
    expect(Number(ns)).toBeGreaterThan(1e9 - 2);
    expect(Number(ns)).toBeLessThanOrEqual(1e9);
  });

  it('ticks for a deadline are the smallest whose guest time reaches it', () => {
    for (const khz of [1_000_000, 2_400_000, 32_768]) {
      const s = pvclockScale(khz);
      for (const ns of [1n, 999n, 1_000_000n, 123_456_789_012n]) {
        const t = pvclockNsToTicks(ns, s);
        expect(pvclockDeltaNs(t, s)).toBeGreaterThanOrEqual(ns);
        expect(pvclockDeltaNs(t - 1n, s)).toBeLessThan(ns);
      }
    }
    expect(pvclockNsToTicks(0n, pvclockScale(1_000_000))).toBe(0n);
  });

  it('rejects nonsense frequencies', () => {
    expect(() => pvclockScale(0)).toThrow(RangeError);
    expect(() => pvclockScale(1.5)).toThrow(RangeError);
  });
});

describe('vcpu_time_info', () => {
  it('updates leave version even and one step further; the guest formula reads back', () => {
    const dv = new DataView(new ArrayBuffer(64));
    const scale = pvclockScale(2_400_000);
    writeTimeInfo(dv, 32, { tscTimestamp: 1000n, systemTimeNs: 5_000_000n, scale, flags: 0 });
    expect(dv.getUint32(32 + TIME_VERSION, true)).toBe(2);
    writeTimeInfo(dv, 32, { tscTimestamp: 1000n, systemTimeNs: 5_000_000n, scale, flags: 0 });
    expect(dv.getUint32(32 + TIME_VERSION, true)).toBe(4);
    const oneMs = pvclockDeltaNs(2_400_000n, scale);
    expect(oneMs >= 999_999n && oneMs <= 1_000_000n).toBe(true);
    expect(readGuestTime(dv, 32, 1000n + 2_400_000n)).toBe(5_000_000n + oneMs);
  });

  it('the domain publishes time so that guest time == hypervisor time, also after a TSC write', () => {
    const t = testDomain();
    const page = () => new DataView(t.xen.shinfo.snapshot().buffer);
    t.clock.ticks = 5_000_000_000n;
    expect(t.xen.nowNs(0)).toBe(5_000_000_000n);
    expect(readGuestTime(page(), 32, t.clock.ticks + t.clock.offset)).toBe(t.xen.nowNs(0));
    // the guest wrote IA32_TSC: guest TSC = clock + offset
    t.clock.offset = 0xfffffff000000000n;
    t.xen.refreshTimeIfStale(0);
    t.clock.ticks = 7_000_000_123n;
    expect(readGuestTime(page(), 32, (t.clock.ticks + t.clock.offset) & 0xffffffffffffffffn)).toBe(7_000_000_123n);
    // wallclock: Unix time at system time 0
    const dv = page();
    expect(dv.getUint32(3076, true)).toBe(1735689600);
    expect(dv.getUint32(3080, true)).toBe(123_000_000);
    expect(dv.getUint32(3072, true) % 2).toBe(0);
  });
});
