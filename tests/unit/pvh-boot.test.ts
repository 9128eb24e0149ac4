// Loading a PVH kernel into guest RAM (segments at p_paddr, zero fill, initrd, start_info), the
// guest-physical layout rules, and the vCPU entry state.
import { describe, expect, it } from 'vitest';
import {
  SEG_CS, SEG_DS, SEG_SS, SEG_TR, V_CR0, V_CR4, V_EFER, VCPU_BASE, VCPU_SIZE,
} from '../../wasm/layout.ts';
import { Gpr, VcpuRegs } from '../../src/vm/core.ts';
import { GuestMemory } from '../../src/hypervisor/guest-memory.ts';
import { planGuestLayout, START_INFO_LIMIT } from '../../src/hypervisor/guest-layout.ts';
import { loadPvh, setPvhEntryState } from '../../src/hypervisor/pvh-boot.ts';
import { PT_LOAD, PT_NOTE } from '../../src/hypervisor/elf.ts';
import { XEN_ELFNOTE_PHYS32_ENTRY } from '../../src/hypervisor/pvh-note.ts';
import { buildElf, le, note } from './helpers/elf-builder.ts';

const MiB = 1024 * 1024;

describe('guest layout', () => {
  it('initrd at the first 2 MiB boundary after the kernel, start_info page-aligned after it, RAM from 0', () => {
    const l = planGuestLayout({ ramBytes: 256 * MiB, kernel: { start: 0x1000000, end: 0x4123456 }, initrdBytes: 0x300001, cmdlineBytes: 20 });
    expect(l.initrd).toEqual({ start: 0x4200000, end: 0x4500001 });
    expect(l.block.start).toBe(0x4501000);
    expect(l.startInfo).toBe(0x4501000);
    expect(l.cmdline).toBe(0x4501000 + 56);
    expect(l.modlist % 8).toBe(0);
    expect(l.modlist).toBeGreaterThanOrEqual(l.cmdline + 21);
    expect(l.memmap).toBeGreaterThanOrEqual(l.modlist + 32);
    expect(l.memmapEntries).toEqual([
      { addr: 0, size: 256 * MiB - 65536, type: 1 },
      { addr: 256 * MiB - 65536, size: 65536, type: 2 },
    ]);
    expect(l.rsdp).toBe(256 * MiB - 65536);
    expect(l.consolePage).toBe(256 * MiB - 4096);
    expect(l.xenstorePage).toBe(256 * MiB - 4 * 4096);
  });

  it('without an initrd start_info follows the kernel', () => {
    const l = planGuestLayout({ ramBytes: 16 * MiB, kernel: { start: 0x100000, end: 0x107000 }, cmdlineBytes: 0 });
    expect(l.initrd).toBeUndefined();
    expect(l.block.start).toBe(0x107000);
  });

  it('a huge initrd does not push start_info above 1 GiB', () => {
    const l = planGuestLayout({ ramBytes: 2048 * MiB, kernel: { start: 0x1000000, end: 0x4200000 }, initrdBytes: 1200 * MiB, cmdlineBytes: 10 });
    expect(l.block.end).toBeLessThanOrEqual(START_INFO_LIMIT);
    expect(l.block.start).toBe(0x4200000);
    expect(l.initrd!.start).toBe(0x4400000);
    expect(l.initrd!.start).toBeGreaterThanOrEqual(l.block.end);
  });
});

describe('loadPvh', () => {
  it('copies PT_LOAD at p_paddr, zero-fills to p_memsz, places initrd and start_info', () => {
    const text = new Uint8Array(0x1800).map((_, i) => (i * 7) & 0xff);
    const img = buildElf({
      bits: 64,
      segments: [
        { type: PT_LOAD, paddr: 0x200000, vaddr: 0xffffffff80200000n, data: text, memsz: 0x4000 },
        { type: PT_NOTE, paddr: 0, data: note('Xen', XEN_ELFNOTE_PHYS32_ENTRY, le(0x200040, 8)) },
      ],
    });
    const ram = new Uint8Array(16 * MiB).fill(0xee);
    const written: Array<[number, number]> = [];
    const mem = new GuestMemory(ram, () => -1n, (g, l) => written.push([g, l]));
    const initrd = new Uint8Array(5000).fill(0x42);
    const r = loadPvh({ kernel: img, initrd, cmdline: 'console=hvc0' }, mem);
    expect(r.entry).toBe(0x200040);
    expect(ram.subarray(0x200000, 0x201800)).toEqual(text);
    expect(ram.subarray(0x201800, 0x204000).every((b) => b === 0)).toBe(true);
    expect(ram[0x204000]).toBe(0xee);
    expect(r.layout.initrd).toEqual({ start: 0x400000, end: 0x400000 + 5000 });
    expect(ram.subarray(0x400000, 0x400000 + 5000).every((b) => b === 0x42)).toBe(true);
    const si = r.layout.startInfo;
    const dv = new DataView(ram.buffer);
    expect(dv.getUint32(si, true)).toBe(0x336ec578);
    const cmd = Number(dv.getBigUint64(si + 24, true));
    expect(new TextDecoder().decode(ram.subarray(cmd, cmd + 13))).toBe('console=hvc0\0');
    // Everything written was reported, so the core can drop stale translations.
    expect(written.some(([g]) => g === 0x200000)).toBe(true);
    expect(written.some(([g]) => g === si)).toBe(true);
  });
});

describe('PVH entry state', () => {
  it('flat 32-bit protected mode, paging off, EBX = start_info, RIP = entry', () => {
    const v = new VcpuRegs(new ArrayBuffer(VCPU_BASE + VCPU_SIZE), 0);
    v.setU64(V_EFER, 0x500n);
    v.setU64(V_CR4, 0x20n);
    setPvhEntryState(v, 0x1000850, 0x4501000);
    expect(v.rip).toBe(0x1000850n);
    expect(v.gpr(Gpr.RBX)).toBe(0x4501000n);
    expect(v.u64(V_CR0)).toBe(0x11n);
    expect(v.u64(V_CR4)).toBe(0n);
    expect(v.u64(V_EFER)).toBe(0n);
    expect(v.rflags).toBe(2n);
    expect(v.seg(SEG_CS)).toEqual({ sel: 0, attr: 0xc09b, limit: 0xffffffff, base: 0n });
    expect(v.seg(SEG_DS)).toEqual({ sel: 0, attr: 0xc093, limit: 0xffffffff, base: 0n });
    expect(v.seg(SEG_SS).attr).toBe(0xc093);
    expect(v.seg(SEG_TR)).toEqual({ sel: 0, attr: 0x8b, limit: 0x67, base: 0n });
  });
});
