/*
 * raw_bigcopy.c -- a large memcpy into pmem, then clwb of every line and
 * sfence. Run with GLIBC_TUNABLES=glibc.cpu.x86_non_temporal_threshold=
 * 0x4040, glibc copies with non-temporal stores; pmemu treats them as
 * cached stores (docs/raw-instructions.md), so the flushes are needed and
 * not redundant. -DBUGGY skips the flushes (the fence stays): pmemu must
 * report the copied lines as unpersisted.
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *raw_map(int argc, char **argv, size_t len);
void raw_digest(const char *label, const void *p, size_t len);

#define COPY_LEN (1u << 20)

int
main(int argc, char **argv)
{
	uint8_t *pm = raw_map(argc, argv, COPY_LEN);
	uint8_t *src = malloc(COPY_LEN);
	if (src == NULL)
		return 2;
	for (size_t i = 0; i < COPY_LEN; i++)
		src[i] = (uint8_t)(i * 131 + (i >> 12));
	memcpy(pm, src, COPY_LEN); /* the copy */
#ifndef BUGGY
	for (size_t off = 0; off < COPY_LEN; off += 64)
		_mm_clwb(pm + off);
#endif
	_mm_sfence();
	raw_digest("bigcopy", pm, COPY_LEN);
	free(src);
	return 0;
}
