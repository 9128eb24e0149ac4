import { unimplemented } from "../cpu/decode";
export function pcmpstr(op: u32): void { unimplemented(); }
