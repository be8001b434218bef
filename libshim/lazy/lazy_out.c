/*
 * lazy_out.c -- libpmemu-lazy.so: the calls whose kernel side reads the
 * caller's memory from inside libc, where the write interposers
 * (lazy_io.c) do not see it: fwrite of a request larger than its
 * stream's buffer (or unbuffered) hands the caller's bytes to the kernel
 * directly, and so do the socket sends. From an undecided page of the
 * image (protected) each failed with EFAULT where natively it succeeds:
 * a check that wrote out part of the pool failed, a false "bug". So the
 * lines the buffer covers are decided first and its pages opened for the
 * call (lw_buffer_begin), as for write. (A string's output -- fputs,
 * puts, printf's %s -- needs nothing: its length is read in user space
 * first, which decides every line the kernel then reads.)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "lazy_io.h"

/* functions, not stdio.h's macros, where they are ones (interposed) */
#undef fwrite_unlocked

REAL_DECL(size_t, fwrite, const void *, size_t, size_t, FILE *);
REAL_DECL(size_t, fwrite_unlocked, const void *, size_t, size_t, FILE *);
REAL_DECL(ssize_t, send, int, const void *, size_t, int);
REAL_DECL(ssize_t, sendto, int, const void *, size_t, int,
		const struct sockaddr *, socklen_t);
REAL_DECL(ssize_t, sendmsg, int, const struct msghdr *, int);

/* the real call, the buffer [buf, buf + len) readable by the kernel */
#define OUT_CALL(type, name, buf, len, ...) \
	RESOLVE(name); \
	size_t len_ = (len); \
	lw_buffer_begin(buf, len_, false, CALLER); \
	type ret_ = real_##name(__VA_ARGS__); \
	lw_buffer_end(buf, len_); \
	return ret_

/* size * n, or 0 when it overflows (the call fails without reading) */
static size_t
items_len(size_t size, size_t n)
{
	size_t len;
	return __builtin_mul_overflow(size, n, &len) ? 0 : len;
}

size_t
fwrite(const void *buf, size_t size, size_t n, FILE *f)
{
	OUT_CALL(size_t, fwrite, buf, items_len(size, n), buf, size, n, f);
}

size_t
fwrite_unlocked(const void *buf, size_t size, size_t n, FILE *f)
{
	OUT_CALL(size_t, fwrite_unlocked, buf, items_len(size, n), buf, size,
		n, f);
}

ssize_t
send(int fd, const void *buf, size_t len, int flags)
{
	OUT_CALL(ssize_t, send, buf, len, fd, buf, len, flags);
}

ssize_t
sendto(int fd, const void *buf, size_t len, int flags,
		const struct sockaddr *to, socklen_t tolen)
{
	OUT_CALL(ssize_t, sendto, buf, len, fd, buf, len, flags, to, tolen);
}

ssize_t
sendmsg(int fd, const struct msghdr *msg, int flags)
{
	RESOLVE(sendmsg);
	if (msg == NULL)
		return real_sendmsg(fd, msg, flags); /* EFAULT, as natively */
	int n = (int)msg->msg_iovlen;
	lw_iov_begin(msg->msg_iov, n, false, CALLER);
	ssize_t ret = real_sendmsg(fd, msg, flags);
	lw_iov_end(msg->msg_iov, n);
	return ret;
}

void
lw_out_resolve(void)
{
	RESOLVE(fwrite);
	RESOLVE(fwrite_unlocked);
	RESOLVE(send);
	RESOLVE(sendto);
	RESOLVE(sendmsg);
}
