// Exit status of `webpvh boot`, by how the VM ended. Also printed by --help.

import type { ShutdownReason } from '../vm/api.ts';

export const EXIT_POWEROFF = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_REBOOT = 3;
export const EXIT_CRASH = 4;
export const EXIT_TRIPLE_FAULT = 5;
export const EXIT_TIMEOUT = 6;
export const EXIT_WATCHDOG = 7;

/** Status for a guest-initiated end. Suspend cannot be resumed yet, so it is reported like a poweroff. */
export function exitCodeForShutdown(reason: ShutdownReason): number {
  switch (reason) {
    case 'poweroff':
    case 'suspend':
      return EXIT_POWEROFF;
    case 'reboot':
      return EXIT_REBOOT;
    case 'crash':
      return EXIT_CRASH;
    case 'triple-fault':
      return EXIT_TRIPLE_FAULT;
    case 'watchdog':
      return EXIT_WATCHDOG;
  }
}

export const EXIT_CODES_HELP = `Exit status:
  0  the guest powered off (SCHEDOP_shutdown poweroff/suspend), or a --script finished
  1  internal error (a bug in webpvh)
  2  bad input: unreadable file, not a bootable PVH kernel, initrd too big, bad option
  3  the guest rebooted (reboot is not emulated: the VM stops)
  4  the guest crashed (SHUTDOWN_crash, unimplemented instruction, halted with interrupts off)
  5  triple fault
  6  --timeout expired
  7  the guest's watchdog fired (SHUTDOWN_watchdog)
  With --debug-exit, a write of V to the device ends with ((V << 1) | 1) & 0xff instead.`;
