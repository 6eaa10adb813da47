/* Timing helpers shared by the C peers: per-run samples, median/min/max as JSON. */
#ifndef TSBPF_BENCH_TIMING_H
#define TSBPF_BENCH_TIMING_H
#include <stdio.h>

double now_ns(void);
/* Prints "{"median":..,"min":..,"max":..,"runs":..}" for samples (sorted in place). */
void print_stats(FILE *out, double *samples, int runs);
#endif
