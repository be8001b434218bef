/*
 * raw_maskmov.c -- a prebuilt program with a masked non-temporal store
 * (maskmovdqu), which pmemu cannot emulate: under pmemu it must stop at
 * start, naming masked_copy and this program, and point to the plugin.
 */
#include <emmintrin.h>
#include <stdio.h>

void *raw_map(int argc, char **argv, size_t len);
void raw_digest(const char *label, const void *p, size_t len);

static __attribute__((noinline)) void
masked_copy(char *dst, __m128i v, __m128i mask)
{
	_mm_maskmoveu_si128(v, mask, dst);
	_mm_sfence();
}

int
main(int argc, char **argv)
{
	char *pm = raw_map(argc, argv, 4096);
	masked_copy(pm, _mm_set1_epi8(0x5a), _mm_set1_epi16((short)0xff00));
	raw_digest("masked", pm, 64);
	return 0;
}
