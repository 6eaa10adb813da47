/* Shared-library half of the uprobe test target. */
__attribute__((noinline)) int tsbpf_lib_fn(int x) {
  __asm__ volatile("" ::: "memory");
  return x * 2;
}
