/*
 * The fixed integer workload of `npm run bench`. Freestanding C: the same file is linked into a PVH
 * guest (bench/guest/entry.S) that the core runs, and into a native program the host runs, so the
 * two timings measure the same instructions. It returns a checksum both sides print.
 */
#include <stdint.h>

#define N_SIEVE (1u << 20)
#define N_SORT 60000u
#define N_CRC (1u << 19)

static uint8_t sieve_buf[N_SIEVE];
static uint32_t sort_buf[N_SORT];
static uint8_t crc_buf[N_CRC];

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t xorshift(void) {
  uint64_t x = rng_state;
  x ^= x << 13; x ^= x >> 7; x ^= x << 17;
  return rng_state = x;
}

static uint32_t sieve(void) {
  for (uint32_t i = 0; i < N_SIEVE; i++) sieve_buf[i] = 1;
  sieve_buf[0] = sieve_buf[1] = 0;
  for (uint32_t i = 2; i * i < N_SIEVE; i++)
    if (sieve_buf[i])
      for (uint32_t j = i * i; j < N_SIEVE; j += i) sieve_buf[j] = 0;
  uint32_t count = 0;
  for (uint32_t i = 0; i < N_SIEVE; i++) count += sieve_buf[i];
  return count;
}

static void quicksort(uint32_t *a, int lo, int hi) {
  while (lo < hi) {
    uint32_t p = a[(lo + hi) >> 1];
    int i = lo, j = hi;
    while (i <= j) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i <= j) { uint32_t t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; }
    else { quicksort(a, i, hi); hi = j; }
  }
}

static uint64_t sort_check(void) {
  for (uint32_t i = 0; i < N_SORT; i++) sort_buf[i] = (uint32_t)xorshift();
  quicksort(sort_buf, 0, (int)N_SORT - 1);
  uint64_t h = 0;
  for (uint32_t i = 0; i < N_SORT; i++) {
    if (i && sort_buf[i - 1] > sort_buf[i]) return 0;
    h = h * 31 + sort_buf[i];
  }
  return h;
}

static uint32_t crc32(void) {
  for (uint32_t i = 0; i < N_CRC; i++) crc_buf[i] = (uint8_t)xorshift();
  uint32_t crc = 0xffffffffu;
  for (uint32_t i = 0; i < N_CRC; i++) {
    crc ^= crc_buf[i];
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
  }
  return ~crc;
}

static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m) { return (uint64_t)((unsigned __int128)a * b % m); }
static uint64_t modexp(void) {
  uint64_t acc = 0;
  const uint64_t m = 0xffffffffffffffc5ull; /* largest 64-bit prime */
  for (uint64_t base = 2; base < 2000; base++) {
    uint64_t r = 1, b = base, e = m - 2;
    while (e) { if (e & 1) r = mulmod(r, b, m); b = mulmod(b, b, m); e >>= 1; }
    acc ^= r + base;
  }
  return acc;
}

uint64_t workload(void) {
  uint64_t h = sieve();
  h = h * 1000003u ^ sort_check();
  h = h * 1000003u ^ crc32();
  h = h * 1000003u ^ modexp();
  return h;
}
