import { unimplemented } from "../cpu/decode";
export const F_ADD = 0, F_SUB = 1, F_MUL = 2, F_DIV = 3, F_MIN = 4, F_MAX = 5, F_SQRT = 6;
export function fpArith(k: i32): void { unimplemented(); }
export function fpCmp(): void { unimplemented(); }
export function fpComi(o: bool): void { unimplemented(); }
export function cvt2A(): void { unimplemented(); }
export function cvt2C(t: bool): void { unimplemented(); }
export function cvt5A(): void { unimplemented(); }
export function cvt5B(): void { unimplemented(); }
export function cvtE6(): void { unimplemented(); }
export function fpRcp(r: bool): void { unimplemented(); }
export function fpHorizontal(s: bool): void { unimplemented(); }
export function fpAddSub(): void { unimplemented(); }
export function fpRound(op: u32): void { unimplemented(); }
export function fpDot(pd: bool): void { unimplemented(); }
