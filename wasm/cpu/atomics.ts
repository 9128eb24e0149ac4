// Size-generic wasm atomics on naturally aligned guest data (the host address comes from
// mmu.atomicHost). LOCK-prefixed instructions and XCHG use these so that another vCPU running in
// another worker on the same memory never sees a torn or lost update.

export function atomicLoad(h: usize, size: i32): u64 {
  if (size == 1) return <u64>atomic.load<u8>(h);
  if (size == 2) return <u64>atomic.load<u16>(h);
  if (size == 4) return <u64>atomic.load<u32>(h);
  return atomic.load<u64>(h);
}

/** Compare-and-swap; returns the value that was in memory. */
export function atomicCas(h: usize, size: i32, expected: u64, replacement: u64): u64 {
  if (size == 1) return <u64>atomic.cmpxchg<u8>(h, <u8>expected, <u8>replacement);
  if (size == 2) return <u64>atomic.cmpxchg<u16>(h, <u16>expected, <u16>replacement);
  if (size == 4) return <u64>atomic.cmpxchg<u32>(h, <u32>expected, <u32>replacement);
  return atomic.cmpxchg<u64>(h, expected, replacement);
}

export function atomicXchg(h: usize, size: i32, v: u64): u64 {
  if (size == 1) return <u64>atomic.xchg<u8>(h, <u8>v);
  if (size == 2) return <u64>atomic.xchg<u16>(h, <u16>v);
  if (size == 4) return <u64>atomic.xchg<u32>(h, <u32>v);
  return atomic.xchg<u64>(h, v);
}

export function atomicAdd(h: usize, size: i32, v: u64): u64 {
  if (size == 1) return <u64>atomic.add<u8>(h, <u8>v);
  if (size == 2) return <u64>atomic.add<u16>(h, <u16>v);
  if (size == 4) return <u64>atomic.add<u32>(h, <u32>v);
  return atomic.add<u64>(h, v);
}

export const BIT_OR = 1;
export const BIT_AND = 2;
export const BIT_XOR = 3;

/** Atomic OR / AND / XOR of `v`; returns the old value. */
export function atomicBits(h: usize, size: i32, op: i32, v: u64): u64 {
  if (size == 1) {
    const m = <u8>v;
    return <u64>(op == BIT_OR ? atomic.or<u8>(h, m) : op == BIT_AND ? atomic.and<u8>(h, m) : atomic.xor<u8>(h, m));
  }
  if (size == 2) {
    const m = <u16>v;
    return <u64>(op == BIT_OR ? atomic.or<u16>(h, m) : op == BIT_AND ? atomic.and<u16>(h, m) : atomic.xor<u16>(h, m));
  }
  if (size == 4) {
    const m = <u32>v;
    return <u64>(op == BIT_OR ? atomic.or<u32>(h, m) : op == BIT_AND ? atomic.and<u32>(h, m) : atomic.xor<u32>(h, m));
  }
  return op == BIT_OR ? atomic.or<u64>(h, v) : op == BIT_AND ? atomic.and<u64>(h, v) : atomic.xor<u64>(h, v);
}
