/* Output helpers for the user-program tests: integer formatting by hand, written through musl's
 * stdio (fputs -> fwrite -> writev). musl's printf family (vfprintf) uses SSE unconditionally,
 * so only printf.c calls it; everything else prints through these. */
#ifndef OUT_H
#define OUT_H
#include <stdio.h>
#include <string.h>

static __attribute__((unused)) void out_s(const char *s) { fputs(s, stdout); }
static __attribute__((unused)) void out_c(char c) { putchar(c); }
static __attribute__((unused)) void out_nl(void) { putchar('\n'); }

static __attribute__((unused)) void out_u(unsigned long long v) {
  char b[24];
  int i = 23;
  b[i] = 0;
  do { b[--i] = (char)('0' + v % 10); v /= 10; } while (v);
  out_s(b + i);
}

static __attribute__((unused)) void out_i(long long v) {
  if (v < 0) { out_c('-'); out_u(0ULL - (unsigned long long)v); }
  else out_u((unsigned long long)v);
}

static __attribute__((unused)) void out_hex(unsigned long long v, int width) {
  char b[20];
  int i = 19;
  b[i] = 0;
  do { b[--i] = "0123456789abcdef"[v & 15]; v >>= 4; width--; } while (v || width > 0);
  out_s(b + i);
}

/* "name=value\n" */
static __attribute__((unused)) void out_kv(const char *k, long long v) { out_s(k); out_c('='); out_i(v); out_nl(); }
static __attribute__((unused)) void out_kx(const char *k, unsigned long long v, int w) { out_s(k); out_s("=0x"); out_hex(v, w); out_nl(); }
#endif
