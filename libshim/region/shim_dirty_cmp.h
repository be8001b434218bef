/*
 * shim_dirty_cmp.h -- which lines of a view page differ from its twin
 * (the compare of every dirty page at every fence: shim_dirty.c)
 */
#ifndef PMEMU_SHIM_DIRTY_CMP_H
#define PMEMU_SHIM_DIRTY_CMP_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SHIM_CMP_PAGE 4096u
#define SHIM_CMP_CHUNK 64u /* bytes a bit of a changed mask stands for */

/* the 64-byte chunks of the 4 KiB page at view that differ from twin:
 * bit i for bytes [64 i, 64 i + 64); 0 when the page is unchanged */
uint64_t shim_page_changed(const uint8_t *view, const uint8_t *twin);
/* the same by one method (tests): wide, 64-byte vectors (the CPU must
 * have AVX-512F: shim_page_cmp_wide), else memcmp then 8-byte words */
uint64_t shim_page_changed_by(const uint8_t *view, const uint8_t *twin,
		bool wide);
/* shim_page_changed, and each changed chunk copied into the twin in the
 * same pass (a flush that refreshes the twin of a whole page: its twin,
 * cold after a sweep of DRAM, read once, not again by a copy per line);
 * meanwhile the 4 KiB at `ahead` are prefetched (the next page's twin,
 * or NULL) */
uint64_t shim_page_refresh(const uint8_t *view, uint8_t *twin,
		const uint8_t *ahead);
uint64_t shim_page_refresh_by(const uint8_t *view, uint8_t *twin,
		const uint8_t *ahead, bool wide);
/* the CPU and the kernel run AVX-512F code */
bool shim_page_cmp_wide(void);

/* shim_line_same -- n bytes at a equal those at b; a 64-byte line (the
 * default) in eight word compares, no call (a flush diffs one line) */
static inline bool
shim_line_same(const uint8_t *a, const uint8_t *b, size_t n)
{
	if (n != 64)
		return memcmp(a, b, n) == 0;
	uint64_t differ = 0;
	for (size_t i = 0; i < 64; i += 8) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		differ |= x ^ y;
	}
	return differ == 0;
}

#endif
