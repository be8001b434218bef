/*
 * check_reap.c -- ending what a check started in the background
 *
 * A check may leave children behind (`daemon & exit 0`, setsid): killing
 * its process group misses those that left the group. The runner is a
 * child subreaper (PR_SET_CHILD_SUBREAPER), so every orphan of a check
 * becomes its child; /proc/<pid>/task/<pid>/children lists them (the
 * runner has one thread). Killing a child orphans its own children to
 * the runner in turn, hence the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_reap.h"

#define CHILDREN_MAX 256

int
xp_reap_become_subreaper(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

/* the decimal digits of v at the end of buf, returned */
static char *
put_pid(char *end, long v)
{
	*--end = '\0';
	do
		*--end = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	return end;
}

/* children -- up to max children of this process but keep; their count */
static size_t
children(pid_t keep, pid_t *out, size_t max)
{
	char path[64] = "/proc/self/task/";
	char num[24], *p = path + 16;
	const char *tid = put_pid(num + sizeof(num), (long)getpid());
	while (*tid)
		*p++ = *tid++;
	const char *tail = "/children";
	while ((*p++ = *tail++) != '\0')
		;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char buf[CHILDREN_MAX * 12];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	size_t k = 0;
	long v = -1;
	for (ssize_t i = 0; i < n && k < max; i++) {
		if (buf[i] >= '0' && buf[i] <= '9') {
			v = (v < 0 ? 0 : v * 10) + (buf[i] - '0');
			continue;
		}
		if (v > 0 && v != keep)
			out[k++] = (pid_t)v;
		v = -1;
	}
	return k;
}

void
xp_reap_descendants(pid_t keep)
{
	pid_t c[CHILDREN_MAX];
	size_t n;
	while ((n = children(keep, c, CHILDREN_MAX)) > 0) {
		for (size_t i = 0; i < n; i++)
			kill(c[i], SIGKILL);
		for (size_t i = 0; i < n; i++)
			while (waitpid(c[i], NULL, 0) < 0 && errno == EINTR)
				;
	}
}
