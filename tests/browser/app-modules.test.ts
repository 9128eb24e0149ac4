// The app's pure modules, in Node: demo links (fragment encode/decode, inline files), symbols
// (System.map, lookup), file inspection, boot milestones.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoFromLocation, encodeDemo, INLINE_LIMIT, LINUX_DEMO } from '../../src/app/share';
import { symbolise, systemMapSymbols } from '../../src/app/symbols';
import { inspectFile } from '../../src/app/inspect';
import { MilestoneTracker, type Milestone } from '../../src/app/milestones';
import { ROOT } from './harness';

describe('demo links', () => {
  it('round-trips a URL demo with hashes, cmdline, vcpus, memory and a script', () => {
    const spec = { ...LINUX_DEMO, cmdline: 'console=hvc0 quiet a+b', vcpus: 4, memoryMiB: 512, script: ['uname -a', 'echo "$((6*7))" & ok'] };
    const { fragment, notes } = encodeDemo(spec, { kernel: 'a'.repeat(64), initrd: 'b'.repeat(64) });
    expect(notes).toEqual([]);
    const { spec: back, errors } = demoFromLocation(fragment, '');
    expect(errors).toEqual([]);
    expect(back).toMatchObject({ cmdline: spec.cmdline, vcpus: 4, memoryMiB: 512, script: spec.script });
    expect(back!.kernel).toEqual({ url: 'guests/vmlinuz-6.12-pvh', name: 'vmlinuz-6.12-pvh', sha256: 'a'.repeat(64) });
    expect(back!.initrd!.sha256).toBe('b'.repeat(64));
  });

  it('carries a small local file inline and names a big one in a note', () => {
    const small = readFileSync(join(ROOT, 'public/guests/hello.elf'));
    const big = new Uint8Array(randomBytes(200_000)); // does not compress
    const { fragment, notes } = encodeDemo({ ...LINUX_DEMO, kernel: { name: 'hello.elf', data: new Uint8Array(small) }, initrd: { name: 'big.cpio', data: big } });
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/initrd "big.cpio" .*too big to ride in the link \(more than 64 KiB gzipped\)/);
    const { spec } = demoFromLocation(fragment, '');
    expect(Buffer.from(spec!.kernel.data!)).toEqual(small);
    expect(spec!.initrd).toBeUndefined();
    expect(INLINE_LIMIT).toBe(65536);
  });

  it('reports bad values and reads the legacy query form', () => {
    const { spec, errors } = demoFromLocation('#kernel=k.elf&vcpus=99&kernel-sha256=xyz', '');
    expect(spec!.vcpus).toBe(1);
    expect(errors.join('\n')).toMatch(/vcpus=99 is not a number from 1 to 8/);
    expect(errors.join('\n')).toMatch(/kernel-sha256 in the link is not 64 hex digits/);
    expect(demoFromLocation('', '?kernel=guests/x.elf&cmdline=a').spec!.kernel.url).toBe('guests/x.elf');
    expect(demoFromLocation('', '').spec).toBeNull();
  });

  it('carries the JIT threshold (jit=0 is the interpreter alone) and refuses a bad one', () => {
    const { fragment } = encodeDemo({ ...LINUX_DEMO, jitThreshold: 0 });
    expect(fragment).toMatch(/[#&]jit=0(&|$)/);
    expect(demoFromLocation(fragment, '').spec!.jitThreshold).toBe(0);
    expect(encodeDemo(LINUX_DEMO).fragment).not.toMatch(/jit=/);
    const { spec, errors } = demoFromLocation('#kernel=k.elf&jit=-3', '');
    expect(spec!.jitThreshold).toBeUndefined();
    expect(errors.join('\n')).toMatch(/jit=-3 is not a whole number from 0/);
  });
});

describe('symbols and inspection', () => {
  it('symbolises from a System.map', () => {
    const t = systemMapSymbols('ffffffff81000000 T _stext\nffffffff81000100 t foo\nffffffff81000200 D data\nffffffff81000300 W bar\n')!;
    expect(symbolise(t, 0xffffffff81000104n)).toBe('foo+0x4');
    expect(symbolise(t, 0xffffffff81000300n)).toBe('bar');
    expect(symbolise(t, 0xffffffff80000000n)).toBeNull();
  });

  it('inspects the committed kernel, initrd and hello guest', () => {
    const k = inspectFile('vmlinuz', new Uint8Array(readFileSync(join(ROOT, 'public/guests/vmlinuz-6.12-pvh'))));
    expect(k.role).toBe('kernel');
    expect(k.format).toMatch(/^bzImage \(boot protocol 2\.\d+\), gzip-compressed payload$/);
    expect(k.facts.find(([n]) => n === 'symbols')![1]).toMatch(/stripped/);
    const i = inspectFile('initrd', new Uint8Array(readFileSync(join(ROOT, 'public/guests/initramfs-busybox.cpio.lz4'))));
    expect(i).toMatchObject({ role: 'initrd', format: 'LZ4 (legacy frame)-compressed cpio archive (initramfs)' });
    const h = inspectFile('hello.elf', new Uint8Array(readFileSync(join(ROOT, 'public/guests/hello.elf'))));
    expect(h.role).toBe('kernel');
    expect(h.facts.find(([n]) => n === 'symbols')![1]).toMatch(/ELF \.symtab/);
    const bad = inspectFile('x.txt', new TextEncoder().encode('hello'));
    expect(bad.role).toBe('invalid');
    expect(bad.error).toMatch(/^neither a kernel nor an initrd: not an ELF file/);
  });
});

describe('boot milestones', () => {
  it('detects mode/CPL transitions and the shell prompt', () => {
    const seen: Milestone[] = [];
    const t = new MilestoneTracker((m) => seen.push(m));
    t.start();
    t.observe(1, { mode: 'long', cpl: 0, hypercalls: 0, instructions: 10n });
    t.observe(2, { mode: 'long', cpl: 0, hypercalls: 3, instructions: 20n });
    t.observe(3, { mode: 'long', cpl: 3, hypercalls: 9, instructions: 30n });
    t.console(new TextEncoder().encode('\r\n~ # \x1b[6n'), 4, 40n);
    expect(seen.map((m) => [m.id, m.ms])).toEqual([
      ['pvh-entry', 0],
      ['long-mode', 1],
      ['first-hypercall', 2],
      ['user-process', 3],
      ['shell-prompt', 4],
    ]);
    expect(t.complete).toBe(true);
  });
});
