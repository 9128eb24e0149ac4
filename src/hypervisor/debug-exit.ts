// isa-debug-exit: QEMU's test device for ending a VM from inside the guest with a chosen status.
// A write of value v to any of its ports [base, base + size) stops the VM; the VM's exit status is
// (v << 1) | 1 (so a guest can never fake status 0). QEMU's `-device isa-debug-exit,iobase=0xf4,iosize=0x04`
// behaves the same, which lets one test kernel run unchanged under QEMU and here.
// Opt-in (MachineConfig.debugExitPort): a real Xen domU has no such device.

/** Ports the device answers, as QEMU's default iosize (4: a byte, word or dword write at the base). */
export const DEBUG_EXIT_SIZE = 4;

export class DebugExit {
  constructor(readonly base: number) {
    if (!Number.isInteger(base) || base < 0 || base > 0xffff - (DEBUG_EXIT_SIZE - 1)) {
      throw new RangeError(`debug-exit port must be 0..0x${(0xffff - DEBUG_EXIT_SIZE + 1).toString(16)}, got ${base}`);
    }
  }

  handles(port: number): boolean {
    return port >= this.base && port < this.base + DEBUG_EXIT_SIZE;
  }

  /** Exit status for a write of `value` (the access size's bits, zero-extended), as QEMU computes it. */
  static status(value: bigint): number {
    return Number(((value & 0xffffffffn) << 1n) | 1n);
  }
}
