// pvclock: the scale between the virtual TSC and guest system time (ns since boot), exactly as the
// guest computes it from struct vcpu_time_info (docs/pvh-abi.md §5.2, §8):
//
//   ns = system_time + ((((tsc - tsc_timestamp) << tsc_shift, or >> -tsc_shift) * tsc_to_system_mul) >> 32)
//
// The hypervisor's own "now" for timer deadlines uses the same formula on the same clock, so a
// deadline never fires early from the guest's point of view.

const U64 = (1n << 64n) - 1n;
const NS_PER_SEC = 1_000_000_000n;

export interface PvclockScale {
  /** 32.32 fixed-point multiplier, in [2^31, 2^32). */
  mul: number;
  /** Signed shift applied to the TSC delta before multiplying (-31..31). */
  shift: number;
}

/**
 * The (mul, shift) pair that turns ticks of a `tscKhz` clock into ns: the smallest shift for which
 * mul = 2^32 * 1e9 / (hz * 2^shift) fits in 32 bits, which keeps mul >= 2^31 (full precision).
 */
export function pvclockScale(tscKhz: number): PvclockScale {
  if (!Number.isInteger(tscKhz) || tscKhz <= 0) throw new RangeError(`TSC frequency ${tscKhz} kHz is not a positive integer`);
  const hz = BigInt(tscKhz) * 1000n;
  for (let shift = -31; shift <= 31; shift++) {
    // mul = (1e9 << 32) / (hz << shift), with negative shifts moved to the numerator
    const num = shift < 0 ? (NS_PER_SEC << 32n) << BigInt(-shift) : NS_PER_SEC << 32n;
    const den = shift < 0 ? hz : hz << BigInt(shift);
    const mul = num / den;
    if (mul < 1n << 32n) return { mul: Number(mul), shift };
  }
  throw new RangeError(`TSC frequency ${tscKhz} kHz is out of pvclock's range`);
}

/** Guest formula: ns for a TSC delta (u64 arithmetic, as the guest does it). */
export function pvclockDeltaNs(delta: bigint, s: PvclockScale): bigint {
  let d = delta & U64;
  d = s.shift < 0 ? d >> BigInt(-s.shift) : (d << BigInt(s.shift)) & U64;
  return (d * BigInt(s.mul)) >> 32n;
}

/** Inverse of pvclockDeltaNs, rounded up: the smallest TSC delta whose ns value is >= `ns`. */
export function pvclockNsToTicks(ns: bigint, s: PvclockScale): bigint {
  if (ns <= 0n) return 0n;
  // shifted delta d' with (d' * mul) >> 32 >= ns  <=>  d' >= ceil((ns << 32) / mul)
  const shifted = ((ns << 32n) + BigInt(s.mul) - 1n) / BigInt(s.mul);
  let t = s.shift < 0 ? shifted << BigInt(-s.shift) : (shifted + (1n << BigInt(s.shift)) - 1n) >> BigInt(s.shift);
  // integer rounding in the shift can leave us one short; step up until the guest formula agrees
  while (pvclockDeltaNs(t, s) < ns) t++;
  return t;
}

/** TSC kHz as Linux derives it back from the scale (pvclock_tsc_khz). */
export function pvclockTscKhz(s: PvclockScale): number {
  let khz = (1_000_000n << 32n) / BigInt(s.mul);
  khz = s.shift < 0 ? khz << BigInt(-s.shift) : khz >> BigInt(s.shift);
  return Number(khz);
}

/** struct vcpu_time_info (32 bytes) field offsets (xen.h). */
export const VCPU_TIME_INFO_SIZE = 32;
export const TIME_VERSION = 0;
export const TIME_TSC_TIMESTAMP = 8;
export const TIME_SYSTEM_TIME = 16;
export const TIME_TSC_TO_SYSTEM_MUL = 24;
export const TIME_TSC_SHIFT = 28;
export const TIME_FLAGS = 29;
export const XEN_PVCLOCK_TSC_STABLE_BIT = 1;

export interface TimeInfo {
  tscTimestamp: bigint;
  systemTimeNs: bigint;
  scale: PvclockScale;
  flags: number;
}

/**
 * Updates a vcpu_time_info at byte `off` of `dv` with the guest's seqcount protocol: version made
 * odd, fields written, version made even again (one step past the old even value).
 */
export function writeTimeInfo(dv: DataView, off: number, t: TimeInfo): void {
  const v = dv.getUint32(off + TIME_VERSION, true);
  const odd = (v | 1) >>> 0;
  dv.setUint32(off + TIME_VERSION, odd, true);
  dv.setBigUint64(off + TIME_TSC_TIMESTAMP, t.tscTimestamp & U64, true);
  dv.setBigUint64(off + TIME_SYSTEM_TIME, t.systemTimeNs & U64, true);
  dv.setUint32(off + TIME_TSC_TO_SYSTEM_MUL, t.scale.mul >>> 0, true);
  dv.setInt8(off + TIME_TSC_SHIFT, t.scale.shift);
  dv.setUint8(off + TIME_FLAGS, t.flags);
  dv.setUint32(off + TIME_VERSION, (odd + 1) >>> 0, true);
}

/** What a guest reading this vcpu_time_info at TSC `tsc` computes (for tests and self-checks). */
export function readGuestTime(dv: DataView, off: number, tsc: bigint): bigint {
  const scale = { mul: dv.getUint32(off + TIME_TSC_TO_SYSTEM_MUL, true), shift: dv.getInt8(off + TIME_TSC_SHIFT) };
  const ts = dv.getBigUint64(off + TIME_TSC_TIMESTAMP, true);
  const sys = dv.getBigUint64(off + TIME_SYSTEM_TIME, true);
  return (sys + pvclockDeltaNs(tsc - ts, scale)) & U64;
}
