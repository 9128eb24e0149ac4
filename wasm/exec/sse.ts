// MMX and SSE..SSE4.2: the 0F, 0F 38 and 0F 3A opcode maps not handled elsewhere, MXCSR, and the
// FXSAVE/FXRSTOR/LDMXCSR/STMXCSR members of group 15. XMM registers live at V_FXSAVE + FX_XMM.
import { unimplemented } from "../cpu/decode";
import { x87FxsaveFxrstor } from "./x87";

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

/** 0F AE memory forms /2 LDMXCSR, /3 STMXCSR (ModRM already decoded); /0 /1 go to the x87 engine. */
export function fxGroup15(reg: i32): bool {
  if (reg == 0 || reg == 1) return x87FxsaveFxrstor(reg == 0);
  return false;
}

export { unimplemented };
