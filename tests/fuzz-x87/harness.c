// Native oracle for the x87 differential fuzzer: runs each case's code on the host CPU.
//
// Usage: harness IN OUT
//   IN : u32 ncases, then ncases * REC_IN records: code[96], u32 len, u32 pad, mem[512], image[112]
//   OUT: ncases * REC_OUT records: fxsave[512], fnsave[112], rflags u64, rax u64, mem[512],
//        u32 trapno (0xffffffff: completed), u32 signo
// The case code is `f(mem, image, fnsave_out, regs_out, fxsave_out)` (SysV: rdi rsi rdx rcx r8): it
// restores the FPU state with FRSTOR [rsi], runs one instruction on [rdi], and saves the result with
// FXSAVE64 [r8], PUSHFQ/POP [rcx], MOV [rcx+8],RAX, optional FWAIT, FNSAVE [rdx], RET. A fault
// (SIGFPE for #MF, SIGSEGV for #GP, SIGILL for #UD) ends the case early.
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#define REC_IN (96 + 8 + 512 + 112)
#define REC_OUT (512 + 112 + 16 + 512 + 8)

static sigjmp_buf jb;
static volatile uint32_t trapno, signo;
static uint8_t mem[512] __attribute__((aligned(64)));
static uint8_t image[112] __attribute__((aligned(64)));
static uint8_t fnsave_out[112] __attribute__((aligned(64)));
static uint64_t regs_out[2] __attribute__((aligned(64)));
static uint8_t fxsave_out[512] __attribute__((aligned(64)));

static void handler(int sig, siginfo_t *si, void *uc) {
  (void)si;
  ucontext_t *u = (ucontext_t *)uc;
  trapno = (uint32_t)u->uc_mcontext.gregs[REG_TRAPNO];
  signo = (uint32_t)sig;
  siglongjmp(jb, 1);
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: harness IN OUT\n"); return 2; }
  FILE *fi = fopen(argv[1], "rb");
  if (!fi) { perror(argv[1]); return 1; }
  uint32_t n;
  if (fread(&n, 4, 1, fi) != 1) return 1;
  uint8_t *in = malloc((size_t)n * REC_IN), *out = malloc((size_t)n * REC_OUT);
  if (fread(in, REC_IN, n, fi) != n) { fprintf(stderr, "short input\n"); return 1; }
  fclose(fi);
  uint8_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) { perror("mmap"); return 1; }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGFPE, &sa, NULL);
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGILL, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *r = in + (size_t)i * REC_IN;
    uint8_t *o = out + (size_t)i * REC_OUT;
    uint32_t len;
    memcpy(&len, r + 96, 4);
    memset(code, 0xcc, 128);
    memcpy(code, r, len);
    memcpy(mem, r + 104, 512);
    memcpy(image, r + 104 + 512, 112);
    memset(fnsave_out, 0xa5, sizeof fnsave_out);
    memset(fxsave_out, 0xa5, sizeof fxsave_out);
    regs_out[0] = regs_out[1] = 0xa5a5a5a5a5a5a5a5ULL;
    trapno = 0xffffffff;
    signo = 0;
    uint32_t mx0 = 0x1f80;
    __asm__ volatile("ldmxcsr %0" : : "m"(mx0));
    if (sigsetjmp(jb, 1) == 0) {
      ((void (*)(void *, void *, void *, void *, void *))code)(mem, image, fnsave_out, regs_out, fxsave_out);
    }
    uint32_t mx = 0x1f80;
    __asm__ volatile("ldmxcsr %0\n\tfninit" : : "m"(mx));
    memcpy(o, fxsave_out, 512);
    memcpy(o + 512, fnsave_out, 112);
    memcpy(o + 624, regs_out, 16);
    memcpy(o + 640, mem, 512);
    memcpy(o + 1152, (const void *)&trapno, 4);
    memcpy(o + 1156, (const void *)&signo, 4);
  }
  FILE *fo = fopen(argv[2], "wb");
  if (!fo || fwrite(out, REC_OUT, n, fo) != n) { perror(argv[2]); return 1; }
  fclose(fo);
  return 0;
}
