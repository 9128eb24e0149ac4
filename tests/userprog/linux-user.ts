// Runs a static x86-64 Linux ELF executable as a user process on the CPU core (build/core.wasm).
//
// The machine is a minimal 64-bit "kernel" built in guest RAM by this file:
//   - 4-level page tables mapping the ELF's PT_LOAD segments at their virtual addresses as user pages
//     (R/W/X honoured: NX on non-executable pages), a user stack with argv/envp/auxv, brk and mmap
//     areas grown on demand by the syscall layer;
//   - a GDT in Linux's order (kernel CS 0x10 / DS 0x18, user CS32 0x23, user DS 0x2B, user CS64 0x33,
//     TSS 0x40) so SYSCALL (STAR[47:32] = 0x10) and SYSRETQ (STAR[63:48] = 0x23) pick the right
//     selectors; a 64-bit TSS whose RSP0 is a supervisor stack;
//   - supervisor stubs: LSTAR → `vmcall; sysretq`, and IDT vectors 0-31 → `mov eax, 0x100+vector;
//     vmcall; hlt`.
// The user program executes its real `syscall` instruction; the core enters the stub at CPL 0, whose
// VMCALL exits to us (EXIT_HYPERCALL). We service the Linux syscall from the user's registers (RCX/R11
// hold the return RIP/RFLAGS as SYSCALL left them), put the result in RAX and resume at `sysretq`.
// An exception stub's VMCALL ends the run with the vector, the faulting RIP, error code and CR2.
import type { JitStats } from '../../src/jit/jit.ts';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as L from '../../wasm/layout.ts';
import { Core, Gpr, type VcpuRegs } from '../../src/vm/core.ts';
import { parseElf, PT_LOAD } from '../../src/hypervisor/elf.ts';
import { AddressSpace, PROT_EXEC, PROT_READ, PROT_WRITE } from './address-space.ts';
import { LinuxSyscalls, ProcessExit, UnknownSyscall, UID, GID } from './syscalls.ts';

export const CORE_WASM = resolve(import.meta.dirname ?? '.', '../../build/core.wasm');

// supervisor area: one 2 MiB-aligned window in the kernel half
const KBASE = 0xffffffff80000000n;
const GDT_VA = KBASE;
const IDT_VA = KBASE + 0x1000n;
const TSS_VA = KBASE + 0x2000n;
const STUB_VA = KBASE + 0x3000n;
const KSTACK_VA = KBASE + 0x4000n; // 4 pages
const KSTACK_TOP = KSTACK_VA + 0x4000n;
const SYSCALL_STUB = STUB_VA; // vmcall; sysretq
const EXC_STUB = STUB_VA + 0x100n; // 16 bytes per vector
const EXC_STUB_SIZE = 16n;
const NVEC = 32;

const SEL_KCODE = 0x10;
const SEL_KDATA = 0x18;
const SEL_UCODE32 = 0x23;
const SEL_UDATA = 0x2b;
const SEL_UCODE = 0x33;
const SEL_TSS = 0x40;
const SFMASK = 0x47700n; // TF DF IF IOPL NT AC cleared on entry, as Linux does

// user layout
const STACK_TOP = 0x7ffffffff000;
const STACK_SIZE = 1 << 20;
const PIE_BASE = 0x555555554000;

const AT = {
  NULL: 0, PHDR: 3, PHENT: 4, PHNUM: 5, PAGESZ: 6, BASE: 7, FLAGS: 8, ENTRY: 9, UID: 11, EUID: 12, GID: 13, EGID: 14,
  PLATFORM: 15, HWCAP: 16, CLKTCK: 17, SECURE: 23, RANDOM: 25, HWCAP2: 26, EXECFN: 31,
} as const;

/** AT_RANDOM's 16 bytes: random-looking, but the same for every run. */
const AT_RANDOM_BYTES = Uint8Array.from([
  0x3a, 0x91, 0x5c, 0x07, 0xe2, 0x4d, 0xb8, 0x16, 0x6f, 0xa3, 0x28, 0xd9, 0x71, 0x0e, 0xc4, 0x5b,
]);

const ERRCODE_VECTORS = new Set([8, 10, 11, 12, 13, 14, 17, 21, 29, 30]);
const VECTOR_NAMES = ['#DE', '#DB', 'NMI', '#BP', '#OF', '#BR', '#UD', '#NM', '#DF', 'CSO', '#TS', '#NP', '#SS', '#GP', '#PF', '15', '#MF', '#AC', '#MC', '#XM', '#VE', '#CP'];

export interface RunOptions {
  argv: string[];
  envp: string[];
  /** guest RAM in bytes (multiple of 64 KiB); 64 MiB by default */
  ramBytes?: number;
  /** total instruction cap; 2e9 by default */
  maxInstructions?: number;
  /** instructions per run() slice */
  slice?: number;
  /** core.wasm bytes or module (read from build/core.wasm by default) */
  wasm?: BufferSource | WebAssembly.Module;
  /** JIT threshold (0 = interpreter only, 1 = compile every block the first time it runs) */
  jitThreshold?: number;
}

export type Outcome =
  | { kind: 'exit'; status: number }
  | { kind: 'fault'; vector: number; rip: bigint; error: bigint | null; cr2: bigint; message: string }
  | { kind: 'unimplemented'; rip: bigint; bytes: Uint8Array; message: string }
  | { kind: 'syscall'; nr: number; rip: bigint; message: string }
  | { kind: 'budget'; rip: bigint; message: string }
  | { kind: 'error'; rip: bigint; message: string };

export interface RunResult {
  outcome: Outcome;
  stdout: Buffer;
  stderr: Buffer;
  instructions: number;
  seconds: number;
  syscalls: Map<string, number>;
  /** JIT statistics when the JIT was on */
  jit?: JitStats;
}

const hex = (v: bigint | number) => '0x' + v.toString(16);
export const hexBytes = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

function exitName(e: number): string {
  for (const [k, v] of Object.entries(L)) if (k.startsWith('EXIT_') && v === e) return k;
  return `exit ${e}`;
}

/** Loads `elf` into a fresh core and runs it to exit_group (or to the first thing that stops it). */
export async function runLinuxUser(elf: Uint8Array, opts: RunOptions): Promise<RunResult> {
  const ramBytes = opts.ramBytes ?? 64 << 20;
  const core = await Core.create(opts.wasm ?? readFileSync(CORE_WASM), ramBytes, { jitThreshold: opts.jitThreshold });
  core.exports.resetVcpu(0);
  const cpu = core.vcpu(0);
  const mem = new AddressSpace(core.ram(), 0x100000);

  const kstackPa = buildSupervisor(mem);
  const { entry, brkStart, phdr, phnum } = loadElf(elf, mem);
  const rsp = buildStack(mem, opts.argv, opts.envp, { entry, phdr, phnum });
  setUserState(cpu, mem, entry, rsp);

  const sys = new LinuxSyscalls(
    {
      mem,
      instructions: () => cpu.u64(L.V_INSN_COUNT),
      setFsBase: (v) => cpu.setU64(L.V_SEG + L.SEG_FS * L.SEG_SIZE + L.SEG_BASE, v),
      getFsBase: () => cpu.u64(L.V_SEG + L.SEG_FS * L.SEG_SIZE + L.SEG_BASE),
    },
    brkStart,
  );
  core.exports.invalidateCode(0, ramBytes);
  core.exports.flushTlb(0);

  const max = opts.maxInstructions ?? 2_000_000_000;
  const slice = opts.slice ?? 1_000_000;
  const t0 = performance.now();
  const outcome = loop(core, cpu, mem, sys, kstackPa, max, slice);
  const seconds = (performance.now() - t0) / 1000;
  return {
    outcome,
    stdout: Buffer.from(sys.stdout),
    stderr: Buffer.from(sys.stderr),
    instructions: Number(cpu.u64(L.V_INSN_COUNT)),
    seconds,
    syscalls: sys.counts,
    jit: core.jit ? { ...core.jit.stats } : undefined,
  };
}

function loop(core: Core, cpu: VcpuRegs, mem: AddressSpace, sys: LinuxSyscalls, kstackPa: number, max: number, slice: number): Outcome {
  for (;;) {
    const done = Number(cpu.u64(L.V_INSN_COUNT));
    if (done >= max) return { kind: 'budget', rip: cpu.rip, message: `instruction budget of ${max} spent at rip ${hex(cpu.rip)}` };
    let exit: number;
    try {
      exit = core.exports.run(0, Math.min(slice, max - done));
    } catch (e) {
      return { kind: 'error', rip: cpu.rip, message: `core trapped: ${(e as Error).message}` };
    }
    if (exit === L.EXIT_BUDGET || exit === L.EXIT_PAUSE) continue;
    if (exit === L.EXIT_UNIMPLEMENTED) {
      const rip = cpu.u64(L.V_EXIT_RIP);
      const bytes = core.memory.buffer.slice(L.VCPU_BASE + L.V_EXIT_BYTES, L.VCPU_BASE + L.V_EXIT_BYTES + 16);
      const b = new Uint8Array(bytes);
      return { kind: 'unimplemented', rip, bytes: b, message: `EXIT_UNIMPLEMENTED at rip ${hex(rip)}: bytes ${hexBytes(b)}` };
    }
    if (exit !== L.EXIT_HYPERCALL) {
      return { kind: 'error', rip: cpu.rip, message: `unexpected ${exitName(exit)} at rip ${hex(cpu.rip)}` };
    }
    const at = cpu.rip - 3n; // VMCALL is 3 bytes; RIP is past it
    if (at === SYSCALL_STUB) {
      const nr = Number(cpu.gpr(Gpr.RAX));
      const args = [Gpr.RDI, Gpr.RSI, Gpr.RDX, Gpr.R10, Gpr.R8, Gpr.R9].map((r) => cpu.gpr(r));
      let ret: bigint;
      try {
        ret = sys.handle(nr, args);
      } catch (e) {
        if (e instanceof ProcessExit) return { kind: 'exit', status: e.status };
        if (e instanceof UnknownSyscall) {
          return { kind: 'syscall', nr, rip: cpu.gpr(Gpr.RCX) - 2n, message: `${e.message} at user rip ${hex(cpu.gpr(Gpr.RCX) - 2n)}` };
        }
        throw e;
      }
      cpu.setGpr(Gpr.RAX, ret);
      if (mem.dirtyTlb) {
        core.exports.flushTlb(0);
        mem.dirtyTlb = false;
      }
      continue;
    }
    if (at >= EXC_STUB && at < EXC_STUB + BigInt(NVEC) * EXC_STUB_SIZE) {
      return exceptionOutcome(cpu, mem, kstackPa, Number(cpu.gpr(Gpr.RAX) & 0xffn));
    }
    return { kind: 'error', rip: cpu.rip, message: `VMCALL from unexpected rip ${hex(at)}` };
  }
}

function exceptionOutcome(cpu: VcpuRegs, mem: AddressSpace, kstackPa: number, vector: number): Outcome {
  // The frame is on the supervisor stack (TSS.RSP0): [error code] RIP CS RFLAGS RSP SS.
  const sp = cpu.gpr(Gpr.RSP);
  const rd = (va: bigint) => {
    const off = va - KSTACK_VA;
    if (off < 0n || off + 8n > KSTACK_TOP - KSTACK_VA) throw new Error(`exception frame at ${hex(va)} is outside the kernel stack`);
    return new DataView(mem.ram.buffer, mem.ram.byteOffset).getBigUint64(kstackPa + Number(off), true);
  };
  let p = sp;
  let error: bigint | null = null;
  if (ERRCODE_VECTORS.has(vector)) {
    error = rd(p);
    p += 8n;
  }
  const rip = rd(p);
  const cs = rd(p + 8n);
  const rflags = rd(p + 16n);
  const ursp = rd(p + 24n);
  const cr2 = cpu.u64(L.V_CR2);
  const name = VECTOR_NAMES[vector] ?? `vector ${vector}`;
  let message = `${name} (vector ${vector}) at rip ${hex(rip)}`;
  if (error !== null) message += ` error code ${hex(error)}`;
  if (vector === 14) message += ` cr2 ${hex(cr2)}`;
  message += ` (cs ${hex(cs)} rflags ${hex(rflags)} rsp ${hex(ursp)})`;
  if (p + 40n !== KSTACK_TOP) message += ` [frame not at the top of the kernel stack: rsp ${hex(sp)}]`;
  return { kind: 'fault', vector, rip, error, cr2, message };
}

/** Builds GDT, IDT, TSS, stubs and the kernel stack; returns the kernel stack's physical address. */
function buildSupervisor(mem: AddressSpace): number {
  const ram = mem.ram;
  const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  const gdt = mem.allocFrame();
  const idt = mem.allocFrame();
  const tss = mem.allocFrame();
  const stub = mem.allocFrame();
  const RW = PROT_READ | PROT_WRITE;
  mem.mapPage(GDT_VA, gdt, RW, false);
  mem.mapPage(IDT_VA, idt, PROT_READ, false);
  mem.mapPage(TSS_VA, tss, RW, false);
  mem.mapPage(STUB_VA, stub, PROT_READ | PROT_EXEC, false);
  let kstackPa = 0;
  for (let i = 0; i < 4; i++) {
    const f = mem.allocFrame();
    if (i === 0) kstackPa = f;
    else if (f !== kstackPa + i * 0x1000) throw new Error('kernel stack frames are not contiguous');
    mem.mapPage(KSTACK_VA + BigInt(i * 0x1000), f, RW, false);
  }
  // GDT in Linux's order
  const q = (pa: number, v: bigint) => dv.setBigUint64(pa, v, true);
  q(gdt + 0x08, 0x00cf9b000000ffffn); // kernel code 32
  q(gdt + SEL_KCODE, 0x00af9b000000ffffn); // kernel code 64
  q(gdt + SEL_KDATA, 0x00cf93000000ffffn); // kernel data
  q(gdt + (SEL_UCODE32 & ~3), 0x00cffb000000ffffn); // user code 32
  q(gdt + (SEL_UDATA & ~3), 0x00cff3000000ffffn); // user data
  q(gdt + (SEL_UCODE & ~3), 0x00affb000000ffffn); // user code 64
  const tb = TSS_VA;
  q(gdt + SEL_TSS, 0x67n | ((tb & 0xffffffn) << 16n) | (0x89n << 40n) | (((tb >> 24n) & 0xffn) << 56n));
  q(gdt + SEL_TSS + 8, tb >> 32n);
  // TSS: RSP0, I/O map base past the limit (no bitmap)
  q(tss + 4, KSTACK_TOP);
  dv.setUint16(tss + 0x66, 0x68, true);
  // stubs
  ram.set([0x0f, 0x01, 0xc1, 0x48, 0x0f, 0x07], stub); // vmcall; sysretq
  for (let v = 0; v < NVEC; v++) {
    const s = stub + Number(EXC_STUB - STUB_VA) + v * Number(EXC_STUB_SIZE);
    ram.set([0xb8, v, 0x01, 0x00, 0x00, 0x0f, 0x01, 0xc1, 0xf4, 0xeb, 0xfd], s); // mov eax,0x100+v; vmcall; hlt; jmp $-1
    const off = EXC_STUB + BigInt(v) * EXC_STUB_SIZE;
    const dpl = v === 3 || v === 4 ? 3n : 0n; // INT3/INTO allowed from user mode, as on Linux
    q(idt + v * 16, (off & 0xffffn) | (BigInt(SEL_KCODE) << 16n) | ((0x8en | (dpl << 5n)) << 40n) | (((off >> 16n) & 0xffffn) << 48n));
    q(idt + v * 16 + 8, off >> 32n);
  }
  return kstackPa;
}

function loadElf(bytes: Uint8Array, mem: AddressSpace): { entry: number; brkStart: number; phdr: number; phnum: number } {
  const img = parseElf(bytes);
  if (img.bits !== 64) throw new Error('not an ELF64 executable');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const etype = dv.getUint16(16, true);
  if (etype !== 2 && etype !== 3) throw new Error(`ELF type ${etype} is not an executable (ET_EXEC/ET_DYN)`);
  const bias = etype === 3 ? PIE_BASE : 0;
  const phoff = Number(dv.getBigUint64(32, true));
  const loads = img.segments.filter((s) => s.type === PT_LOAD);
  if (!loads.length) throw new Error('no PT_LOAD segments');
  for (const s of img.segments) if (s.type === 3) throw new Error('dynamically linked (PT_INTERP): build with -static');
  // union of permissions per page, so a page shared by two segments gets both
  const perms = new Map<number, number>();
  let end = 0;
  for (const s of loads) {
    const va = Number(s.vaddr) + bias;
    const prot = (s.flags & 4 ? PROT_READ : 0) | (s.flags & 2 ? PROT_WRITE : 0) | (s.flags & 1 ? PROT_EXEC : 0);
    for (let p = Math.floor(va / 4096); p < Math.ceil((va + Number(s.memsz)) / 4096); p++) perms.set(p, (perms.get(p) ?? 0) | prot);
    end = Math.max(end, va + Number(s.memsz));
  }
  for (const [vpn, prot] of perms) mem.mapUser(vpn * 4096, 4096, prot);
  for (const s of loads) mem.write(Number(s.vaddr) + bias, bytes.subarray(s.offset, s.offset + s.filesz));
  // AT_PHDR: PT_PHDR if present, else the load segment that covers the header table in the file
  let phdr = 0;
  const pt = img.segments.find((s) => s.type === 6);
  if (pt) phdr = Number(pt.vaddr) + bias;
  else {
    const s = loads.find((s) => s.offset <= phoff && phoff < s.offset + s.filesz);
    if (!s) throw new Error('program headers are not inside a loaded segment');
    phdr = Number(s.vaddr) + bias + (phoff - s.offset);
  }
  return { entry: Number(img.entry) + bias, brkStart: Math.ceil(end / 4096) * 4096, phdr, phnum: img.segments.length };
}

function buildStack(mem: AddressSpace, argv: string[], envp: string[], info: { entry: number; phdr: number; phnum: number }): number {
  mem.mapUser(STACK_TOP - STACK_SIZE, STACK_SIZE, PROT_READ | PROT_WRITE);
  let sp = STACK_TOP;
  const push = (b: Uint8Array): number => {
    sp -= b.length;
    mem.write(sp, b);
    return sp;
  };
  const cstr = (s: string) => push(Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]));
  push(new Uint8Array(8)); // end marker
  const execfn = cstr(argv[0] ?? '');
  const envPtrs = envp.map(cstr);
  const argPtrs = argv.map(cstr);
  const platform = cstr('x86_64');
  sp -= sp % 16;
  const random = push(AT_RANDOM_BYTES);
  sp -= sp % 16;
  const aux: [number, number][] = [
    [AT.PHDR, info.phdr], [AT.PHENT, 56], [AT.PHNUM, info.phnum], [AT.PAGESZ, 4096], [AT.BASE, 0], [AT.FLAGS, 0],
    [AT.ENTRY, info.entry], [AT.UID, UID], [AT.EUID, UID], [AT.GID, GID], [AT.EGID, GID], [AT.PLATFORM, platform],
    [AT.HWCAP, 0], [AT.CLKTCK, 100], [AT.SECURE, 0], [AT.RANDOM, random], [AT.HWCAP2, 0], [AT.EXECFN, execfn], [AT.NULL, 0],
  ];
  const words: number[] = [argv.length, ...argPtrs, 0, ...envPtrs, 0, ...aux.flat()];
  if (words.length % 2) sp -= 8; // RSP % 16 == 0 at the entry point, pointing at argc
  sp -= words.length * 8;
  words.forEach((w, i) => mem.writeU64(sp + i * 8, BigInt(w)));
  return sp;
}

function setUserState(cpu: VcpuRegs, mem: AddressSpace, entry: number, rsp: number): void {
  cpu.setU64(L.V_CR0, BigInt(L.CR0_PG | L.CR0_WP | L.CR0_NE | L.CR0_ET | L.CR0_MP | L.CR0_PE) & 0xffffffffn);
  cpu.setU64(L.V_CR3, BigInt(mem.pml4));
  cpu.setU64(L.V_CR4, BigInt(L.CR4_PAE | L.CR4_OSFXSR | L.CR4_OSXMMEXCPT));
  cpu.setU64(L.V_EFER, BigInt(L.EFER_SCE | L.EFER_LME | L.EFER_LMA | L.EFER_NXE));
  cpu.setU64(L.V_GDTR_BASE, GDT_VA);
  cpu.setU32(L.V_GDTR_LIMIT, SEL_TSS + 15);
  cpu.setU64(L.V_IDTR_BASE, IDT_VA);
  cpu.setU32(L.V_IDTR_LIMIT, NVEC * 16 - 1);
  cpu.setU64(L.V_STAR, (BigInt(SEL_UCODE32 & ~3) << 48n) | (BigInt(SEL_KCODE) << 32n));
  cpu.setU64(L.V_LSTAR, SYSCALL_STUB);
  cpu.setU64(L.V_SFMASK, SFMASK);
  cpu.setSeg(L.SEG_CS, { sel: SEL_UCODE, attr: 0xa0fb, limit: 0xffffffff, base: 0n });
  cpu.setSeg(L.SEG_SS, { sel: SEL_UDATA, attr: 0xc0f3, limit: 0xffffffff, base: 0n });
  for (const s of [L.SEG_DS, L.SEG_ES, L.SEG_FS, L.SEG_GS]) cpu.setSeg(s, { sel: 0, attr: 0xc0f3, limit: 0xffffffff, base: 0n });
  cpu.setSeg(L.SEG_LDTR, { sel: 0, attr: 0x82, limit: 0, base: 0n });
  cpu.setSeg(L.SEG_TR, { sel: SEL_TSS, attr: 0x8b, limit: 0x67, base: TSS_VA });
  for (let r = 0; r < 16; r++) cpu.setGpr(r as Gpr, 0n);
  cpu.setGpr(Gpr.RSP, BigInt(rsp));
  cpu.rip = BigInt(entry);
  cpu.rflags = BigInt(L.RFLAGS_FIXED | L.RFLAGS_IF);
}
