/*
 * raw_stream.c -- a prebuilt program that writes with non-temporal
 * stores (_mm_stream_si64: movnti) and orders them with _mm_sfence.
 * -DBUGGY forgets the sfence: the streamed bytes stay in flight (pmemu:
 * flush without fence, at the line marked "the stream").
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>

void *raw_map(int argc, char **argv, size_t len);
void raw_digest(const char *label, const void *p, size_t len);

int
main(int argc, char **argv)
{
	long long *buf = raw_map(argc, argv, 4096);
	for (int i = 0; i < 32; i++)
		_mm_stream_si64(&buf[i], 0x5000 + i); /* the stream */
#ifndef BUGGY
	_mm_sfence();
#endif
	raw_digest("stream", buf, 4096);
	return 0;
}
