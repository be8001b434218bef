/* linemap.c -- (region, line offset) -> value: open addressing, and the
 * per-line content hash that image hashes are sums of */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "linemap.h"
#include "xalloc.h"

struct lm_slot {
	uint64_t off;
	uint32_t region;
	uint32_t used;
	void *value;
};

struct xp_linemap {
	struct lm_slot *s;
	size_t cap;      /* power of two */
	size_t count;
};

static size_t
key_slot(const struct xp_linemap *lm, uint32_t region, uint64_t off)
{
	return mix64(off ^ ((uint64_t)region << 52) ^ region) & (lm->cap - 1);
}

struct xp_linemap *
xp_linemap_new(void)
{
	struct xp_linemap *lm = xcalloc(1, sizeof(*lm), "xp_linemap_new: lm");
	lm->cap = 64;
	lm->s = xcalloc(lm->cap, sizeof(*lm->s), "xp_linemap_new: lm->s");
	return lm;
}

void
xp_linemap_delete(struct xp_linemap *lm)
{
	if (lm == NULL)
		return;
	free(lm->s);
	free(lm);
}

void **
xp_linemap_find(const struct xp_linemap *lm, uint32_t region, uint64_t off)
{
	for (size_t i = key_slot(lm, region, off);; i = (i + 1) & (lm->cap - 1)) {
		struct lm_slot *s = &lm->s[i];
		if (!s->used)
			return NULL;
		if (s->off == off && s->region == region)
			return &s->value;
	}
}

/* grow -- doubles the table, rehashing every key */
static void
grow(struct xp_linemap *lm)
{
	struct lm_slot *old = lm->s;
	size_t ocap = lm->cap;
	lm->cap *= 2;
	lm->s = xcalloc(lm->cap, sizeof(*lm->s), "grow: lm->s");
	for (size_t j = 0; j < ocap; j++) {
		if (!old[j].used)
			continue;
		size_t i = key_slot(lm, old[j].region, old[j].off);
		while (lm->s[i].used)
			i = (i + 1) & (lm->cap - 1);
		lm->s[i] = old[j];
	}
	free(old);
}

void **
xp_linemap_get(struct xp_linemap *lm, uint32_t region, uint64_t off)
{
	void **v = xp_linemap_find(lm, region, off);
	if (v != NULL)
		return v;
	if ((lm->count + 1) * 4 > lm->cap * 3)
		grow(lm);
	size_t i = key_slot(lm, region, off);
	while (lm->s[i].used)
		i = (i + 1) & (lm->cap - 1);
	lm->s[i].used = 1;
	lm->s[i].region = region;
	lm->s[i].off = off;
	lm->s[i].value = NULL;
	lm->count++;
	return &lm->s[i].value;
}

void
xp_linemap_each(const struct xp_linemap *lm, xp_linemap_fn fn, void *ctx)
{
	for (size_t i = 0; i < lm->cap; i++)
		if (lm->s[i].used)
			fn(ctx, lm->s[i].region, lm->s[i].off, lm->s[i].value);
}

void
xp_linemap_clear(struct xp_linemap *lm)
{
	memset(lm->s, 0, lm->cap * sizeof(*lm->s));
	lm->count = 0;
}

/* xp_line_hash -- two independent 64-bit hashes of (region, off, bytes) */
struct xp_hash
xp_line_hash(uint32_t region, uint64_t off, const uint8_t *content,
		uint32_t len)
{
	uint64_t a = mix64(off * 0x9e3779b97f4a7c15ull + region + 1);
	uint64_t b = mix64(a ^ 0x6a09e667f3bcc909ull);
	for (uint32_t i = 0; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, content + i, 8);
		a = mix64(a ^ w) + i;
		b = (b ^ w) * 0x100000001b3ull + (b >> 29);
	}
	struct xp_hash h = { mix64(a), mix64(b ^ a) };
	return h;
}

void
xp_hash_add(struct xp_hash *h, struct xp_hash x)
{
	h->a += x.a;
	h->b += x.b;
}

void
xp_hash_sub(struct xp_hash *h, struct xp_hash x)
{
	h->a -= x.a;
	h->b -= x.b;
}
