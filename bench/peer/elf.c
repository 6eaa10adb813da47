/* C peer of bench/elf.ts: parse a BPF object with libelf the way tsbpf's parseElf does:
 * every section header and name, every symbol and its name, every relocation.
 * Usage: elf RUNS ITERATIONS FILE...  Prints {"file": stats_in_us, ...}. */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "timing.h"

static volatile unsigned long sink;

static void parse(char *buf, size_t len)
{
	Elf *elf = elf_memory(buf, len);
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (!elf || elf_getshdrstrndx(elf, &shstrndx)) {
		fprintf(stderr, "libelf: %s\n", elf_errmsg(-1));
		exit(1);
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t i, n;

		gelf_getshdr(scn, &sh);
		sink += (unsigned long)elf_strptr(elf, shstrndx, sh.sh_name);
		data = elf_getdata(scn, NULL);
		if (sh.sh_type == SHT_SYMTAB) {
			n = sh.sh_size / sh.sh_entsize;
			for (i = 0; i < n; i++) {
				GElf_Sym sym;

				gelf_getsym(data, i, &sym);
				sink += (unsigned long)elf_strptr(elf, sh.sh_link, sym.st_name);
			}
		} else if (sh.sh_type == SHT_REL) {
			n = sh.sh_size / sh.sh_entsize;
			for (i = 0; i < n; i++) {
				GElf_Rel rel;

				gelf_getrel(data, i, &rel);
				sink += rel.r_offset;
			}
		}
	}
	elf_end(elf);
}

int main(int argc, char **argv)
{
	int runs = atoi(argv[1]), iters = atoi(argv[2]);
	double *samples = calloc(runs, sizeof(double));

	elf_version(EV_CURRENT);
	printf("{");
	for (int f = 3; f < argc; f++) {
		int fd = open(argv[f], O_RDONLY);
		struct stat st;
		char *buf;

		fstat(fd, &st);
		buf = malloc(st.st_size);
		if (read(fd, buf, st.st_size) != st.st_size)
			return 1;
		close(fd);
		for (int r = -1; r < runs; r++) {
			double t0 = now_ns();

			for (int i = 0; i < iters; i++)
				parse(buf, st.st_size);
			if (r >= 0)
				samples[r] = (now_ns() - t0) / iters / 1e3;
		}
		printf("%s\"%s\":", f > 3 ? "," : "", argv[f]);
		print_stats(stdout, samples, runs);
		free(buf);
	}
	printf("}\n");
	return 0;
}
