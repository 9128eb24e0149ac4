/* Compression round trip on generated text: LZ77 with hash chains, then canonical Huffman coding of
 * the token stream, then decoding both back; plus base64 and an AVL tree over an array pool. */
#include <stdint.h>
#include "out.h"

#define N 60000
static unsigned char text[N], back[N];
static uint32_t rng = 2463534242u;
static uint32_t rnd(void) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }

/* ---- LZ77: tokens are literal bytes (0..255) or (length 3..258, distance 1..32768) ---- */
#define WIN 32768
#define HBITS 14
static int head[1 << HBITS], prevpos[N];
static uint16_t tok_sym[N]; static uint16_t tok_dist[N]; static int ntok;
static unsigned hash3(const unsigned char *p) { return ((p[0] << 10) ^ (p[1] << 5) ^ p[2]) & ((1 << HBITS) - 1); }
static void lz77(void) {
  for (int i = 0; i < (1 << HBITS); i++) head[i] = -1;
  int i = 0; ntok = 0;
  while (i < N) {
    int best = 0, bestd = 0;
    if (i + 3 <= N) {
      int cand = head[hash3(text + i)], chain = 64;
      while (cand >= 0 && i - cand <= WIN && chain--) {
        int l = 0; while (i + l < N && l < 258 && text[cand + l] == text[i + l]) l++;
        if (l > best) { best = l; bestd = i - cand; }
        cand = prevpos[cand];
      }
    }
    int adv = best >= 3 ? best : 1;
    if (best >= 3) { tok_sym[ntok] = (uint16_t)(256 + best - 3); tok_dist[ntok++] = (uint16_t)bestd; }
    else { tok_sym[ntok] = text[i]; tok_dist[ntok++] = 0; }
    for (int k = 0; k < adv; k++, i++) if (i + 3 <= N) { unsigned h = hash3(text + i); prevpos[i] = head[h]; head[h] = i; }
  }
}
/* ---- canonical Huffman over 512 symbols (256 literals + 256 lengths) ---- */
#define NSYM 512
static uint32_t freq[NSYM]; static uint8_t len[NSYM]; static uint32_t code[NSYM];
static void huff_lengths(void) {
  /* package-free simple method: build tree with two-queue merge over sorted leaves */
  int nodes[2 * NSYM], parent[2 * NSYM], nn = 0; uint64_t w[2 * NSYM];
  for (int s = 0; s < NSYM; s++) if (freq[s]) { nodes[nn] = s; w[nn] = freq[s]; nn++; }
  for (int a = 1; a < nn; a++) { int s = nodes[a]; uint64_t x = w[a]; int b = a; while (b > 0 && (w[b-1] > x || (w[b-1] == x && nodes[b-1] > s))) { nodes[b] = nodes[b-1]; w[b] = w[b-1]; b--; } nodes[b] = s; w[b] = x; }
  int leaves = nn, q1 = 0, q2 = leaves, end2 = leaves;
  for (int k = 0; k < 2 * NSYM; k++) parent[k] = -1;
  while ((leaves - q1) + (end2 - q2) > 1) {
    int pick[2];
    for (int t = 0; t < 2; t++) pick[t] = (q1 < leaves && (q2 >= end2 || w[q1] <= w[q2])) ? q1++ : q2++;
    w[end2] = w[pick[0]] + w[pick[1]]; parent[pick[0]] = parent[pick[1]] = end2; end2++;
  }
  memset(len, 0, sizeof len);
  for (int k = 0; k < leaves; k++) { int d = 0; for (int p = k; parent[p] >= 0; p = parent[p]) d++; len[nodes[k]] = (uint8_t)(d ? d : 1); }
  uint32_t c = 0;
  for (int l = 1; l < 32; l++) for (int s = 0; s < NSYM; s++) if (len[s] == l) { code[s] = c++; } else if (s == NSYM - 1) c <<= 1;
}
static uint8_t bits[N * 4]; static size_t nbits;
static void put(uint32_t v, int n) { for (int k = n - 1; k >= 0; k--) { if ((v >> k) & 1) bits[nbits >> 3] |= (uint8_t)(0x80 >> (nbits & 7)); nbits++; } }
static size_t rdpos;
static uint32_t get(int n) { uint32_t v = 0; while (n--) { v = v << 1 | ((bits[rdpos >> 3] >> (7 - (rdpos & 7))) & 1); rdpos++; } return v; }

/* ---- base64 ---- */
static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static size_t b64enc(const unsigned char *in, size_t n, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? in[i+1] << 8 : 0) | (i + 2 < n ? in[i+2] : 0);
    out[o++] = B64[v >> 18]; out[o++] = B64[(v >> 12) & 63];
    out[o++] = i + 1 < n ? B64[(v >> 6) & 63] : '='; out[o++] = i + 2 < n ? B64[v & 63] : '=';
  }
  out[o] = 0; return o;
}
static size_t b64dec(const char *in, unsigned char *out) {
  size_t o = 0; uint32_t v = 0; int k = 0;
  for (; *in && *in != '='; in++) { v = v << 6 | (uint32_t)(strchr(B64, *in) - B64); if (++k == 4) { out[o++] = (unsigned char)(v >> 16); out[o++] = (unsigned char)(v >> 8); out[o++] = (unsigned char)v; k = 0; v = 0; } }
  if (k == 2) out[o++] = (unsigned char)(v >> 4);
  if (k == 3) { out[o++] = (unsigned char)(v >> 10); out[o++] = (unsigned char)(v >> 2); }
  return o;
}

/* ---- AVL tree in an array pool ---- */
static struct { int key, l, r, h; } t[5000]; static int nt = 1;
static int ht(int n) { return n ? t[n].h : 0; }
static void upd(int n) { int a = ht(t[n].l), b = ht(t[n].r); t[n].h = 1 + (a > b ? a : b); }
static int rotr(int n) { int l = t[n].l; t[n].l = t[l].r; t[l].r = n; upd(n); upd(l); return l; }
static int rotl(int n) { int r = t[n].r; t[n].r = t[r].l; t[r].l = n; upd(n); upd(r); return r; }
static int ins(int n, int k) {
  if (!n) { t[nt].key = k; t[nt].l = t[nt].r = 0; t[nt].h = 1; return nt++; }
  if (k < t[n].key) t[n].l = ins(t[n].l, k); else if (k > t[n].key) t[n].r = ins(t[n].r, k); else return n;
  upd(n);
  int bal = ht(t[n].l) - ht(t[n].r);
  if (bal > 1) { if (k > t[t[n].l].key) t[n].l = rotl(t[n].l); return rotr(n); }
  if (bal < -1) { if (k < t[t[n].r].key) t[n].r = rotr(t[n].r); return rotl(n); }
  return n;
}
static long inorder(int n, long acc) { if (!n) return acc; acc = inorder(t[n].l, acc); acc = acc * 31 + t[n].key; return inorder(t[n].r, acc); }

int main(void) {
  static const char *words[] = {"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "and", "a", "virtual",
                                "machine", "boots", "linux", "through", "xen", "pvh", "in", "browser", "with", "wasm"};
  for (int i = 0; i < N;) {
    const char *w = words[rnd() % (sizeof words / sizeof *words)];
    while (*w && i < N) text[i++] = (unsigned char)*w++;
    if (i < N) text[i++] = (rnd() % 11) ? ' ' : '\n';
  }
  lz77();
  int matches = 0; for (int k = 0; k < ntok; k++) matches += tok_sym[k] >= 256;
  out_kv("tokens", ntok); out_kv("matches", matches);
  for (int k = 0; k < ntok; k++) freq[tok_sym[k]]++;
  huff_lengths();
  int maxlen = 0; for (int s = 0; s < NSYM; s++) if (len[s] > maxlen) maxlen = len[s];
  out_kv("max code length", maxlen);
  for (int k = 0; k < ntok; k++) { put(code[tok_sym[k]], len[tok_sym[k]]); if (tok_sym[k] >= 256) put(tok_dist[k], 15); }
  out_kv("compressed bits", (long long)nbits); out_kv("ratio x1000", (long long)(nbits / 8 * 1000 / N));
  /* decode: canonical code lookup by (length, code) */
  int o = 0;
  for (int k = 0; k < ntok; k++) {
    uint32_t c = 0; int l = 0, sym = -1;
    while (sym < 0) { c = c << 1 | get(1); l++; for (int s = 0; s < NSYM; s++) if (len[s] == l && code[s] == c) { sym = s; break; } }
    if (sym < 256) back[o++] = (unsigned char)sym;
    else { int d = (int)get(15), n = sym - 256 + 3; for (int m = 0; m < n; m++, o++) back[o] = back[o - d]; }
  }
  out_kv("decoded", o); out_kv("round trip", o == N && memcmp(text, back, N) == 0);
  static char enc[N * 2]; static unsigned char dec[N];
  for (size_t n = 0; n < 8; n++) { b64enc((const unsigned char *)"webpvh!", n, enc); out_s("b64: "); out_s(enc); out_nl(); }
  size_t el = b64enc(text, 30001, enc); size_t dl = b64dec(enc, dec);
  out_kv("b64 len", (long long)el); out_kv("b64 round trip", dl == 30001 && memcmp(dec, text, dl) == 0);
  int root = 0; for (int k = 0; k < 4000; k++) root = ins(root, (int)(rnd() % 100000));
  out_kv("avl nodes", nt - 1); out_kv("avl height", ht(root)); out_kv("avl inorder hash", inorder(root, 0));
  return 0;
}
