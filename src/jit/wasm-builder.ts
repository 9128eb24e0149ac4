// A minimal WebAssembly binary writer for the JIT: one function body at a time, emitted as bytes,
// and a module wrapper that imports the core's memory, globals and helper functions.
// Opcode values are from the WebAssembly core specification (binary format, section 5.4).

export const I32 = 0x7f;
export const I64 = 0x7e;
export type ValType = typeof I32 | typeof I64;

/** Instruction opcodes the JIT emits. */
export const Op = {
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, br_if: 0x0d,
  return: 0x0f, call: 0x10, return_call: 0x12, return_call_indirect: 0x13, drop: 0x1a, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22, global_get: 0x23, global_set: 0x24,
  i32_load: 0x28, i64_load: 0x29, i32_load8_u: 0x2d, i32_load16_u: 0x2f,
  i64_load8_u: 0x31, i64_load16_u: 0x33, i64_load32_u: 0x35,
  i32_store: 0x36, i64_store: 0x37, i64_store8: 0x3c, i64_store16: 0x3d, i64_store32: 0x3e,
  i32_const: 0x41, i64_const: 0x42,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_s: 0x4a, i32_gt_u: 0x4b,
  i32_le_s: 0x4c, i32_le_u: 0x4d, i32_ge_s: 0x4e, i32_ge_u: 0x4f,
  i64_eqz: 0x50, i64_eq: 0x51, i64_ne: 0x52, i64_lt_s: 0x53, i64_lt_u: 0x54, i64_gt_s: 0x55, i64_gt_u: 0x56,
  i64_le_s: 0x57, i64_le_u: 0x58, i64_ge_s: 0x59, i64_ge_u: 0x5a,
  i32_clz: 0x67, i32_ctz: 0x68, i32_popcnt: 0x69,
  i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c, i32_and: 0x71, i32_or: 0x72, i32_xor: 0x73,
  i32_shl: 0x74, i32_shr_s: 0x75, i32_shr_u: 0x76,
  i64_clz: 0x79, i64_ctz: 0x7a, i64_popcnt: 0x7b, i64_add: 0x7c, i64_sub: 0x7d, i64_mul: 0x7e,
  i64_div_s: 0x7f, i64_div_u: 0x80, i64_rem_s: 0x81, i64_rem_u: 0x82,
  i64_and: 0x83, i64_or: 0x84, i64_xor: 0x85, i64_shl: 0x86, i64_shr_s: 0x87, i64_shr_u: 0x88,
  i64_rotl: 0x89, i64_rotr: 0x8a,
  i32_wrap_i64: 0xa7, i64_extend_i32_s: 0xac, i64_extend_i32_u: 0xad,
  i64_extend8_s: 0xc2, i64_extend16_s: 0xc3, i64_extend32_s: 0xc4,
  // Atomic memory instructions (threads proposal), written 0xfeNN: the 0xFE prefix, then NN as a u32.
  // Their memarg alignment must be the access's natural one, and the address aligned (else a trap).
  i64_atomic_load: 0xfe11, i64_atomic_load8_u: 0xfe14, i64_atomic_load16_u: 0xfe15, i64_atomic_load32_u: 0xfe16,
  i64_atomic_rmw_add: 0xfe1f, i64_atomic_rmw8_add_u: 0xfe22, i64_atomic_rmw16_add_u: 0xfe23, i64_atomic_rmw32_add_u: 0xfe24,
  i64_atomic_rmw_sub: 0xfe26, i64_atomic_rmw8_sub_u: 0xfe29, i64_atomic_rmw16_sub_u: 0xfe2a, i64_atomic_rmw32_sub_u: 0xfe2b,
  i64_atomic_rmw_and: 0xfe2d, i64_atomic_rmw8_and_u: 0xfe30, i64_atomic_rmw16_and_u: 0xfe31, i64_atomic_rmw32_and_u: 0xfe32,
  i64_atomic_rmw_or: 0xfe34, i64_atomic_rmw8_or_u: 0xfe37, i64_atomic_rmw16_or_u: 0xfe38, i64_atomic_rmw32_or_u: 0xfe39,
  i64_atomic_rmw_xor: 0xfe3b, i64_atomic_rmw8_xor_u: 0xfe3e, i64_atomic_rmw16_xor_u: 0xfe3f, i64_atomic_rmw32_xor_u: 0xfe40,
  i64_atomic_rmw_xchg: 0xfe42, i64_atomic_rmw8_xchg_u: 0xfe45, i64_atomic_rmw16_xchg_u: 0xfe46, i64_atomic_rmw32_xchg_u: 0xfe47,
  i64_atomic_rmw_cmpxchg: 0xfe49, i64_atomic_rmw8_cmpxchg_u: 0xfe4c, i64_atomic_rmw16_cmpxchg_u: 0xfe4d,
  i64_atomic_rmw32_cmpxchg_u: 0xfe4e,
} as const;
/** The prefix byte of the 0xfeNN codes in Op. */
export const ATOMIC_PREFIX = 0xfe;

/** Growable byte buffer with the LEB128 encodings wasm uses. */
export class Bytes {
  private buf = new Uint8Array(1024);
  length = 0;
  private grow(need: number): void {
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const n = new Uint8Array(size);
    n.set(this.buf.subarray(0, this.length));
    this.buf = n;
  }
  byte(b: number): void {
    if (this.length === this.buf.length) this.grow(this.length + 1);
    this.buf[this.length++] = b;
  }
  bytes(bs: Uint8Array | number[]): void {
    if (this.length + bs.length > this.buf.length) this.grow(this.length + bs.length);
    this.buf.set(bs, this.length);
    this.length += bs.length;
  }
  u32(v: number): void {
    v >>>= 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
  }
  s32(v: number): void {
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) { this.byte(b); return; }
      this.byte(b | 0x80);
    }
  }
  s64(v: bigint): void {
    // Most constants fit in 32 bits, whose signed LEB128 is the same: skip BigInt arithmetic.
    if (v >= -0x80000000n && v <= 0x7fffffffn) { this.s32(Number(v)); return; }
    v = BigInt.asIntN(64, v);
    if (v >= -0x80000000n && v <= 0x7fffffffn) { this.s32(Number(v)); return; }
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) { this.byte(b); return; }
      this.byte(b | 0x80);
    }
  }
  name(s: string): void {
    this.u32(s.length);
    for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i));
  }
  vec(b: Bytes): void {
    this.u32(b.length);
    this.bytes(b.view());
  }
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

export interface FuncType { params: ValType[]; results: ValType[] }
export type Import =
  | { module: string; name: string; kind: 'func'; type: FuncType }
  | { module: string; name: string; kind: 'global'; type: ValType; mutable: boolean }
  | { module: string; name: string; kind: 'memory'; shared: boolean; min: number; max: number }
  | { module: string; name: string; kind: 'table'; min: number };

export interface FuncBody { type: FuncType; locals: ValType[]; code: Uint8Array; exportName: string }

function typeKey(t: FuncType): string {
  return t.params.join(',') + '>' + t.results.join(',');
}

/**
 * Assemble a module from imports and function bodies (each exported under its name). `fixedTypes`
 * get type indices 0, 1, ... in order (code that names a type, like return_call_indirect, relies on it).
 */
export function buildModule(imports: Import[], funcs: FuncBody[], fixedTypes: FuncType[] = []): Uint8Array<ArrayBuffer> {
  const types: FuncType[] = [];
  const typeIndex = new Map<string, number>();
  const typeOf = (t: FuncType): number => {
    const k = typeKey(t);
    let i = typeIndex.get(k);
    if (i === undefined) { i = types.length; types.push(t); typeIndex.set(k, i); }
    return i;
  };
  for (const t of fixedTypes) typeOf(t);
  for (const im of imports) if (im.kind === 'func') typeOf(im.type);
  for (const f of funcs) typeOf(f.type);

  const out = new Bytes();
  out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const section = (id: number, body: Bytes): void => { out.byte(id); out.vec(body); };

  const ts = new Bytes();
  ts.u32(types.length);
  for (const t of types) {
    ts.byte(0x60);
    ts.u32(t.params.length); ts.bytes(t.params);
    ts.u32(t.results.length); ts.bytes(t.results);
  }
  section(1, ts);

  const is = new Bytes();
  is.u32(imports.length);
  for (const im of imports) {
    is.name(im.module); is.name(im.name);
    if (im.kind === 'func') { is.byte(0x00); is.u32(typeOf(im.type)); }
    else if (im.kind === 'global') { is.byte(0x03); is.byte(im.type); is.byte(im.mutable ? 1 : 0); }
    else if (im.kind === 'table') { is.byte(0x01); is.byte(0x70); is.byte(0x00); is.u32(im.min); }
    else { is.byte(0x02); is.byte(im.shared ? 0x03 : 0x01); is.u32(im.min); is.u32(im.max); }
  }
  section(2, is);

  const fs = new Bytes();
  fs.u32(funcs.length);
  for (const f of funcs) fs.u32(typeOf(f.type));
  section(3, fs);

  const nFuncImports = imports.filter((i) => i.kind === 'func').length;
  const es = new Bytes();
  es.u32(funcs.length);
  funcs.forEach((f, i) => { es.name(f.exportName); es.byte(0x00); es.u32(nFuncImports + i); });
  section(7, es);

  const cs = new Bytes();
  cs.u32(funcs.length);
  for (const f of funcs) {
    const body = new Bytes();
    // Locals as runs of one type.
    const runs: Array<[number, ValType]> = [];
    for (const t of f.locals) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    body.u32(runs.length);
    for (const [n, t] of runs) { body.u32(n); body.byte(t); }
    body.bytes(f.code);
    body.byte(Op.end);
    cs.vec(body);
  }
  section(10, cs);
  const bytes = new Uint8Array(out.length);
  bytes.set(out.view());
  return bytes;
}
