/* Sorting: musl qsort and a handwritten merge sort on a xorshift PRNG array; string sort. */
#include <stdint.h>
#include <stdlib.h>
#include "out.h"

#define N 20000
static uint32_t a[N], b[N], tmp[N];
static uint64_t s = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; }

static int cmp_u32(const void *x, const void *y) {
  uint32_t p = *(const uint32_t *)x, q = *(const uint32_t *)y;
  return (p > q) - (p < q);
}
static void merge_sort(uint32_t *v, uint32_t *t, size_t n) {
  if (n < 2) return;
  size_t m = n / 2;
  merge_sort(v, t, m); merge_sort(v + m, t, n - m);
  size_t i = 0, j = m, k = 0;
  while (i < m && j < n) t[k++] = v[i] <= v[j] ? v[i++] : v[j++];
  while (i < m) t[k++] = v[i++];
  while (j < n) t[k++] = v[j++];
  memcpy(v, t, n * sizeof *v);
}
static void insertion_sort(int64_t *v, size_t n) {
  for (size_t i = 1; i < n; i++) {
    int64_t x = v[i]; size_t j = i;
    while (j > 0 && v[j-1] > x) { v[j] = v[j-1]; j--; }
    v[j] = x;
  }
}
static int cmp_str(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

int main(void) {
  for (int i = 0; i < N; i++) a[i] = b[i] = (uint32_t)(next() >> 20) % 1000003u;
  qsort(a, N, sizeof *a, cmp_u32);
  merge_sort(b, tmp, N);
  int same = memcmp(a, b, sizeof a) == 0, sorted = 1;
  uint64_t sum = 0, h = 0;
  for (int i = 0; i < N; i++) { if (i && a[i-1] > a[i]) sorted = 0; sum += a[i]; h = h * 31 + a[i]; }
  out_kv("sorted", sorted); out_kv("qsort==mergesort", same);
  out_kv("sum", (long long)sum); out_kx("hash", h, 16);
  out_s("first:"); for (int i = 0; i < 8; i++) { out_c(' '); out_u(a[i]); } out_nl();
  out_s("last:"); for (int i = N - 8; i < N; i++) { out_c(' '); out_u(a[i]); } out_nl();
  out_s("median="); out_u(a[N/2]); out_nl();

  int64_t v[300];
  for (int i = 0; i < 300; i++) v[i] = (int64_t)(next() % 2001) - 1000;
  insertion_sort(v, 300);
  out_s("signed:"); for (int i = 0; i < 300; i += 37) { out_c(' '); out_i(v[i]); } out_nl();

  static char store[200][12];
  char *ptr[200];
  for (int i = 0; i < 200; i++) {
    int len = 1 + (int)(next() % 10);
    for (int k = 0; k < len; k++) store[i][k] = (char)('a' + next() % 26);
    store[i][len] = 0; ptr[i] = store[i];
  }
  qsort(ptr, 200, sizeof *ptr, cmp_str);
  for (int i = 0; i < 200; i += 25) { out_s(ptr[i]); out_nl(); }
  int ok = 1;
  for (int i = 1; i < 200; i++) if (strcmp(ptr[i-1], ptr[i]) > 0) ok = 0;
  out_kv("strings sorted", ok);
  return 0;
}
