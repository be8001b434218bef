/*
 * model_oracle_hash.h -- the hashes of the differential protocol
 * (docs/differential.md, "Hashes") for the C oracle
 */
#ifndef PMEMU_MODEL_ORACLE_HASH_H
#define PMEMU_MODEL_ORACLE_HASH_H 1

#include <stddef.h>
#include <stdint.h>

void crc_init(void);
/* hash of one line of an image: its region, offset and content */
uint64_t line_hash(uint32_t region, uint64_t off, const uint8_t *c,
		uint32_t len);
/* line_hash, remembering the content hashed at index idx of the line */
uint64_t cached_line_hash(uint32_t region, uint64_t off,
		const uint8_t *content, uint32_t line, size_t idx);
void hash_cache_reset(void);
/* sort hashes and drop repeats; returns the new count */
size_t sort_unique(uint64_t *h, size_t n);
/* digest of a sorted set of hashes */
uint64_t set_digest(const uint64_t *sorted, size_t n);

#endif /* PMEMU_MODEL_ORACLE_HASH_H */
