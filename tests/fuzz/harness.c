// Native oracle for the differential fuzzer: runs single x86-64 instructions on the host CPU.
//
// Usage: harness IN OUT
//   IN : header (magic "WPVHFUZ1", u32 ncases, u32 pool_size) + pool bytes + ncases * REC_IN records
//   OUT: ncases variable-length result records (see write_result)
//
// Every case runs entirely from signal handlers: the handler for the previous case's final signal
// records that case's state and loads the next case into the ucontext, so sigreturn jumps straight
// into it. Each case ends in a signal: the instruction faults (#DE/#UD/#GP/#SS/#PF/#BP...), or it
// reaches the sentinel VMCALL (0F 01 C1) placed right after it, which is #UD in user mode; a branch
// that leaves the instruction lands in the 0xCC fill of the code page and traps with #BP.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define CODE_VA 0x70000000UL
#define DATA_VA 0x60000000UL
#define DATA_SIZE 0x2000
#define INSN_OFF 0x800
#define REC_IN 384
#define NPATCH 4
#define MAX_DIFF 320
// SIMD state block (compared word by word, reported with offsets | SIMD_TAG):
//   [0,256) XMM0..15, [256,384) x87 registers R0..R7 (10 bytes each in 16-byte slots; with TOP = 0 they
//   are also ST0..ST7, i.e. MM0..MM7), [384,392) MXCSR u32, FSW u16, abridged FTW u8, 0.
#define SIMD_SIZE 392
#define SIMD_TAG 0x10000
#define NXOVR 4
#define FP_XSTATE_MAGIC1 0x46505853U

static uint8_t *code_rw;
static uint8_t *const data = (uint8_t *)DATA_VA;
static uint8_t *pool;
static uint32_t pool_size;
static uint8_t *cases;
static uint32_t ncases, cur;
static uint8_t initial[DATA_SIZE] __attribute__((aligned(64)));
static uint8_t *outbuf;
static size_t outpos;
static int running;
static gregset_t saved;
static uint32_t last_len;
static uint8_t simd_initial[SIMD_SIZE] __attribute__((aligned(16)));

static void simd_get(const struct _libc_fpstate *fp, uint8_t *b) {
  memset(b, 0, SIMD_SIZE);
  memcpy(b, fp->_xmm, 256);
  for (int i = 0; i < 8; i++) memcpy(b + 256 + 16 * i, &fp->_st[i], 10);
  memcpy(b + 384, &fp->mxcsr, 4);
  memcpy(b + 388, &fp->swd, 2);
  b[390] = (uint8_t)fp->ftw;
}

static void simd_set(struct _libc_fpstate *fp, const uint8_t *b) {
  memcpy(fp->_xmm, b, 256);
  for (int i = 0; i < 8; i++) {
    memset(&fp->_st[i], 0, sizeof fp->_st[i]);
    memcpy(&fp->_st[i], b + 256 + 16 * i, 10);
  }
  memcpy(&fp->mxcsr, b + 384, 4);
  memcpy(&fp->swd, b + 388, 2);
  fp->ftw = b[390];
  fp->cwd = 0x37f;
  // make XRSTOR on sigreturn load the x87 and SSE components from the image
  uint32_t magic;
  memcpy(&magic, (const uint8_t *)fp + 464, 4);
  if (magic == FP_XSTATE_MAGIC1) {
    uint64_t bv;
    memcpy(&bv, (const uint8_t *)fp + 512, 8);
    bv |= 3;
    memcpy((uint8_t *)fp + 512, &bv, 8);
  }
}

static const int gpr_index[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                                  REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};

static void put32(uint32_t v) { memcpy(outbuf + outpos, &v, 4); outpos += 4; }
static void put64(uint64_t v) { memcpy(outbuf + outpos, &v, 8); outpos += 8; }

// Result record: gpr[16] rflags rip err cr2 (u64 each), u32 vector, u32 signo, u32 ndiff, u32 0,
// then ndiff * (u32 offset, u32 0, u64 new value) for every changed 8-byte word of the data region.
static void write_result(int sig, siginfo_t *si, greg_t *g, const struct _libc_fpstate *fp) {
  for (int i = 0; i < 16; i++) put64((uint64_t)g[gpr_index[i]]);
  put64((uint64_t)g[REG_EFL]);
  put64((uint64_t)g[REG_RIP]);
  put64((uint64_t)g[REG_ERR]);
  put64(sig == SIGSEGV && g[REG_TRAPNO] == 14 ? (uint64_t)si->si_addr : 0);
  put32((uint32_t)g[REG_TRAPNO]);
  put32((uint32_t)sig);
  size_t countpos = outpos;
  put32(0);
  put32(0);
  uint32_t n = 0;
  const uint64_t *a = (const uint64_t *)data, *b = (const uint64_t *)initial;
  for (uint32_t i = 0; i < DATA_SIZE / 8; i++) {
    if (a[i] != b[i] && n < MAX_DIFF) {
      put32(i * 8);
      put32(0);
      put64(a[i]);
      n++;
    }
  }
  uint8_t now[SIMD_SIZE] __attribute__((aligned(16)));
  simd_get(fp, now);
  for (uint32_t i = 0; i < SIMD_SIZE; i += 8) {
    if (memcmp(now + i, simd_initial + i, 8) != 0) {
      uint64_t w;
      memcpy(&w, now + i, 8);
      put32(i | SIMD_TAG);
      put32(0);
      put64(w);
      n++;
    }
  }
  memcpy(outbuf + countpos, &n, 4);
}

static void load_case(greg_t *g, struct _libc_fpstate *fp) {
  const uint8_t *r = cases + (size_t)cur * REC_IN;
  uint32_t len, off;
  memcpy(&len, r + 16, 4);
  memcpy(&off, r + 20, 4);
  memcpy(data, pool + off, DATA_SIZE);
  for (int p = 0; p < NPATCH; p++) {
    uint32_t poff, plen;
    memcpy(&poff, r + 160 + p * 24, 4);
    memcpy(&plen, r + 164 + p * 24, 4);
    if (plen && plen <= 16 && poff + plen <= DATA_SIZE) memcpy(data + poff, r + 168 + p * 24, plen);
  }
  memcpy(initial, data, DATA_SIZE);
  memcpy(code_rw + INSN_OFF, r, len);
  code_rw[INSN_OFF + len] = 0x0f;
  code_rw[INSN_OFF + len + 1] = 0x01;
  code_rw[INSN_OFF + len + 2] = 0xc1;
  last_len = len;
  for (int i = 0; i < 16; i++) {
    uint64_t v;
    memcpy(&v, r + 24 + i * 8, 8);
    g[gpr_index[i]] = (greg_t)v;
  }
  uint64_t fl;
  memcpy(&fl, r + 152, 8);
  g[REG_EFL] = (greg_t)((fl & ~0x100ULL) | 0x202);
  g[REG_RIP] = (greg_t)(CODE_VA + INSN_OFF);
  // SIMD state: base from the pool, then per-register overrides, MXCSR/FSW/FTW from the record
  uint32_t soff;
  memcpy(&soff, r + 256, 4);
  uint8_t *b = simd_initial;
  memcpy(b, pool + soff, 384);
  for (int i = 0; i < 8; i++) memset(b + 256 + 16 * i + 10, 0, 6);
  memcpy(b + 384, r + 260, 4);
  memcpy(b + 388, r + 264, 2);
  b[390] = r[266];
  b[391] = 0;
  for (int k = 0; k < NXOVR; k++) {
    uint32_t idx;
    memcpy(&idx, r + 272 + k * 24, 4);
    if (idx < 16) memcpy(b + 16 * idx, r + 280 + k * 24, 16);
    else if (idx < 24) memcpy(b + 256 + 16 * (idx - 16), r + 280 + k * 24, 10);
  }
  simd_set(fp, b);
}

static void handler(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = (ucontext_t *)ucv;
  greg_t *g = uc->uc_mcontext.gregs;
  if (running) {
    write_result(sig, si, g, uc->uc_mcontext.fpregs);
    memset(code_rw + INSN_OFF, 0xcc, last_len + 3);
    cur++;
  } else {
    memcpy(saved, g, sizeof(gregset_t));
    running = 1;
  }
  if (cur >= ncases) {
    memcpy(g, saved, sizeof(gregset_t));
    running = 0;
    return;
  }
  load_case(g, uc->uc_mcontext.fpregs);
}

static void *read_all(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  void *buf = malloc(n ? n : 1);
  if (fread(buf, 1, n, f) != (size_t)n) { perror("read"); exit(2); }
  fclose(f);
  *size = n;
  return buf;
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: harness IN OUT\n"); return 2; }
  size_t insize;
  uint8_t *in = read_all(argv[1], &insize);
  if (insize < 16 || memcmp(in, "WPVHFUZ1", 8) != 0) { fprintf(stderr, "bad input\n"); return 2; }
  memcpy(&ncases, in + 8, 4);
  memcpy(&pool_size, in + 12, 4);
  pool = in + 16;
  cases = pool + pool_size;
  if (16 + (size_t)pool_size + (size_t)ncases * REC_IN != insize) { fprintf(stderr, "bad size\n"); return 2; }
  outbuf = malloc((size_t)ncases * (176 + MAX_DIFF * 16));
  if (!outbuf) { perror("malloc"); return 2; }

  int fd = memfd_create("fuzzcode", 0);
  if (fd < 0 || ftruncate(fd, 4096) != 0) { perror("memfd"); return 2; }
  void *x = mmap((void *)CODE_VA, 4096, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
  code_rw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  void *d = mmap((void *)DATA_VA, DATA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (x != (void *)CODE_VA || d != (void *)DATA_VA || code_rw == MAP_FAILED) { perror("mmap"); return 2; }
  memset(code_rw, 0xcc, 4096);

  static uint8_t altstack[1 << 16] __attribute__((aligned(64)));
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) != 0) { perror("sigaltstack"); return 2; }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);
  alarm(300); // watchdog: a runaway case must not hang the test suite

  if (ncases) __asm__ volatile("int3" ::: "memory");
  if (running || cur != ncases) { fprintf(stderr, "harness: stopped at case %u\n", cur); return 3; }

  FILE *f = fopen(argv[2], "wb");
  if (!f || fwrite(outbuf, 1, outpos, f) != outpos || fclose(f) != 0) { perror(argv[2]); return 2; }
  return 0;
}
