/* C peer of bench/btf.ts: libbpf 1.1 parsing vmlinux BTF, from bytes in memory (btf__new)
 * and from the file (btf__parse), and looking up names with btf__find_by_name_kind (a linear
 * scan from id 1: libbpf keeps no name index).
 * Usage: btf RUNS PATH NAMES_FILE   (NAMES_FILE: one "KIND NAME" per line)
 * Prints {"new": stats_ms, "parse": stats_ms, "parse+lookups": stats_ms, "lookups": stats_ms,
 * "found": N}. */
#include <bpf/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "timing.h"

#define MAX_NAMES 4096

static char *names[MAX_NAMES];
static int kinds[MAX_NAMES];
static int nr_names;

static void read_names(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];

	if (!f) {
		perror(path);
		exit(1);
	}
	while (nr_names < MAX_NAMES && fgets(line, sizeof(line), f)) {
		char *sp = strchr(line, ' ');

		if (!sp)
			continue;
		line[strcspn(line, "\n")] = 0;
		*sp = 0;
		kinds[nr_names] = atoi(line);
		names[nr_names++] = strdup(sp + 1);
	}
	fclose(f);
}

static int lookups(struct btf *btf)
{
	int i, found = 0;

	for (i = 0; i < nr_names; i++)
		found += btf__find_by_name_kind(btf, names[i], kinds[i]) > 0;
	return found;
}

static struct btf *parse(const char *path)
{
	struct btf *btf = btf__parse(path, NULL);

	if (!btf) {
		perror("btf__parse");
		exit(1);
	}
	return btf;
}

int main(int argc, char **argv)
{
	int runs = atoi(argv[1]), r, found = 0;
	const char *path = argv[2];
	double *p = calloc(runs, sizeof(double));
	double *pl = calloc(runs, sizeof(double));
	double *l = calloc(runs, sizeof(double));

	double *nw = calloc(runs, sizeof(double));
	static char buf[64 << 20];
	size_t len;
	FILE *f = fopen(path, "rb");

	if (!f) {
		perror(path);
		return 1;
	}
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	read_names(argv[3]);
	for (r = -1; r < runs; r++) {
		double t0 = now_ns();
		struct btf *btf = btf__new(buf, len);
		double t1 = now_ns();

		if (!btf) {
			perror("btf__new");
			return 1;
		}
		btf__free(btf);
		if (r >= 0)
			nw[r] = (t1 - t0) / 1e6;
	}
	for (r = -1; r < runs; r++) {
		double t0 = now_ns();
		struct btf *btf = parse(path);
		double t1 = now_ns();

		btf__free(btf);
		if (r >= 0)
			p[r] = (t1 - t0) / 1e6;
	}
	for (r = -1; r < runs; r++) {
		double t0 = now_ns();
		struct btf *btf = parse(path);

		found = lookups(btf);
		double t1 = now_ns();

		btf__free(btf);
		if (r >= 0)
			pl[r] = (t1 - t0) / 1e6;
	}
	{
		struct btf *btf = parse(path);

		for (r = -1; r < runs; r++) {
			double t0 = now_ns();

			lookups(btf);
			if (r >= 0)
				l[r] = (now_ns() - t0) / 1e6;
		}
		btf__free(btf);
	}
	printf("{\"new\":");
	print_stats(stdout, nw, runs);
	printf(",\"parse\":");
	print_stats(stdout, p, runs);
	printf(",\"parse+lookups\":");
	print_stats(stdout, pl, runs);
	printf(",\"lookups\":");
	print_stats(stdout, l, runs);
	printf(",\"found\":%d}\n", found);
	return 0;
}
