/* intrinsics.c -- flush, fence and non-temporal store intrinsics */
#include <immintrin.h>
#include "prog.h"

#define FLUSHES __attribute__((target("clflushopt,clwb")))
#define AVX __attribute__((target("avx")))
#define AVX512 __attribute__((target("avx512f")))
#define MOVDIR __attribute__((target("movdir64b")))

NOIPA void flush(char *p) { _mm_clflush(p); } /* pmemu: clflush 0 */
NOIPA FLUSHES void flushopt(char *p) { _mm_clflushopt(p); } /* pmemu: clflushopt 64 [clflushopt] */
NOIPA FLUSHES void wb(char *p) { _mm_clwb(p); } /* pmemu: clwb 128 [clwb] */
NOIPA void sfence(void) { _mm_sfence(); } /* pmemu: sfence */
NOIPA void mfence(void) { _mm_mfence(); } /* pmemu: mfence */
NOIPA void nt32(int *p) { _mm_stream_si32(p, 1); } /* pmemu: store_nt 192 4 */
NOIPA void nt64(long long *p) { _mm_stream_si64(p, 2); } /* pmemu: store_nt 200 8 */
NOIPA void nt128(__m128i *p) { _mm_stream_si128(p, _mm_set1_epi32(3)); } /* pmemu: store_nt 208 16 */
NOIPA void ntps(float *p) { _mm_stream_ps(p, _mm_set1_ps(1.0f)); } /* pmemu: store_nt 224 16 */
NOIPA void ntpd(double *p) { _mm_stream_pd(p, _mm_set1_pd(2.0)); } /* pmemu: store_nt 240 16 */
NOIPA AVX void nt256(__m256i *p) { _mm256_stream_si256(p, _mm256_set1_epi32(4)); } /* pmemu: store_nt 256 32 [avx2] */
NOIPA AVX void nt256pd(double *p) { _mm256_stream_pd(p, _mm256_set1_pd(3.0)); } /* pmemu: store_nt 288 32 [avx2] */
NOIPA AVX512 void nt512(__m512i *p) { _mm512_stream_si512(p, _mm512_set1_epi32(5)); } /* pmemu: store_nt 320 64 [avx512f] */
NOIPA AVX512 void nt512ps(float *p) { _mm512_stream_ps(p, _mm512_set1_ps(5.0f)); } /* pmemu: store_nt 384 64 [avx512f] */
NOIPA MOVDIR void dir64(void *d, const void *s) { _movdir64b(d, s); } /* pmemu: movdir64b 448 64 [movdir64b] */

int
main(void)
{
	char *pm = prog_pmem();
	static char src[64] __attribute__((aligned(64))) = "sixty-four";
	flush(pm);
	if (prog_cpu_has("clflushopt"))
		flushopt(pm + 64);
	if (prog_cpu_has("clwb"))
		wb(pm + 128);
	sfence();
	mfence();
	nt32((int *)(pm + 192));
	nt64((long long *)(pm + 200));
	nt128((__m128i *)(pm + 208));
	ntps((float *)(pm + 224));
	ntpd((double *)(pm + 240));
	if (prog_cpu_has("avx2")) {
		nt256((__m256i *)(pm + 256));
		nt256pd((double *)(pm + 288));
	}
	if (prog_cpu_has("avx512f")) {
		nt512((__m512i *)(pm + 320));
		nt512ps((float *)(pm + 384));
	}
	if (prog_cpu_has("movdir64b"))
		dir64(pm + 448, src);
	_mm_sfence(); /* pmemu: sfence */
	printf("intrinsics %lu\n", prog_sum(pm, 192));
	return 0;
}
