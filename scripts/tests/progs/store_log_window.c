/* store_log_window.c -- the raw loop's windows (store a line, flush it,
 * a fence every 8 lines) that the shim gives the model in one call at
 * the fence (shim_window.c), each mode with a planted bug in one line of
 * one window; findings and media must be the ones the shim gives with
 * each store emitted at once (PMEMU_STORE_LOG=0).
 *   ok           three passes, every line stored, flushed, fenced
 *   after-flush  a line of a window stored again after its flush, before
 *                the fence (never flushed again)
 *   no-flush     a line of a window never flushed
 *   no-fence     the last window's flushes with no fence after them
 *   again        clflushopt; a line stored and flushed twice in one
 *                window, a line stored in one window without its flush
 *                and persisted in the next (dirty from before)
 *   opened       a line flushed, then written by libc's memset (a fault
 *                opens the page) before the fence
 *   after        ok, then a word of line 6 stored and line 5 flushed
 *                again, fenced: one store unpersisted, one redundant
 *                flush (as the windows left lines 5 and 6: durable)
 * MODE-kill: MODE, then SIGKILL: the pool file holds the media, what was
 * durable (a clean exit writes the view) */
#include <err.h>
#include <fcntl.h>
#include <immintrin.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define LINES 64
#define LEN (LINES * 64)

static uint64_t *pool;

/* store_line -- the line's eight words, one store each */
static void
store_line(size_t line, uint64_t pass)
{
	uint64_t *w = pool + line * 8;
	for (int i = 0; i < 8; i++)
		w[i] = pass * 1000 + line * 8 + (uint64_t)i;
}

__attribute__((target("clflushopt"))) static void
flush(size_t line, int opt)
{
	if (opt)
		_mm_clflushopt(pool + line * 8);
	else
		_mm_clwb(pool + line * 8);
}

/* passes -- the raw loop, with mode's bug at line 11 of the last pass */
static void
passes(const char *mode)
{
	int opt = strcmp(mode, "again") == 0;
	for (uint64_t pass = 0; pass < 3; pass++) {
		for (size_t line = 0; line < LINES; line++) {
			int here = pass == 2 && line == 11;
			store_line(line, pass);
			if (!(here && strcmp(mode, "no-flush") == 0) &&
					!(opt && here))
				flush(line, opt);
			if (here && strcmp(mode, "after-flush") == 0)
				pool[line * 8 + 3] = 7;
			if (here && opt) { /* 11 and 12 stored twice */
				store_line(line + 1, pass);
				flush(line + 1, opt);
			}
			if (pass == 2 && line == 13 && opt) {
				store_line(11, pass + 10); /* dirty before */
				flush(11, opt);
			}
			if (here && strcmp(mode, "opened") == 0)
				memset(pool + line * 8 + 4, 0x5a, 8);
			bool last = pass == 2 && line == LINES - 1;
			if (line % 8 == 7 && !(last &&
					strcmp(mode, "no-fence") == 0))
				_mm_sfence();
		}
	}
}

int
main(int argc, char **argv)
{
	if (argc < 3)
		errx(2, "usage: store_log_window FILE MODE");
	int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, LEN) != 0)
		err(1, "%s", argv[1]);
	pool = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pool == MAP_FAILED)
		err(1, "mmap");
	char mode[32];
	strncpy(mode, argv[2], sizeof(mode) - 1);
	mode[sizeof(mode) - 1] = 0;
	char *kill = strstr(mode, "-kill");
	if (kill != NULL)
		*kill = 0;
	passes(mode);
	if (strcmp(mode, "after") == 0) {
		pool[6 * 8] = 1;
		flush(5, 0);
		_mm_sfence();
	}
	if (kill != NULL)
		raise(SIGKILL);
	return 0;
}
