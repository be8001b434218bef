/* publish.c -- publishing a descriptor {ptr, len}: "wide" writes both
 * fields with one 16-byte store (it may tear: a bug), "ptr" persists the
 * descriptor elsewhere first and publishes it with one 8-byte store. */
#include <emmintrin.h>
#include <libpmem.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct desc {
	uint64_t off;   /* where the object is */
	uint64_t len;   /* its length: must match off's object */
};

int
main(int argc, char **argv)
{
	size_t len;
	int is_pmem;
	if (argc < 3)
		return 2;
	char *p = pmem_map_file(argv[1], 4096, PMEM_FILE_CREATE, 0644, &len,
			&is_pmem);
	if (p == NULL) {
		perror("pmem_map_file");
		return 1;
	}
	if (strcmp(argv[2], "wide") == 0) {
		struct desc d = { 1024, 77 };
		__m128i v;
		memcpy(&v, &d, sizeof(v));
		_mm_store_si128((__m128i *)p, v);       /* one 16-byte store */
		pmem_persist(p, 16);
	} else {
		struct desc *d = (struct desc *)(p + 256);
		d->off = 1024;
		d->len = 77;
		pmem_persist(d, sizeof(*d));
		*(volatile uint64_t *)(p + 64) = 256;  /* one 8-byte publish */
		pmem_persist(p + 64, 8);
	}
	pmem_unmap(p, len);
	return 0;
}
