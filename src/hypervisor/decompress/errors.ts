// The one error decoders throw for bad or truncated compressed data. kernel-image.ts turns it into a
// BootError that names the input and the format.

export class DecompressError extends Error {
  override readonly name = 'DecompressError';
  constructor(
    /** 'truncated' when the data ends early; 'corrupt' for anything else that cannot be decoded. */
    readonly kind: 'truncated' | 'corrupt' | 'unsupported',
    message: string,
  ) {
    super(message);
  }
}

/** A byte buffer that grows by doubling; `take()` returns the bytes written so far (no copy if exact). */
export class ByteSink {
  buf: Uint8Array;
  pos = 0;
  constructor(sizeHint: number) {
    this.buf = new Uint8Array(Math.max(sizeHint, 4096));
  }
  /** Makes room for n more bytes. */
  reserve(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  take(): Uint8Array {
    return this.pos === this.buf.length ? this.buf : this.buf.slice(0, this.pos);
  }
}
