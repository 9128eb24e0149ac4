/* Integer ISA mix: every result is printed, so a wrong flag or register shows up as a differing line.
 * C covers what gcc emits for overflow builtins, 128-bit arithmetic, rotates, bswap, bit scans,
 * cmov/setcc; inline asm covers instructions gcc rarely emits: rcl/rcr, shld/shrd, bt/bts/btr/btc,
 * xadd, cmpxchg, adc/sbb chains, lahf/sahf, one-operand mul/imul, div/idiv at every width, cbw..cqo,
 * xlat, string instructions forwards and backwards (std), loop, enter/leave, 8-bit high registers,
 * pushf/popf. */
#include <stdint.h>
#include "out.h"

typedef unsigned long long u64;
static const u64 vals[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000u, 0xffffffffu,
                           0x123456789abcdef0ull, 0x7fffffffffffffffull, 0x8000000000000000ull, 0xffffffffffffffffull,
                           0xdeadbeefcafebabeull, 63, 64, 65};
#define NV (sizeof vals / sizeof *vals)
static u64 h = 0xcbf29ce484222325ull;
/* one running hash, plus one per numbered group (G(n) before each statement) to locate a mismatch */
static u64 hg[64];
static int g;
#define G(n) (g = (n))
static void mix(u64 v) { h = (h ^ v) * 0x100000001b3ull; hg[g] = (hg[g] ^ v) * 0x100000001b3ull; }
static void line(const char *what) { out_s(what); out_s(" "); out_hex(h, 16); out_nl(); }
/* arithmetic flags only (CF PF AF ZF SF OF) */
#define FLAGS_MASK 0x8d5ull

static u64 flags_of_add(u64 a, u64 b) { u64 f; __asm__("add %2, %1\n\tpushfq\n\tpop %0" : "=r"(f), "+r"(a) : "r"(b) : "cc"); return (f & FLAGS_MASK) ^ a; }
static u64 flags_of_sub8(u64 a, u64 b) { u64 f; unsigned char x = (unsigned char)a; __asm__("subb %b2, %b1\n\tpushfq\n\tpop %0" : "=r"(f), "+q"(x) : "q"(b) : "cc"); return (f & FLAGS_MASK) << 8 | x; }
static u64 flags_of_imul(u64 a, u64 b) { u64 f; long long x = (long long)a; __asm__("imul %2, %1\n\tpushfq\n\tpop %0" : "=r"(f), "+r"(x) : "r"(b) : "cc"); return (f & 0x801) ^ (u64)x; }
static u64 flags_of_neg16(u64 a) { u64 f; unsigned short x = (unsigned short)a; __asm__("negw %1\n\tpushfq\n\tpop %0" : "=r"(f), "+r"(x) : : "cc"); return (f & FLAGS_MASK) << 16 | x; }

int main(void) {
  /* C-level */
  for (unsigned i = 0; i < NV; i++) for (unsigned j = 0; j < NV; j++) {
    u64 a = vals[i], b = vals[j], r; long long s;
    mix(__builtin_add_overflow(a, b, &r)); mix(r);
    mix(__builtin_sub_overflow((long long)a, (long long)b, &s)); mix((u64)s);
    mix(__builtin_mul_overflow((long long)a, (long long)b, &s)); mix((u64)s);
    mix(__builtin_mul_overflow((int)a, (int)b, (int *)&r)); mix((unsigned)r);
    unsigned __int128 p = (unsigned __int128)a * b; mix((u64)p); mix((u64)(p >> 64));
    __int128 sp = (__int128)(long long)a * (long long)b; mix((u64)sp); mix((u64)(sp >> 64));
    if (b) { mix(a / b); mix(a % b); }
    if (b && !((long long)a == INT64_MIN && (long long)b == -1)) { mix((u64)((long long)a / (long long)b)); mix((u64)((long long)a % (long long)b)); }
    if ((uint32_t)b) { mix((uint32_t)a / (uint32_t)b); mix((uint32_t)a % (uint32_t)b); }
    unsigned c = (unsigned)b & 63;
    mix(a << c); mix(a >> c); mix((u64)((long long)a >> c)); mix((a << c) | (a >> ((64 - c) & 63)));
    mix((uint32_t)a << (c & 31)); mix((uint32_t)((int32_t)a >> (c & 31)));
    mix(a < b); mix((long long)a < (long long)b); mix(a == b ? a : b); mix((int8_t)a > (int8_t)b ? 5 : 9);
  }
  line("c-arith");
  for (unsigned i = 0; i < NV; i++) {
    u64 a = vals[i];
    mix(__builtin_bswap64(a)); mix(__builtin_bswap32((uint32_t)a)); mix(__builtin_bswap16((uint16_t)a));
    if (a) { mix((u64)__builtin_clzll(a)); mix((u64)__builtin_ctzll(a)); }
    mix((u64)__builtin_popcountll(a)); mix((u64)__builtin_parityll(a));
    mix((u64)(int8_t)a); mix((u64)(int16_t)a); mix((u64)(int32_t)a); mix((uint8_t)a); mix((uint16_t)a);
    unsigned __int128 w = ((unsigned __int128)a << 64) | (a ^ 0x5555555555555555ull);
    for (int k = 0; k < 128; k += 13) { mix((u64)(w >> k)); mix((u64)(w << k)); }
    if (a) { mix((u64)(w / a)); mix((u64)(w % a)); mix((u64)((__int128)w / (long long)a)); }
  }
  line("c-bits");

  /* inline asm */
  for (unsigned i = 0; i < NV; i++) for (unsigned j = 0; j < NV; j++) {
    u64 a = vals[i], b = vals[j];
    G(1); mix(flags_of_add(a, b)); mix(flags_of_sub8(a, b)); mix(flags_of_imul(a, b)); mix(flags_of_neg16(a));
    G(2); u64 x = a, y = b, f;
    G(3); __asm__("stc\n\trcl %%cl, %0\n\tpushfq\n\tpop %1" : "+r"(x), "=r"(f) : "c"(b) : "cc"); mix(x); mix(f & ((b & 63) == 1 ? 0x801 : 1));
    G(4); x = a; __asm__("clc\n\trcr %%cl, %0\n\tpushfq\n\tpop %1" : "+r"(x), "=r"(f) : "c"(b) : "cc"); mix(x); mix(f & ((b & 63) == 1 ? 0x801 : 1));
    G(5); x = a; __asm__("stc\n\trclb $3, %b0\n\trcrw $5, %w0" : "+r"(x) : : "cc"); mix(x);
    G(6); x = a; __asm__("add $0, %0\n\tshld %%cl, %2, %0\n\tpushfq\n\tpop %1" : "+r"(x), "=r"(f) : "r"(b), "c"(b) : "cc"); mix(x); mix(f & ((b & 63) == 1 ? 0x8c5 : 0xc5));
    G(7); x = a; __asm__("add $0, %0\n\tshrd %%cl, %2, %0\n\tpushfq\n\tpop %1" : "+r"(x), "=r"(f) : "r"(b), "c"(b) : "cc"); mix(x); mix(f & ((b & 63) == 1 ? 0x8c5 : 0xc5));
    G(8); x = a; __asm__("shldl $7, %k2, %k0" : "+r"(x) : "r"(b) : "cc"); mix(x);
    G(9); x = a; __asm__("shrdw $9, %w2, %w0" : "+r"(x) : "r"(b) : "cc"); mix(x);
    G(10); x = a; __asm__("bt %2, %0\n\tsetc %b1" : "+r"(x), "=q"(f) : "r"(b) : "cc"); mix(f & 1);
    G(11); x = a; __asm__("bts %2, %0\n\tsetc %b1" : "+r"(x), "=q"(f) : "r"(b) : "cc"); mix(x); mix(f & 1);
    G(12); x = a; __asm__("btr %2, %0\n\tsetc %b1" : "+r"(x), "=q"(f) : "r"(b) : "cc"); mix(x); mix(f & 1);
    G(13); x = a; __asm__("btcl %k2, %k0\n\tsetc %b1" : "+r"(x), "=q"(f) : "r"(b) : "cc"); mix(x); mix(f & 1);
    u64 mem = a; __asm__("btsq %1, %0" : "+m"(mem) : "r"(b & 63) : "cc"); mix(mem);
    G(14); x = a; y = b; __asm__("xadd %0, %1" : "+r"(x), "+r"(y) : : "cc"); mix(x); mix(y);
    G(15); mem = a; x = b; y = a; __asm__("lock cmpxchg %2, %1\n\tsetz %b0" : "=q"(f), "+m"(mem), "+r"(x), "+a"(y) : : "cc"); mix(mem); mix(y); mix(f & 1);
    G(16); mem = a; y = b; __asm__("cmpxchgl %k3, %1\n\tsetz %b0" : "=q"(f), "+m"(mem), "+a"(y) : "r"(a ^ b) : "cc"); mix(mem); mix(y); mix(f & 1);
    G(17); u64 lo = a, hi = b;
    G(18); __asm__("add %2, %0\n\tadc %3, %1\n\tsbb $5, %0\n\tadcl $0x7fffffff, %k1" : "+r"(lo), "+r"(hi) : "r"(b), "r"(a) : "cc"); mix(lo); mix(hi);
    G(19); x = a; __asm__("add %1, %0\n\tlahf\n\txor $0x41, %%ah\n\tsahf\n\tsetc %%al\n\tsetz %%ah\n\tmovzwl %%ax, %k0" : "+a"(x) : "r"(b) : "cc"); mix(x);
    G(20); u64 rax = a, rdx = 0; __asm__("mulq %2" : "+a"(rax), "=d"(rdx) : "r"(b) : "cc"); mix(rax); mix(rdx);
    G(21); rax = a; __asm__("imulq %2" : "+a"(rax), "=d"(rdx) : "r"(b) : "cc"); mix(rax); mix(rdx);
    G(22); rax = a; __asm__("imull %k2\n\tpushfq\n\tpopq %%rcx\n\tand $0x801, %%ecx\n\txor %%ecx, %%edx" : "+a"(rax), "=d"(rdx) : "r"(b) : "cc", "rcx"); mix(rax); mix(rdx);
    G(23); rax = a; __asm__("mulb %b1" : "+a"(rax) : "q"(b) : "cc"); mix(rax);
    G(24); rax = a; __asm__("imulw %w2" : "+a"(rax), "=d"(rdx) : "r"(b) : "cc"); mix(rax); mix(rdx & 0xffff);
    G(25); if ((uint8_t)b && ((uint16_t)a / (uint8_t)b) < 256) { rax = a; __asm__("divb %b1" : "+a"(rax) : "q"(b) : "cc"); mix(rax & 0xffff); }
    G(26); if ((uint16_t)b) { rax = a; rdx = (uint16_t)b >> 1; __asm__("divw %w2" : "+a"(rax), "+d"(rdx) : "r"(b) : "cc"); mix(rax & 0xffff); mix(rdx & 0xffff); }
    G(27); if ((int32_t)b && !((int32_t)a == INT32_MIN && (int32_t)b == -1)) {
      G(28); rax = a; __asm__("cltd\n\tidivl %k2" : "+a"(rax), "=d"(rdx) : "r"(b) : "cc"); mix(rax & 0xffffffff); mix(rdx & 0xffffffff);
    }
    G(29); if (b && !((long long)a == INT64_MIN && (long long)b == -1)) { rax = a; __asm__("cqto\n\tidivq %2" : "+a"(rax), "=d"(rdx) : "r"(b) : "cc"); mix(rax); mix(rdx); }
    G(30); if ((int8_t)b && !((int8_t)a == -128 && (int8_t)b == -1)) { rax = a; __asm__("cbtw\n\tidivb %b1" : "+a"(rax) : "q"(b) : "cc"); mix(rax & 0xffff); }
    G(31); rax = a; __asm__("cbtw\n\tcwtl\n\tcltq" : "+a"(rax)); mix(rax);
    G(32); rax = a; __asm__("cwtd" : "+a"(rax), "=d"(rdx)); mix(rdx & 0xffff);
    G(33); x = a; y = b; __asm__("cmp %2, %1\n\tcmovl %2, %0\n\tcmova %1, %0\n\tsetg %b1\n\tsetbe %h1" : "+r"(x), "+Q"(y) : "r"(b) : "cc"); mix(x); mix(y);
    G(34); rax = a; __asm__("xchg %%ah, %%al\n\tmovb %%ah, %%bl\n\tsubb %%bl, %%ah\n\tmovsbl %%ah, %%edx\n\tmovzbl %%al, %%eax\n\tadd %%rdx, %%rax" : "+a"(rax) : : "rbx", "rdx", "cc"); mix(rax);
  }
  line("asm-alu");
  G(0);

  /* string instructions, both directions; xlat; loop; enter/leave */
  static unsigned char src[512], dst[512];
  for (int i = 0; i < 512; i++) src[i] = (unsigned char)(i * 37 + 11);
  for (int n = 0; n < 70; n += 3) {
    void *d = dst + 7, *s = src + (n & 7); u64 c = (u64)n;
    __asm__ volatile("cld\n\trep movsb" : "+D"(d), "+S"(s), "+c"(c) : : "memory"); mix((u64)((unsigned char *)d - dst)); mix(c);
    d = dst + 300 + n; s = src + 300 + n; c = (u64)n;
    __asm__ volatile("std\n\trep movsb\n\tcld" : "+D"(d), "+S"(s), "+c"(c) : : "memory"); mix((u64)((unsigned char *)d - dst));
    d = dst + 100; c = (u64)n / 8; u64 v = 0x0102030405060708ull * (u64)n;
    __asm__ volatile("rep stosq" : "+D"(d), "+c"(c) : "a"(v) : "memory");
    d = dst + 200; c = (u64)n / 4;
    __asm__ volatile("rep stosl" : "+D"(d), "+c"(c) : "a"(v) : "memory");
    d = dst; s = src; c = 512; u64 zf;
    __asm__ volatile("repe cmpsb\n\tsetz %b3" : "+D"(d), "+S"(s), "+c"(c), "=q"(zf) : : "memory", "cc"); mix(c); mix(zf & 1);
    d = src; c = 512;
    __asm__ volatile("repne scasb" : "+D"(d), "+c"(c) : "a"((u64)src[n * 5 % 512]) : "memory", "cc"); mix(c);
    s = src + n; u64 acc = 0, t = 0;
    for (int k = 0; k < 4; k++) { __asm__ volatile("lodsw" : "+S"(s), "=a"(t) : : "memory"); acc = acc * 65537 + (t & 0xffff); }
    mix(acc);
    u64 b = (u64)n; __asm__("xlat" : "+a"(b) : "b"(src)); mix(b & 0xff);
  }
  for (int i = 0; i < 512; i += 8) mix(*(u64 *)(dst + i));
  u64 cnt = 0, rcx = 1000;
  __asm__("1: add %%rcx, %0\n\tloop 1b" : "+r"(cnt), "+c"(rcx) : : "cc"); mix(cnt);
  rcx = 0; cnt = 0; __asm__("jrcxz 1f\n\tmov $1, %0\n1:" : "+r"(cnt) : "c"(rcx)); mix(cnt);
  u64 fr; __asm__ volatile("mov %%rsp, %%rdx\n\tenter $32, $0\n\tmov %%rbp, %0\n\tleave\n\tsub %%rsp, %0\n\tcmp %%rsp, %%rdx\n\tje 1f\n\tmov $-1, %0\n1:" : "=r"(fr) : : "rdx", "memory", "cc"); mix(fr);
  u64 fl; __asm__ volatile("pushfq\n\torq $0x400, (%%rsp)\n\tpopfq\n\tpushfq\n\tpopq %0\n\tcld" : "=r"(fl)); mix(fl & 0x400);
  line("asm-string");
  for (int i = 1; i < 64; i++) if (hg[i]) { out_s("group "); out_u((unsigned)i); out_c(' '); out_hex(hg[i], 16); out_nl(); }
  out_kx("final", h, 16);
  return 0;
}
