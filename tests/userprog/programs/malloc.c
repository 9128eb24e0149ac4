/* The heap: malloc/calloc/realloc/free through musl's mallocng (brk and mmap underneath). */
#include <stdint.h>
#include <stdlib.h>
#include "out.h"

struct node { struct node *next; uint64_t key; char name[24]; };

int main(void) {
  struct node *head = NULL; uint64_t x = 7;
  for (int i = 0; i < 5000; i++) {
    struct node *n = malloc(sizeof *n);
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    n->key = x >> 33; memset(n->name, 'a' + i % 26, 23); n->name[23] = 0;
    n->next = head; head = n;
  }
  uint64_t s = 0; int cnt = 0;
  for (struct node *n = head; n; n = n->next) { s += n->key ^ (uint8_t)n->name[5]; cnt++; }
  out_kv("nodes", cnt); out_kx("sum", s, 16);
  while (head) { struct node *n = head->next; free(head); head = n; }
  int *v = NULL; size_t cap = 0;
  for (int i = 0; i < 100000; i++) {
    if ((size_t)i == cap) { cap = cap ? cap * 2 : 4; v = realloc(v, cap * sizeof *v); }
    v[i] = i * i;
  }
  long long t = 0; for (int i = 0; i < 100000; i += 999) t += v[i];
  out_kv("cap", (long long)cap); out_kv("sample sum", t);
  free(v);
  char *big = calloc(1 << 20, 1); int zero = 1;
  for (int i = 0; i < (1 << 20); i += 4096) if (big[i]) zero = 0;
  big[12345] = 1; out_kv("calloc zero", zero); free(big);
  return 0;
}
