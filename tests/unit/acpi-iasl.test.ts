// The ACPI tables acpi.ts builds, checked by ACPICA's own disassembler (`iasl -d`, Debian acpica-tools):
// every table must disassemble without errors or warnings, the DSDT must be exactly Name (\_S5, …) with
// SLP_TYP 5, and the FADT must decode as hardware-reduced with the sleep registers in I/O space at the
// ports the machine watches. A missing iasl is a failure, not a skip (.ci/run installs acpica-tools).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as A from '../../src/hypervisor/acpi.ts';

const BASE = 0x0fff0000;
const tables = A.buildAcpiTables({ base: BASE, apicIds: [0, 2, 4] });

function table(gpa: number): Uint8Array {
  const len = new DataView(tables.bytes.buffer, gpa - BASE + 4, 4).getUint32(0, true);
  return tables.bytes.slice(gpa - BASE, gpa - BASE + len);
}

/** Runs `iasl -d` on the bytes; returns the .dsl text and iasl's own output. */
function disassemble(name: string, bytes: Uint8Array): { dsl: string; log: string } {
  if (spawnSync('iasl', ['-v']).error) throw new Error('iasl is not installed (apt-get install -y acpica-tools)');
  const dir = mkdtempSync(join(tmpdir(), 'webpvh-iasl-'));
  const dat = join(dir, `${name}.dat`);
  writeFileSync(dat, bytes);
  const r = spawnSync('iasl', ['-d', dat], { cwd: dir, encoding: 'utf8' });
  const log = `${r.stdout}\n${r.stderr}`;
  expect(r.status, log).toBe(0);
  return { dsl: readFileSync(join(dir, `${name}.dsl`), 'utf8'), log };
}

/** iasl's summary lines: "Compilation successful. 0 Errors, 0 Warnings, …" style and inline diagnostics. */
function expectClean(log: string, dsl: string): void {
  expect(log).not.toMatch(/\bError\s+\d{4}|\bWarning\s+\d{4}|Invalid|Unknown/i);
  expect(dsl).not.toMatch(/\*\*\*\*|Invalid|Unknown/i);
}

const field = (dsl: string, name: string) => {
  const m = new RegExp(`(?:\\]|^)\\s+${name.replace(/[()]/g, '\\$&')}\\s*:\\s*(.*)`, 'm').exec(dsl);
  return m?.[1].trim();
};

describe('ACPI tables through iasl -d (ACPICA disassembler)', () => {
  it('DSDT: a clean definition block holding only \\_S5 = Package { 5, 5 }', () => {
    const { dsl, log } = disassemble('dsdt', table(tables.dsdt));
    expectClean(log, dsl);
    expect(dsl).toContain('DefinitionBlock ("", "DSDT", 2, "WEBPVH", "WEBPVH  ", 0x00000001)');
    // The body, with comments and blank lines removed.
    const body = dsl
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/.*$/gm, '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .join(' ');
    expect(body).toMatch(/\{ Name \(_S5, Package \(0x02\) \{ 0x05, 0x05 \}\) \}$/);
    expect(A.ACPI_S5_SLP_TYP).toBe(5);
  });

  it('FACP: revision 6, hardware-reduced, DSDT pointers, sleep control/status registers in I/O space', () => {
    const { dsl, log } = disassemble('facp', table(tables.fadt));
    expectClean(log, dsl);
    expect(field(dsl, 'Revision')).toBe('06');
    expect(field(dsl, 'Hardware Reduced (V5)')).toBe('1');
    expect(field(dsl, 'DSDT Address')).toBe(tables.dsdt.toString(16).toUpperCase().padStart(8, '0'));
    expect(dsl).toMatch(new RegExp(`DSDT Address : 0*${tables.dsdt.toString(16)}`, 'i'));
    // Both sleep registers: SystemIO, 8 bits, byte access, at the ports machine.ts handles.
    for (const [reg, port] of [
      ['Sleep Control Register', A.ACPI_SLEEP_CONTROL_PORT],
      ['Sleep Status Register', A.ACPI_SLEEP_STATUS_PORT],
    ] as const) {
      const at = dsl.indexOf(reg);
      expect(at, reg).toBeGreaterThan(0);
      const block = dsl.slice(at, at + 600);
      expect(block).toMatch(/Space ID : 01 \[SystemIO\]/);
      expect(block).toMatch(/Bit Width : 08/);
      expect(block).toMatch(/Encoded Access Width : 01 \[Byte Access:8\]/);
      expect(block).toMatch(new RegExp(`Address : 0*${port.toString(16)}\\b`, 'i'));
    }
    expect(field(dsl, 'Hypervisor ID')).toBe('65584D4D566E6558'); // "XenVMMXe" as a little-endian u64
  });

  it('APIC (MADT): one enabled local APIC per vCPU, UID = vcpu id, APIC id as given', () => {
    const { dsl, log } = disassemble('apic', table(tables.madt));
    expectClean(log, dsl);
    const uids = [...dsl.matchAll(/Processor ID : ([0-9A-F]+)/g)].map((m) => parseInt(m[1], 16));
    const ids = [...dsl.matchAll(/Local Apic ID : ([0-9A-F]+)/g)].map((m) => parseInt(m[1], 16));
    expect(uids).toEqual([0, 1, 2]);
    expect(ids).toEqual([0, 2, 4]);
    expect([...dsl.matchAll(/Processor Enabled : 1/g)]).toHaveLength(3);
  });

  it('XSDT: points at the FADT and the MADT', () => {
    const { dsl, log } = disassemble('xsdt', table(tables.xsdt));
    expectClean(log, dsl);
    const ptrs = [...dsl.matchAll(/ACPI Table Address\s+\d+ : ([0-9A-F]+)/g)].map((m) => parseInt(m[1], 16));
    expect(ptrs).toEqual([tables.fadt, tables.madt]);
  });
});
