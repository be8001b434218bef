/*
 * intercept_fill_io.c -- calls about descriptors and messages whose
 * answer the kernel writes into the caller's memory (pipe's descriptors,
 * poll's revents, epoll's events, select's sets, a peer's address, a
 * message): a buffer in emulated pmem is opened first (intercept_fill.h),
 * else the call failed with EFAULT under pmemu
 */
#include <mqueue.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/msg.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "intercept_fill.h"

SHIM_INTERCEPTOR(int, pipe, int fds[2])
{
	FILL_CALL(int, pipe, SYS_pipe2, (L(fds), 0), fds);
}

SHIM_INTERCEPTOR(int, pipe2, int fds[2], int flags)
{
	FILL_CALL(int, pipe2, SYS_pipe2, (L(fds), flags), fds, flags);
}

SHIM_INTERCEPTOR(int, socketpair, int domain, int type, int protocol,
		int sv[2])
{
	FILL_CALL(int, socketpair, SYS_socketpair,
		(domain, type, protocol, L(sv)), domain, type, protocol, sv);
}

SHIM_INTERCEPTOR(int, poll, struct pollfd *fds, nfds_t n, int timeout)
{
	FILL_CALL(int, poll, SYS_poll, (L(fds), (long)n, timeout), fds, n,
		timeout);
}

/* the _FORTIFY_SOURCE variants: the same call, the array's size known */
SHIM_INTERCEPTOR(int, __poll_chk, struct pollfd *fds, nfds_t n, int timeout,
		size_t fdslen)
{
	FILL_CALL(int, __poll_chk, SYS_poll, (L(fds), (long)n, timeout), fds,
		n, timeout, fdslen);
}

SHIM_INTERCEPTOR(int, ppoll, struct pollfd *fds, nfds_t n,
		const struct timespec *timeout, const sigset_t *mask)
{
	FILL_CALL(int, ppoll, SYS_ppoll, (L(fds), (long)n, 0), fds, n,
		timeout, mask);
}

SHIM_INTERCEPTOR(int, __ppoll_chk, struct pollfd *fds, nfds_t n,
		const struct timespec *timeout, const sigset_t *mask,
		size_t fdslen)
{
	FILL_CALL(int, __ppoll_chk, SYS_ppoll, (L(fds), (long)n, 0), fds, n,
		timeout, mask, fdslen);
}

SHIM_INTERCEPTOR(int, select, int n, fd_set *r, fd_set *w, fd_set *e,
		struct timeval *timeout)
{
	FILL_CALL(int, select, SYS_select,
		(n, L(r), L(w), L(e), L(timeout)), n, r, w, e, timeout);
}

SHIM_INTERCEPTOR(int, pselect, int n, fd_set *r, fd_set *w, fd_set *e,
		const struct timespec *timeout, const sigset_t *mask)
{
	FILL_CALL(int, pselect, SYS_pselect6, (n, L(r), L(w), L(e), 0), n, r,
		w, e, timeout, mask);
}

SHIM_INTERCEPTOR(int, epoll_wait, int ep, struct epoll_event *ev, int max,
		int timeout)
{
	FILL_CALL(int, epoll_wait, SYS_epoll_wait, (ep, L(ev), max), ep, ev,
		max, timeout);
}

SHIM_INTERCEPTOR(int, epoll_pwait, int ep, struct epoll_event *ev, int max,
		int timeout, const sigset_t *mask)
{
	FILL_CALL(int, epoll_pwait, SYS_epoll_pwait, (ep, L(ev), max), ep,
		ev, max, timeout, mask);
}

SHIM_INTERCEPTOR(int, epoll_pwait2, int ep, struct epoll_event *ev,
		int max, const struct timespec *timeout, const sigset_t *mask)
{
	FILL_CALL(int, epoll_pwait2, SYS_epoll_pwait2, (ep, L(ev), max), ep,
		ev, max, timeout, mask);
}

SHIM_INTERCEPTOR(int, accept, int fd, struct sockaddr *addr,
		socklen_t *len)
{
	FILL_CALL(int, accept, SYS_accept, (fd, L(addr), L(len)), fd, addr,
		len);
}

SHIM_INTERCEPTOR(int, accept4, int fd, struct sockaddr *addr,
		socklen_t *len, int flags)
{
	FILL_CALL(int, accept4, SYS_accept4, (fd, L(addr), L(len)), fd,
		addr, len, flags);
}

SHIM_INTERCEPTOR(int, getsockname, int fd, struct sockaddr *addr,
		socklen_t *len)
{
	FILL_CALL(int, getsockname, SYS_getsockname, (fd, L(addr), L(len)),
		fd, addr, len);
}

SHIM_INTERCEPTOR(int, getpeername, int fd, struct sockaddr *addr,
		socklen_t *len)
{
	FILL_CALL(int, getpeername, SYS_getpeername, (fd, L(addr), L(len)),
		fd, addr, len);
}

SHIM_INTERCEPTOR(int, getsockopt, int fd, int level, int name, void *value,
		socklen_t *len)
{
	FILL_CALL(int, getsockopt, SYS_getsockopt,
		(fd, level, name, L(value), L(len)), fd, level, name, value,
		len);
}

SHIM_INTERCEPTOR(ssize_t, msgrcv, int id, void *msg, size_t size,
		long type, int flags)
{
	FILL_CALL(ssize_t, msgrcv, SYS_msgrcv, (id, L(msg), (long)size), id,
		msg, size, type, flags);
}

SHIM_INTERCEPTOR(ssize_t, mq_receive, mqd_t mq, char *msg, size_t len,
		unsigned *prio)
{
	FILL_CALL(ssize_t, mq_receive, SYS_mq_timedreceive,
		(mq, L(msg), (long)len, L(prio)), mq, msg, len, prio);
}

SHIM_INTERCEPTOR(ssize_t, mq_timedreceive, mqd_t mq, char *msg, size_t len,
		unsigned *prio, const struct timespec *timeout)
{
	FILL_CALL(ssize_t, mq_timedreceive, SYS_mq_timedreceive,
		(mq, L(msg), (long)len, L(prio)), mq, msg, len, prio, timeout);
}

SHIM_INTERCEPTOR(ssize_t, process_vm_readv, pid_t pid,
		const struct iovec *local, unsigned long nlocal,
		const struct iovec *remote, unsigned long nremote,
		unsigned long flags)
{
	FILL_CALL(ssize_t, process_vm_readv, SYS_process_vm_readv,
		(pid, L(local), (long)nlocal), pid, local, nlocal, remote,
		nremote, flags);
}

/* eventfd_read reads with libc's own read, which the shim does not see */
SHIM_INTERCEPTOR(int, eventfd_read, int fd, eventfd_t *value)
{
	FILL_CALL(int, eventfd_read, SYS_read,
		(fd, L(value), (long)sizeof(*value)), fd, value);
}
