// The ELF + PVH-note loader: good images (ELF64, ELF32, notes in PT_NOTE or only in SHT_NOTE,
// 1/2/4/8-byte numeric notes, PHYS32_RELOC) and every refusal with its specific message.
import { describe, expect, it } from 'vitest';
import { BootError } from '../../src/hypervisor/boot-error.ts';
import { parseElf, PT_LOAD, PT_NOTE, SHT_NOTE } from '../../src/hypervisor/elf.ts';
import { parsePvhKernel, XEN_ELFNOTE_PHYS32_ENTRY, XEN_ELFNOTE_PHYS32_RELOC } from '../../src/hypervisor/pvh-note.ts';
import { planPvhBoot } from '../../src/hypervisor/pvh-boot.ts';
import { buildElf, concat, le, note } from './helpers/elf-builder.ts';

const MiB = 1024 * 1024;
const code = new Uint8Array(64).fill(0x90);

function kernel64(entryNote: Uint8Array | null = note('Xen', XEN_ELFNOTE_PHYS32_ENTRY, le(0x100010, 8)), extra: Uint8Array[] = []) {
  const notes = concat(...(entryNote ? [entryNote] : []), ...extra);
  return buildElf({
    bits: 64,
    entry: 0xffffffff81000000n,
    segments: [
      { type: PT_LOAD, paddr: 0x100000, vaddr: 0xffffffff80100000n, data: code, memsz: 0x3000 },
      { type: PT_NOTE, paddr: 0, data: notes },
    ],
  });
}

function expectBootError(fn: () => unknown, code: BootError['code'], message: RegExp) {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a BootError').toBeInstanceOf(BootError);
  expect((err as BootError).code).toBe(code);
  expect((err as BootError).message).toMatch(message);
}

describe('ELF parsing', () => {
  it('reads an ELF64 x86-64 image: PT_LOAD at p_paddr, notes from PT_NOTE, 8-byte PHYS32_ENTRY', () => {
    const img = kernel64();
    const elf = parseElf(img);
    expect(elf.bits).toBe(64);
    expect(elf.entry).toBe(0xffffffff81000000n);
    const load = elf.segments.find((s) => s.type === PT_LOAD)!;
    expect(load.paddr).toBe(0x100000n);
    expect(load.vaddr).toBe(0xffffffff80100000n);
    expect(load.filesz).toBe(64);
    expect(load.memsz).toBe(0x3000n);
    expect(elf.notes).toHaveLength(1);
    expect(parsePvhKernel(img).pvh.entry).toBe(0x100010);
  });

  it('reads an ELF32 i386 image with a 4-byte PHYS32_ENTRY', () => {
    const img = buildElf({
      bits: 32,
      segments: [
        { type: PT_LOAD, paddr: 0x200000, data: code },
        { type: PT_NOTE, paddr: 0, data: note('Xen', XEN_ELFNOTE_PHYS32_ENTRY, le(0x200020, 4)) },
      ],
    });
    const { elf, pvh } = parsePvhKernel(img);
    expect(elf.bits).toBe(32);
    expect(elf.machine).toBe(3);
    expect(pvh.entry).toBe(0x200020);
  });

  it('reads 1- and 2-byte numeric notes and ignores notes of other owners', () => {
    const other = note('GNU', XEN_ELFNOTE_PHYS32_ENTRY, le(0xdead, 4));
    const two = buildElf({
      bits: 64,
      segments: [
        { type: PT_LOAD, paddr: 0x1000, data: code },
        { type: PT_NOTE, paddr: 0, data: concat(other, note('Xen', XEN_ELFNOTE_PHYS32_ENTRY, le(0x1010, 2))) },
      ],
    });
    expect(parsePvhKernel(two).pvh.entry).toBe(0x1010);
    const one = buildElf({
      bits: 64,
      segments: [
        { type: PT_LOAD, paddr: 0x10, data: code },
        { type: PT_NOTE, paddr: 0, data: note('Xen', XEN_ELFNOTE_PHYS32_ENTRY, le(0x20, 1)) },
      ],
    });
    expect(parsePvhKernel(one).pvh.entry).toBe(0x20);
  });

  it('falls back to SHT_NOTE sections when there is no PT_NOTE', () => {
    const img = buildElf({
      bits: 64,
      segments: [{ type: PT_LOAD, paddr: 0x100000, data: code }],
      sections: [{ type: SHT_NOTE, data: note('Xen', XEN_ELFNOTE_PHYS32_ENTRY, le(0x100004, 8)) }],
    });
    const { elf, pvh } = parsePvhKernel(img);
    expect(elf.notes[0].source).toBe('SHT_NOTE');
    expect(pvh.entry).toBe(0x100004);
  });

  it('parses PHYS32_RELOC (align, min, max)', () => {
    const reloc = note('Xen', XEN_ELFNOTE_PHYS32_RELOC, concat(le(0x200000, 4), le(0x1000000, 4), le(0x3fffffff, 4)));
    const { pvh } = parsePvhKernel(kernel64(undefined, [reloc]));
    expect(pvh.reloc).toEqual({ align: 0x200000, min: 0x1000000, max: 0x3fffffff });
  });
});

describe('ELF refusals', () => {
  it('not an ELF', () => {
    expectBootError(() => parseElf(new TextEncoder().encode('#!/bin/sh\necho hi\n')), 'not-elf', /not an ELF file \(bad magic/);
  });

  it('a bzImage gets its own message', () => {
    const bz = new Uint8Array(0x400);
    bz.set([0x48, 0x64, 0x72, 0x53], 0x202); // "HdrS"
    expectBootError(() => parseElf(bz), 'bzimage', /bzImage.*not.*supported|only an uncompressed ELF vmlinux/);
  });

  it('unsupported class, endianness and machine', () => {
    const base = { segments: [{ type: PT_LOAD, paddr: 0x1000, data: code }] };
    expectBootError(() => parseElf(buildElf({ bits: 64, ...base, ident: { cls: 3 } })), 'unsupported', /ELF class 3/);
    expectBootError(() => parseElf(buildElf({ bits: 64, ...base, ident: { data: 2 } })), 'unsupported', /little-endian/);
    expectBootError(() => parseElf(buildElf({ bits: 64, ...base, machine: 183 })), 'unsupported', /machine 183.*EM_X86_64/);
    expectBootError(() => parseElf(buildElf({ bits: 32, ...base, machine: 62 })), 'unsupported', /ELF32 machine 62.*EM_386/);
  });

  it('truncated: header, program headers, segment, note', () => {
    const img = kernel64();
    expectBootError(() => parseElf(img.subarray(0, 40)), 'truncated', /ELF64 header ends at byte 64 but the file is only 40 bytes/);
    expectBootError(() => parseElf(img.subarray(0, 100)), 'truncated', /program header table ends at byte 176 but the file is only 100/);
    expectBootError(() => parseElf(img.subarray(0, 200)), 'truncated', /PT_LOAD segment 0 .* ends at byte 240 but the file is only 200/);
    // A note whose descsz runs past its PT_NOTE region.
    const bad = note('Xen', XEN_ELFNOTE_PHYS32_ENTRY, le(0x100010, 8));
    new DataView(bad.buffer).setUint32(4, 64, true);
    expectBootError(() => parsePvhKernel(kernel64(bad)), 'truncated', /note type 18 .* runs past the end of its region/);
  });

  it('no PVH note', () => {
    expectBootError(
      () => parsePvhKernel(kernel64(null, [note('Xen', 5, new TextEncoder().encode('4.0\0'))])),
      'no-pvh-note',
      /^kernel has no Xen PHYS32_ENTRY note: it was not built with CONFIG_PVH$/,
    );
  });

  it('a numeric note of an odd size', () => {
    expectBootError(() => parsePvhKernel(kernel64(note('Xen', XEN_ELFNOTE_PHYS32_ENTRY, le(0x100010, 12)))), 'bad-note', /12-byte value/);
  });
});

describe('fitting the kernel, initrd and command line into guest RAM', () => {
  it('a segment beyond RAM names its range and the RAM size', () => {
    const img = buildElf({
      bits: 64,
      segments: [
        { type: PT_LOAD, paddr: 0x1000000, data: code, memsz: 0x2e00000 },
        { type: PT_NOTE, paddr: 0, data: note('Xen', XEN_ELFNOTE_PHYS32_ENTRY, le(0x1000000, 8)) },
      ],
    });
    expectBootError(() => planPvhBoot({ kernel: img, cmdline: '' }, 32 * MiB), 'does-not-fit', /\[0x1000000, 0x3e00000\).*32 MiB/);
    expect(planPvhBoot({ kernel: img, cmdline: '' }, 64 * MiB).layout.kernel).toEqual({ start: 0x1000000, end: 0x3e00000 });
  });

  it('an initrd bigger than free RAM', () => {
    expectBootError(
      () => planPvhBoot({ kernel: kernel64(), initrd: new Uint8Array(15 * MiB), cmdline: '' }, 16 * MiB),
      'initrd-too-big',
      /initrd is 15728640 bytes but only 14614528 bytes .* free/,
    );
  });

  it('a command line longer than 2047 bytes', () => {
    expect(() => planPvhBoot({ kernel: kernel64(), cmdline: 'x'.repeat(2047) }, 16 * MiB)).not.toThrow();
    expectBootError(() => planPvhBoot({ kernel: kernel64(), cmdline: 'x'.repeat(2048) }, 16 * MiB), 'cmdline-too-long', /2048 bytes.*at most 2047/);
  });

  it('an entry point outside the loaded kernel', () => {
    expectBootError(() => planPvhBoot({ kernel: kernel64(note('Xen', XEN_ELFNOTE_PHYS32_ENTRY, le(0x900000, 8))), cmdline: '' }, 16 * MiB), 'bad-note', /outside the loaded kernel/);
  });
});
