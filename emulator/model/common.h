/*
 * common.h -- two small helpers the emulator and the shim share; header
 * only, so the shim links nothing more for them
 */
#ifndef PMEMU_COMMON_H
#define PMEMU_COMMON_H 1

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/* mix64 -- a 64-bit finaliser (MurmurHash3's fmix64): every input bit
 * flips each output bit with probability ~1/2, so nearby keys (line
 * numbers, pcs) spread over a hash table */
static inline uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* parse_decimal -- a plain unsigned decimal in [lo, hi]: digits only (no
 * sign, space or suffix), no overflow; 0 or -1 */
static inline int
parse_decimal(const char *s, unsigned long lo, unsigned long hi,
		unsigned long *out)
{
	char *end;
	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

#endif /* PMEMU_COMMON_H */
