/* lazy_io.h -- what lazy_watch.c offers lazy_io.c and lazy_read.c
 * (libpmemu-lazy.so) */
#ifndef PMEMU_LAZY_IO_H
#define PMEMU_LAZY_IO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* real_<name>: a pointer to the next definition of name (RESOLVE) */
#define REAL_DECL(ret, name, ...) static ret (*real_##name)(__VA_ARGS__)

/* CALLER -- the instruction that called us (a return address - 1) */
#define CALLER ((uintptr_t)__builtin_return_address(0) - 1)

/* real_<name> = the next definition of name, looked up once: written
 * only while unset, so a forked check's calls do not copy the page that
 * holds it (the pointers are set in the constructor) */
#define RESOLVE(name) \
	do { \
		if (real_##name == NULL) \
			real_##name = (__typeof__(real_##name))dlsym( \
					RTLD_NEXT, #name); \
	} while (0)

/* the index of the image file fd is open on, or -1 (none: no stat) */
long lw_image_file(int fd) __attribute__((visibility("hidden")));
/* "U <why>": a read pmemu cannot follow; the point is explored eagerly */
void lw_log_unseen(const char *why) __attribute__((visibility("hidden")));
/* a store through fd at [off, off + len): the undecided lines it covers
 * whole are written first ("W"); errno kept */
void lw_stored(int fd, uint64_t off, size_t len, uintptr_t pc)
	__attribute__((visibility("hidden")));
/* the file position of fd when it is open on an image file, else -1
 * (a pipe's lseek fails); errno kept */
off_t lw_image_pos(int fd) __attribute__((visibility("hidden")));
size_t lw_iov_len(const struct iovec *iov, int n)
	__attribute__((visibility("hidden")));
/* a read of [off, end) of image file (-1: none): the undecided lines it
 * covers are decided (kind as lazy_where.h) */
void lw_read_range(long file, uint64_t off, uint64_t end, char kind,
		uintptr_t pc) __attribute__((visibility("hidden")));
/* the spec was loaded: there are undecided lines to watch */
bool lw_watching(void) __attribute__((visibility("hidden")));
/* the kernel is about to read (store: write) the user buffer [buf, buf +
 * len) in a system call: a protected page of the image would fail it
 * with EFAULT instead of faulting, so the undecided lines it covers are
 * touched now and its pages opened until lw_buffer_end; errno kept */
void lw_buffer_begin(const void *buf, size_t len, bool store, uintptr_t pc)
	__attribute__((visibility("hidden")));
void lw_buffer_end(const void *buf, size_t len)
	__attribute__((visibility("hidden")));
void lw_iov_begin(const struct iovec *iov, int n, bool store, uintptr_t pc)
	__attribute__((visibility("hidden")));
void lw_iov_end(const struct iovec *iov, int n)
	__attribute__((visibility("hidden")));
/* the libc functions lazy_read.c, lazy_io.c and lazy_out.c wrap, resolved at once (a
 * fork server: not at their first call in each child) */
void lw_read_resolve(void) __attribute__((visibility("hidden")));
void lw_io_resolve(void) __attribute__((visibility("hidden")));
void lw_out_resolve(void) __attribute__((visibility("hidden")));

/* a private mapping (its pages may be copies: a store to the file does
 * not reach them) covers [a, b) of image file `file` */
bool lw_private_mapped(uint32_t file, uint64_t a, uint64_t b)
	__attribute__((visibility("hidden")));

#endif
