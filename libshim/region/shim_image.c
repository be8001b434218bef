/*
 * shim_image.c -- a check of a crash image (`pmemu explore --check` with
 * no {pmem}): the program's own paths name the image
 *
 * The explorer runs such a check under the shim with PMEMU_PMEM_DIR (the
 * program's pmem dir) and PMEMU_IMAGE (the directory holding the image:
 * one file per region, named as the region's file). Every file under the
 * pmem dir is then the image's file of the same name: opening it emulates
 * the image file (it is the media, as the real file is in a run), stat and
 * access see it, unlink and rename act on it, and a file the check creates
 * is created next to the image. The user's files are never touched.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "shim_core.h"
#include "shim_region.h"

bool
shim_image_redirect(int dirfd, const char *path, char *img)
{
	const char *dir = shim_opts()->image_dir;
	char abs[PATH_MAX];
	if (dir == NULL || !shim_path_resolve(dirfd, path, abs))
		return false;
	const char *name = strrchr(abs, '/') + 1;
	return snprintf(img, PATH_MAX, "%s/%s", dir, name) < PATH_MAX;
}

const char *
shim_image_path(int dirfd, const char *path, char *img)
{
	if (shim_opts()->image_dir == NULL)
		return path;
	return shim_image_redirect(dirfd, path, img) ? img : path;
}
