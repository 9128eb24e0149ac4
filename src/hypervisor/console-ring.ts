// The console backend ("xenconsoled") for hvc0: struct xencons_interface in the console special page
// (xen/include/public/io/console.h; docs/pvh-abi.md §7.2). Guest output is consumed from out[] as soon
// as the guest notifies (the EVTCHNOP_send on the console port); host input is copied into in[] as
// space allows, and the port is raised so the guest reads it.
//
// Indices are free-running u32s; slot = index & (size - 1). If the guest's indices ever say more is
// queued than the ring holds, the ring is corrupt: we stop reading it (as xenconsoled does) and count it.

export const XENCONS_IN = 0;
export const XENCONS_IN_SIZE = 1024;
export const XENCONS_OUT = 1024;
export const XENCONS_OUT_SIZE = 2048;
export const XENCONS_IN_CONS = 3072;
export const XENCONS_IN_PROD = 3076;
export const XENCONS_OUT_CONS = 3080;
export const XENCONS_OUT_PROD = 3084;
export const XENCONS_CONNECTION = 3088;

const MAX_PENDING_INPUT = 1 << 20;

export class ConsoleRing {
  private readonly dv: DataView;
  private readonly input: number[] = [];
  corrupt = false;
  bytesOut = 0;
  bytesIn = 0;

  constructor(
    ram: Uint8Array,
    /** Guest-physical address of the ring page (zeroed by the loader). */
    readonly gpa: number,
    private readonly output: (bytes: Uint8Array) => void,
  ) {
    this.dv = new DataView(ram.buffer, ram.byteOffset + gpa, 4096);
  }

  /** Consumes everything the guest produced in out[]. Returns the number of bytes. */
  drainOutput(): number {
    if (this.corrupt) return 0;
    const cons = this.dv.getUint32(XENCONS_OUT_CONS, true);
    const prod = this.dv.getUint32(XENCONS_OUT_PROD, true);
    const n = (prod - cons) >>> 0;
    if (n === 0) return 0;
    if (n > XENCONS_OUT_SIZE) {
      this.corrupt = true;
      return 0;
    }
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) bytes[i] = this.dv.getUint8(XENCONS_OUT + ((cons + i) & (XENCONS_OUT_SIZE - 1)));
    this.dv.setUint32(XENCONS_OUT_CONS, prod, true);
    this.bytesOut += n;
    this.output(bytes);
    return n;
  }

  /** Queues host input (keyboard) for the guest. */
  queueInput(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (this.input.length >= MAX_PENDING_INPUT) break;
      this.input.push(b);
    }
  }

  get pendingInput(): number {
    return this.input.length;
  }

  /** Copies queued input into in[] as space allows; returns how many bytes it produced. */
  pumpInput(): number {
    if (this.corrupt || this.input.length === 0) return 0;
    const cons = this.dv.getUint32(XENCONS_IN_CONS, true);
    let prod = this.dv.getUint32(XENCONS_IN_PROD, true);
    const used = (prod - cons) >>> 0;
    if (used > XENCONS_IN_SIZE) {
      this.corrupt = true;
      return 0;
    }
    const n = Math.min(XENCONS_IN_SIZE - used, this.input.length);
    for (let i = 0; i < n; i++) {
      this.dv.setUint8(XENCONS_IN + (prod & (XENCONS_IN_SIZE - 1)), this.input[i]);
      prod = (prod + 1) >>> 0;
    }
    this.input.splice(0, n);
    this.dv.setUint32(XENCONS_IN_PROD, prod, true);
    this.bytesIn += n;
    return n;
  }
}
