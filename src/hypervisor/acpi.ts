// ACPI tables for a PVH domU (docs/pvh-abi.md §6.2–§6.7), built byte by byte:
//
//   RSDP (rev 2, 36 bytes) → XSDT → { FADT, MADT };  FADT → DSDT (X_DSDT and DSDT)
//
// FADT is revision 6 (276 bytes) with HW_REDUCED_ACPI: Linux then sets up no PIT/HPET/PIC and needs no
// PM1/GPE blocks. Power-off: the DSDT defines \_S5 and the FADT has SLEEP_CONTROL / SLEEP_STATUS
// registers in I/O space; a write with SLP_EN (bit 5) to ACPI_SLEEP_CONTROL_PORT is the guest's ACPI
// power-off (Linux has no PV power-off for PVH). MADT: one enabled Processor Local APIC entry per vCPU,
// ACPI processor UID = Xen vcpu id, APIC id = what CPUID and the LAPIC ID register report.
// Layouts follow ACPICA's actbl*.h (packed); every table's bytes sum to 0.

import { APIC_DEFAULT_PHYS_BASE } from './lapic.ts';

export const ACPI_OEM_ID = 'WEBPVH';
export const ACPI_OEM_TABLE_ID = 'WEBPVH  ';
export const ACPI_CREATOR_ID = 'WPVH';
export const ACPI_HEADER_SIZE = 36;
export const ACPI_RSDP_SIZE = 36;
export const ACPI_FADT_SIZE = 276;
export const ACPI_FADT_REVISION = 6;
export const ACPI_MADT_LAPIC_SIZE = 8;
export const ACPI_MADT_TYPE_LOCAL_APIC = 0;
export const ACPI_MADT_ENABLED = 1;
/** FADT flags */
export const ACPI_FADT_HW_REDUCED = 1 << 20;
/** FADT IAPC_BOOT_ARCH */
export const ACPI_FADT_NO_VGA = 1 << 2;
export const ACPI_FADT_NO_CMOS_RTC = 1 << 5;
/** Generic Address Structure space id */
export const ACPI_ADR_SPACE_SYSTEM_IO = 1;
/** I/O ports of the HW-reduced sleep registers (the PM1a ports of Xen's HVM layout). */
export const ACPI_SLEEP_CONTROL_PORT = 0xb004;
export const ACPI_SLEEP_STATUS_PORT = 0xb000;
/** Sleep control register: SLP_TYP in bits 4:2, SLP_EN bit 5 (ACPI 6 §4.8.3.7). */
export const ACPI_X_SLEEP_TYPE_POSITION = 2;
export const ACPI_X_SLEEP_TYPE_MASK = 0x1c;
export const ACPI_X_SLEEP_ENABLE = 0x20;
/** SLP_TYP value our \_S5 package gives. */
export const ACPI_S5_SLP_TYP = 5;

// FADT field offsets (ACPICA struct acpi_table_fadt)
export const FADT_FACS = 36;
export const FADT_DSDT = 40;
export const FADT_PREFERRED_PROFILE = 45;
export const FADT_BOOT_FLAGS = 109;
export const FADT_FLAGS = 112;
export const FADT_MINOR_REVISION = 131;
export const FADT_X_FACS = 132;
export const FADT_X_DSDT = 140;
export const FADT_SLEEP_CONTROL = 244;
export const FADT_SLEEP_STATUS = 256;
export const FADT_HYPERVISOR_ID = 268;

/**
 * DSDT body (AML): Name (\_S5, Package (0x02) { 0x05, 0x05 }) — SLP_TYPa/SLP_TYPb for power-off.
 *   08 NameOp, "_S5_", 12 PackageOp, PkgLength 06, NumElements 02, 0A 05 (BytePrefix 5) twice.
 */
export const DSDT_AML = new Uint8Array([0x08, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x06, 0x02, 0x0a, ACPI_S5_SLP_TYP, 0x0a, ACPI_S5_SLP_TYP]);

export interface AcpiRequest {
  /** Guest-physical address where the returned bytes will be copied (16-byte aligned). */
  base: number;
  /** APIC id of each vCPU, index = Xen vcpu id (= ACPI processor UID). */
  apicIds: readonly number[];
}

export interface AcpiTables {
  bytes: Uint8Array;
  rsdp: number;
  xsdt: number;
  fadt: number;
  dsdt: number;
  madt: number;
}

const align16 = (n: number) => (n + 15) & ~15;

function ascii(dv: DataView, off: number, s: string, len: number): void {
  for (let i = 0; i < len; i++) dv.setUint8(off + i, i < s.length ? s.charCodeAt(i) : 0x20);
}

/** Value that makes `bytes` sum to 0 mod 256 when stored in a byte that is currently 0. */
export function acpiChecksum(bytes: Uint8Array): number {
  let s = 0;
  for (const b of bytes) s = (s + b) & 0xff;
  return (0x100 - s) & 0xff;
}

function header(sig: string, length: number, revision: number): Uint8Array {
  const t = new Uint8Array(length);
  const dv = new DataView(t.buffer);
  ascii(dv, 0, sig, 4);
  dv.setUint32(4, length, true);
  dv.setUint8(8, revision);
  ascii(dv, 10, ACPI_OEM_ID, 6);
  ascii(dv, 16, ACPI_OEM_TABLE_ID, 8);
  dv.setUint32(24, 1, true); // OEM revision
  ascii(dv, 28, ACPI_CREATOR_ID, 4);
  dv.setUint32(32, 1, true); // creator revision
  return t;
}

function seal(t: Uint8Array): Uint8Array {
  t[9] = 0;
  t[9] = acpiChecksum(t);
  return t;
}

function gas(dv: DataView, off: number, port: number): void {
  dv.setUint8(off, ACPI_ADR_SPACE_SYSTEM_IO);
  dv.setUint8(off + 1, 8); // bit width
  dv.setUint8(off + 2, 0); // bit offset
  dv.setUint8(off + 3, 1); // access size: byte
  dv.setBigUint64(off + 4, BigInt(port), true);
}

export function buildDsdt(): Uint8Array {
  const t = header('DSDT', ACPI_HEADER_SIZE + DSDT_AML.length, 2);
  t.set(DSDT_AML, ACPI_HEADER_SIZE);
  return seal(t);
}

export function buildMadt(apicIds: readonly number[]): Uint8Array {
  const t = header('APIC', 44 + apicIds.length * ACPI_MADT_LAPIC_SIZE, 5);
  const dv = new DataView(t.buffer);
  dv.setUint32(36, APIC_DEFAULT_PHYS_BASE, true);
  dv.setUint32(40, 0, true); // flags: no PCAT_COMPAT (there is no 8259)
  apicIds.forEach((apicId, uid) => {
    const o = 44 + uid * ACPI_MADT_LAPIC_SIZE;
    dv.setUint8(o, ACPI_MADT_TYPE_LOCAL_APIC);
    dv.setUint8(o + 1, ACPI_MADT_LAPIC_SIZE);
    dv.setUint8(o + 2, uid);
    dv.setUint8(o + 3, apicId);
    dv.setUint32(o + 4, ACPI_MADT_ENABLED, true);
  });
  return seal(t);
}

export function buildFadt(dsdt: number): Uint8Array {
  const t = header('FACP', ACPI_FADT_SIZE, ACPI_FADT_REVISION);
  const dv = new DataView(t.buffer);
  dv.setUint32(FADT_DSDT, dsdt, true);
  dv.setUint16(FADT_BOOT_FLAGS, ACPI_FADT_NO_VGA | ACPI_FADT_NO_CMOS_RTC, true);
  dv.setUint32(FADT_FLAGS, ACPI_FADT_HW_REDUCED, true);
  dv.setUint8(FADT_MINOR_REVISION, 0);
  dv.setBigUint64(FADT_X_DSDT, BigInt(dsdt), true);
  gas(dv, FADT_SLEEP_CONTROL, ACPI_SLEEP_CONTROL_PORT);
  gas(dv, FADT_SLEEP_STATUS, ACPI_SLEEP_STATUS_PORT);
  ascii(dv, FADT_HYPERVISOR_ID, 'XenVMMXe', 8);
  return seal(t);
}

export function buildXsdt(entries: readonly number[]): Uint8Array {
  const t = header('XSDT', ACPI_HEADER_SIZE + 8 * entries.length, 1);
  const dv = new DataView(t.buffer);
  entries.forEach((e, i) => dv.setBigUint64(ACPI_HEADER_SIZE + 8 * i, BigInt(e), true));
  return seal(t);
}

export function buildRsdp(xsdt: number): Uint8Array {
  const t = new Uint8Array(ACPI_RSDP_SIZE);
  const dv = new DataView(t.buffer);
  ascii(dv, 0, 'RSD PTR ', 8);
  ascii(dv, 9, ACPI_OEM_ID, 6);
  dv.setUint8(15, 2); // revision: ACPI 2.0+
  dv.setUint32(16, 0, true); // no RSDT
  dv.setUint32(20, ACPI_RSDP_SIZE, true);
  dv.setBigUint64(24, BigInt(xsdt), true);
  t[8] = acpiChecksum(t.subarray(0, 20));
  t[32] = acpiChecksum(t);
  return t;
}

/** All tables, packed 16-byte aligned from `base`: RSDP, XSDT, FADT, DSDT, MADT. */
export function buildAcpiTables(req: AcpiRequest): AcpiTables {
  const dsdtBytes = buildDsdt();
  const madtBytes = buildMadt(req.apicIds);
  const rsdp = req.base;
  const xsdt = rsdp + align16(ACPI_RSDP_SIZE);
  const fadt = xsdt + align16(ACPI_HEADER_SIZE + 16);
  const dsdt = fadt + align16(ACPI_FADT_SIZE);
  const madt = dsdt + align16(dsdtBytes.length);
  const end = madt + madtBytes.length;
  const out = new Uint8Array(end - req.base);
  const put = (gpa: number, b: Uint8Array) => out.set(b, gpa - req.base);
  put(rsdp, buildRsdp(xsdt));
  put(xsdt, buildXsdt([fadt, madt]));
  put(fadt, buildFadt(dsdt));
  put(dsdt, dsdtBytes);
  put(madt, madtBytes);
  return { bytes: out, rsdp, xsdt, fadt, dsdt, madt };
}
