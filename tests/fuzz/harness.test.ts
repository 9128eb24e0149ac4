// Hand-checked cases for the fuzzer's two environments: the native harness (the oracle) must give the
// architecturally expected results, and the core runner's environment must agree with it.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CODE_VA, DATA_VA, INSN_VA } from './forms.ts';
import { manualCases, type ManualCase } from './gen.ts';
import { nativeResult, runNative } from './native.ts';

const RAX = 0, RCX = 1, RBX = 3, RSP = 4;
interface Expect {
  vector: number;
  rip: bigint;
  gpr?: Partial<Record<number, bigint>>;
  flags?: [number, number]; // mask, value
  err?: bigint;
  cr2?: bigint;
  mem?: [number, bigint][];
}
const CASES: [string, ManualCase, Expect][] = [
  ['add eax,ebx sets CF ZF PF AF and zero-extends', { code: [0x01, 0xd8], gpr: { [RAX]: 0x12345678ffffffffn, [RBX]: 1n } },
    { vector: -1, rip: INSN_VA + 2n, gpr: { [RAX]: 0n }, flags: [0x8d5, 0x55] }],
  ['add al,1 overflows to 0x80 (OF SF AF)', { code: [0x04, 0x01], gpr: { [RAX]: 0x7fn } },
    { vector: -1, rip: INSN_VA + 2n, gpr: { [RAX]: 0x80n }, flags: [0x8d5, 0x890] }],
  ['div ecx by zero is #DE at the instruction', { code: [0xf7, 0xf1], gpr: { [RAX]: 5n } },
    { vector: 0, rip: INSN_VA, gpr: { [RAX]: 5n } }],
  ['mov [rax],ebx writes the data region', { code: [0x89, 0x18], gpr: { [RAX]: DATA_VA + 0x10n, [RBX]: 0xdeadbeefn } },
    { vector: -1, rip: INSN_VA + 2n, mem: [[0x10, 0xdeadbeefn]] }],
  ['mov eax,[noncanonical] is #GP(0)', { code: [0xa1, 0, 0, 0, 0, 0, 0, 0, 0x80] },
    { vector: 13, rip: INSN_VA, err: 0n }],
  ['read past the data region is #PF (U, not present)', { code: [0x8b, 0x00], gpr: { [RAX]: DATA_VA + 0x2004n } },
    { vector: 14, rip: INSN_VA, err: 4n, cr2: DATA_VA + 0x2004n }],
  ['write to the code page is #PF (U W P)', { code: [0x88, 0x00], gpr: { [RAX]: CODE_VA + 0x10n } },
    { vector: 14, rip: INSN_VA, err: 7n, cr2: CODE_VA + 0x10n }],
  ['jmp -0x20 lands in the 0xCC fill (#BP after it)', { code: [0xeb, 0xe0] },
    { vector: 3, rip: INSN_VA + 2n - 0x20n + 1n }],
  ['ud2 is #UD', { code: [0x0f, 0x0b] }, { vector: 6, rip: INSN_VA }],
  ['int3 is #BP with rip after it', { code: [0xcc] }, { vector: 3, rip: INSN_VA + 1n }],
  ['int 0x21 at CPL3 is #GP(0x10a)', { code: [0xcd, 0x21] }, { vector: 13, rip: INSN_VA, err: 0x10an }],
  ['hlt at CPL3 is #GP(0)', { code: [0xf4] }, { vector: 13, rip: INSN_VA, err: 0n }],
  ['push rcx writes below rsp', { code: [0x51], gpr: { [RCX]: 0x1122334455667788n, [RSP]: DATA_VA + 0x1000n } },
    { vector: -1, rip: INSN_VA + 1n, gpr: { [RSP]: DATA_VA + 0xff8n }, mem: [[0xff8, 0x1122334455667788n]] }],
  ['mov eax,ds reads selector 0 (Linux)', { code: [0x8c, 0xd8], gpr: { [RAX]: 0xffffffffffffffffn } },
    { vector: -1, rip: INSN_VA + 2n, gpr: { [RAX]: 0n } }],
  ['mov eax,cs reads selector 0x33', { code: [0x8c, 0xc8] }, { vector: -1, rip: INSN_VA + 2n, gpr: { [RAX]: 0x33n } }],
  ['call through rax into the data page is an NX fetch #PF', { code: [0xff, 0xd0], gpr: { [RAX]: DATA_VA + 0x100n, [RSP]: DATA_VA + 0x1000n } },
    { vector: 14, rip: DATA_VA + 0x100n, err: 0x15n, cr2: DATA_VA + 0x100n, gpr: { [RSP]: DATA_VA + 0xff8n } }],
];

function check(r: { vector: number; rip: bigint; gpr: ArrayLike<bigint>; rflags: bigint; err: bigint; cr2: bigint }, e: Expect, mem: (off: number) => bigint) {
  expect({ vector: r.vector, rip: r.rip.toString(16) }).toEqual({ vector: e.vector, rip: e.rip.toString(16) });
  for (const [g, v] of Object.entries(e.gpr ?? {})) expect(r.gpr[Number(g)].toString(16)).toBe(v!.toString(16));
  if (e.flags) expect(Number(r.rflags) & e.flags[0]).toBe(e.flags[1]);
  if (e.err !== undefined) expect(r.err & 0xffffn).toBe(e.err);
  if (e.cr2 !== undefined) expect(r.cr2.toString(16)).toBe(e.cr2.toString(16));
  for (const [off, v] of e.mem ?? []) expect(mem(off).toString(16)).toBe(v.toString(16));
}

const set = manualCases(CASES.map((c) => c[1]));

describe('native harness (host CPU oracle)', () => {
  const nr = runNative(set);
  CASES.forEach(([name, c, e], i) => {
    it(name, () => {
      const r = nativeResult(nr, i, INSN_VA + BigInt(c.code.length));
      check(r, e, (off) => r.diff.get(off) ?? 0n);
    });
  });
});

const wasm = resolve(import.meta.dirname, '../../build/core.wasm');
describe.skipIf(!existsSync(wasm))('core runner environment agrees on the hand cases', () => {
  let core: import('./core-runner.ts').CoreRunner;
  beforeAll(async () => {
    const { CoreRunner } = await import('./core-runner.ts');
    core = new CoreRunner();
  });
  CASES.forEach(([name, _c, e], i) => {
    it(name, () => {
      const r = core.runCase(set.buf, i);
      expect(r.note).toBe('');
      check(r, e, (off) => core.dataWord(off));
    });
  });
});
