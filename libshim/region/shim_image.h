/*
 * shim_image.h -- crash images a check reads (shim_image.c)
 */
#ifndef PMEMU_SHIM_IMAGE_H
#define PMEMU_SHIM_IMAGE_H 1

#include <stdbool.h>

/*
 * a check of a crash image (PMEMU_IMAGE, shim_image.c): true when
 * (dirfd, path) lies under the pmem dir, with the image's file of that
 * name in img (PATH_MAX); false outside a check or the pmem dir
 */
bool shim_image_redirect(int dirfd, const char *path, char *img);
/* img after a redirect, else path itself: for interposers of path calls */
const char *shim_image_path(int dirfd, const char *path, char *img);

#endif
