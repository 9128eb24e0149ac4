// A XenDomain over a plain guest RAM array, with a clock the test controls (for hypercall and
// event-channel tests that do not need the core).
import { XenDomain } from '../../../src/hypervisor/domain.ts';
import { MEMMAP_RAM, MEMMAP_RESERVED, RESERVED_TOP_BYTES, SPECIAL_PAGE_CONSOLE, type GuestLayout } from '../../../src/hypervisor/guest-layout.ts';
import { GuestMemory } from '../../../src/hypervisor/guest-memory.ts';
import type { HypercallContext } from '../../../src/hypervisor/hypercalls/context.ts';

export interface TestDomain {
  mem: GuestMemory;
  xen: XenDomain;
  /** Set the virtual clock (TSC ticks; 1 GHz, so ticks = ns). */
  clock: { ticks: bigint; offset: bigint };
  kicks: number[];
  nmis: number[];
  sipis: string[];
  console: Uint8Array[];
  ctx(vcpu?: number): HypercallContext;
}

/** Layout fields XenDomain uses, for a RAM of `ramBytes` whose top 64 KiB is reserved. */
export function testLayout(ramBytes: number): GuestLayout {
  const usableEnd = ramBytes - RESERVED_TOP_BYTES;
  const special = usableEnd + 32 * 1024;
  return {
    ramBytes,
    kernel: { start: 0x1000, end: 0x2000 },
    block: { start: 0x2000, end: 0x3000 },
    startInfo: 0x2000,
    cmdline: 0x2038,
    modlist: 0x2040,
    memmap: 0x2040,
    memmapEntries: [
      { addr: 0, size: usableEnd, type: MEMMAP_RAM },
      { addr: usableEnd, size: RESERVED_TOP_BYTES, type: MEMMAP_RESERVED },
    ],
    usableEnd,
    acpi: { start: usableEnd, end: special },
    rsdp: usableEnd,
    specialPages: { start: special, end: ramBytes },
    xenstorePage: special + 4 * 4096,
    consolePage: special + SPECIAL_PAGE_CONSOLE * 4096,
  };
}

export function testDomain(opts: { ram?: Uint8Array; mem?: GuestMemory; vcpus?: number; translate?: (v: number, l: bigint, w: boolean) => bigint } = {}): TestDomain {
  const ram = opts.mem?.ram ?? opts.ram ?? new Uint8Array(1 << 20);
  const mem = opts.mem ?? new GuestMemory(ram, opts.translate ?? ((_v, l) => (l < BigInt(ram.length) ? l : -1n)));
  const clock = { ticks: 0n, offset: 0n };
  const kicks: number[] = [];
  const nmis: number[] = [];
  const sipis: string[] = [];
  const out: Uint8Array[] = [];
  const xen = new XenDomain(
    mem,
    { nrVcpus: opts.vcpus ?? 1, tscKhz: 1_000_000, wallclockEpochMs: 1735689600123, layout: testLayout(ram.length) },
    { ticks: () => clock.ticks, tscOffset: () => clock.offset },
    { kick: (v) => kicks.push(v), nmi: (v) => nmis.push(v), initSipi: (v, k, vec) => sipis.push(`${k}:${v}:${vec}`) },
    (b) => out.push(b),
  );
  return {
    mem,
    xen,
    clock,
    kicks,
    nmis,
    sipis,
    console: out,
    ctx: (vcpu = 0) => ({ vcpu, mem, xen, console: () => {}, shutdown: () => {} }),
  };
}
