/* Uprobe test target: calls tsbpf_target_fn (in this PIE) and tsbpf_lib_fn (in a shared
 * library) argv[1] times each. Built by test/link/uprobe.test.ts. */
#include <stdlib.h>

int tsbpf_lib_fn(int x);

__attribute__((noinline)) int tsbpf_target_fn(int x) {
  __asm__ volatile("" ::: "memory");
  return x + 1;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1, s = 0;
  for (int i = 0; i < n; i++) s += tsbpf_target_fn(i) + tsbpf_lib_fn(i);
  return s == -1;
}
