/*
 * shim_inherit.c -- descriptors of views the shim did not give: inherited
 * at exec, received over a socket
 *
 * A descriptor the shim gave the program for an emulated file (a view's)
 * stays open across exec unless it is close-on-exec: a shell's `cmd >
 * /mnt/pm/out` opens the file, then execs cmd with it as stdout. The new
 * image's shim did not know it: cmd's writes went to the view unseen, an
 * unsynced one was no finding and the file after the run lacked them
 * (all zeros). So at start each inherited descriptor is looked at: one
 * whose file is a view (named pmemu-view-PID-ID-... in PMEMU_TMPDIR,
 * shim_view.c) names region ID, whose path the trace gives (shim_join.c).
 * The file is opened as a region, with that view as its view when no
 * process of the run holds one (shim_view_offer), and the descriptor
 * names it, as one open gave (same open file, offset shared with
 * whoever else holds it). The same for a view descriptor received over a
 * socket (SCM_RIGHTS: recvmsg), or met at mmap (shim_adopt.c): its writes
 * and its mapping's stores were unseen too.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "real.h"
#include "shim_core.h"
#include "shim_file.h"
#include "shim_region.h"
#include "shim_view.h"

/* view_region_id -- fd's file is a view the shim made: its region id */
static bool
view_region_id(int fd, uint32_t *id)
{
	char link[64], target[PATH_MAX], prefix[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = REAL(readlink)(link, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	int k = snprintf(prefix, sizeof(prefix), "%s/pmemu-view-",
		shim_opts()->tmpdir);
	long pid;
	return k > 0 && strncmp(target, prefix, (size_t)k) == 0 &&
		sscanf(target + k, "%ld-%u-", &pid, id) == 2;
}

static bool
same_file(int a, int b)
{
	struct stat sa, sb;
	return REAL(fstat)(a, &sa) == 0 && REAL(fstat)(b, &sb) == 0 &&
		sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* inherit -- fd, a view of region id, names that region's view */
static void
inherit(int fd, uint32_t id)
{
	const char *path = shim_region_known_path(id);
	struct shim_region *r = NULL;
	if (path != NULL) {
		shim_lock();
		shim_view_offer(fd);
		r = shim_region_of_path(path, O_RDWR, 0);
		shim_view_offer(-1);
		shim_unlock();
	}
	if (r != NULL && same_file(r->view_fd, fd)) {
		shim_fd_set(fd, r);
		return;
	}
	shim_error("descriptor %d, of emulated file %s, which pmemu did not "
		"open here: pmemu cannot place its view, its writes are not "
		"seen", fd, path != NULL ? path : "(not in the trace)");
}

bool
shim_file_inherit_fd(int fd)
{
	uint32_t id;
	if (fd < 0 || shim_fd_region(fd) != NULL || !view_region_id(fd, &id))
		return false;
	inherit(fd, id);
	return true;
}

void
shim_file_inherit(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		return;
	int self = dirfd(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		if (*end == '\0' && end != e->d_name && fd != self)
			(void)shim_file_inherit_fd((int)fd);
	}
	closedir(d);
}
