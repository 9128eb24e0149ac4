// The one declaration of the core's memory layout, vCPU state offsets and exit codes.
//
// This file is valid AssemblyScript *and* TypeScript: the core (wasm/) and the hypervisor (src/)
// both import it, so no offset is ever written twice. Keep it to plain `export const` integers.
//
// Linear memory (one shared WebAssembly.Memory):
//   [0, CORE_DATA_END)            AssemblyScript static data and stack
//   [VCPU_BASE, +MAX_VCPUS*VCPU_SIZE)   vCPU state blocks, VCPU_SIZE bytes each
//   [TLB_BASE, +MAX_VCPUS*TLB_BYTES)    software TLBs, one per vCPU
//   [GUEST_RAM_BASE, +ram size)   guest physical memory: guest physical address p lives at GUEST_RAM_BASE + p

export const PAGE_SIZE = 4096;
export const WASM_PAGE = 65536;

export const CORE_DATA_END = 0x00100000;
export const MAX_VCPUS = 64;
export const VCPU_BASE = 0x00100000;
export const VCPU_SIZE = 0x1000;
export const TLB_BASE = 0x00200000;
export const TLB_ENTRIES = 1024; // direct-mapped, indexed by virtual page number
export const TLB_ENTRY_SIZE = 16; // u64 tag (vpn<<12 | flags), u64 host address of the page
export const TLB_BYTES = 0x4000; // TLB_ENTRIES * TLB_ENTRY_SIZE
export const CORE_STATE_END = 0x00300000; // TLB_BASE + MAX_VCPUS * TLB_BYTES
// JIT tier (wasm/cpu/jit.ts, src/jit/): a code generation number per guest-physical 4 KiB page
// (u32: odd = compiled code exists on the page), then the direct-mapped table of compiled blocks.
export const JIT_GEN_BASE = 0x00300000; // u32 per page of MAX_GUEST_RAM: 3.9 MiB
export const JIT_BLOCKS_BASE = 0x00700000;
export const JIT_BLOCK_ENTRIES = 32768;
export const JIT_BLOCK_SIZE = 32;
// Block entry fields: the key is (host address of the first byte, linear RIP).
export const JB_HOST = 0; // u32 memory offset of the block's first instruction byte
export const JB_GEN = 4; // u32 page generation the entry was made under
export const JB_RIP = 8; // u64 linear RIP of the block
export const JB_FN = 16; // u32 function table slot (0 = none); kept across re-keying for reuse
export const JB_HITS = 20; // u32 executions counted while not compiled
export const JB_COUNT = 24; // u32 instructions in the compiled block
export const JB_STATE = 28; // u32 JBS_*
export const JBS_COUNTING = 0;
export const JBS_COMPILED = 1;
export const JBS_REFUSED = 2; // the JIT cannot start a block here (until the page changes)
export const JBS_QUEUED = 3; // hot, waiting in the compile queue
// Hot blocks wait here and are compiled together (one wasm module per batch is far cheaper than
// one per block): u32 count, then u32 block-entry addresses.
export const JIT_QUEUE_BASE = 0x00800000;
export const JIT_QUEUE_MAX = 128;
// Chaining cells: a block exit to a fixed RIP on the block's own page owns a cell; once the core has
// run a compiled block there, the cell names it and the exit tail-calls it directly.
export const JIT_LINKS_BASE = 0x00900000;
export const JIT_LINKS = 65536;
export const JIT_LINK_SIZE = 16;
export const JL_SLOT = 0; // u32 function table slot of the target block (0 = not linked)
export const JL_COUNT = 4; // u32 instructions in the target block
export const JL_EPOCH = 8; // u32 link epoch the cell was filled in (stale unless it equals linkEpoch)
export const JIT_END = 0x00a00000; // JIT_LINKS_BASE + JIT_LINKS * JIT_LINK_SIZE
// A compiled block returns the instructions it completed, ORed with this when it stopped before an
// instruction only the interpreter can do (an MMIO access, a page-crossing access, a #GP branch).
export const JIT_INTERPRET_NEXT = 0x40000000; // budgets passed to blocks stay below it
export const GUEST_RAM_BASE = 0x02000000; // 32 MiB: the core's own memory stays below this
export const MAX_GUEST_RAM = 0xf0000000 - 0x02000000; // what a 32-bit wasm memory leaves us (~3.7 GiB)

// ---- per-vCPU state block: offsets from VCPU_BASE + vcpu * VCPU_SIZE ----
// General registers, 8 bytes each, in encoding order: RAX RCX RDX RBX RSP RBP RSI RDI R8..R15.
export const V_GPR = 0x000;
export const V_RIP = 0x080;
export const V_RFLAGS = 0x088; // architectural RFLAGS; valid whenever the core is not running
// Segment registers: 8 slots of SEG_SIZE bytes in the order ES CS SS DS FS GS LDTR TR.
export const V_SEG = 0x100;
export const SEG_SIZE = 0x20;
export const SEG_SEL = 0x00; // u32 selector
export const SEG_ATTR = 0x04; // u32 attributes in VMX layout: type[3:0] S[4] DPL[6:5] P[7] AVL[12] L[13] D/B[14] G[15]
export const SEG_LIMIT = 0x08; // u32 limit, already scaled by G (byte granular)
export const SEG_BASE = 0x10; // u64 base
export const SEG_ES = 0;
export const SEG_CS = 1;
export const SEG_SS = 2;
export const SEG_DS = 3;
export const SEG_FS = 4;
export const SEG_GS = 5;
export const SEG_LDTR = 6;
export const SEG_TR = 7;
export const V_GDTR_BASE = 0x200; // u64
export const V_GDTR_LIMIT = 0x208; // u32
export const V_IDTR_BASE = 0x210; // u64
export const V_IDTR_LIMIT = 0x218; // u32
export const V_CR0 = 0x220;
export const V_CR2 = 0x228;
export const V_CR3 = 0x230;
export const V_CR4 = 0x238;
export const V_CR8 = 0x240;
export const V_EFER = 0x248;
export const V_DR = 0x250; // DR0..DR7, 8 bytes each (DR4/DR5 slots unused)
// MSRs the core implements itself, 8 bytes each.
export const V_STAR = 0x290;
export const V_LSTAR = 0x298;
export const V_CSTAR = 0x2a0;
export const V_SFMASK = 0x2a8;
export const V_KERNEL_GS_BASE = 0x2b0;
export const V_TSC_AUX = 0x2b8;
export const V_PAT = 0x2c0;
export const V_APIC_BASE = 0x2c8;
export const V_MISC_ENABLE = 0x2d0;
export const V_SYSENTER_CS = 0x2d8;
export const V_SYSENTER_ESP = 0x2e0;
export const V_SYSENTER_EIP = 0x2e8;
export const V_TSC_OFFSET = 0x2f0; // guest TSC = virtual clock + offset (written by WRMSR TSC)

// Run control and exit information.
export const V_EXIT_REASON = 0x300; // u32 EXIT_*
export const V_EXIT_RIP = 0x308; // u64 RIP of the instruction that caused the exit
export const V_EXIT_PORT = 0x310; // u32 I/O port, or MSR index for EXIT_MSR, or CPUID leaf for EXIT_CPUID
export const V_EXIT_SIZE = 0x314; // u32 access size in bytes (1, 2, 4, 8)
export const V_EXIT_WRITE = 0x318; // u32 1 = OUT / MMIO write / WRMSR, 0 = IN / MMIO read / RDMSR
export const V_EXIT_ADDR = 0x320; // u64 guest physical address for EXIT_MMIO
export const V_EXIT_VALUE = 0x328; // u64 data written (OUT, MMIO write, WRMSR)
export const V_EXIT_BYTES = 0x330; // 16 bytes: instruction bytes at RIP for EXIT_UNIMPLEMENTED
// Data the hypervisor supplies for an IN or MMIO read: the core re-executes the instruction and
// consumes it (KVM's model: the exit happens before the access, so the instruction restarts cleanly).
export const V_IO_PENDING = 0x340; // u32 1 = V_IO_DATA holds the answer to the last IN/MMIO read exit
export const V_IO_DATA = 0x348; // u64
export const V_INSN_COUNT = 0x350; // u64 instructions retired by this vCPU
export const V_HALTED = 0x358; // u32 1 = HLT executed, waiting for an interrupt
export const V_INT_SHADOW = 0x35c; // u32 1 = interrupts inhibited for one instruction (STI / MOV SS)
// An event the hypervisor asks the core to deliver before the next instruction.
export const V_PENDING_VALID = 0x360; // u32 1 = pending
export const V_PENDING_VECTOR = 0x364; // u32 vector 0..255
export const V_PENDING_KIND = 0x368; // u32 EVENT_*
export const V_PENDING_ERROR = 0x36c; // u32 error code (exceptions that push one), or ERROR_NONE
export const V_EXTINT_VALID = 0x370; // u32 1 = an external interrupt is requested (delivered when IF=1, no shadow)
export const V_EXTINT_VECTOR = 0x374; // u32
export const V_CLOCK = 0x378; // u64 virtual clock in TSC ticks, advanced by the hypervisor
export const V_TSC_KHZ = 0x380; // u32 virtual TSC frequency the guest learns through CPUID
export const V_VENDOR_AMD = 0x384; // u32 1 = advertise AuthenticAMD, 0 = GenuineIntel
export const V_APIC_ID = 0x388; // u32 reported in CPUID.1:EBX[31:24] and leaf 0xB
export const V_FAULT_COUNT = 0x38c; // u32 nested faults during one delivery (for #DF / triple fault)
export const V_TLB_LARGE = 0x390; // u32 1 = this vCPU's TLB holds slices of a large page (INVLPG must flush all)

// x87/SSE state lives in the FXSAVE layout (64-bit form) between runs and while running.
export const V_FXSAVE = 0x400; // 512 bytes, 16-byte aligned
export const FX_FCW = 0x00; // u16 x87 control word
export const FX_FSW = 0x02; // u16 x87 status word
export const FX_FTW = 0x04; // u8 abridged tag word (1 bit per register)
export const FX_FOP = 0x06; // u16 last x87 opcode
export const FX_FIP = 0x08; // u64 last x87 instruction pointer
export const FX_FDP = 0x10; // u64 last x87 data pointer
export const FX_MXCSR = 0x18; // u32
export const FX_MXCSR_MASK = 0x1c; // u32
export const FX_ST = 0x20; // 8 x 16 bytes: 80-bit registers (order: see wasm/exec/x87.ts)
export const FX_XMM = 0xa0; // 16 x 16 bytes: XMM0..XMM15
export const V_X87_EXTRA = 0x600; // 256 bytes the x87 engine may use for state beyond the image

// ---- exit codes returned by run() ----
export const EXIT_BUDGET = 1; // instruction budget spent
export const EXIT_HLT = 2; // HLT with nothing to deliver
export const EXIT_HYPERCALL = 3; // VMCALL/VMMCALL at CPL 0; RIP already past it, hypervisor writes RAX
export const EXIT_IO = 4; // IN/OUT: OUT is complete; IN restarts after the hypervisor sets V_IO_DATA
export const EXIT_MMIO = 5; // access outside RAM: write is complete; read restarts like IN
export const EXIT_SHUTDOWN = 6; // triple fault
export const EXIT_CPUID = 7; // CPUID leaf the hypervisor owns (0x4000xxxx); RIP past it, hypervisor writes EAX..EDX
export const EXIT_MSR = 8; // RDMSR/WRMSR of an MSR the core does not own; RIP past it
export const EXIT_UNIMPLEMENTED = 9; // opcode not implemented; RIP at it, bytes in V_EXIT_BYTES
export const EXIT_PAUSE = 10; // PAUSE: a hint that the vCPU spins (lets an SMP scheduler switch)

// ---- event kinds for V_PENDING_KIND ----
export const EVENT_EXCEPTION = 0;
export const EVENT_NMI = 2;
export const ERROR_NONE = 0xffffffff;

// ---- CR/EFER/RFLAGS bits shared by core and hypervisor ----
export const CR0_PE = 0x1;
export const CR0_MP = 0x2;
export const CR0_EM = 0x4;
export const CR0_TS = 0x8;
export const CR0_ET = 0x10;
export const CR0_NE = 0x20;
export const CR0_WP = 0x10000;
export const CR0_AM = 0x40000;
export const CR0_NW = 0x20000000;
export const CR0_CD = 0x40000000;
export const CR0_PG = 0x80000000;
export const CR4_VME = 0x1;
export const CR4_PVI = 0x2;
export const CR4_TSD = 0x4;
export const CR4_DE = 0x8;
export const CR4_PSE = 0x10;
export const CR4_PAE = 0x20;
export const CR4_MCE = 0x40;
export const CR4_PGE = 0x80;
export const CR4_PCE = 0x100;
export const CR4_OSFXSR = 0x200;
export const CR4_OSXMMEXCPT = 0x400;
export const CR4_UMIP = 0x800;
export const CR4_FSGSBASE = 0x10000;
export const CR4_PCIDE = 0x20000;
export const CR4_OSXSAVE = 0x40000;
export const CR4_SMEP = 0x100000;
export const CR4_SMAP = 0x200000;
export const EFER_SCE = 0x1;
export const EFER_LME = 0x100;
export const EFER_LMA = 0x400;
export const EFER_NXE = 0x800;
export const RFLAGS_CF = 0x1;
export const RFLAGS_FIXED = 0x2;
export const RFLAGS_PF = 0x4;
export const RFLAGS_AF = 0x10;
export const RFLAGS_ZF = 0x40;
export const RFLAGS_SF = 0x80;
export const RFLAGS_TF = 0x100;
export const RFLAGS_IF = 0x200;
export const RFLAGS_DF = 0x400;
export const RFLAGS_OF = 0x800;
export const RFLAGS_IOPL = 0x3000;
export const RFLAGS_NT = 0x4000;
export const RFLAGS_RF = 0x10000;
export const RFLAGS_VM = 0x20000;
export const RFLAGS_AC = 0x40000;
export const RFLAGS_VIF = 0x80000;
export const RFLAGS_VIP = 0x100000;
export const RFLAGS_ID = 0x200000;
