// The x87 FPU: D8..DF escapes with true 80-bit extended precision (soft-float), the control, status
// and tag words, FWAIT, and conversion to and from the FXSAVE image.
import { unimplemented } from "../cpu/decode";

/** D8..DF: returns false when the form is not implemented (the caller reports it). */
export function x87Escape(op: u32): bool {
  return false;
}

/** 9B FWAIT: raise #MF for pending unmasked exceptions (CR0.NE), #NM per CR0.TS/MP. */
export function x87Wait(): void {}

/**
 * 0F AE /0 FXSAVE and /1 FXRSTOR (ModRM decoded, memory operand): the whole 512-byte image,
 * including MXCSR and XMM registers, converting the x87 registers between the live representation
 * and the architectural stack order. Returns false if not implemented.
 */
export function x87FxsaveFxrstor(save: bool): bool {
  return false;
}

export { unimplemented };
