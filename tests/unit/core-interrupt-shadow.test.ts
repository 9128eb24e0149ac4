// The real core's STI interrupt shadow: an external interrupt requested right after STI is taken
// after exactly one more instruction, and the shadow never outlives that instruction (a stale
// shadow once blocked reschedule IPIs across whole SMP time slices).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Core } from '../../src/vm/core.ts';
import * as L from '../../wasm/layout.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CODE = 0x7c00;
const HANDLER = 0x8000;
const VECTOR = 0x20;

/** Real mode at 0000:7C00 with an IVT entry for VECTOR; code = sti; nop; nop; jmp $. */
async function realModeCore() {
  const core = await Core.create(readFileSync(join(ROOT, 'build', 'core.wasm')), 1 << 20);
  const ex = core.exports;
  ex.resetVcpu(0);
  const ram = new Uint8Array(core.memory.buffer, L.GUEST_RAM_BASE, 1 << 20);
  ram.set([0xfb, 0x90, 0x90, 0xeb, 0xfe], CODE);
  ram.set([0xf4], HANDLER); // hlt
  new DataView(ram.buffer, ram.byteOffset).setUint32(VECTOR * 4, HANDLER, true); // offset 8000, segment 0
  const v = core.vcpu(0);
  v.setSeg(L.SEG_CS, { sel: 0, attr: 0x9b, limit: 0xffff, base: 0n });
  v.setGpr(4, 0x7000n);
  v.rip = BigInt(CODE);
  ex.flushTlb(0);
  return { ex, v };
}

describe('core: STI interrupt shadow', () => {
  it('delivers an interrupt requested after STI only after the next instruction', async () => {
    const { ex, v } = await realModeCore();
    expect(ex.run(0, 1)).toBe(L.EXIT_BUDGET); // sti
    expect(v.rip).toBe(BigInt(CODE + 1));
    expect(v.u32(L.V_INT_SHADOW)).toBe(1);
    v.setU32(L.V_EXTINT_VALID, 1);
    v.setU32(L.V_EXTINT_VECTOR, VECTOR);
    ex.run(0, 1); // the shadowed nop, then the interrupt
    expect(v.u32(L.V_EXTINT_VALID)).toBe(0);
    expect(v.rip).toBe(BigInt(HANDLER));
  });

  it('leaves no shadow behind once the instruction after STI has run', async () => {
    const { ex, v } = await realModeCore();
    ex.run(0, 10); // sti, nop, nop, jmp $ ...
    expect(v.u32(L.V_INT_SHADOW)).toBe(0);
    v.setU32(L.V_EXTINT_VALID, 1);
    v.setU32(L.V_EXTINT_VECTOR, VECTOR);
    ex.run(0, 1); // taken before the first instruction of this run
    expect(v.rip).toBe(BigInt(HANDLER + 1));
  });
});
