/*
 * shim_session.c -- the views shared by the processes of one run
 *
 * A process that maps a file another process of the run maps (a server
 * and its client, a program and one it runs, two programs of a shell
 * script) must see its stores at once, as on real memory, so both map one
 * view. The first shim process of the run makes a table with no name (a
 * memfd, PMEMU_SESSION_FD, inherited across fork and exec) of the files
 * whose views are held: {media dev and inode, region id, view dev and
 * inode, holders {pid, view fd, bitmaps fd}}. A process opening a file
 * opens a live holder's view through /proc/PID/fd/FD (the views stay
 * unlinked: a killed run leaves nothing behind) and checks it is that
 * view (dev, inode); a dead holder, or one that exec'd (its views close
 * on exec), fails the check and is dropped. The table is locked with a
 * POSIX record lock (per process: released if the process dies). Past
 * the table, from AREA_OFF, the memfd holds an area of another concern's
 * (the table of unflushed pieces, core/shim_shared.c), so that every
 * process of the session reaches it too.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "real.h"
#include "shim_core.h"
#include "shim_session.h"

#define ENTRIES 256
#define HOLDERS 16
#define MAGIC 0x6e6f69737365736dull /* "msession" */
#define SESSION_FD_MIN 900
#define MEMFD_NAME "pmemu-session"
#define AREA_OFF ((sizeof(struct table) + 4095) & ~(size_t)4095)

struct holder {
	int32_t pid;               /* 0: free */
	int32_t view_fd, meta_fd;  /* in that process */
};

struct entry {
	uint64_t media_dev, media_ino;  /* 0, 0: free */
	uint64_t view_dev, view_ino;    /* the view the holders hold */
	uint64_t meta_dev, meta_ino;    /* and its bitmaps */
	uint32_t id, pad;
	struct holder holders[HOLDERS];
};

struct table {
	uint64_t magic;
	struct entry entries[ENTRIES];
};

static struct table *table;    /* NULL: no session, views are private */
static int table_fd = -1;
static void *area;             /* the area past the table, or NULL */

/* table_map -- the table of descriptor fd, if it is one */
static struct table *
table_map(int fd)
{
	char link[64], name[128];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = REAL(readlink)(link, name, sizeof(name) - 1);
	if (n <= 0)
		return NULL;
	name[n] = '\0';
	if (strncmp(name, "/memfd:" MEMFD_NAME " ", 8 + strlen(MEMFD_NAME)) != 0)
		return NULL;
	void *p = REAL(mmap)(NULL, sizeof(struct table), PROT_READ | PROT_WRITE,
			MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return NULL;
	struct table *t = p;
	if (t->magic != MAGIC) {
		REAL(munmap)(p, sizeof(struct table));
		return NULL;
	}
	return t;
}

/* session_make -- the first process: a new table, kept across exec */
static void
session_make(size_t area_len)
{
	int fd = memfd_create(MEMFD_NAME, 0);
	if (fd < 0)
		return;
	int hi = REAL(fcntl)(fd, F_DUPFD, SESSION_FD_MIN);
	REAL(close)(fd);
	if (hi < 0 || REAL(ftruncate)(hi, (off_t)(AREA_OFF + area_len)) != 0)
		goto fail;
	uint64_t magic = MAGIC;
	if (REAL(pwrite)(hi, &magic, sizeof(magic), 0) != sizeof(magic))
		goto fail;
	char v[16];
	snprintf(v, sizeof(v), "%d", hi);
	setenv("PMEMU_SESSION_FD", v, 1); /* exec'd images find it */
	table_fd = hi;
	table = table_map(hi);
	return;
fail:
	if (hi >= 0)
		REAL(close)(hi);
}

/* session_find -- a later process: the inherited descriptor, else the
 * first process's (a program may close what it does not know) */
static void
session_find(void)
{
	const char *v = getenv("PMEMU_SESSION_FD");
	if (v == NULL)
		return;
	int fd = atoi(v);
	table = table_map(fd);
	if (table != NULL) {
		table_fd = fd;
		return;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/fd/%d", shim_opts()->root_pid,
		fd);
	int own = REAL(open)(path, O_RDWR | O_CLOEXEC);
	if (own < 0)
		return;
	table = table_map(own);
	if (table == NULL)
		REAL(close)(own);
	else
		table_fd = own;
}

/* area_map -- the area past the table, if the memfd holds one that long
 * (made by the first process, of this library) */
static void *
area_map(size_t len)
{
	struct stat st;
	if (table == NULL || len == 0 || REAL(fstat)(table_fd, &st) != 0 ||
			(uint64_t)st.st_size < AREA_OFF + len)
		return NULL;
	void *p = REAL(mmap)(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			table_fd, (off_t)AREA_OFF);
	return p == MAP_FAILED ? NULL : p;
}

void
shim_session_start(bool root, size_t area_len)
{
	if (root)
		session_make(area_len);
	else
		session_find();
	area = area_map(area_len);
}

void *
shim_session_area(void)
{
	return area;
}

/* table_lockw -- F_SETLKW of type over the table, again after a signal */
static void
table_lockw(short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET };
	while (REAL(fcntl)(table_fd, F_SETLKW, &fl) != 0 && errno == EINTR)
		;
}

void
shim_session_lock(void)
{
	if (table != NULL)
		table_lockw(F_WRLCK);
}

void
shim_session_unlock(void)
{
	if (table != NULL)
		table_lockw(F_UNLCK);
}

static bool holder_live(const struct entry *e, const struct holder *h);

/* entry_unheld -- no live process holds e's view */
static bool
entry_unheld(const struct entry *e)
{
	pid_t me = getpid();
	for (int i = 0; i < HOLDERS; i++)
		if (e->holders[i].pid == me ||
				holder_live(e, &e->holders[i]))
			return false;
	return true;
}

/* entry_of -- the entry of the media, or when `make` a free one (the
 * table full: one whose view no live process holds any more) */
static struct entry *
entry_of(dev_t dev, ino_t ino, bool make)
{
	if (table == NULL)
		return NULL;
	struct entry *free_one = NULL;
	for (int i = 0; i < ENTRIES; i++) {
		struct entry *e = &table->entries[i];
		if (e->media_dev == (uint64_t)dev && e->media_ino == (uint64_t)ino)
			return e;
		if (free_one == NULL && e->media_dev == 0 && e->media_ino == 0)
			free_one = e;
	}
	for (int i = 0; make && free_one == NULL && i < ENTRIES; i++)
		if (entry_unheld(&table->entries[i]))
			free_one = &table->entries[i];
	return make ? free_one : NULL;
}

/* holder_open -- holder h's descriptor fd, opened here, if it is still
 * the file (dev, ino): -1 otherwise; *len: its size */
static int
holder_open(const struct holder *h, int fd, uint64_t dev, uint64_t ino,
		uint64_t *len)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", h->pid, fd);
	int own = REAL(open)(path, O_RDWR | O_CLOEXEC);
	if (own < 0)
		return -1;
	if (REAL(fstat)(own, &st) != 0 || (uint64_t)st.st_dev != dev ||
			(uint64_t)st.st_ino != ino) {
		REAL(close)(own);
		return -1;
	}
	*len = (uint64_t)st.st_size;
	return own;
}

/* holder_live -- h is another process that still holds e's view */
static bool
holder_live(const struct entry *e, const struct holder *h)
{
	if (h->pid == 0 || h->pid == getpid())
		return false;
	uint64_t len;
	int fd = holder_open(h, h->view_fd, e->view_dev, e->view_ino, &len);
	if (fd < 0)
		return false;
	REAL(close)(fd);
	return true;
}

int
shim_session_find(dev_t dev, ino_t ino, struct shim_session_view *v)
{
	struct entry *e = entry_of(dev, ino, false);
	if (e == NULL)
		return -1;
	v->id = e->id;
	for (int i = 0; i < HOLDERS; i++) {
		struct holder *h = &e->holders[i];
		if (h->pid == 0 || h->pid == getpid())
			continue;
		uint64_t meta_len;
		v->view_fd = holder_open(h, h->view_fd, e->view_dev,
			e->view_ino, &v->len);
		v->meta_fd = v->view_fd < 0 ? -1 : holder_open(h, h->meta_fd,
			e->meta_dev, e->meta_ino, &meta_len);
		if (v->meta_fd >= 0)
			return 0;
		if (v->view_fd >= 0)
			REAL(close)(v->view_fd);
		h->pid = 0; /* dead, or exec'd */
	}
	return 1;
}

void
shim_session_hold(dev_t dev, ino_t ino, const struct shim_session_view *v)
{
	struct entry *e = entry_of(dev, ino, true);
	struct stat st, meta;
	if (e == NULL || REAL(fstat)(v->view_fd, &st) != 0 ||
			REAL(fstat)(v->meta_fd, &meta) != 0)
		return; /* table full: this view is not shared */
	if (e->media_dev != (uint64_t)dev || e->media_ino != (uint64_t)ino ||
			e->view_dev != (uint64_t)st.st_dev ||
			e->view_ino != (uint64_t)st.st_ino) {
		/* a new entry, or a new view of a file whose holders left */
		memset(e->holders, 0, sizeof(e->holders));
		e->media_dev = (uint64_t)dev;
		e->media_ino = (uint64_t)ino;
		e->view_dev = (uint64_t)st.st_dev;
		e->view_ino = (uint64_t)st.st_ino;
		e->meta_dev = (uint64_t)meta.st_dev;
		e->meta_ino = (uint64_t)meta.st_ino;
		e->id = v->id;
	}
	for (int i = 0; i < HOLDERS; i++) {
		struct holder *h = &e->holders[i];
		if (h->pid == 0 || !holder_live(e, h)) {
			*h = (struct holder){ getpid(), v->view_fd, v->meta_fd };
			return;
		}
	}
}

bool
shim_session_held_elsewhere(dev_t dev, ino_t ino)
{
	struct entry *e = entry_of(dev, ino, false);
	if (e == NULL)
		return false;
	for (int i = 0; i < HOLDERS; i++)
		if (holder_live(e, &e->holders[i]))
			return true;
	return false;
}

void
shim_session_leave(void)
{
	if (table == NULL)
		return;
	pid_t me = getpid(); /* once: not a system call per holder slot */
	for (int i = 0; i < ENTRIES; i++)
		for (int j = 0; j < HOLDERS; j++)
			if (table->entries[i].holders[j].pid == me)
				table->entries[i].holders[j].pid = 0;
}
