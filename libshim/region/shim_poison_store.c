/*
 * shim_poison_store.c -- the list of poisoned lines beside the pmem dir,
 * DIR.pmemu/badblocks: one `FILE OFFSET LEN` a line (bytes, decimal),
 * FILE relative to DIR. pmemu's own metadata, never in the user's files;
 * `pmemu list --media-errors` reads it (emulator/cli/cli_badblocks.c).
 *
 * Processes of a run save under an flock of the file: what the file
 * holds, less the lines this process cleared, plus the lines it
 * poisoned, so two processes do not undo each other's changes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "real.h"
#include "shim_core.h"
#include "shim_poison.h"

#define LIST_MAX (1u << 20)

static char list_buf[LIST_MAX + 1]; /* lock held (or start-up) */

/* list_path -- PMEM.pmemu/badblocks (and its directory in dir) */
static bool
list_path(const char *pmem, char *path, size_t len, char *dir, size_t dlen)
{
	if (pmem == NULL)
		return false;
	size_t n = strlen(pmem);
	while (n > 1 && pmem[n - 1] == '/')
		n--;
	return snprintf(dir, dlen, "%.*s.pmemu", (int)n, pmem) < (int)dlen &&
		snprintf(path, len, "%s/badblocks", dir) < (int)len;
}

/* for_each_entry -- calls fn for each `NAME OFF LEN` line of buf */
static void
for_each_entry(char *buf, void (*fn)(const char *name, uint64_t off,
		uint64_t len, void *ctx), void *ctx)
{
	for (char *l = buf, *next; l != NULL && *l != '\0'; l = next) {
		next = strchr(l, '\n');
		if (next != NULL)
			*next++ = '\0';
		char *sp2 = strrchr(l, ' ');
		if (sp2 == NULL)
			continue;
		*sp2 = '\0';
		char *sp1 = strrchr(l, ' ');
		if (sp1 == NULL)
			continue;
		*sp1 = '\0';
		fn(l, strtoull(sp1 + 1, NULL, 10), strtoull(sp2 + 1, NULL, 10),
			ctx);
	}
}

/* read_all -- fd's text into list_buf (NUL-terminated) */
static void
read_all(int fd)
{
	size_t n = 0;
	ssize_t k;
	while (n < LIST_MAX && (k = REAL(read)(fd, list_buf + n,
			LIST_MAX - n)) > 0)
		n += (size_t)k;
	list_buf[n] = '\0';
}

static void
load_one(const char *name, uint64_t off, uint64_t len, void *ctx)
{
	(void)ctx;
	if (strlen(name) < SHIM_POISON_NAME_MAX)
		(void)shim_poison_add(name, off, len, false);
}

/* load_list -- the list beside the directory `of`, if it has one */
static void
load_list(const char *of)
{
	char path[PATH_MAX], dir[PATH_MAX];
	if (!list_path(of, path, sizeof(path), dir, sizeof(dir)))
		return;
	int fd = REAL(open)(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	flock(fd, LOCK_SH);
	read_all(fd);
	REAL(close)(fd);
	for_each_entry(list_buf, load_one, NULL);
}

/* the pmem dir's list; a check of a crash image also the image's (the
 * lines its crash left poisoned: emulator/explore/badblocks.c) */
void
shim_poison_load(void)
{
	load_list(shim_opts()->pmem_dir);
	load_list(shim_opts()->image_dir);
}

struct save_ctx {
	int fd;
};

static struct shim_poison_line *
entry(const char *name, uint64_t off)
{
	for (uint32_t i = 0; i < shim_poison_count; i++)
		if (shim_poison_lines[i].off == off &&
				strcmp(shim_poison_lines[i].name, name) == 0)
			return &shim_poison_lines[i];
	return NULL;
}

static void
put(int fd, const char *name, uint64_t off, uint64_t len)
{
	char l[SHIM_POISON_NAME_MAX + 48];
	int n = snprintf(l, sizeof(l), "%s %" PRIu64 " %" PRIu64 "\n", name,
		off, len);
	if (REAL(write)(fd, l, (size_t)n) != n)
		return;
}

/* keep_one -- a line of the file stays unless this process changed it
 * (then the table says what it is now) */
static void
keep_one(const char *name, uint64_t off, uint64_t len, void *ctx)
{
	struct save_ctx *c = ctx;
	for (uint64_t o = off - off % SHIM_POISON_LINE; o < off + len;
			o += SHIM_POISON_LINE) {
		struct shim_poison_line *p = entry(name, o);
		if (p != NULL && p->mine)
			continue;
		put(c->fd, name, o, SHIM_POISON_LINE);
	}
}

void
shim_poison_save(void)
{
	bool changed = __atomic_exchange_n(&shim_poison_unsaved, 0,
		__ATOMIC_ACQ_REL);
	for (uint32_t i = 0; i < shim_poison_count && !changed; i++)
		changed = shim_poison_lines[i].mine != 0;
	char path[PATH_MAX], dir[PATH_MAX];
	/* a check of a crash image changes its own image, not the device
	 * of the recording: what it clears stays in its process */
	if (!changed || shim_opts()->image_dir != NULL ||
			!list_path(shim_opts()->pmem_dir, path, sizeof(path),
				dir, sizeof(dir)))
		return;
	mkdir(dir, 0755);
	int fd = REAL(open)(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		shim_fatal("%s: cannot keep the bad blocks (%s)", path,
			strerror(errno));
	flock(fd, LOCK_EX);
	read_all(fd);
	if (REAL(ftruncate)(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)
		shim_fatal("%s: cannot rewrite it", path);
	struct save_ctx c = { fd };
	for_each_entry(list_buf, keep_one, &c);
	for (uint32_t i = 0; i < shim_poison_count; i++) {
		struct shim_poison_line *p = &shim_poison_lines[i];
		if (p->mine && __atomic_load_n(&p->state,
				__ATOMIC_ACQUIRE) == SHIM_POISON_SET)
			put(fd, p->name, p->off, SHIM_POISON_LINE);
		p->mine = 0;
	}
	REAL(close)(fd);
}
