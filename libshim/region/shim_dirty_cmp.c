/*
 * shim_dirty_cmp.c -- which 64-byte chunks of a view page differ from its
 * twin: every fence compares each hot page whole (a libpmemobj
 * transaction ~24 pages over 9 settles, bench_store one per persisted
 * line), and nearly every compare finds the page equal
 *
 * 64-byte AVX-512 vectors, the differences of eight chunks or-ed together
 * and tested once, took about half the time of glibc's memcmp (evex,
 * 32-byte vectors) on a page in L1 (docs/performance.md, "The page
 * compare in AVX-512"), and give the changed chunks in the same pass.
 * Every byte is still compared: a chunk is passed over only when its
 * bytes equal the twin's. Without AVX-512 the page is one memcmp, and a
 * changed one is compared again a chunk at a time (as before).
 */
#include <immintrin.h>

#include "shim_dirty_cmp.h"

#define CHUNKS (SHIM_CMP_PAGE / SHIM_CMP_CHUNK) /* 64: a bit each */
#define GROUP 8 /* chunks or-ed together before a test */

/* chunks_wide -- the changed chunks; with `refresh` each is stored
 * into the twin from the register its compare loaded it into, and the
 * page at `ahead` (if not NULL) is prefetched meanwhile */
__attribute__((target("avx512f"), always_inline)) static inline uint64_t
chunks_wide(const uint8_t *view, uint8_t *twin, bool refresh,
		const uint8_t *ahead)
{
	uint64_t changed = 0;
	for (unsigned g = 0; g < CHUNKS; g += GROUP) {
		const uint8_t *v = view + g * SHIM_CMP_CHUNK;
		uint8_t *t = twin + g * SHIM_CMP_CHUNK;
		__m512i any = _mm512_setzero_si512();
		if (ahead != NULL)
			for (unsigned i = 0; i < GROUP; i++)
				_mm_prefetch((const char *)ahead +
					(g + i) * SHIM_CMP_CHUNK, _MM_HINT_T0);
#pragma GCC unroll 8
		for (unsigned i = 0; i < GROUP; i++)
			any = _mm512_or_si512(any, _mm512_xor_si512(
				_mm512_loadu_si512(v + i * SHIM_CMP_CHUNK),
				_mm512_loadu_si512(t + i * SHIM_CMP_CHUNK)));
		if (_mm512_test_epi64_mask(any, any) == 0)
			continue;
		for (unsigned i = 0; i < GROUP; i++) {
			__m512i now = _mm512_loadu_si512(v + i * SHIM_CMP_CHUNK);
			if (_mm512_cmpneq_epi64_mask(now, _mm512_loadu_si512(
					t + i * SHIM_CMP_CHUNK)) == 0)
				continue;
			if (refresh)
				_mm512_storeu_si512(t + i * SHIM_CMP_CHUNK, now);
			changed |= (uint64_t)1 << (g + i);
		}
	}
	return changed;
}

__attribute__((target("avx512f"))) static uint64_t
changed_wide(const uint8_t *view, const uint8_t *twin)
{
	return chunks_wide(view, (uint8_t *)twin, false, NULL); /* read */
}

__attribute__((target("avx512f"))) static uint64_t
refreshed_wide(const uint8_t *view, uint8_t *twin, const uint8_t *ahead)
{
	return chunks_wide(view, twin, true, ahead);
}

static uint64_t
changed_narrow(const uint8_t *view, const uint8_t *twin)
{
	if (memcmp(view, twin, SHIM_CMP_PAGE) == 0)
		return 0;
	uint64_t changed = 0;
	for (unsigned i = 0; i < CHUNKS; i++)
		if (!shim_line_same(view + i * SHIM_CMP_CHUNK,
				twin + i * SHIM_CMP_CHUNK, SHIM_CMP_CHUNK))
			changed |= (uint64_t)1 << i;
	return changed;
}

static uint64_t
refreshed_narrow(const uint8_t *view, uint8_t *twin)
{
	uint64_t changed = changed_narrow(view, twin);
	for (uint64_t c = changed; c != 0; c &= c - 1) {
		unsigned i = (unsigned)__builtin_ctzll(c);
		memcpy(twin + i * SHIM_CMP_CHUNK, view + i * SHIM_CMP_CHUNK,
			SHIM_CMP_CHUNK);
	}
	return changed;
}

/* wide_cpu -- the CPU and the kernel run AVX-512F code (cpuid, once: a
 * race asks twice; async-signal-safe) */
static bool
wide_cpu(void)
{
	static int wide; /* 0: not asked yet, 1 yes, -1 no */
	int w = __atomic_load_n(&wide, __ATOMIC_RELAXED);
	if (w == 0) {
		__builtin_cpu_init();
		w = __builtin_cpu_supports("avx512f") ? 1 : -1;
		__atomic_store_n(&wide, w, __ATOMIC_RELAXED);
	}
	return w > 0;
}

bool
shim_page_cmp_wide(void)
{
	return wide_cpu();
}

uint64_t
shim_page_changed_by(const uint8_t *view, const uint8_t *twin, bool wide)
{
	return wide ? changed_wide(view, twin) : changed_narrow(view, twin);
}

uint64_t
shim_page_changed(const uint8_t *view, const uint8_t *twin)
{
	return wide_cpu() ? changed_wide(view, twin) :
		changed_narrow(view, twin);
}

uint64_t
shim_page_refresh_by(const uint8_t *view, uint8_t *twin,
		const uint8_t *ahead, bool wide)
{
	return wide ? refreshed_wide(view, twin, ahead) :
		refreshed_narrow(view, twin);
}

uint64_t
shim_page_refresh(const uint8_t *view, uint8_t *twin, const uint8_t *ahead)
{
	return shim_page_refresh_by(view, twin, ahead, wide_cpu());
}
