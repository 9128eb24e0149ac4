// start_info builder, byte-exact against Xen's public header: a small C program (host gcc +
// /usr/include/xen/arch-x86/hvm/start_info.h from Debian's libxen-dev) fills the real structs with
// the same values and prints their bytes. Missing gcc or header is a test failure, not a skip.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildStartInfoBlock,
  encodeMemmapEntry,
  encodeModlistEntry,
  encodeStartInfo,
  XEN_HVM_START_MAGIC_VALUE,
} from '../../src/hypervisor/start-info.ts';
import { HVM_MEMMAP_ENTRY_SIZE, HVM_MODLIST_ENTRY_SIZE, HVM_START_INFO_SIZE, planGuestLayout } from '../../src/hypervisor/guest-layout.ts';

const HEADER = '/usr/include/xen/arch-x86/hvm/start_info.h';

const C_SOURCE = `
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stddef.h>
#include <xen/arch-x86/hvm/start_info.h>

static void dump(const char *name, const void *p, size_t n) {
  const unsigned char *b = p;
  printf("%s ", name);
  for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
  printf("\\n");
}

int main(void) {
  struct hvm_start_info si;
  struct hvm_modlist_entry mod;
  struct hvm_memmap_table_entry mm;
  memset(&si, 0, sizeof si);
  memset(&mod, 0, sizeof mod);
  memset(&mm, 0, sizeof mm);
  si.magic = XEN_HVM_START_MAGIC_VALUE;
  si.version = 1;
  si.flags = 0x11223344u;
  si.nr_modules = 1;
  si.modlist_paddr = 0x0102030405060708ull;
  si.cmdline_paddr = 0x1112131415161718ull;
  si.rsdp_paddr = 0x2122232425262728ull;
  si.memmap_paddr = 0x3132333435363738ull;
  si.memmap_entries = 0x41424344u;
  mod.paddr = 0x5152535455565758ull;
  mod.size = 0x6162636465666768ull;
  mod.cmdline_paddr = 0x7172737475767778ull;
  mm.addr = 0x8182838485868788ull;
  mm.size = 0x9192939495969798ull;
  mm.type = XEN_HVM_MEMMAP_TYPE_RESERVED;
  dump("start_info", &si, sizeof si);
  dump("modlist", &mod, sizeof mod);
  dump("memmap", &mm, sizeof mm);
  printf("sizes %zu %zu %zu\\n", sizeof si, sizeof mod, sizeof mm);
  return 0;
}
`;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe("start_info matches Xen's public header byte for byte", () => {
  let fromC: Record<string, string> = {};

  beforeAll(() => {
    const gcc = spawnSync('gcc', ['--version']);
    if (gcc.error) throw new Error('gcc is not installed: this test compiles Xen\'s start_info.h (apt-get install -y gcc)');
    if (!existsSync(HEADER)) throw new Error(`${HEADER} is missing: install Debian's libxen-dev (apt-get install -y libxen-dev)`);
    const dir = mkdtempSync(join(tmpdir(), 'webpvh-startinfo-'));
    writeFileSync(join(dir, 'si.c'), C_SOURCE);
    execFileSync('gcc', ['-Wall', '-Werror', '-o', join(dir, 'si'), join(dir, 'si.c')]);
    const out = execFileSync(join(dir, 'si'), { encoding: 'utf8' });
    fromC = Object.fromEntries(out.trim().split('\n').map((l) => l.split(' ', 2) as [string, string]));
    fromC.sizes = out.match(/sizes (.*)/)![1];
  });

  it('struct sizes', () => {
    expect(fromC.sizes).toBe(`${HVM_START_INFO_SIZE} ${HVM_MODLIST_ENTRY_SIZE} ${HVM_MEMMAP_ENTRY_SIZE}`);
  });

  it('hvm_start_info', () => {
    const ours = encodeStartInfo({
      flags: 0x11223344,
      nrModules: 1,
      modlistPaddr: 0x0102030405060708n,
      cmdlinePaddr: 0x1112131415161718n,
      rsdpPaddr: 0x2122232425262728n,
      memmapPaddr: 0x3132333435363738n,
      memmapEntries: 0x41424344,
    });
    expect(hex(ours)).toBe(fromC.start_info);
  });

  it('hvm_modlist_entry', () => {
    const ours = encodeModlistEntry({ paddr: 0x5152535455565758n, size: 0x6162636465666768n, cmdlinePaddr: 0x7172737475767778n });
    expect(hex(ours)).toBe(fromC.modlist);
  });

  it('hvm_memmap_table_entry', () => {
    const ours = encodeMemmapEntry({ addr: 0x8182838485868788n, size: 0x9192939495969798n, type: 2 });
    expect(hex(ours)).toBe(fromC.memmap);
  });
});

describe('start_info block', () => {
  it('points at the cmdline, modlist and memmap it contains', () => {
    const layout = planGuestLayout({ ramBytes: 256 << 20, kernel: { start: 0x1000000, end: 0x1234567 }, initrdBytes: 0x5000, cmdlineBytes: 13 });
    const cmdline = new TextEncoder().encode('console=hvc0 ');
    const block = buildStartInfoBlock(layout, cmdline);
    const dv = new DataView(block.buffer);
    const at = (gpa: number) => gpa - layout.block.start;
    expect(dv.getUint32(0, true)).toBe(XEN_HVM_START_MAGIC_VALUE);
    expect(dv.getUint32(4, true)).toBe(1);
    expect(dv.getUint32(8, true)).toBe(0);
    expect(dv.getUint32(12, true)).toBe(1);
    const modlist = Number(dv.getBigUint64(16, true));
    const cmd = Number(dv.getBigUint64(24, true));
    expect(dv.getBigUint64(32, true)).toBe(BigInt(layout.rsdp));
    const memmap = Number(dv.getBigUint64(40, true));
    expect(dv.getUint32(48, true)).toBe(2);
    expect(new TextDecoder().decode(block.subarray(at(cmd), at(cmd) + 14))).toBe('console=hvc0 \0');
    expect(dv.getBigUint64(at(modlist), true)).toBe(BigInt(layout.initrd!.start));
    expect(dv.getBigUint64(at(modlist) + 8, true)).toBe(0x5000n);
    expect(dv.getBigUint64(at(memmap), true)).toBe(0n);
    expect(dv.getBigUint64(at(memmap) + 8, true)).toBe((256n << 20n) - 65536n);
    expect(dv.getUint32(at(memmap) + 16, true)).toBe(1);
    expect(dv.getBigUint64(at(memmap) + 24, true)).toBe((256n << 20n) - 65536n);
    expect(dv.getUint32(at(memmap) + 24 + 16, true)).toBe(2);
    expect(layout.block.start % 4096).toBe(0);
  });
});
