/*
 * shim_region_inode.c -- which pmem file a hard link outside the pmem dir
 * names: opening it would open the media behind the shim (its writes and
 * mappings unseen, "no findings"), so the open is the pmem file's
 */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "real.h"
#include "shim_core.h"
#include "shim_region.h"

/* the inode nftw looks for, and the path it found (one walk at a time:
 * nftw's callback has no context) */
static __thread const struct stat *wanted;
static __thread char *found;

static int
same_inode(const char *path, const struct stat *st, int type,
		struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_F || st->st_dev != wanted->st_dev ||
			st->st_ino != wanted->st_ino)
		return 0;
	snprintf(found, PATH_MAX, "%s", path);
	return 1;
}

/* inode_match -- ctx: {the stat of a file, abs, view}; a region whose
 * view (view), else media, it is gives its path */
struct inode_match {
	const struct stat *st;
	char *abs;
	bool view, found;
};

static void
inode_match(struct shim_region *r, void *ctx)
{
	struct inode_match *im = ctx;
	struct stat v = { .st_dev = r->media_dev, .st_ino = r->media_ino };
	if (!im->found && (!im->view || REAL(fstat)(r->view_fd, &v) == 0) &&
			v.st_dev == im->st->st_dev &&
			v.st_ino == im->st->st_ino) {
		snprintf(im->abs, PATH_MAX, "%s", r->path);
		im->found = true;
	}
}

bool
shim_region_path_of_inode(const struct stat *st, bool view, char *abs)
{
	struct inode_match im = { st, abs, view, false };
	shim_lock();
	shim_region_for_each(inode_match, &im);
	shim_unlock();
	return im.found;
}

/*
 * shim_pmem_path_of_inode -- only a regular file with another link, on
 * the pmem dir's file system, can be one: the regions' media first, then
 * a walk of the pmem dir (no symbolic link followed)
 */
bool
shim_pmem_path_of_inode(const struct stat *st, char *abs)
{
	const char *dir = shim_pmem_dir();
	struct stat d;
	if (!S_ISREG(st->st_mode) || st->st_nlink < 2 || dir[0] == '\0' ||
			REAL(stat)(dir, &d) != 0 || d.st_dev != st->st_dev)
		return false;
	if (shim_region_path_of_inode(st, false, abs))
		return true;
	wanted = st;
	found = abs;
	return nftw(dir, same_inode, 16, FTW_PHYS | FTW_MOUNT) == 1;
}
