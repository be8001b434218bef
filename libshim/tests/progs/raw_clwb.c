/*
 * raw_clwb.c -- a prebuilt program (no pmemu plugin) that persists a
 * record with _mm_clwb and _mm_sfence, as a program tuned for real
 * persistent memory does. -DBUGGY forgets to flush the record's body, so
 * its stores are never durable (pmemu: unpersisted store, at the line
 * marked "the body").
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>

void *raw_map(int argc, char **argv, size_t len);
void raw_digest(const char *label, const void *p, size_t len);

struct record {
	uint64_t body[8];   /* one cache line */
	uint64_t valid;     /* the next line */
} __attribute__((aligned(64)));

int
main(int argc, char **argv)
{
	struct record *r = raw_map(argc, argv, 4096);
	for (int i = 0; i < 8; i++)
		r->body[i] = 0x1000 + (uint64_t)i; /* the body */
#ifndef BUGGY
	_mm_clwb(r->body);
#endif
	_mm_sfence();
	r->valid = 1;
	_mm_clwb(&r->valid);
	_mm_sfence();
	raw_digest("record", r, sizeof(*r));
	return 0;
}
