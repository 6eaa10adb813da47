#include <stdlib.h>
#include <time.h>
#include "timing.h"

double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void print_stats(FILE *out, double *s, int runs)
{
	double median;

	qsort(s, runs, sizeof(*s), cmp);
	median = runs % 2 ? s[runs / 2] : (s[runs / 2 - 1] + s[runs / 2]) / 2;
	fprintf(out, "{\"median\":%.4f,\"min\":%.4f,\"max\":%.4f,\"runs\":%d}", median, s[0], s[runs - 1], runs);
}
