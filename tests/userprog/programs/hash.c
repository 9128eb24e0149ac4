/* Hashes: FNV-1a (32/64), CRC-32 (table driven), SHA-256 (FIPS 180-4 test vectors + generated data). */
#include <stdint.h>
#include "out.h"

static uint32_t fnv1a32(const uint8_t *p, size_t n) {
  uint32_t h = 2166136261u;
  while (n--) { h ^= *p++; h *= 16777619u; }
  return h;
}
static uint64_t fnv1a64(const uint8_t *p, size_t n) {
  uint64_t h = 14695981039346656037ull;
  while (n--) { h ^= *p++; h *= 1099511628211ull; }
  return h;
}

static uint32_t crc_table[256];
static void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}
static uint32_t crc32(const uint8_t *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  while (n--) c = crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

typedef struct { uint32_t h[8]; uint64_t len; uint8_t buf[64]; size_t fill; } sha256_ctx;
static const uint32_t K[64] = {
  0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,
  0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,
  0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,
  0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,
  0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,
  0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,
  0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,
  0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2};
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
static void sha256_block(sha256_ctx *c, const uint8_t *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++) w[i] = (uint32_t)p[4*i] << 24 | (uint32_t)p[4*i+1] << 16 | (uint32_t)p[4*i+2] << 8 | p[4*i+3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ROR(w[i-15], 7) ^ ROR(w[i-15], 18) ^ (w[i-15] >> 3);
    uint32_t s1 = ROR(w[i-2], 17) ^ ROR(w[i-2], 19) ^ (w[i-2] >> 10);
    w[i] = w[i-16] + s0 + w[i-7] + s1;
  }
  uint32_t a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3], e = c->h[4], f = c->h[5], g = c->h[6], h = c->h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
    h = g; g = f; f = e; e = d + t1; d = cc; cc = b; b = a; a = t1 + t2;
  }
  c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d; c->h[4] += e; c->h[5] += f; c->h[6] += g; c->h[7] += h;
}
static void sha256_init(sha256_ctx *c) {
  static const uint32_t iv[8] = {0x6a09e667,0xbb67ae85,0x3c6ef372,0xa54ff53a,0x510e527f,0x9b05688c,0x1f83d9ab,0x5be0cd19};
  memcpy(c->h, iv, sizeof iv); c->len = 0; c->fill = 0;
}
static void sha256_update(sha256_ctx *c, const uint8_t *p, size_t n) {
  c->len += n;
  while (n) {
    size_t k = 64 - c->fill; if (k > n) k = n;
    memcpy(c->buf + c->fill, p, k); c->fill += k; p += k; n -= k;
    if (c->fill == 64) { sha256_block(c, c->buf); c->fill = 0; }
  }
}
static void sha256_final(sha256_ctx *c, uint8_t out[32]) {
  uint64_t bits = c->len * 8;
  uint8_t pad = 0x80, z = 0;
  sha256_update(c, &pad, 1);
  while (c->fill != 56) sha256_update(c, &z, 1);
  uint8_t l[8];
  for (int i = 0; i < 8; i++) l[i] = (uint8_t)(bits >> (56 - 8*i));
  sha256_update(c, l, 8);
  for (int i = 0; i < 8; i++) for (int j = 0; j < 4; j++) out[4*i+j] = (uint8_t)(c->h[i] >> (24 - 8*j));
}
static void sha_print(const char *name, const uint8_t *p, size_t n) {
  sha256_ctx c; uint8_t d[32];
  sha256_init(&c); sha256_update(&c, p, n); sha256_final(&c, d);
  out_s("sha256("); out_s(name); out_s(")=");
  for (int i = 0; i < 32; i++) out_hex(d[i], 2);
  out_nl();
}

static uint8_t big[65536 + 13];

int main(void) {
  const char *words[] = {"", "a", "abc", "message digest", "The quick brown fox jumps over the lazy dog",
                         "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"};
  crc_init();
  for (unsigned i = 0; i < sizeof words / sizeof *words; i++) {
    const uint8_t *p = (const uint8_t *)words[i];
    size_t n = strlen(words[i]);
    out_s("[\""); out_s(words[i]); out_s("\"] len="); out_u(n);
    out_s(" fnv32="); out_hex(fnv1a32(p, n), 8);
    out_s(" fnv64="); out_hex(fnv1a64(p, n), 16);
    out_s(" crc32="); out_hex(crc32(p, n), 8);
    out_nl();
    sha_print(words[i], p, n);
  }
  uint32_t x = 12345;
  for (size_t i = 0; i < sizeof big; i++) { x = x * 1103515245u + 12345u; big[i] = (uint8_t)(x >> 16); }
  out_kx("crc32(big)", crc32(big, sizeof big), 8);
  out_kx("fnv64(big)", fnv1a64(big, sizeof big), 16);
  sha_print("big", big, sizeof big);
  /* incremental update in odd-sized pieces must agree with one-shot */
  sha256_ctx c; uint8_t d1[32], d2[32];
  sha256_init(&c); sha256_update(&c, big, sizeof big); sha256_final(&c, d1);
  sha256_init(&c);
  for (size_t off = 0, step = 1; off < sizeof big; off += step, step = step * 3 % 97 + 1)
    sha256_update(&c, big + off, off + step > sizeof big ? sizeof big - off : step);
  sha256_final(&c, d2);
  out_kv("sha256 incremental matches", memcmp(d1, d2, 32) == 0);
  return 0;
}
