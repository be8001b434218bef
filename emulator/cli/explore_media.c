/*
 * explore_media.c -- the pmem dir around explore's recording: a copy of
 * its files before the program runs (the explorer reads the original
 * media from it), and the dir put back as it was for the next domain of a
 * --domain list
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "explore_media.h"

/* copy_file -- src to dst (created), whole */
static int
copy_file(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc = in < 0 || out < 0 ? -1 : 0;
	struct stat st;
	if (rc == 0 && fstat(in, &st) != 0)
		rc = -1;
	for (off_t left = rc == 0 ? st.st_size : 0; left > 0;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
		if (n <= 0) {
			rc = -1;
			break;
		}
		left -= n;
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

/*
 * explore_media_snapshot -- the run will change the files of the pmem dir (the
 * shim writes durable lines and, at exit, everything to the media), so
 * the media as it was before the run is copied first: the explorer reads
 * initial contents from the copy. Regular files at the top of DIR only.
 */
int
explore_media_snapshot(const char *pmem_dir, const char *to)
{
	DIR *d = opendir(pmem_dir);
	if (d == NULL)
		return errno == ENOENT ? 0 : cli_error("--pmem-dir %s: %s",
				pmem_dir, strerror(errno));
	if (mkdir(to, 0700) != 0)
		return cli_error("explore: %s: %s", to, strerror(errno));
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char src[PATH_MAX * 2], dst[PATH_MAX * 2];
		struct stat st;
		snprintf(src, sizeof(src), "%s/%s", pmem_dir, de->d_name);
		if (stat(src, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		snprintf(dst, sizeof(dst), "%s/%s", to, de->d_name);
		if (copy_file(src, dst) != 0)
			rc = cli_error("explore: copying %s: %s", src,
					strerror(errno));
	}
	closedir(d);
	return rc;
}

void
explore_media_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		char p[PATH_MAX * 2];
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (de->d_name[0] != '.')
			unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/*
 * explore_media_restore -- the next domain of a --domain list records PROGRAM on
 * the media as it was before the first: the pmem dir's top files become
 * the snapshot's again (those the run created are removed)
 */
int
explore_media_restore(const char *snapshot, const char *pmem_dir)
{
	DIR *d = opendir(pmem_dir);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		char p[PATH_MAX * 2], q[PATH_MAX * 2];
		struct stat st;
		snprintf(p, sizeof(p), "%s/%s", pmem_dir, de->d_name);
		snprintf(q, sizeof(q), "%s/%s", snapshot, de->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) &&
				access(q, F_OK) != 0)
			unlink(p);
	}
	if (d)
		closedir(d);
	d = opendir(snapshot);
	int rc = 0;
	while (rc == 0 && d && (de = readdir(d)) != NULL) {
		char p[PATH_MAX * 2], q[PATH_MAX * 2];
		snprintf(p, sizeof(p), "%s/%s", pmem_dir, de->d_name);
		snprintf(q, sizeof(q), "%s/%s", snapshot, de->d_name);
		if (de->d_name[0] != '.' && copy_file(q, p) != 0)
			rc = cli_error("explore: restoring %s: %s", p,
					strerror(errno));
	}
	if (d)
		closedir(d);
	return rc;
}
