/* Control flow: setjmp/longjmp, deep recursion, Ackermann, Towers of Hanoi, N-queens, function
 * pointer tables, a switch jump table; exits with status 3 through exit(). */
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include "out.h"

static jmp_buf env;
static int depth_reached;
/* called through a pointer so gcc does not see dive() as endless recursion */
static void (*volatile jumper)(jmp_buf, int) = longjmp;
static void dive(int d) {
  volatile char pad[64]; pad[0] = (char)d;
  if (d < 1000) { dive(d + 1); return; }
  depth_reached = d + pad[0] - (char)d;
  jumper(env, 42);
}
static unsigned ack(unsigned m, unsigned n) {
  if (m == 0) return n + 1;
  if (n == 0) return ack(m - 1, 1);
  return ack(m - 1, ack(m, n - 1));
}
static unsigned long moves;
static void hanoi(int n, int a, int b, int c) { if (!n) return; hanoi(n - 1, a, c, b); moves++; hanoi(n - 1, c, b, a); }
static int queens(int n, int row, unsigned cols, unsigned d1, unsigned d2) {
  if (row == n) return 1;
  int c = 0;
  for (int i = 0; i < n; i++) {
    if ((cols >> i & 1) || (d1 >> (row + i) & 1) || (d2 >> (row - i + n) & 1)) continue;
    c += queens(n, row + 1, cols | 1u << i, d1 | 1u << (row + i), d2 | 1u << (row - i + n));
  }
  return c;
}
static long op_add(long a, long b) { return a + b; }
static long op_sub(long a, long b) { return a - b; }
static long op_mul(long a, long b) { return a * b; }
static long op_div(long a, long b) { return b ? a / b : 0; }
static long op_mod(long a, long b) { return b ? a % b : 0; }
static long (*const ops[])(long, long) = {op_add, op_sub, op_mul, op_div, op_mod};
static const char *name(int k) {
  switch (k) {
  case 0: return "zero"; case 1: return "one"; case 2: return "two"; case 3: return "three";
  case 4: return "four"; case 5: return "five"; case 6: return "six"; case 7: return "seven";
  default: return "many";
  }
}
static int collatz(uint64_t n) { int s = 0; while (n != 1) { n = (n & 1) ? 3 * n + 1 : n / 2; s++; } return s; }
static int gcd(int a, int b) { return b ? gcd(b, a % b) : a; }

int main(void) {
  int r = setjmp(env);
  if (r == 0) { out_s("setjmp first\n"); dive(0); out_s("not reached\n"); }
  else { out_kv("longjmp value", r); out_kv("depth", depth_reached); }
  volatile int counter = 0;
  jmp_buf e2;
  if (setjmp(e2) < 5) { counter++; if (counter < 5) longjmp(e2, counter); }
  out_kv("loop via longjmp", counter);
  out_kv("longjmp(0) gives 1", ({ jmp_buf e3; int v = setjmp(e3); if (!v) longjmp(e3, 0); v; }));
  out_kv("ack(2,3)", ack(2, 3)); out_kv("ack(3,5)", ack(3, 5));
  hanoi(16, 1, 2, 3); out_kv("hanoi(16) moves", (long long)moves);
  for (int n = 4; n <= 9; n++) { out_s("queens("); out_u(n); out_s(")="); out_u(queens(n, 0, 0, 0, 0)); out_nl(); }
  long acc = 1000;
  for (int i = 0; i < 40; i++) acc = ops[i % 5](acc, (i * 7919) % 97 + 1);
  out_kv("ops acc", acc);
  for (int k = 0; k < 10; k++) { out_s(name(k)); out_c(k == 9 ? '\n' : ' '); }
  int best = 0, arg = 0;
  for (int i = 1; i < 30000; i++) { int c = collatz((uint64_t)i); if (c > best) { best = c; arg = i; } }
  out_kv("collatz best", arg); out_kv("collatz steps", best);
  long g = 0; for (int i = 1; i < 300; i++) for (int j = 1; j < 300; j += 7) g += gcd(i, j);
  out_kv("gcd sum", g);
  unsigned long long bits = 0; for (unsigned long long v = 1; v < (1ull << 40); v = v * 3 + 1) bits += (unsigned long long)__builtin_popcountll(v) + (unsigned long long)__builtin_ctzll(v) + (unsigned long long)__builtin_clzll(v);
  out_kv("bit ops", (long long)bits);
  fflush(stdout);
  exit(3);
}
