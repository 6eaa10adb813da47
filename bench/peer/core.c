/* C peer of bench/core.ts: the CO-RE phase of libbpf's bpf_object__load
 * (bpf_object__relocate_core), run on its own: for each .BTF.ext core_relo record, find
 * the candidates of the local type in the target BTF (cached per local type id, as libbpf's
 * cand_cache), compute the relocation and patch the instruction, with libbpf's own
 * bpf_core_add_cands / bpf_core_calc_relo_insn / bpf_core_patch_insn (global symbols of
 * Debian's static libbpf.a 1.1.2; their structs are declared below as relo_core.h has them).
 *
 * Usage: core RUNS ITERATIONS TARGET_BTF OBJ...
 * Prints {"relocate:OBJ": stats_us, "parse+relocate:OBJ": stats_us, ...}; the second figure
 * includes parsing TARGET_BTF (btf__parse) each time. */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "timing.h"

/* libbpf src/relo_core.h (v1.1.2) */
struct bpf_core_cand {
	const struct btf *btf;
	__u32 id;
};
struct bpf_core_cand_list {
	struct bpf_core_cand *cands;
	int len;
};
#define BPF_CORE_SPEC_MAX_LEN 64
struct bpf_core_accessor {
	__u32 type_id;
	__u32 idx;
	const char *name;
};
struct bpf_core_spec {
	const struct btf *btf;
	struct bpf_core_accessor spec[BPF_CORE_SPEC_MAX_LEN];
	__u32 root_type_id;
	enum bpf_core_relo_kind relo_kind;
	int len;
	int raw_spec[BPF_CORE_SPEC_MAX_LEN];
	int raw_len;
	__u32 bit_offset;
};
struct bpf_core_relo_res {
	__u64 orig_val;
	__u64 new_val;
	bool poison;
	bool validate;
	bool fail_memsz_adjust;
	__u32 orig_sz;
	__u32 orig_type_id;
	__u32 new_sz;
	__u32 new_type_id;
};
int bpf_core_calc_relo_insn(const char *prog_name, const struct bpf_core_relo *relo, int relo_idx,
			    const struct btf *local_btf, struct bpf_core_cand_list *cands,
			    struct bpf_core_spec *specs_scratch, struct bpf_core_relo_res *targ_res);
int bpf_core_patch_insn(const char *prog_name, struct bpf_insn *insn, int insn_idx,
			const struct bpf_core_relo *relo, int relo_idx, const struct bpf_core_relo_res *res);
int bpf_core_add_cands(struct bpf_core_cand *local_cand, size_t local_essent_len,
		       const struct btf *targ_btf, const char *targ_btf_name, int targ_start_id,
		       struct bpf_core_cand_list *cands);
void bpf_core_free_cands(struct bpf_core_cand_list *cands);
size_t bpf_core_essential_name_len(const char *name);

struct section {
	const char *name;
	const struct bpf_core_relo *recs;
	__u32 nrecs;
	struct bpf_insn *orig, *insns;
	size_t ninsns;
};

struct object {
	struct btf *btf;
	struct btf_ext *ext;
	struct section secs[64];
	int nsecs;
};

static int silent(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return 0;
}

static void load_object(const char *path, struct object *o)
{
	const __u8 *raw;
	__u32 size, hdr_len, off, len, rec_size;
	int fd = open(path, O_RDONLY);
	Elf *elf;
	size_t shstrndx;

	memset(o, 0, sizeof(*o));
	o->btf = btf__parse_elf(path, &o->ext);
	if (!o->btf || !o->ext) {
		fprintf(stderr, "%s: no BTF/BTF.ext\n", path);
		exit(1);
	}
	raw = btf_ext__get_raw_data(o->ext, &size);
	memcpy(&hdr_len, raw + 4, 4);
	memcpy(&off, raw + 24, 4);
	memcpy(&len, raw + 28, 4);
	raw += hdr_len + off;
	memcpy(&rec_size, raw, 4);
	if (rec_size != sizeof(struct bpf_core_relo)) {
		fprintf(stderr, "unexpected core_relo rec_size %u\n", rec_size);
		exit(1);
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	elf_getshdrstrndx(elf, &shstrndx);
	for (__u32 p = 4; p < len;) {
		struct section *s = &o->secs[o->nsecs++];
		__u32 name_off, n;
		Elf_Scn *scn = NULL;

		memcpy(&name_off, raw + p, 4);
		memcpy(&n, raw + p + 4, 4);
		s->name = btf__name_by_offset(o->btf, name_off);
		s->recs = (const void *)(raw + p + 8);
		s->nrecs = n;
		p += 8 + n * rec_size;
		while ((scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;

			gelf_getshdr(scn, &sh);
			if (strcmp(elf_strptr(elf, shstrndx, sh.sh_name), s->name) == 0) {
				Elf_Data *d = elf_getdata(scn, NULL);

				s->ninsns = d->d_size / 8;
				s->orig = malloc(d->d_size);
				s->insns = malloc(d->d_size);
				memcpy(s->orig, d->d_buf, d->d_size);
			}
		}
		if (!s->orig) {
			fprintf(stderr, "%s: no section %s\n", path, s->name);
			exit(1);
		}
	}
	elf_end(elf);
	close(fd);
}

/* bpf_object__relocate_core's loop, with a fresh candidate cache as each load has. */
static void relocate(struct object *o, const struct btf *targ)
{
	int ntypes = btf__type_cnt(o->btf);
	struct bpf_core_cand_list **cache = calloc(ntypes, sizeof(*cache));
	struct bpf_core_spec specs[3];
	struct bpf_core_relo_res res;

	for (int s = 0; s < o->nsecs; s++) {
		struct section *sec = &o->secs[s];

		memcpy(sec->insns, sec->orig, sec->ninsns * 8);
		for (__u32 i = 0; i < sec->nrecs; i++) {
			const struct bpf_core_relo *rec = &sec->recs[i];
			int insn_idx = rec->insn_off / 8;
			struct bpf_core_cand_list *cands = NULL;

			if (rec->kind != BPF_CORE_TYPE_ID_LOCAL) {
				cands = cache[rec->type_id];
				if (!cands) {
					const struct btf_type *t = btf__type_by_id(o->btf, rec->type_id);
					const char *name = btf__name_by_offset(o->btf, t->name_off);
					struct bpf_core_cand local = { .btf = o->btf, .id = rec->type_id };

					cands = calloc(1, sizeof(*cands));
					bpf_core_add_cands(&local, bpf_core_essential_name_len(name), targ, "vmlinux", 1, cands);
					cache[rec->type_id] = cands;
				}
			}
			if (bpf_core_calc_relo_insn(sec->name, rec, i, o->btf, cands, specs, &res) ||
			    bpf_core_patch_insn(sec->name, sec->insns + insn_idx, insn_idx, rec, i, &res)) {
				fprintf(stderr, "relocation #%u of %s failed\n", i, sec->name);
				exit(1);
			}
		}
	}
	for (int i = 0; i < ntypes; i++)
		if (cache[i])
			bpf_core_free_cands(cache[i]);
	free(cache);
}

int main(int argc, char **argv)
{
	int runs = atoi(argv[1]), iters = atoi(argv[2]);
	const char *target_path = argv[3];
	double *samples = calloc(runs, sizeof(double));
	struct btf *targ;

	libbpf_set_print(silent);
	targ = btf__parse(target_path, NULL);
	if (!targ) {
		fprintf(stderr, "cannot parse %s\n", target_path);
		return 1;
	}
	printf("{");
	for (int f = 4; f < argc; f++) {
		struct object o;

		load_object(argv[f], &o);
		for (int r = -1; r < runs; r++) {
			double t0 = now_ns();

			for (int i = 0; i < iters; i++)
				relocate(&o, targ);
			if (r >= 0)
				samples[r] = (now_ns() - t0) / iters / 1e3;
		}
		printf("%s\"relocate:%s\":", f > 4 ? "," : "", argv[f]);
		print_stats(stdout, samples, runs);
		for (int r = -1; r < runs; r++) {
			double t0 = now_ns();
			struct btf *fresh = btf__parse(target_path, NULL);

			relocate(&o, fresh);
			btf__free(fresh);
			if (r >= 0)
				samples[r] = (now_ns() - t0) / 1e3;
		}
		printf(",\"parse+relocate:%s\":", argv[f]);
		print_stats(stdout, samples, runs);
	}
	printf("}\n");
	return 0;
}
