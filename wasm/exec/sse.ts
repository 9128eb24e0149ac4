// MMX and SSE..SSE4.2: the 0F, 0F 38 and 0F 3A opcode maps not handled elsewhere, MXCSR, and the
// FXSAVE/FXRSTOR/LDMXCSR/STMXCSR members of group 15. XMM registers live at V_FXSAVE + FX_XMM.
import { unimplemented } from "../cpu/decode";

/** 0F xx opcodes the integer core does not own. Returns false if `op` is not an SSE/MMX opcode. */
export function sseTwoByte(op: u32): bool {
  return false;
}

/** 0F 38 xx (except MOVBE, which the integer core owns). */
export function sse0F38(op: u32): bool {
  return false;
}

/** 0F 3A xx. */
export function sse0F3A(op: u32): bool {
  return false;
}

/** 0F AE memory forms /0 FXSAVE, /1 FXRSTOR, /2 LDMXCSR, /3 STMXCSR (ModRM already decoded). */
export function fxGroup15(reg: i32): bool {
  return false;
}

export { unimplemented };
