/*
 * scm_rights.c -- a pmem file's descriptor passed over a Unix socket
 * (SCM_RIGHTS) and received back, then 4096 bytes written through it at
 * offset 4096 and fsync'd (argv[2] "write"; "mmsg": received by
 * recvmmsg), or 64 bytes stored through its shared mapping and msync'd
 * ("map"; "rawmap": received by a recvmsg system call of the program's
 * own instruction, then mapped), or taken by pidfd_getfd ("pidfd";
 * "rawpidfd": by syscall(SYS_pidfd_getfd)) and written as "write". Under
 * pmemu the received descriptor was the view's, unknown to the shim:
 * its writes and stores were unseen (the pool file after the run lacked
 * them). -DFORGET_FSYNC leaves them unsynced (reported).
 */
#include <err.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../core/shim_syscall.h"

#define N 4096

/* passed -- fd sent and received back: the new descriptor */
static int
passed(int fd, int raw)
{
	int sv[2];
	char byte = 'x';
	struct iovec iov = { &byte, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 ||
			sendmsg(sv[0], &mh, 0) != 1)
		err(1, "sendmsg");
	mh.msg_controllen = sizeof(u.buf);
	struct mmsghdr mm = { mh, 0 };
	if (raw == 2) {
		if (recvmmsg(sv[1], &mm, 1, 0, NULL) != 1)
			err(1, "recvmmsg");
		mh = mm.msg_hdr;
	} else if ((raw ? shim_syscall(SYS_recvmsg, sv[1], &mh, 0) :
			recvmsg(sv[1], &mh, 0)) != 1) {
		err(1, "recvmsg");
	}
	int got;
	memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
	return got;
}

/* taken -- fd copied by pidfd_getfd (of this process: the copy is the
 * same as another process's would be) */
static int
taken(int fd, int raw)
{
	int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	int got = raw ? (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0) :
		pidfd_getfd(pidfd, fd, 0);
	if (pidfd < 0 || got < 0)
		err(1, "pidfd_getfd");
	return got;
}

int
main(int argc, char *argv[])
{
	if (argc != 3)
		errx(2, "usage: %s POOL write|mmsg|map|rawmap|pidfd|rawpidfd",
			argv[0]);
	int fd = open(argv[1], O_CREAT | O_RDWR, 0644);
	if (fd < 0 || ftruncate(fd, 2 * N) != 0)
		err(1, "open");
	bool pidfd = strstr(argv[2], "pidfd") != NULL;
	int got = pidfd ? taken(fd, strcmp(argv[2], "rawpidfd") == 0) :
		passed(fd, strcmp(argv[2], "rawmap") == 0 ? 1 :
			strcmp(argv[2], "mmsg") == 0 ? 2 : 0);
	static char buf[N];
	memset(buf, 'm', sizeof(buf));
	if (strcmp(argv[2], "write") == 0 || strcmp(argv[2], "mmsg") == 0 ||
			pidfd) {
		if (pwrite(got, buf, N, N) != N) /* WRITE */
			err(1, "pwrite");
#ifndef FORGET_FSYNC
		if (fsync(got) != 0)
			err(1, "fsync");
#endif
	} else {
		char *map = mmap(NULL, 2 * N, PROT_READ | PROT_WRITE,
			MAP_SHARED, got, 0);
		if (map == MAP_FAILED)
			err(1, "mmap");
		memset(map + N, 'm', 64); /* STORE */
#ifndef FORGET_FSYNC
		if (msync(map, 2 * N, MS_SYNC) != 0)
			err(1, "msync");
#endif
	}
	printf("%s done\n", argv[2]);
	return 0;
}
