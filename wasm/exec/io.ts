// Port I/O. OUT completes and then exits to the hypervisor; IN exits *before* it executes and is
// re-executed once the hypervisor has placed the data in V_IO_DATA (so no JS call per access).
import {
  V_EXIT_PORT, V_EXIT_SIZE, V_EXIT_WRITE, V_EXIT_VALUE, V_IO_PENDING, V_IO_DATA, EXIT_IO, RFLAGS_IOPL,
} from "../layout";
import { cpu, cpl, protectedMode, readReg, writeReg } from "../cpu/state";
import { getFlags } from "../cpu/flags";
import { raise, requestExit, exitAfterInstruction, EXC_GP } from "../cpu/fault";
import { fetch8, opsize } from "../cpu/decode";


/** CPL > IOPL in protected mode: #GP (the TSS I/O permission bitmap is not consulted). */
export function ioAllowed(): bool {
  if (protectedMode && cpl > <i32>((getFlags() & RFLAGS_IOPL) >> 12)) { raise(EXC_GP, 0); return false; }
  return true;
}

/** Perform an OUT of `size` bytes to `port`. */
export function portOut(port: u32, size: i32, v: u64): void {
  store<u32>(cpu + V_EXIT_PORT, port);
  store<u32>(cpu + V_EXIT_SIZE, size);
  store<u32>(cpu + V_EXIT_WRITE, 1);
  store<u64>(cpu + V_EXIT_VALUE, v);
  exitAfterInstruction(EXIT_IO);
}

/** Take the hypervisor's answer to a previous IN exit, or request one (aborting the instruction). */
export let inValue: u64 = 0;
export function portIn(port: u32, size: i32): bool {
  if (load<u32>(cpu + V_IO_PENDING) != 0 && load<u32>(cpu + V_EXIT_PORT) == port && load<u32>(cpu + V_EXIT_WRITE) == 0) {
    store<u32>(cpu + V_IO_PENDING, 0);
    const m: u64 = size == 4 ? 0xffffffff : size == 2 ? 0xffff : 0xff;
    inValue = load<u64>(cpu + V_IO_DATA) & m;
    return true;
  }
  store<u32>(cpu + V_EXIT_PORT, port);
  store<u32>(cpu + V_EXIT_SIZE, size);
  store<u32>(cpu + V_EXIT_WRITE, 0);
  requestExit(EXIT_IO);
  return false;
}

/** E4/E5 IN imm8, EC/ED IN DX; E6/E7 OUT imm8, EE/EF OUT DX. */
export function inOut(opcode: u32): void {
  const size = (opcode & 1) == 0 ? 1 : (opsize == 2 ? 2 : 4);
  const port: u32 = opcode < 0xe8 ? fetch8() : <u32>readReg(2, 2);
  if (!ioAllowed()) return;
  if ((opcode & 2) == 0) {
    if (portIn(port, size)) writeReg(0, size, inValue);
  } else {
    portOut(port, size, readReg(0, size));
  }
}
