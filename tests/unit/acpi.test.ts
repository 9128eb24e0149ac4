// ACPI tables (docs/pvh-abi.md §6.7): byte layouts and checksums of RSDP, XSDT, FADT, DSDT, MADT, and
// that the loader puts them in the reserved region start_info points at.
import { describe, expect, it } from 'vitest';
import * as A from '../../src/hypervisor/acpi.ts';

const sum = (b: Uint8Array) => b.reduce((a, x) => (a + x) & 0xff, 0);
const str = (b: Uint8Array, off: number, n: number) => String.fromCharCode(...b.subarray(off, off + n));

describe('ACPI tables', () => {
  const base = 0x0fff0000;
  const t = A.buildAcpiTables({ base, apicIds: [0, 1, 2] });
  const at = (gpa: number, n: number) => t.bytes.subarray(gpa - base, gpa - base + n);
  const dvAt = (gpa: number) => new DataView(t.bytes.buffer, gpa - base);

  it('RSDP v2: signature, both checksums, XSDT pointer, no RSDT', () => {
    const r = at(t.rsdp, 36);
    expect(t.rsdp).toBe(base);
    expect(str(r, 0, 8)).toBe('RSD PTR ');
    expect(sum(r.subarray(0, 20))).toBe(0);
    expect(sum(r)).toBe(0);
    const dv = dvAt(t.rsdp);
    expect(dv.getUint8(15)).toBe(2);
    expect(dv.getUint32(16, true)).toBe(0);
    expect(dv.getUint32(20, true)).toBe(36);
    expect(dv.getBigUint64(24, true)).toBe(BigInt(t.xsdt));
    expect(str(r, 9, 6)).toBe('WEBPVH');
  });

  it('XSDT lists FADT and MADT', () => {
    const dv = dvAt(t.xsdt);
    const len = dv.getUint32(4, true);
    expect(str(at(t.xsdt, 4), 0, 4)).toBe('XSDT');
    expect(len).toBe(36 + 16);
    expect(sum(at(t.xsdt, len))).toBe(0);
    expect([dv.getBigUint64(36, true), dv.getBigUint64(44, true)]).toEqual([BigInt(t.fadt), BigInt(t.madt)]);
  });

  it('FADT rev 6: HW-reduced, DSDT and X_DSDT, boot flags, sleep registers in I/O space', () => {
    const dv = dvAt(t.fadt);
    expect(str(at(t.fadt, 4), 0, 4)).toBe('FACP');
    expect(dv.getUint32(4, true)).toBe(276);
    expect(dv.getUint8(8)).toBe(6);
    expect(sum(at(t.fadt, 276))).toBe(0);
    expect(dv.getUint32(A.FADT_DSDT, true)).toBe(t.dsdt);
    expect(dv.getBigUint64(A.FADT_X_DSDT, true)).toBe(BigInt(t.dsdt));
    expect(dv.getUint32(A.FADT_FLAGS, true)).toBe(1 << 20);
    expect(dv.getUint16(A.FADT_BOOT_FLAGS, true)).toBe((1 << 2) | (1 << 5));
    expect(dv.getUint32(A.FADT_FACS, true)).toBe(0);
    // GAS: space SystemIO, 8 bits, byte access, port
    expect([dv.getUint8(244), dv.getUint8(245), dv.getUint8(247), dv.getBigUint64(248, true)]).toEqual([1, 8, 1, BigInt(A.ACPI_SLEEP_CONTROL_PORT)]);
    expect([dv.getUint8(256), dv.getBigUint64(260, true)]).toEqual([1, BigInt(A.ACPI_SLEEP_STATUS_PORT)]);
  });

  it('DSDT: header + the \\_S5 package', () => {
    const dv = dvAt(t.dsdt);
    const len = dv.getUint32(4, true);
    expect(str(at(t.dsdt, 4), 0, 4)).toBe('DSDT');
    expect(len).toBe(36 + 12);
    expect(sum(at(t.dsdt, len))).toBe(0);
    expect(Array.from(at(t.dsdt + 36, 12))).toEqual([0x08, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x06, 0x02, 0x0a, 5, 0x0a, 5]);
  });

  it('MADT: LAPIC address, no PCAT_COMPAT, one enabled type-0 entry per vCPU (UID = vcpu id)', () => {
    const dv = dvAt(t.madt);
    const len = dv.getUint32(4, true);
    expect(str(at(t.madt, 4), 0, 4)).toBe('APIC');
    expect(len).toBe(44 + 3 * 8);
    expect(sum(at(t.madt, len))).toBe(0);
    expect(dv.getUint32(36, true)).toBe(0xfee00000);
    expect(dv.getUint32(40, true)).toBe(0);
    for (let i = 0; i < 3; i++) {
      expect(Array.from(at(t.madt + 44 + i * 8, 8))).toEqual([0, 8, i, i, 1, 0, 0, 0]);
    }
  });

  it('tables do not overlap and are 16-byte aligned', () => {
    const starts = [t.rsdp, t.xsdt, t.fadt, t.dsdt, t.madt];
    for (const s of starts) expect(s % 16).toBe(0);
    expect(t.xsdt).toBeGreaterThanOrEqual(t.rsdp + 36);
    expect(t.fadt).toBeGreaterThanOrEqual(t.xsdt + 52);
    expect(t.dsdt).toBeGreaterThanOrEqual(t.fadt + 276);
    expect(t.madt).toBeGreaterThanOrEqual(t.dsdt + 48);
  });

  it('the checksum helper makes any table sum to zero', () => {
    const b = new Uint8Array([1, 2, 3, 250, 0]);
    b[4] = A.acpiChecksum(b);
    expect(sum(b)).toBe(0);
  });
});
