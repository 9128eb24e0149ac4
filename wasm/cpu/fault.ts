// The fault vocabulary. AssemblyScript has no exceptions, so an instruction that faults records the
// exception here and returns; every memory accessor's caller checks `fault` before side effects.
// The run loop then rewinds RIP to the instruction start and delivers the exception.

export const EXC_DE: i32 = 0;
export const EXC_DB: i32 = 1;
export const EXC_NMI: i32 = 2;
export const EXC_BP: i32 = 3;
export const EXC_OF: i32 = 4;
export const EXC_BR: i32 = 5;
export const EXC_UD: i32 = 6;
export const EXC_NM: i32 = 7;
export const EXC_DF: i32 = 8;
export const EXC_TS: i32 = 10;
export const EXC_NP: i32 = 11;
export const EXC_SS: i32 = 12;
export const EXC_GP: i32 = 13;
export const EXC_PF: i32 = 14;
export const EXC_MF: i32 = 16;
export const EXC_AC: i32 = 17;
export const EXC_XM: i32 = 19;

export const NO_ERROR: i32 = -1;

// Page-fault error code bits.
export const PF_P: u32 = 1;
export const PF_W: u32 = 2;
export const PF_U: u32 = 4;
export const PF_RSVD: u32 = 8;
export const PF_I: u32 = 16;

/**
 * Set when the run loop must look at something after the current instruction: a fault, an exit,
 * an interrupt shadow, or IF becoming 1 (a pending interrupt may now be deliverable). Keeping this
 * one flag lets the loop skip all of those checks on ordinary instructions.
 */
export let attention: bool = false;
@inline export function needAttention(): void { attention = true; }
@inline export function clearAttention(): void { attention = false; }

/** Set when the current instruction faulted or must stop (exit to the hypervisor). */
export let fault: bool = false;
export let faultVector: i32 = 0;
export let faultError: i32 = NO_ERROR;
/** Nonzero when the instruction stopped for an exit rather than an exception (EXIT_* code). */
export let faultExit: i32 = 0;

export function raise(vector: i32, error: i32): void {
  if (fault) return; // the first fault of an instruction wins
  fault = true;
  attention = true;
  faultVector = vector;
  faultError = error;
  faultExit = 0;
}

@inline export function raiseGP(error: i32): void { raise(EXC_GP, error); }
@inline export function raiseUD(): void { raise(EXC_UD, NO_ERROR); }

/** Abort the instruction (RIP rewinds to its start) and leave run() with an exit code. */
export function requestExit(code: i32): void {
  if (fault) return;
  fault = true;
  attention = true;
  faultExit = code;
}

export function clearFault(): void {
  fault = false;
  faultExit = 0;
  faultError = NO_ERROR;
}

/** Vectors whose exceptions push an error code. */
export function pushesErrorCode(vector: i32): bool {
  return vector == EXC_DF || (vector >= EXC_TS && vector <= EXC_PF) || vector == EXC_AC || vector == 21 || vector == 29 || vector == 30;
}

/** An exit taken after the current instruction completes (hypercall, OUT, MMIO write, HLT, ...). */
export let exitAfter: i32 = 0;
export function exitAfterInstruction(code: i32): void { if (exitAfter == 0) exitAfter = code; attention = true; }
export function clearExitAfter(): void { exitAfter = 0; }
