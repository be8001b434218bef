/* crc32c.c -- CRC-32C (Castagnoli) of trace records, with SSE4.2 if present */
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

static uint32_t table[256];

static void
table_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		table[i] = c;
	}
}

__attribute__((target("sse4.2")))
static uint32_t
crc_hw(uint32_t crc, const uint8_t *p, size_t len)
{
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t v;
		__builtin_memcpy(&v, p, 8);
		crc = (uint32_t)__builtin_ia32_crc32di(crc, v);
	}
	for (; len; p++, len--)
		crc = __builtin_ia32_crc32qi(crc, *p);
	return crc;
}

static uint32_t
crc_sw(uint32_t crc, const uint8_t *p, size_t len)
{
	if (table[1] == 0)
		table_init();
	for (; len; p++, len--)
		crc = table[(crc ^ *p) & 0xff] ^ (crc >> 8);
	return crc;
}

uint32_t
trace_crc32c(uint32_t crc, const void *buf, size_t len)
{
	static int hw = -1;
	if (hw < 0)
		hw = __builtin_cpu_supports("sse4.2") ? 1 : 0;
	crc = ~crc;
	crc = hw ? crc_hw(crc, buf, len) : crc_sw(crc, buf, len);
	return ~crc;
}
