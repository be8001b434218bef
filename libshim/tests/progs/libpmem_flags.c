/*
 * libpmem_flags.c -- one libpmem copy or fill per run, named on the command
 * line, into a fresh pmem file; the end-to-end test checks the finding
 * class each one leaves (none, missing fence, unpersisted stores)
 *
 * usage: libpmem_flags FILE VARIANT
 */
#include <libpmem.h>
#include <stdio.h>
#include <string.h>

#define POOL_LEN 8192

static const char payload[] = "sixty-four bytes of payload, more or less, for one cache line";

/* do_variant -- the call under test, on its own line for the report */
static int
do_variant(char *pm, const char *variant)
{
	static const struct {
		const char *name;
		unsigned flags;
	} flag_variants[] = {
		{ "flags_none", 0 },
		{ "nodrain", PMEM_F_MEM_NODRAIN },
		{ "nontemporal", PMEM_F_MEM_NONTEMPORAL },
		{ "nontemporal_nodrain",
			PMEM_F_MEM_NONTEMPORAL | PMEM_F_MEM_NODRAIN },
		{ "temporal", PMEM_F_MEM_TEMPORAL },
		{ "wc", PMEM_F_MEM_WC },
		{ "wb", PMEM_F_MEM_WB },
		{ "noflush", PMEM_F_MEM_NOFLUSH },
	};
	for (size_t i = 0; i < sizeof(flag_variants) /
			sizeof(flag_variants[0]); i++) {
		if (strcmp(variant, flag_variants[i].name) == 0) {
			pmem_memcpy(pm, payload, sizeof(payload), flag_variants[i].flags); /* FLAGS */
			return 0;
		}
	}
	if (strcmp(variant, "memcpy_persist") == 0)
		pmem_memcpy_persist(pm, payload, sizeof(payload)); /* CPY_PERSIST */
	else if (strcmp(variant, "memcpy_nodrain") == 0)
		pmem_memcpy_nodrain(pm, payload, sizeof(payload)); /* CPY_NODRAIN */
	else if (strcmp(variant, "memmove_persist") == 0)
		pmem_memmove_persist(pm + 1, payload, sizeof(payload)); /* MOVE_PERSIST */
	else if (strcmp(variant, "memset_persist") == 0)
		pmem_memset_persist(pm, 'x', 200); /* SET_PERSIST */
	else if (strcmp(variant, "memset_nodrain") == 0)
		pmem_memset_nodrain(pm, 'x', 200); /* SET_NODRAIN */
	else if (strcmp(variant, "memset_noflush") == 0)
		pmem_memset(pm, 'x', 200, PMEM_F_MEM_NOFLUSH); /* SET_NOFLUSH */
	else if (strcmp(variant, "flush_drain") == 0) {
		memcpy(pm, payload, sizeof(payload));
		pmem_flush(pm, sizeof(payload));
		pmem_drain();
	} else if (strcmp(variant, "deep_persist") == 0) {
		memcpy(pm, payload, sizeof(payload));
		pmem_deep_persist(pm, sizeof(payload));
	} else {
		fprintf(stderr, "unknown variant %s\n", variant);
		return 2;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	size_t mapped_len;
	int is_pmem;

	if (argc != 3) {
		fprintf(stderr, "usage: %s FILE VARIANT\n", argv[0]);
		return 2;
	}
	char *pm = pmem_map_file(argv[1], POOL_LEN,
			PMEM_FILE_CREATE | PMEM_FILE_EXCL, 0600, &mapped_len,
			&is_pmem);
	if (pm == NULL) {
		fprintf(stderr, "pmem_map_file: %s\n", pmem_errormsg());
		return 1;
	}
	int ret = do_variant(pm, argv[2]);
	pmem_unmap(pm, mapped_len);
	return ret;
}
