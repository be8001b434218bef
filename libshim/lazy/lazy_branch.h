/* lazy_branch.h -- which contents of a line a read of some of its bytes
 * branches on: pmemu's runs (emulator/explore/lazy.c branch_read) and
 * the children libpmemu-lazy.so forks at the read (lazy_fork.c) are the
 * same */
#ifndef PMEMU_LAZY_BRANCH_H
#define PMEMU_LAZY_BRANCH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* contents a and b of a line of len bytes agree on the bytes of mask (a
 * line over 64 bytes: whole, or on nothing when mask is 0: a run that
 * has read none of it agrees with every content) */
static inline bool
lw_same_bytes(const uint8_t *a, const uint8_t *b, uint64_t mask, uint32_t len)
{
	if (mask == 0)
		return true;
	if (len > 64)
		return memcmp(a, b, len) == 0;
	for (uint32_t i = 0; i < len; i++)
		if ((mask >> i & 1) && a[i] != b[i])
			return false;
	return true;
}

/* a run whose line holds run reads its bytes fresh, having read known:
 * content k (of content(ctx, 0..k)) is a branch when it agrees with run
 * on known, differs on fresh, and is the first such with its fresh
 * bytes */
static inline bool
lw_is_branch(const uint8_t *(*content)(const void *ctx, size_t k),
		const void *ctx, size_t k, const uint8_t *run, uint64_t known,
		uint64_t fresh, uint32_t len)
{
	const uint8_t *c = content(ctx, k);
	if (!lw_same_bytes(c, run, known, len) ||
			lw_same_bytes(c, run, fresh, len))
		return false;
	for (size_t p = 0; p < k; p++) {
		const uint8_t *q = content(ctx, p);
		if (lw_same_bytes(q, run, known, len) &&
				lw_same_bytes(q, c, fresh, len))
			return false;
	}
	return true;
}

#endif
