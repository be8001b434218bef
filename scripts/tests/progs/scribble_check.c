/* scribble_check.c -- a check that damages its image, for
 * test_explore_restore.py: `scribble_check IMAGE LOG`.
 * Appends "STATE SIZE DIGEST" to LOG (PMEMU_STATE, the image's size and
 * FNV-1a digest as it found it), then, as a recovery might and worse,
 * changes the image by one of: random pages through a shared mapping,
 * random bytes by pwrite, a shorter or longer file, a cut then extended
 * back to its size (its tail zeros, mtime moved, size the same), a new
 * file in its place; or leaves it alone. The choice and the bytes follow
 * from the digest and the pid. Fails (exit 1) on a third of the images,
 * so that a fork server's failing child is run again by exec on the
 * image as it was set.
 * `scribble_check IMAGE LOG mapread` (test_explore_tmpfs.py): the digest
 * is read through a shared mapping, whose pages are then written (a byte
 * each); it passes. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t rng;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* scribble_pages -- k random pages (or what is left of the last) get
 * random bytes through a shared mapping */
static void
scribble_pages(int fd, size_t len, int k)
{
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			0);
	if (p == MAP_FAILED)
		exit(4);
	size_t pages = (len + 4095) / 4096;
	for (int i = 0; i < k; i++) {
		size_t at = next() % pages * 4096;
		size_t n = len - at < 4096 ? len - at : 4096;
		for (size_t j = 0; j < n; j += 8) {
			uint64_t v = next();
			memcpy(p + at + j, &v, n - j < 8 ? n - j : 8);
		}
	}
	msync(p, len, MS_SYNC);
	munmap(p, len);
}

static void
pwrite_bytes(int fd, size_t len, int k)
{
	for (int i = 0; i < k; i++) {
		uint64_t v = next();
		size_t at = next() % len;
		if (pwrite(fd, &v, len - at < 8 ? len - at : 8, (off_t)at) < 0)
			exit(4);
	}
}

/* map_read_write -- every page read through a shared mapping (the
 * digest), then written: on tmpfs such writes move no mtime */
static int
map_read_write(int fd, size_t len, uint64_t *h)
{
	uint8_t *p = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE,
			MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 3;
	for (size_t i = 0; i < len; i++)
		*h = (*h ^ p[i]) * 0x100000001b3ull;
	for (size_t i = 0; i < len; i += 4096)
		p[i] ^= 0x5a;
	munmap(p, len ? len : 1);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *state = getenv("PMEMU_STATE");
	bool mapread = argc == 4 && strcmp(argv[3], "mapread") == 0;
	if ((argc != 3 && !mapread) || state == NULL)
		return 2;
	int fd = open(argv[1], O_RDWR);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0)
		return 3;
	size_t len = (size_t)st.st_size;
	uint64_t h = 0xcbf29ce484222325ull;
	uint8_t *buf = mapread ? NULL : malloc(len + 1);
	if (mapread && map_read_write(fd, len, &h) != 0)
		return 3;
	if (!mapread && (buf == NULL || pread(fd, buf, len, 0) !=
			(ssize_t)len))
		return 3;
	for (size_t i = 0; buf != NULL && i < len; i++)
		h = (h ^ buf[i]) * 0x100000001b3ull;
	free(buf);
	FILE *log = fopen(argv[2], "a");
	if (log == NULL)
		return 3;
	fprintf(log, "%s %zu %016llx\n", state, len, (unsigned long long)h);
	fclose(log);
	if (mapread)
		return 0;
	rng = h ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ull;
	if (rng == 0)
		rng = 1;
	switch (next() % 8) {
	case 0:
		break;
	case 1:
	case 2:
		scribble_pages(fd, len, 1 + (int)(next() % 6));
		break;
	case 3:
		pwrite_bytes(fd, len, 1 + (int)(next() % 20));
		break;
	case 4: /* shorter */
		if (ftruncate(fd, (off_t)(next() % len)) != 0)
			return 4;
		break;
	case 5: /* longer, with bytes past the old end */
		if (ftruncate(fd, (off_t)(len + 1 + next() % 9000)) != 0)
			return 4;
		pwrite_bytes(fd, len + 1, 4);
		break;
	case 6: /* the tail cut, then zeros up to the same size */
		scribble_pages(fd, len, 2);
		if (ftruncate(fd, (off_t)(next() % len)) != 0 ||
				ftruncate(fd, (off_t)len) != 0)
			return 4;
		break;
	case 7: /* another file in its place */
		close(fd);
		if (unlink(argv[1]) != 0)
			return 4;
		fd = open(argv[1], O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd < 0 || ftruncate(fd, (off_t)len) != 0)
			return 4;
		pwrite_bytes(fd, len, 3);
		break;
	}
	close(fd);
	return h % 3 == 0;
}
