// CPUID: the one table of what this CPU advertises. Every bit set here is implemented by the core;
// nothing else is advertised. Hypervisor leaves (0x40000000..0x4000FFFF) exit to the hypervisor.
import { V_VENDOR_AMD, V_APIC_ID, V_TSC_KHZ } from "../layout";
import { cpu } from "./state";
import { MAXPHYADDR } from "./mmu";

// CPUID.1:EDX
const FEAT_PSE: u32 = 1 << 3;
const FEAT_TSC: u32 = 1 << 4;
const FEAT_MSR: u32 = 1 << 5;
const FEAT_PAE: u32 = 1 << 6;
const FEAT_CX8: u32 = 1 << 8;
const FEAT_APIC: u32 = 1 << 9; // the hypervisor's local APIC (src/hypervisor/lapic.ts)
const FEAT_SEP: u32 = 1 << 11;
const FEAT_PGE: u32 = 1 << 13;
const FEAT_CMOV: u32 = 1 << 15;
const FEAT_PAT: u32 = 1 << 16;
const FEAT_CLFSH: u32 = 1 << 19;
const FEAT_MMX: u32 = 1 << 23;
const FEAT_FXSR: u32 = 1 << 24;
const FEAT_SSE: u32 = 1 << 25;
const FEAT_SSE2: u32 = 1 << 26;
// CPUID.1:ECX
const FEAT_SSE3: u32 = 1 << 0;
const FEAT_SSSE3: u32 = 1 << 9;
const FEAT_SSE41: u32 = 1 << 19;
const FEAT_SSE42: u32 = 1 << 20;
const FEAT_CX16: u32 = 1 << 13;
const FEAT_MOVBE: u32 = 1 << 22;
const FEAT_POPCNT: u32 = 1 << 23;
const FEAT_HYPERVISOR: u32 = 1 << 31;
// CPUID.7.0:ECX
const FEAT7_RDPID: u32 = 1 << 22;
// CPUID.80000001:EDX / ECX
const EXT_SYSCALL: u32 = 1 << 11;
const EXT_NX: u32 = 1 << 20;
const EXT_PAGE1GB: u32 = 1 << 26;
const EXT_RDTSCP: u32 = 1 << 27;
const EXT_LM: u32 = 1 << 29;
const EXT_LAHF_LM: u32 = 1 << 0;
const EXT_ABM: u32 = 1 << 5; // LZCNT
const EXT_PREFETCHW: u32 = 1 << 8;
// CPUID.80000007:EDX
const APM_INVARIANT_TSC: u32 = 1 << 8;

const MAX_BASIC: u32 = 0x16; // leaf 0x16 gives the core clock, so Linux skips PIT calibration
const MAX_EXTENDED: u32 = 0x80000008;

export let outA: u32 = 0;
export let outB: u32 = 0;
export let outC: u32 = 0;
export let outD: u32 = 0;

@inline function set(a: u32, b: u32, c: u32, d: u32): void { outA = a; outB = b; outC = c; outD = d; }

/** Four ASCII characters as a little-endian register value. */
@inline function chars(a: u32, b: u32, c: u32, d: u32): u32 { return a | (b << 8) | (c << 16) | (d << 24); }

/** Fill outA..outD for `leaf`/`sub`. Returns false for hypervisor leaves (EXIT_CPUID). */
export function cpuid(leaf: u32, sub: u32): bool {
  const amd = load<u32>(cpu + V_VENDOR_AMD) != 0;
  if ((leaf & 0xffff0000) == 0x40000000) return false;
  switch (leaf) {
    case 0:
      if (amd) set(MAX_BASIC, chars(0x41, 0x75, 0x74, 0x68), chars(0x63, 0x41, 0x4d, 0x44), chars(0x65, 0x6e, 0x74, 0x69));
      else set(MAX_BASIC, chars(0x47, 0x65, 0x6e, 0x75), chars(0x6e, 0x74, 0x65, 0x6c), chars(0x69, 0x6e, 0x65, 0x49));
      return true;
    case 1: {
      // Family 6, model 0x3A (an Ivy Bridge-class signature); stepping 9.
      const sig: u32 = amd ? 0x00800f12 : 0x000306a9;
      const ebx = (load<u32>(cpu + V_APIC_ID) << 24) | (1 << 16) | (8 << 8);
      set(sig, ebx, FEAT_CX16 | FEAT_MOVBE | FEAT_POPCNT | FEAT_HYPERVISOR | FEAT_SSE3 | FEAT_SSSE3 | FEAT_SSE41 | FEAT_SSE42,
        1 /* FPU (x87) */ | FEAT_PSE | FEAT_TSC | FEAT_MSR | FEAT_PAE | FEAT_CX8 | FEAT_APIC | FEAT_SEP | FEAT_PGE | FEAT_CMOV | FEAT_PAT | FEAT_CLFSH |
        FEAT_MMX | FEAT_FXSR | FEAT_SSE | FEAT_SSE2);
      return true;
    }
    case 7:
      set(0, 0, sub == 0 ? FEAT7_RDPID : 0, 0);
      return true;
    case 0x16: {
      // Base and maximum frequency in MHz (the virtual TSC rate), bus reference 100 MHz.
      const mhz = load<u32>(cpu + V_TSC_KHZ) / 1000;
      set(mhz, mhz, 100, 0);
      return true;
    }
    case 0x80000000:
      set(MAX_EXTENDED, amd ? chars(0x41, 0x75, 0x74, 0x68) : 0, amd ? chars(0x63, 0x41, 0x4d, 0x44) : 0, amd ? chars(0x65, 0x6e, 0x74, 0x69) : 0);
      return true;
    case 0x80000001:
      set(0, 0, EXT_LAHF_LM | EXT_ABM | EXT_PREFETCHW, EXT_SYSCALL | EXT_NX | EXT_PAGE1GB | EXT_RDTSCP | EXT_LM);
      return true;
    // Brand string "webpvh virtual x86-64 CPU", NUL padded.
    case 0x80000002: set(chars(0x77, 0x65, 0x62, 0x70), chars(0x76, 0x68, 0x20, 0x76), chars(0x69, 0x72, 0x74, 0x75), chars(0x61, 0x6c, 0x20, 0x78)); return true;
    case 0x80000003: set(chars(0x38, 0x36, 0x2d, 0x36), chars(0x34, 0x20, 0x43, 0x50), chars(0x55, 0, 0, 0), 0); return true;
    case 0x80000004: set(0, 0, 0, 0); return true;
    case 0x80000007: set(0, 0, 0, APM_INVARIANT_TSC); return true;
    case 0x80000008: set(<u32>MAXPHYADDR | (48 << 8), 0, 0, 0); return true;
    default:
      set(0, 0, 0, 0);
      return true;
  }
}
