/* String and memory functions from musl: strlen/strcmp/strncmp/strchr/strrchr/memcpy/memmove/memset/
 * memcmp/memchr/strcpy/strcat/strncpy/strdup-free/strtol/strtoul/atoi/strstr (short needles). */
#include <stdint.h>
#include <stdlib.h>
#include <errno.h>
#include "out.h"

static char buf[4096];
static int sgn(int x) { return (x > 0) - (x < 0); }

int main(int argc, char **argv) {
  out_kv("argc", argc);
  for (int i = 1; i < argc; i++) { out_s("argv: "); out_s(argv[i]); out_s(" len="); out_u(strlen(argv[i])); out_nl(); }
  const char *s = "Hello, world! The quick brown fox.";
  out_kv("strlen", (long long)strlen(s));
  out_kv("strlen(\"\")", (long long)strlen(""));
  out_kv("strcmp eq", sgn(strcmp("abc", "abc")));
  out_kv("strcmp lt", sgn(strcmp("abc", "abd")));
  out_kv("strcmp gt", sgn(strcmp("abd", "ab")));
  out_kv("strcmp hi-bit", sgn(strcmp("a\xff", "a\x01")));
  out_kv("strncmp", sgn(strncmp("abcdef", "abcxyz", 3)));
  out_kv("strchr o", (long long)(strchr(s, 'o') - s));
  out_kv("strrchr o", (long long)(strrchr(s, 'o') - s));
  out_kv("strchr nul", (long long)(strchr(s, 0) - s));
  out_kv("strchr missing", strchr(s, 'Z') == NULL);
  out_kv("memchr", (long long)((const char *)memchr(s, 'q', 40) - s));
  out_kv("strstr fox", (long long)(strstr(s, "fox") - s));
  out_kv("strstr wo", (long long)(strstr(s, "wo") - s));
  out_kv("strstr none", strstr(s, "cat") == NULL);
  /* memcpy/memmove/memset at many sizes and alignments */
  uint64_t h = 1469598103934665603ull;
  for (int len = 0; len < 300; len += 7) {
    for (int off = 0; off < 9; off++) {
      for (int i = 0; i < 1024; i++) buf[i] = (char)(i * 7 + len);
      memcpy(buf + 1024 + off, buf + off, (size_t)len);
      memmove(buf + off + 3, buf + off, (size_t)len);        /* overlapping forward */
      memmove(buf + 2048, buf + 2048 + off + 5, (size_t)len); /* overlapping backward */
      memset(buf + 3000 + off, 'A' + off, (size_t)len);
      for (int i = 0; i < 4096; i++) { h ^= (uint8_t)buf[i]; h *= 1099511628211ull; }
    }
  }
  out_kx("mem hash", h, 16);
  out_kv("memcmp", sgn(memcmp("abcX", "abcY", 4)));
  strcpy(buf, "foo"); strcat(buf, "bar"); strcat(buf, "-baz");
  out_s("strcat: "); out_s(buf); out_nl();
  memset(buf, 'x', 16); strncpy(buf, "ab", 6);
  out_kv("strncpy pad", buf[2] == 0 && buf[5] == 0 && buf[6] == 'x');
  char *end;
  out_kv("strtol dec", strtol("  -12345xyz", &end, 10)); out_s("rest: "); out_s(end); out_nl();
  out_kv("strtol hex", strtol("0x7fffFFFF", NULL, 16));
  out_kv("strtol auto hex", strtol("0x1f", NULL, 0));
  out_kv("strtol auto oct", strtol("0777", NULL, 0));
  out_kv("strtol base36", strtol("zz", NULL, 36));
  errno = 0;
  long big = strtol("99999999999999999999", NULL, 10);
  out_kv("strtol overflow", big == 9223372036854775807L); out_kv("errno ERANGE", errno == ERANGE);
  out_kx("strtoul", strtoul("18446744073709551615", NULL, 10), 16);
  out_kv("strtoll neg", strtoll("-9223372036854775808", NULL, 10) == (-9223372036854775807LL - 1));
  out_kv("atoi", atoi("  +42abc"));
  out_kv("abs", labs(-77));
  /* word frequency over a text, by hand */
  const char *text = "the cat and the dog and the bird saw the cat";
  int counts[26] = {0};
  for (const char *p = text; *p; p++) if (*p >= 'a' && *p <= 'z') counts[*p - 'a']++;
  out_s("letters:"); for (int i = 0; i < 26; i++) if (counts[i]) { out_c(' '); out_c((char)('a' + i)); out_u(counts[i]); } out_nl();
  return 0;
}
