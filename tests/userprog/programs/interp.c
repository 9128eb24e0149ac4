/* Interpreters: a Brainfuck interpreter running a program, a small stack bytecode VM, and a
 * sieve of Eratosthenes. */
#include <stdint.h>
#include "out.h"

static void bf(const char *prog) {
  static unsigned char tape[30000]; memset(tape, 0, sizeof tape);
  int match[1024]; int stack[256], sp = 0; int n = (int)strlen(prog);
  for (int i = 0; i < n; i++) {
    if (prog[i] == '[') stack[sp++] = i;
    else if (prog[i] == ']') { int j = stack[--sp]; match[i] = j; match[j] = i; }
  }
  unsigned char *p = tape;
  for (int pc = 0; pc < n; pc++) {
    switch (prog[pc]) {
    case '>': p++; break; case '<': p--; break;
    case '+': (*p)++; break; case '-': (*p)--; break;
    case '.': out_c((char)*p); break;
    case '[': if (!*p) pc = match[pc]; break;
    case ']': if (*p) pc = match[pc]; break;
    }
  }
}

enum { PUSH, ADD, SUB, MUL, DUP, SWAP, JNZ, DEC, PRINT, HALT, OVER, ROT, DROP };
static long vm(const long *code) {
  long st[64]; int sp = 0; long steps = 0;
  for (int pc = 0;; steps++) {
    switch (code[pc++]) {
    case PUSH: st[sp++] = code[pc++]; break;
    case ADD: sp--; st[sp-1] += st[sp]; break;
    case SUB: sp--; st[sp-1] -= st[sp]; break;
    case MUL: sp--; st[sp-1] *= st[sp]; break;
    case DUP: st[sp] = st[sp-1]; sp++; break;
    case OVER: st[sp] = st[sp-2]; sp++; break;
    case SWAP: { long t = st[sp-1]; st[sp-1] = st[sp-2]; st[sp-2] = t; } break;
    case ROT: { long t = st[sp-3]; st[sp-3] = st[sp-2]; st[sp-2] = st[sp-1]; st[sp-1] = t; } break;
    case DROP: sp--; break;
    case DEC: st[sp-1]--; break;
    case JNZ: { long t = code[pc++]; if (st[--sp]) pc = (int)t; } break;
    case PRINT: out_i(st[sp-1]); out_nl(); break;
    case HALT: return steps;
    }
  }
}

#define LIMIT 200000
static unsigned char composite[LIMIT + 1];

int main(void) {
  bf("++++++++[>++++[>++>+++>+++>+<<<<-]>+>+>->>+[<]<-]>>.>---.+++++++..+++.>>.<-.<.+++.------.--------.>>+.>++.");
  /* 10th..: iterative factorial 20 and sum 1..100000 on the VM */
  const long fact[] = {PUSH, 1, PUSH, 20, /* acc n */ DUP, ROT, MUL, SWAP, DEC, DUP, JNZ, 4, DROP, PRINT, HALT};
  out_kv("vm steps", vm(fact));
  const long sum[] = {PUSH, 0, PUSH, 100000, /* acc n */ DUP, ROT, ADD, SWAP, DEC, DUP, JNZ, 4, DROP, PRINT, HALT};
  out_kv("vm steps", vm(sum));
  int count = 0; unsigned long long psum = 0; int last = 0;
  for (int i = 2; i <= LIMIT; i++) {
    if (composite[i]) continue;
    count++; psum += (unsigned)i; last = i;
    for (long j = (long)i * i; j <= LIMIT; j += i) composite[j] = 1;
  }
  out_kv("primes", count); out_kv("prime sum", (long long)psum); out_kv("largest", last);
  int twins = 0; for (int i = 3; i + 2 <= LIMIT; i += 2) if (!composite[i] && !composite[i + 2]) twins++;
  out_kv("twin pairs", twins);
  return 0;
}
