/* alias_store.c -- plugin-built stores that the runtime lets through the
 * views' writable alias (libshim/api/hooks.c, "Stores through the
 * alias"), and stores of uninstrumented code beside them
 *   unflushed  lines of word stores, each flushed but the one at 0x100
 *   ok         the same, every line flushed: nothing to report
 *   memcpy     a plugin-built store and libc's memcpy (called through a
 *              pointer: not instrumented) to one page, neither flushed
 *   prot       every line of the first page stored twice and flushed;
 *              before the fence, prints "writable" when any page of the
 *              pool became writable in the program's own mapping
 *              (/proc/self/maps), else "read-only"
 *   mprotect   the program makes the pool read-only, then writable
 *              again, and stores: still seen
 *   readonly   the program makes the pool read-only and stores: the
 *              store faults (prints "SIGSEGV"), as without pmemu
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

static void
prot(void)
{
	for (size_t line = 0; line < 64; line++) {
		fill_line(line, 1);
		fill_line(line, 9); /* a line stored again: the page opens */
		_mm_clwb(&words[line * 8]);
	}
	puts(any_writable((uintptr_t)words, LEN) ? "writable" : "read-only");
	_mm_sfence();
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

int
main(int argc, char **argv)
{
	if (argc != 3)
		errx(2, "usage: alias_store POOL MODE");
	int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, LEN) != 0)
		err(1, "%s", argv[1]);
	words = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (words == MAP_FAILED)
		err(1, "mmap");
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
	else
		errx(2, "unknown mode %s", argv[2]);
	munmap(words, LEN);
	close(fd);
	return 0;
}
