/* Big-number arithmetic with arrays of u32 limbs: 200!, Fibonacci(1000), 2^1000, printed in decimal. */
#include <stdint.h>
#include "out.h"

#define LIMBS 200
typedef struct { uint32_t d[LIMBS]; int n; } big;

static void big_set(big *x, uint32_t v) { memset(x, 0, sizeof *x); x->d[0] = v; x->n = 1; }
static void big_mul_small(big *x, uint32_t m) {
  uint64_t carry = 0;
  for (int i = 0; i < x->n; i++) { uint64_t t = (uint64_t)x->d[i] * m + carry; x->d[i] = (uint32_t)t; carry = t >> 32; }
  if (carry) x->d[x->n++] = (uint32_t)carry;
}
static void big_add(big *r, const big *x, const big *y) {
  int n = x->n > y->n ? x->n : y->n; uint64_t c = 0;
  for (int i = 0; i < n; i++) { c += (uint64_t)(i < x->n ? x->d[i] : 0) + (i < y->n ? y->d[i] : 0); r->d[i] = (uint32_t)c; c >>= 32; }
  r->n = n; if (c) r->d[r->n++] = (uint32_t)c;
}
static uint32_t big_divmod_small(big *x, uint32_t m) {
  uint64_t rem = 0;
  for (int i = x->n - 1; i >= 0; i--) { uint64_t cur = rem << 32 | x->d[i]; x->d[i] = (uint32_t)(cur / m); rem = cur % m; }
  while (x->n > 1 && x->d[x->n - 1] == 0) x->n--;
  return (uint32_t)rem;
}
static void big_print(const char *name, const big *v) {
  big x = *v; uint32_t chunks[LIMBS * 2]; int k = 0;
  do { chunks[k++] = big_divmod_small(&x, 1000000000u); } while (x.n > 1 || x.d[0]);
  out_s(name); out_c('=');
  out_u(chunks[k - 1]);
  for (int i = k - 2; i >= 0; i--) { char b[10]; uint32_t c = chunks[i]; for (int j = 8; j >= 0; j--) { b[j] = (char)('0' + c % 10); c /= 10; } b[9] = 0; out_s(b); }
  out_nl();
}
static int digit_sum(const big *v) {
  big x = *v; int s = 0;
  while (x.n > 1 || x.d[0]) s += (int)big_divmod_small(&x, 10);
  return s;
}

int main(void) {
  big f; big_set(&f, 1);
  for (uint32_t i = 2; i <= 200; i++) big_mul_small(&f, i);
  big_print("200!", &f); out_kv("limbs", f.n); out_kv("digitsum(200!)", digit_sum(&f));
  big a, b, c; big_set(&a, 0); big_set(&b, 1);
  for (int i = 0; i < 1000; i++) { big_add(&c, &a, &b); a = b; b = c; }
  big_print("fib(1000)", &a);
  big p; big_set(&p, 1);
  for (int i = 0; i < 1000; i++) big_mul_small(&p, 2);
  big_print("2^1000", &p); out_kv("digitsum(2^1000)", digit_sum(&p));
  /* 64-bit and 128-bit arithmetic */
  unsigned __int128 q = (unsigned __int128)0xFFFFFFFFFFFFFFFFull * 0xFFFFFFFFFFFFFFFFull;
  out_kx("u128 hi", (uint64_t)(q >> 64), 16); out_kx("u128 lo", (uint64_t)q, 16);
  unsigned __int128 num = ((unsigned __int128)0x0123456789ABCDEFull << 64) | 0xFEDCBA9876543210ull;
  out_kx("u128 div", (uint64_t)(num / 1000000007u), 16); out_kv("u128 mod", (long long)(num % 1000000007u));
  int64_t sn = -9223372036854775807ll;
  out_kv("s64 div", sn / 12345); out_kv("s64 mod", sn % 12345);
  return 0;
}
