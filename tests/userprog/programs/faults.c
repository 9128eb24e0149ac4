/* Deliberate user-mode faults, one per argv[1]; the test checks the core stops with the exception a
 * native run turns into the matching signal (page protections: R/W, NX, not-present; #DE; #UD).
 * Without an argument it prints the addresses it would use and exits normally. */
#include <stdint.h>
#include <stdlib.h>
#include "out.h"

static const char rodata[64] = "read-only";
static unsigned char data_code[64] = {0xc3}; /* RET, in a non-executable .data page */
static volatile int zero;

int main(int argc, char **argv) {
  const char *m = argc > 1 ? argv[1] : "";
  out_kx("rodata", (uintptr_t)rodata, 1);
  out_kx("data_code", (uintptr_t)data_code, 1);
  fflush(stdout);
  if (!strcmp(m, "write-rodata")) *(volatile char *)rodata = 'X';
  else if (!strcmp(m, "exec-data")) ((void (*)(void))(uintptr_t)data_code)();
  else if (!strcmp(m, "unmapped")) out_i(*(volatile long *)(uintptr_t)0x10000000);
  else if (!strcmp(m, "div0")) out_i(100 / zero);
  else if (!strcmp(m, "ud2")) __asm__ volatile("ud2");
  else if (!strcmp(m, "kernel")) out_i(*(volatile long *)(uintptr_t)0xffffffff80003000ull);
  out_s("survived "); out_s(m); out_nl();
  return 0;
}
