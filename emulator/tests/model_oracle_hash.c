/*
 * model_oracle_hash.c -- the hashes of the differential protocol
 * (docs/differential.md, "Hashes"), as scripts/pmemu_ref/format.py
 * computes them
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "model_oracle_hash.h"

#ifdef PMEMU_ORACLE_ZLIB
#include <zlib.h>

void crc_init(void)
{
}

/* digest -- zlib's crc32 in the high half, adler32 in the low half */
static uint64_t digest(const uint8_t *p, size_t n)
{
	uint64_t crc = crc32(0L, p, (uInt)n);
	return crc << 32 | adler32(1L, p, (uInt)n);
}
#else
static uint32_t crc_table[256];

void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

/* digest -- zlib's crc32 in the high half, adler32 in the low half */
static uint64_t digest(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xFFFFFFFFu, a = 1, b = 0;
	for (size_t i = 0; i < n; i++) {
		crc = crc_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
		a += p[i];
		b += a;
		if ((i & 4095) == 4095) { /* no overflow within 4096 bytes */
			a %= 65521u;
			b %= 65521u;
		}
	}
	a %= 65521u;
	b %= 65521u;
	return (uint64_t)(crc ^ 0xFFFFFFFFu) << 32 | (b << 16 | a);
}
#endif

/* the digest protocol's mixer (splitmix64, docs/differential.md): the
 * Python model computes the same digests, so not common.h's mix64 */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

uint64_t line_hash(uint32_t region, uint64_t off, const uint8_t *c,
		uint32_t len)
{
	uint64_t pos = mix64(((uint64_t)region + 1) << 40 ^ off);
	return mix64(digest(c, len) ^ pos);
}

/*
 * Hashing dominates the oracle's time (a torn page has hundreds of 4 KiB
 * outcomes at every crash point), so each line keeps the contents it
 * hashed, by outcome index (0: durable), and hashes again only what
 * changed.
 */
#define CACHE_LINES 64

struct hash_cache {
	bool used;
	uint32_t region;
	uint64_t off;
	uint32_t line;
	size_t cap;          /* entries */
	bool *valid;
	uint8_t *contents;   /* cap * line bytes */
	uint64_t *hashes;
};

static struct hash_cache hash_caches[CACHE_LINES];

void hash_cache_reset(void)
{
	for (size_t i = 0; i < CACHE_LINES; i++) {
		free(hash_caches[i].valid);
		free(hash_caches[i].contents);
		free(hash_caches[i].hashes);
		hash_caches[i] = (struct hash_cache){ .used = false };
	}
}

static struct hash_cache *hash_cache_of(uint32_t region, uint64_t off,
		uint32_t line, size_t idx)
{
	struct hash_cache *c =
		&hash_caches[(region * 31u + off / line) % CACHE_LINES];
	if (!c->used || c->region != region || c->off != off ||
			c->line != line) {
		free(c->valid);
		free(c->contents);
		free(c->hashes);
		*c = (struct hash_cache){ true, region, off, line, 0, NULL, NULL,
			NULL };
	}
	if (idx >= c->cap) {
		size_t cap = (idx + 1) * 2;
		c->valid = realloc(c->valid, cap * sizeof(bool));
		c->contents = realloc(c->contents, cap * line);
		c->hashes = realloc(c->hashes, cap * sizeof(uint64_t));
		if (!c->valid || !c->contents || !c->hashes)
			abort();
		memset(c->valid + c->cap, 0, (cap - c->cap) * sizeof(bool));
		c->cap = cap;
	}
	return c;
}

/* cached_line_hash -- line_hash, remembering the content at idx */
uint64_t cached_line_hash(uint32_t region, uint64_t off,
		const uint8_t *content, uint32_t line, size_t idx)
{
	struct hash_cache *c = hash_cache_of(region, off, line, idx);
	uint8_t *slot = c->contents + idx * line;
	if (c->valid[idx] && memcmp(slot, content, line) == 0)
		return c->hashes[idx];
	memcpy(slot, content, line);
	c->valid[idx] = true;
	c->hashes[idx] = line_hash(region, off, content, line);
	return c->hashes[idx];
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* sort_unique -- sort hashes and drop repeats; returns the new count */
size_t sort_unique(uint64_t *h, size_t n)
{
	size_t k = 0;
	qsort(h, n, sizeof(*h), cmp_u64);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || h[k - 1] != h[i])
			h[k++] = h[i];
	return k;
}

/* set_digest -- of the sorted hashes as little-endian bytes */
uint64_t set_digest(const uint64_t *sorted, size_t n)
{
	uint8_t *bytes = malloc(n * 8 + 1);
	for (size_t i = 0; i < n; i++)
		for (int b = 0; b < 8; b++)
			bytes[i * 8 + b] = (uint8_t)(sorted[i] >> (8 * b));
	uint64_t d = mix64(digest(bytes, n * 8));
	free(bytes);
	return d;
}

