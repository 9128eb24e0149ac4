// BootError: the one error type for "the inputs you gave me cannot be booted".
//
// Every failure of the loader (kernel image, initrd, command line, memory size) is reported with a
// BootError whose message names the specific problem, so the CLI can print one clear line and exit 2,
// and the app can show it as-is. Anything else that is thrown is an internal error (a bug).

/** Which input the error is about; the CLI uses it to prefix the message with the file name. */
export type BootInput = 'kernel' | 'initrd' | 'cmdline' | 'config';

export type BootErrorCode =
  | 'not-elf'
  | 'bzimage'
  | 'unsupported'
  | 'truncated'
  | 'no-pvh-note'
  | 'bad-note'
  | 'does-not-fit'
  | 'initrd-too-big'
  | 'cmdline-too-long'
  | 'bad-config';

export class BootError extends Error {
  override readonly name = 'BootError';
  constructor(
    readonly code: BootErrorCode,
    readonly input: BootInput,
    message: string,
  ) {
    super(message);
  }
}

/** Hex formatting used in every boot message (addresses are easier to check in hex). */
export function hex(v: number | bigint): string {
  return '0x' + v.toString(16);
}
