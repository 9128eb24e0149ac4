// Hypercall dispatch: reads the call from the vCPU registers (Xen's hvm_hypercall convention,
// docs/pvh-abi.md §3.3), looks it up in the table, runs it and writes the result to RAX.
//
//   64-bit mode (EFER.LMA and CS.L): nr RAX, args RDI RSI RDX R10 R8, result RAX
//   otherwise:                       nr EAX, args EBX ECX EDX ESI EDI, result EAX
//   CPL != 0 in protected mode → -EPERM without doing anything.

import { CR0_PE, EFER_LMA, SEG_CS, SEG_SS, V_CR0, V_EFER } from '../../../wasm/layout.ts';
import { Gpr, type VcpuRegs } from '../../vm/core.ts';
import type { HypercallContext } from './context.ts';
import { HYPERCALLS, validateTable, type HypercallDef } from './table.ts';
import { ENOSYS, EPERM } from './xen-abi.ts';

const ATTR_L = 1 << 13;
const ATTR_DPL_SHIFT = 5;
const ARGS64 = [Gpr.RDI, Gpr.RSI, Gpr.RDX, Gpr.R10, Gpr.R8];
const ARGS32 = [Gpr.RBX, Gpr.RCX, Gpr.RDX, Gpr.RSI, Gpr.RDI];

export interface HypercallStats {
  /** Calls per hypercall name ("console_io", "unknown(45)", …). */
  calls: Record<string, number>;
  /** Refused because not implemented, per "name" or "name:subop". */
  unimplemented: Record<string, number>;
  unimplementedTotal: number;
}

/** True when the vCPU executes 64-bit code (long mode, CS.L). */
export function in64BitMode(v: VcpuRegs): boolean {
  return v.has(V_EFER, EFER_LMA) && (v.seg(SEG_CS).attr & ATTR_L) !== 0;
}

/** Current privilege level: 0 in real mode, else SS.DPL (as Xen's hvm_get_cpl). */
export function currentCpl(v: VcpuRegs): number {
  if (!v.has(V_CR0, CR0_PE)) return 0;
  return (v.seg(SEG_SS).attr >> ATTR_DPL_SHIFT) & 3;
}

export class HypercallDispatcher {
  private readonly byNr = new Map<number, HypercallDef>();
  readonly stats: HypercallStats = { calls: {}, unimplemented: {}, unimplementedTotal: 0 };

  constructor(table: readonly HypercallDef[] = HYPERCALLS) {
    validateTable(table);
    for (const d of table) this.byNr.set(d.nr, d);
  }

  private refuse(key: string, errno = ENOSYS): number {
    this.stats.unimplemented[key] = (this.stats.unimplemented[key] ?? 0) + 1;
    this.stats.unimplementedTotal++;
    return -errno;
  }

  /**
   * Runs hypercall `nr` with `args`; returns the result (>= 0 or -errno). Never throws for guest input.
   * Refusals (unknown calls and sub-ops, table refusals, handlers answering -ENOSYS) are counted.
   */
  call(nr: number | bigint, args: readonly bigint[], ctx: HypercallContext): number {
    const def = BigInt(nr) <= 0xffffffffn ? this.byNr.get(Number(nr)) : undefined;
    const name = def ? def.name : `unknown(${nr})`;
    this.stats.calls[name] = (this.stats.calls[name] ?? 0) + 1;
    if (!def) return this.refuse(name);
    if (def.refuse !== undefined) return this.refuse(name, def.refuse);
    if (def.handler) {
      const r = def.handler(ctx, args);
      return r === -ENOSYS ? this.refuse(name) : r;
    }
    const cmd = Number(args[0] & BigInt(def.cmdMask ?? 0xffffffff));
    const sub = def.subops?.find((s) => s.cmd === cmd);
    if (!sub) return this.refuse(`${def.name}:${cmd}`);
    if ('refuse' in sub) return this.refuse(`${def.name}:${sub.name}`, sub.refuse);
    const r = sub.handler(ctx, args);
    return r === -ENOSYS ? this.refuse(`${def.name}:${sub.name}`) : r;
  }

  /** Services an EXIT_HYPERCALL on vCPU `v`: reads the registers, calls, writes RAX. */
  handleExit(v: VcpuRegs, ctx: HypercallContext): void {
    const wide = in64BitMode(v);
    let result: number;
    if (currentCpl(v) !== 0) {
      result = -EPERM;
    } else {
      const nr = wide ? v.gpr(Gpr.RAX) : BigInt(v.gpr32(Gpr.RAX));
      const args = (wide ? ARGS64 : ARGS32).map((r) => (wide ? v.gpr(r) : BigInt(v.gpr32(r))));
      result = this.call(nr, args, ctx);
    }
    v.setGpr(Gpr.RAX, wide ? BigInt(result) : BigInt(result >>> 0));
  }
}
