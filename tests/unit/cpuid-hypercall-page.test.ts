// Xen CPUID leaves and the hypercall page contents / MSR value decoding.
import { describe, expect, it } from 'vitest';
import { xenCpuid } from '../../src/hypervisor/cpuid-xen.ts';
import { buildHypercallPage, hypercallPageGpa } from '../../src/hypervisor/hypercall-page.ts';

const ctx = { vcpuId: 3, tscKhz: 1_234_567 };
const ascii = (...regs: number[]) => Buffer.concat(regs.map((r) => { const b = Buffer.alloc(4); b.writeUInt32LE(r >>> 0); return b; })).toString('latin1');

describe('Xen CPUID leaves', () => {
  it('0x40000000: max leaf and "XenVMMXenVMM" (Linux needs max - base >= 2)', () => {
    const [a, b, c, d] = xenCpuid(0x40000000, 0, ctx);
    expect(a).toBe(0x40000005);
    expect(ascii(b, c, d)).toBe('XenVMMXenVMM');
  });
  it('0x40000001..4', () => {
    expect(xenCpuid(0x40000001, 0, ctx)).toEqual([0x00040011, 0, 0, 0]);
    expect(xenCpuid(0x40000002, 0, ctx)).toEqual([1, 0x40000000, 0, 0]);
    expect(xenCpuid(0x40000003, 0, ctx)).toEqual([0, 0, 1_234_567, 0]);
    expect(xenCpuid(0x40000004, 0, ctx)).toEqual([1 << 3, 3, 0, 0]);
  });
  it('other 0x4000xxxx leaves are zero (no second hypervisor signature)', () => {
    for (const leaf of [0x40000005, 0x40000006, 0x40000100, 0x4000ff00]) expect(xenCpuid(leaf, 0, ctx)).toEqual([0, 0, 0, 0]);
  });
});

describe('hypercall page', () => {
  it('128 stubs of mov eax,i; vmcall/vmmcall; ret; stub 23 is ud2; 0xCC elsewhere', () => {
    const intel = buildHypercallPage(false);
    expect(Array.from(intel.subarray(18 * 32, 18 * 32 + 10))).toEqual([0xb8, 18, 0, 0, 0, 0x0f, 0x01, 0xc1, 0xc3, 0xcc]);
    expect(Array.from(intel.subarray(127 * 32, 127 * 32 + 9))).toEqual([0xb8, 127, 0, 0, 0, 0x0f, 0x01, 0xc1, 0xc3]);
    expect(Array.from(intel.subarray(23 * 32, 23 * 32 + 3))).toEqual([0x0f, 0x0b, 0xcc]);
    expect(intel[31]).toBe(0xcc);
    const amd = buildHypercallPage(true);
    expect(Array.from(amd.subarray(29 * 32 + 5, 29 * 32 + 9))).toEqual([0x0f, 0x01, 0xd9, 0xc3]);
  });
  it('MSR value: page-aligned gfn inside RAM, else #GP (null)', () => {
    expect(hypercallPageGpa(0x104000n, 16 << 20)).toBe(0x104000);
    expect(hypercallPageGpa(0x104001n, 16 << 20)).toBeNull();
    expect(hypercallPageGpa(BigInt(16 << 20), 16 << 20)).toBeNull();
    expect(hypercallPageGpa(0xffff_ffff_0000_0000n, 16 << 20)).toBeNull();
  });
});
