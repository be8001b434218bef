/*
 * intercept_fill.h -- the body of an interposer of a call whose answer
 * the kernel writes into the caller's memory (intercept_fill_*.c): the
 * buffers that system call nr writes, given its raw arguments `raw` (a
 * parenthesised list), are opened first (shim_kernel_fill.c), then the
 * real call runs
 */
#ifndef PMEMU_INTERCEPT_FILL_H
#define PMEMU_INTERCEPT_FILL_H 1

#include <sys/syscall.h>

#include "shim_intercept.h"
#include "shim_kernel_fill.h"
#include "shim_region.h"

/* the body of each: `into` (the buffers opened), then the real call */
#define INTO_BODY(type, name, into, ...) \
	SHIM_ENTER(name, __VA_ARGS__); \
	into; \
	type ret_ = REAL(name)(__VA_ARGS__); \
	SHIM_SAVE_ERRNO(); \
	SHIM_LEAVE(); \
	return ret_

#define FILL_ARGS_(...) __VA_ARGS__

#define FILL_CALL(type, name, nr, raw, ...) \
	INTO_BODY(type, name, long raw_[6] = { FILL_ARGS_ raw }; \
		shim_kernel_fill(nr, raw_), __VA_ARGS__)

/* FILL_CALL for a call a program may make in a hot loop (a clock) into
 * one buffer, buf: outside emulated pmem it is the real call alone, as
 * cheap as without the shim */
#define FILL_CALL_ONE(buf, type, name, nr, raw, ...) \
	SHIM_REAL_ENSURE(); \
	if (shim_mapping_lookup(buf) == NULL) \
		return REAL(name)(__VA_ARGS__); \
	FILL_CALL(type, name, nr, raw, __VA_ARGS__)

/* a pointer as the raw system call takes it */
#define L(p) ((long)(uintptr_t)(p))

#endif
