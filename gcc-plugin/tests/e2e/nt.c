/* nt.c -- non-temporal stores need a fence: NT_SI32 (default), NT_SI64,
 * NT_SI128, NT_SI512 (-mavx512f) or NT_MOVDIR64B (-mmovdir64b); the
 * buggy twin has no sfence */
#if defined(NT_SI512) || defined(NT_MOVDIR64B)
#include <immintrin.h>
#else
#include <emmintrin.h> /* much cheaper to compile */
#endif
#include "e2e.h"

struct rec {
	long a;
	char pad[56];
	char line[64] __attribute__((aligned(64)));
};

static char src[64] __attribute__((aligned(64)));

int
main(int argc, char **argv)
{
	struct rec *r = (struct rec *)e2e_pool(argc, argv);
	void *dst = r->line;
	memset(src, 'a' + argc, sizeof(src));
	r->a = 1;
	e2e_persist(&r->a, sizeof(r->a));
#if defined(NT_SI64)
	_mm_stream_si64((long long *)dst, argc); /* PLANTED NT_SI64 */
#elif defined(NT_SI128)
	__m128i v128 = _mm_set1_epi32(argc);
	_mm_stream_si128((__m128i *)dst, v128); /* PLANTED NT_SI128 */
#elif defined(NT_SI512)
	__m512i v512 = _mm512_set1_epi32(argc);
	_mm512_stream_si512((__m512i *)dst, v512); /* PLANTED NT_SI512 */
#elif defined(NT_MOVDIR64B)
	_movdir64b(dst, src); /* PLANTED NT_MOVDIR64B */
#else
	_mm_stream_si32((int *)dst, argc); /* PLANTED NT_SI32 */
#endif
#ifndef BUGGY
	_mm_sfence();
#endif
	return 0;
}
