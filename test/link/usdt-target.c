/* USDT test target: fires probe tsbpf:tick(i) argv[1] times. The note is written by hand
 * (the layout <sys/sdt.h> emits: pc, .stapsdt.base, semaphore, provider, name, args), since
 * sdt.h is not installed here. Built by test/link/usdt.test.ts. */
#include <stdlib.h>

#define TSBPF_PROBE1(provider, name, arg)                                          \
  __asm__ __volatile__("990: nop\n"                                               \
                       ".pushsection .note.stapsdt,\"?\",\"note\"\n"             \
                       ".balign 4\n"                                              \
                       ".4byte 992f-991f, 994f-993f, 3\n"                         \
                       "991: .asciz \"stapsdt\"\n"                                \
                       "992: .balign 4\n"                                         \
                       "993: .8byte 990b\n"                                       \
                       ".8byte _.stapsdt.base\n"                                  \
                       ".8byte 0\n"                                               \
                       ".asciz \"" #provider "\"\n"                               \
                       ".asciz \"" #name "\"\n"                                   \
                       ".asciz \"-4@%0\"\n"                                       \
                       "994: .balign 4\n"                                         \
                       ".popsection\n"                                            \
                       ".ifndef _.stapsdt.base\n"                                 \
                       ".pushsection .stapsdt.base,\"aG\",\"progbits\",.stapsdt.base,comdat\n" \
                       ".weak _.stapsdt.base\n"                                   \
                       ".hidden _.stapsdt.base\n"                                 \
                       "_.stapsdt.base: .space 1\n"                               \
                       ".size _.stapsdt.base, 1\n"                                \
                       ".popsection\n"                                            \
                       ".endif\n" ::"r"(arg))

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1;
  for (int i = 0; i < n; i++) TSBPF_PROBE1(tsbpf, tick, i);
  return 0;
}
