/* Native side of the benchmark: time workload() on the host CPU. */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
uint64_t workload(void);
int main(void) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  uint64_t h = workload();
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("checksum %016llx\nseconds %.6f\n", (unsigned long long)h, (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
  return 0;
}
