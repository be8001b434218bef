/*
 * intercept_buffers.c -- the calls besides read, pread and readv
 * (intercept_devdax.c) whose buffer the kernel fills: its copy into a
 * read-only view page does not fault to the shim, it fails the call with
 * EFAULT, where the program natively gets its bytes. So an emulated
 * buffer's pages are opened first (shim_read_buffer.c) and the copy is
 * found by diffing, named by the call. fread is here too: for a request
 * larger than its buffer, glibc reads into the caller's memory with a
 * read the shim does not see. And pidfd_getfd, whose new descriptor,
 * like one received over a socket, may be a view's.
 */
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "intercept_fill.h"
#include "shim_core.h"
#include "shim_file.h"
#include "shim_read_buffer.h"

SHIM_INTERCEPTOR(ssize_t, preadv, int fd, const struct iovec *iov, int cnt,
		off_t off)
{
	FILL_CALL(ssize_t, preadv, SYS_preadv, (fd, L(iov), cnt), fd, iov,
		cnt, off);
}

SHIM_INTERCEPTOR(ssize_t, preadv64, int fd, const struct iovec *iov,
		int cnt, off64_t off)
{
	FILL_CALL(ssize_t, preadv64, SYS_preadv, (fd, L(iov), cnt), fd, iov,
		cnt, off);
}

SHIM_INTERCEPTOR(ssize_t, preadv2, int fd, const struct iovec *iov,
		int cnt, off_t off, int flags)
{
	FILL_CALL(ssize_t, preadv2, SYS_preadv2, (fd, L(iov), cnt), fd, iov,
		cnt, off, flags);
}

SHIM_INTERCEPTOR(ssize_t, preadv64v2, int fd, const struct iovec *iov,
		int cnt, off64_t off, int flags)
{
	FILL_CALL(ssize_t, preadv64v2, SYS_preadv2, (fd, L(iov), cnt), fd,
		iov, cnt, off, flags);
}

SHIM_INTERCEPTOR(ssize_t, recv, int fd, void *buf, size_t len, int flags)
{
	FILL_CALL(ssize_t, recv, SYS_recvfrom, (fd, L(buf), (long)len), fd,
		buf, len, flags);
}

SHIM_INTERCEPTOR(ssize_t, recvfrom, int fd, void *buf, size_t len,
		int flags, struct sockaddr *from, socklen_t *fromlen)
{
	INTO_BODY(ssize_t, recvfrom, shim_read_buffer(buf, len), fd, buf, len,
		flags, from, fromlen);
}

/* received -- the descriptors msg carries (SCM_RIGHTS) that are views'
 * name them (file/shim_inherit.c): their writes were unseen */
static void
received(struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL;
			c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			(void)shim_file_inherit_fd(fd);
		}
	}
}

SHIM_INTERCEPTOR(ssize_t, recvmsg, int fd, struct msghdr *msg, int flags)
{
	SHIM_ENTER(recvmsg, fd, msg, flags);
	shim_read_buffers(msg->msg_iov, (int)msg->msg_iovlen);
	ssize_t ret = REAL(recvmsg)(fd, msg, flags);
	SHIM_SAVE_ERRNO();
	if (ret >= 0 && msg->msg_controllen > 0)
		received(msg);
	SHIM_LEAVE();
	return ret;
}

SHIM_INTERCEPTOR(int, recvmmsg, int fd, struct mmsghdr *msgs,
		unsigned int n, int flags, struct timespec *timeout)
{
	SHIM_ENTER(recvmmsg, fd, msgs, n, flags, timeout);
	for (unsigned int i = 0; i < n; i++)
		shim_read_buffers(msgs[i].msg_hdr.msg_iov,
			(int)msgs[i].msg_hdr.msg_iovlen);
	int ret = REAL(recvmmsg)(fd, msgs, n, flags, timeout);
	SHIM_SAVE_ERRNO();
	for (int i = 0; i < ret; i++)
		if (msgs[i].msg_hdr.msg_controllen > 0)
			received(&msgs[i].msg_hdr);
	SHIM_LEAVE();
	return ret;
}

/* pidfd_getfd -- a copy of another process's view descriptor names its
 * view (before, its writes were unseen until its first mmap) */
SHIM_INTERCEPTOR(int, pidfd_getfd, int pidfd, int target, unsigned int flags)
{
	SHIM_ENTER(pidfd_getfd, pidfd, target, flags);
	int fd = REAL(pidfd_getfd)(pidfd, target, flags);
	SHIM_SAVE_ERRNO();
	if (fd >= 0)
		(void)shim_file_inherit_fd(fd);
	SHIM_LEAVE();
	return fd;
}

SHIM_INTERCEPTOR(ssize_t, getrandom, void *buf, size_t len,
		unsigned int flags)
{
	FILL_CALL(ssize_t, getrandom, SYS_getrandom, (L(buf), (long)len),
		buf, len, flags);
}

/* bytes -- fread's size * n, 0 when it does not fit (fread fails) */
static size_t
bytes(size_t size, size_t n)
{
	size_t b;
	return __builtin_mul_overflow(size, n, &b) ? 0 : b;
}

SHIM_INTERCEPTOR(size_t, fread, void *buf, size_t size, size_t n,
		FILE *stream)
{
	INTO_BODY(size_t, fread, shim_read_buffer(buf, bytes(size, n)), buf, size,
		n, stream);
}

SHIM_INTERCEPTOR(size_t, fread_unlocked, void *buf, size_t size, size_t n,
		FILE *stream)
{
	INTO_BODY(size_t, fread_unlocked, shim_read_buffer(buf, bytes(size, n)),
		buf, size, n, stream);
}
