/* alias_store.c -- plugin-built stores that the runtime lets through the
 * views' writable alias (libshim/api/hooks.c, "Stores through the
 * alias"), and stores of uninstrumented code beside them
 *   unflushed  lines of word stores, each flushed but the one at 0x100
 *   ok         the same, every line flushed: nothing to report
 *   memcpy     a plugin-built store and libc's memcpy (called through a
 *              pointer: not instrumented) to one page, neither flushed
 *   prot       every line of the first page stored twice and flushed,
 *              every word of the second stored twice by single stores;
 *              before the fence, prints "writable" when any page of the
 *              pool became writable in the program's own mapping
 *              (/proc/self/maps), else "read-only"
 *   mprotect   the program makes the pool read-only, then writable
 *              again, and stores: still seen
 *   readonly   the program makes the pool read-only and stores: the
 *              store faults (prints "SIGSEGV"), as without pmemu
 *   fixed      the program maps memory of its own (MAP_FIXED) over the
 *              other mapping of the view's file (the alias), then stores
 *              to the pool, never flushed: prints "untouched" when its
 *              memory kept its zeros
 *   unmapped   stores, then unmaps the pool: prints "gone" when no
 *              mapping of the view's file is left (the alias went with
 *              the view), else "left"
 *   pools      two more pools (POOL2, POOL3) mapped right after the
 *              first; lines of word stores to each, all flushed but the
 *              one at 0x100 of the second
 *   pools-prot the same; before the fence, prints "writable" when any
 *              page of a pool became writable in the program's own
 *              mapping, else "read-only"
 */
#include <err.h>
#include <fcntl.h>
#include <signal.h>
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define LEN (64 * 1024)

static uint64_t *words;

static void
fill_line(size_t line, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		words[line * 8 + i] = v + (uint64_t)i;
}

static void
lines(int skip)
{
	for (size_t line = 0; line < 8; line++) {
		fill_line(line, line * 8 + 1);
		if ((int)line != skip)
			_mm_clwb(&words[line * 8]);
	}
	_mm_sfence();
}

static void *(*volatile libc_copy)(void *, const void *, size_t) = memcpy;

static void
with_memcpy(void)
{
	static const char msg[64] = "copied by libc";
	words[0] = 7; /* ALIASED */
	libc_copy(&words[64], msg, sizeof(msg));
}

/* any_writable -- a part of [lo, lo + len) is mapped writable */
static int
any_writable(uintptr_t lo, size_t len)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int found = 0;
	if (f == NULL)
		err(1, "/proc/self/maps");
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long a, b;
		char perm[5];
		if (sscanf(line, "%lx-%lx %4s", &a, &b, perm) == 3 &&
		    a < lo + len && b > lo && perm[1] == 'w')
			found = 1;
	}
	fclose(f);
	return found;
}

/* store_word -- one store with a check of its own (no run to share) */
static __attribute__((noinline)) void
store_word(size_t i, uint64_t v)
{
	words[i] = v;
}

static void
prot(void)
{
	for (size_t line = 0; line < 64; line++) {
		fill_line(line, 1);
		fill_line(line, 9); /* a line stored again: the page opens */
		_mm_clwb(&words[line * 8]);
	}
	for (size_t i = 512; i < 1024; i++) { /* the second page */
		store_word(i, 1);
		store_word(i, 2);
	}
	puts(any_writable((uintptr_t)words, LEN) ? "writable" : "read-only");
	_mm_sfence();
}

/* map_pool -- the pool file at path, LEN bytes, mapped where the kernel
 * chooses */
static uint64_t *
map_pool(const char *path, int *fd)
{
	*fd = open(path, O_RDWR | O_CREAT, 0644);
	if (*fd < 0 || ftruncate(*fd, LEN) != 0)
		err(1, "%s", path);
	uint64_t *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
			   *fd, 0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	return p;
}

static void
pools(const char *first, int report)
{
	char path[4096];
	uint64_t *pool[3] = { words };
	int fd[3];
	for (int i = 1; i < 3; i++) {
		snprintf(path, sizeof(path), "%s%d", first, i + 1);
		pool[i] = map_pool(path, &fd[i]);
	}
	int opened = 0;
	for (int i = 0; i < 3; i++) {
		words = pool[i];
		for (size_t line = 0; line < 8; line++) {
			fill_line(line, line * 8 + 1);
			if (i != 1 || line != 4)
				_mm_clwb(&words[line * 8]);
		}
		words[512] = 1; /* the second page too */
		_mm_clwb(&words[512]);
	}
	for (int i = 0; i < 3; i++)
		opened |= any_writable((uintptr_t)pool[i], LEN);
	if (report)
		puts(opened ? "writable" : "read-only");
	_mm_sfence();
	for (int i = 1; i < 3; i++) {
		munmap(pool[i], LEN);
		close(fd[i]);
	}
	words = pool[0];
}

static void
reprotect(void)
{
	if (mprotect(words, LEN, PROT_READ) != 0 ||
	    mprotect(words, LEN, PROT_READ | PROT_WRITE) != 0)
		err(1, "mprotect");
	words[24] = 5; /* REPROTECTED: never flushed */
}

static void
on_segv(int sig)
{
	(void)sig;
	static const char msg[] = "SIGSEGV\n";
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(0);
}

static void
readonly(void)
{
	signal(SIGSEGV, on_segv);
	if (mprotect(words, LEN, PROT_READ) != 0)
		err(1, "mprotect");
	words[8] = 5;
	puts("stored");
}

/* file_mapping -- with mine NULL: the device and inode of the mapping
 * at `at` into key; else the start of another mapping than `at` of the
 * file mine names (0: none), from /proc/self/maps */
static uintptr_t
file_mapping(uintptr_t at, const char *mine, char key[64])
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512], dev[32], k[64];
	unsigned long a, b, ino, found = 0;
	if (f == NULL)
		err(1, "/proc/self/maps");
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx %*s %*s %31s %lu", &a, &b, dev,
			   &ino) != 4 || ino == 0)
			continue;
		snprintf(k, sizeof(k), "%s %lu", dev, ino);
		if (mine == NULL && a == at)
			snprintf(key, 64, "%s", k);
		else if (mine != NULL && a != at && strcmp(k, mine) == 0)
			found = a;
	}
	fclose(f);
	return found;
}

/* other_mapping -- the start of another mapping of the same file as the
 * one at `at` (the alias), or 0; *key: that file's */
static uintptr_t
other_mapping(uintptr_t at, char key[64])
{
	key[0] = '\0';
	file_mapping(at, NULL, key);
	return file_mapping(at, key, key);
}

static void
fixed(void)
{
	char key[64];
	uintptr_t other = other_mapping((uintptr_t)words, key);
	if (other == 0)
		errx(1, "no alias");
	uint8_t *mine = mmap((void *)other, LEN, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (mine == MAP_FAILED)
		err(1, "mmap");
	fill_line(0, 1);
	int touched = 0;
	for (size_t i = 0; i < LEN; i++)
		touched |= mine[i];
	puts(touched ? "written" : "untouched");
}

static void
unmapped(void)
{
	char key[64];
	if (other_mapping((uintptr_t)words, key) == 0)
		errx(1, "no alias");
	fill_line(0, 1);
	munmap(words, LEN);
	puts(file_mapping(0, key, key) != 0 ? "left" : "gone");
	words = mmap(NULL, LEN, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

int
main(int argc, char **argv)
{
	if (argc != 3)
		errx(2, "usage: alias_store POOL MODE");
	int fd;
	words = map_pool(argv[1], &fd);
	if (strcmp(argv[2], "unflushed") == 0)
		lines(4);
	else if (strcmp(argv[2], "ok") == 0)
		lines(-1);
	else if (strcmp(argv[2], "memcpy") == 0)
		with_memcpy();
	else if (strcmp(argv[2], "prot") == 0)
		prot();
	else if (strcmp(argv[2], "mprotect") == 0)
		reprotect();
	else if (strcmp(argv[2], "readonly") == 0)
		readonly();
	else if (strcmp(argv[2], "fixed") == 0)
		fixed();
	else if (strcmp(argv[2], "unmapped") == 0)
		unmapped();
	else if (strcmp(argv[2], "pools") == 0)
		pools(argv[1], 0);
	else if (strcmp(argv[2], "pools-prot") == 0)
		pools(argv[1], 1);
	else
		errx(2, "unknown mode %s", argv[2]);
	munmap(words, LEN);
	close(fd);
	return 0;
}
