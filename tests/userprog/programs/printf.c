/* musl's printf family with integer conversions only. Needs SSE today: musl's vfprintf zeroes its
 * argument-type table with pxor/movaps and copies the va_list with movdqu. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  char b[128];
  int n = snprintf(b, sizeof b, "%d|%5d|%-5d|%05d|%x|%X|%#o|%lu|%lld|%c|%s|%.3s|%%", -42, 7, 7, 42, 0xbeef, 0xBEEF, 8,
                   18446744073709551615ul, -9223372036854775807ll, 'z', "str", "truncate");
  printf("snprintf=%s n=%d\n", b, n);
  static const char *volatile longs = "0123456789abc";
  n = snprintf(b, 8, "%s", longs);
  printf("truncated=%s n=%d\n", b, n);
  for (int i = -3; i <= 3; i++) printf("[%+d %3u %08x %p]\n", i * 1000, (unsigned)i & 0xff, (unsigned)i, (void *)(uintptr_t)(i & 0xfff0));
  return 0;
}
