/* C peer of bench/load.ts: open + load + close of a BPF object with libbpf 1.1
 * (bpf_object__open_file, bpf_object__load, bpf_object__close), timed per object.
 *
 * Usage: load RUNS ITERATIONS OBJ...
 * Prints {"load:OBJ": stats_ms, ...}. */
#include <stdio.h>
#include <stdlib.h>
#include "open_load.h"
#include "timing.h"

static void load_once(const char *path)
{
	int err = open_load_close(path);

	if (err) {
		fprintf(stderr, "cannot %s %s\n", err == -1 ? "open" : "load", path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	int runs = atoi(argv[1]), iters = atoi(argv[2]);
	double *samples = calloc(runs, sizeof(double));

	libbpf_set_print(silent);
	printf("{");
	for (int f = 3; f < argc; f++) {
		for (int r = -1; r < runs; r++) {
			double t0 = now_ns();

			for (int i = 0; i < iters; i++)
				load_once(argv[f]);
			if (r >= 0)
				samples[r] = (now_ns() - t0) / iters / 1e6;
		}
		printf("%s\"load:%s\":", f > 3 ? "," : "", argv[f]);
		print_stats(stdout, samples, runs);
	}
	printf("}\n");
	return 0;
}
