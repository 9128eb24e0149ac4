// Guest memory access: page-by-page translation of guest-linear buffers, bounds against RAM, and
// that a wild pointer yields -EFAULT without the host touching anything outside guest RAM.
import { testDomain } from './helpers/xen-domain.ts';
import { describe, expect, it } from 'vitest';
import { GuestMemory, type TranslateFn } from '../../src/hypervisor/guest-memory.ts';
import { HypercallDispatcher } from '../../src/hypervisor/hypercalls/dispatch.ts';
import type { HypercallContext } from '../../src/hypervisor/hypercalls/context.ts';
import {
  __HYPERVISOR_console_io,
  __HYPERVISOR_xen_version,
  CONSOLEIO_write,
  EFAULT,
  XENVER_extraversion,
} from '../../src/hypervisor/hypercalls/xen-abi.ts';

const RAM = 64 * 1024;
const GUARD = 4096;

/** RAM embedded between two guard areas filled with 0x5A, to catch any access outside it. */
function guardedRam() {
  const whole = new Uint8Array(GUARD + RAM + GUARD).fill(0x5a);
  const ram = whole.subarray(GUARD, GUARD + RAM);
  ram.fill(0);
  const guardsIntact = () => whole.subarray(0, GUARD).every((b) => b === 0x5a) && whole.subarray(GUARD + RAM).every((b) => b === 0x5a);
  return { ram, guardsIntact };
}

/**
 * A fake page table: linear page 0x10 → phys page 3, 0x11 → phys page 7 (not contiguous),
 * 0x12 → phys page 0x100000 (far beyond RAM), 0x13 → read-only phys page 9. Everything else unmapped.
 */
const pages = new Map<bigint, { pfn: bigint; writable: boolean }>([
  [0x10n, { pfn: 3n, writable: true }],
  [0x11n, { pfn: 7n, writable: true }],
  [0x12n, { pfn: 0x100000n, writable: true }],
  [0x13n, { pfn: 9n, writable: false }],
]);
const translate: TranslateFn = (_vcpu, linear, write) => {
  const p = pages.get(linear >> 12n);
  if (!p || (write && !p.writable)) return -1n;
  return (p.pfn << 12n) | (linear & 0xfffn);
};

describe('GuestMemory', () => {
  it('copies a buffer that crosses into a non-contiguous physical page', () => {
    const { ram } = guardedRam();
    const writes: Array<[number, number]> = [];
    const mem = new GuestMemory(ram, translate, (g, l) => writes.push([g, l]));
    const data = new Uint8Array(100).map((_, i) => i + 1);
    expect(mem.copyToGuest(0, 0x10fd0n, data)).toBe(true);
    expect(ram.subarray(0x3fd0, 0x4000)).toEqual(data.subarray(0, 48));
    expect(ram.subarray(0x7000, 0x7000 + 52)).toEqual(data.subarray(48));
    expect(writes).toEqual([[0x3fd0, 48], [0x7000, 52]]);
    expect(mem.copyFromGuest(0, 0x10fd0n, 100)).toEqual(data);
  });

  it('fails on an unmapped page, a page outside RAM, or a write to a read-only page, writing nothing', () => {
    const { ram, guardsIntact } = guardedRam();
    const mem = new GuestMemory(ram, translate);
    expect(mem.copyFromGuest(0, 0x20000n, 4)).toBeNull(); // unmapped
    expect(mem.copyFromGuest(0, 0x11ff0n, 0x20)).toBeNull(); // second page maps beyond RAM
    expect(mem.copyToGuest(0, 0x11ff0n, new Uint8Array(0x20).fill(1))).toBe(false);
    expect(ram.subarray(0x7ff0, 0x8000).every((b) => b === 0)).toBe(true); // first part not written either
    expect(mem.copyToGuest(0, 0x13000n, new Uint8Array([1]))).toBe(false); // read-only
    expect(mem.copyFromGuest(0, 0x13000n, 1)).toEqual(new Uint8Array([0]));
    expect(mem.copyFromGuest(0, 0xfffffffffffffff0n, 0x20)).toBeNull(); // wraps around 2^64
    expect(guardsIntact()).toBe(true);
  });

  it('physical accessors are bounds-checked against RAM', () => {
    const { ram, guardsIntact } = guardedRam();
    const mem = new GuestMemory(ram, translate);
    expect(mem.writePhys(RAM - 2, new Uint8Array(4).fill(7))).toBe(false);
    expect(mem.readPhys(RAM - 2, 4)).toBeNull();
    expect(mem.readPhys(-1, 1)).toBeNull();
    expect(mem.fillPhys(RAM, 1, 9)).toBe(false);
    expect(mem.writePhys(RAM - 4, new Uint8Array(4).fill(7))).toBe(true);
    expect(mem.readPhys(RAM - 4, 4)).toEqual(new Uint8Array(4).fill(7));
    expect(guardsIntact()).toBe(true);
  });
});

describe('hypercalls with wild pointers get -EFAULT', () => {
  it('console_io write from unmapped / beyond-RAM buffers, xen_version into a read-only page', () => {
    const { ram, guardsIntact } = guardedRam();
    const mem = new GuestMemory(ram, translate);
    const printed: Uint8Array[] = [];
    const ctx: HypercallContext = { vcpu: 0, mem, xen: testDomain({ mem }).xen, console: (b) => printed.push(b), shutdown: () => {} };
    const d = new HypercallDispatcher();
    expect(d.call(__HYPERVISOR_console_io, [BigInt(CONSOLEIO_write), 16n, 0xdeadbeef000n], ctx)).toBe(-EFAULT);
    expect(d.call(__HYPERVISOR_console_io, [BigInt(CONSOLEIO_write), 0x40n, 0x11ff0n], ctx)).toBe(-EFAULT);
    expect(d.call(__HYPERVISOR_console_io, [BigInt(CONSOLEIO_write), 0xffffffffn, 0x10000n], ctx)).toBe(-EFAULT);
    expect(d.call(__HYPERVISOR_xen_version, [BigInt(XENVER_extraversion), 0x13000n], ctx)).toBe(-EFAULT);
    expect(printed).toHaveLength(0);
    expect(guardsIntact()).toBe(true);
    ram.set(new TextEncoder().encode('ok\n'), 0x3010);
    expect(d.call(__HYPERVISOR_console_io, [BigInt(CONSOLEIO_write), 3n, 0x10010n], ctx)).toBe(0);
    expect(new TextDecoder().decode(printed[0])).toBe('ok\n');
  });
});
