/* uprobe.multi test target: calls tsbpf_multi_a, tsbpf_multi_b and tsbpf_multi_c
 * argv[1], argv[2] and argv[3] times, and tsbpf_other argv[4] times (a function the
 * test's pattern must not match). Built by test/link/uprobe-multi.test.ts. */
#include <stdlib.h>

#define PROBED(name)                              \
  __attribute__((noinline)) int name(int x) {     \
    __asm__ volatile("" ::: "memory");            \
    return x + 1;                                 \
  }
PROBED(tsbpf_multi_a)
PROBED(tsbpf_multi_b)
PROBED(tsbpf_multi_c)
PROBED(tsbpf_other)

int main(int argc, char **argv) {
  int n[4] = {0, 0, 0, 0}, s = 0;
  for (int i = 0; i < 4 && i + 1 < argc; i++) n[i] = atoi(argv[i + 1]);
  for (int i = 0; i < n[0]; i++) s += tsbpf_multi_a(i);
  for (int i = 0; i < n[1]; i++) s += tsbpf_multi_b(i);
  for (int i = 0; i < n[2]; i++) s += tsbpf_multi_c(i);
  for (int i = 0; i < n[3]; i++) s += tsbpf_other(i);
  return s == -1;
}
