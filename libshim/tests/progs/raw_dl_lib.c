/*
 * raw_dl_lib.c -- a library a program loads with dlopen, that persists
 * with its own clwb and sfence: pmemu must patch it when it is loaded
 */
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

void
raw_lib_persist(const void *p, size_t len)
{
	uintptr_t line = (uintptr_t)p & ~(uintptr_t)63;
	for (; line < (uintptr_t)p + len; line += 64)
		_mm_clwb((void *)line);
	_mm_sfence();
}
