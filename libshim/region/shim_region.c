/*
 * shim_region.c -- the tables: regions (emulated files), program
 * descriptors of views, and the mappings of views
 *
 * Writers hold shim_lock; readers (the SIGSEGV handler, lookups on every
 * flush) take no lock: a mapping slot is filled before it is published
 * (release store of `live`) and its arrays are freed only when the slot is
 * reused, so a reader racing with munmap sees either the old or no mapping.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "real.h"
#include "shim_core.h"
#include "shim_region.h"
#include "shim_shared.h"
#include "shim_view.h"

#define REGIONS_MAX 256
#define MAPPINGS_MAX 512
#define FDS_MAX 65536

static struct shim_region regions[REGIONS_MAX];
static uint32_t nregions;
static uint32_t region_base;        /* this image's new ids start there */
/* regions an earlier image of the run named in the trace (shim_join.c) */
static struct { uint32_t id; char path[PATH_MAX]; } known[REGIONS_MAX];
static uint32_t nknown;

void
shim_region_set_base(uint32_t base)
{
	region_base = base;
}

void
shim_region_known(uint32_t id, const char *path)
{
	for (uint32_t i = 0; i < nknown; i++)
		if (strcmp(known[i].path, path) == 0)
			return; /* the first id of a file stays its id */
	if (nknown == REGIONS_MAX)
		return;
	known[nknown].id = id;
	snprintf(known[nknown].path, sizeof(known[nknown].path), "%s", path);
	nknown++;
}

const char *
shim_region_known_path(uint32_t id)
{
	for (uint32_t i = 0; i < nregions; i++)
		if (regions[i].id == id)
			return regions[i].path;
	for (uint32_t i = 0; i < nknown; i++)
		if (known[i].id == id)
			return known[i].path;
	return NULL;
}

/* region_id -- the id the trace already gives path, else a new one */
static uint32_t
region_id(const char *path)
{
	for (uint32_t i = 0; i < nknown; i++)
		if (strcmp(known[i].path, path) == 0)
			return known[i].id;
	return region_base + nregions;
}
static struct shim_region *fd_regions[FDS_MAX];
/* per descriptor of fd_regions: opened O_SYNC or O_DSYNC (F_SETFL cannot
 * change either on Linux: read once, when the descriptor is named) */
static bool fd_dsync[FDS_MAX];
static struct shim_mapping mappings[MAPPINGS_MAX];
static int mapping_live[MAPPINGS_MAX];
static int mapping_hi; /* slots [0, mapping_hi) may be live */

enum model_domain
shim_domain(void)
{
	return shim_opts()->domain;
}

const struct shim_mapping *
shim_mapping_lookup(const void *addr)
{
	uintptr_t a = (uintptr_t)addr;
	int hi = __atomic_load_n(&mapping_hi, __ATOMIC_ACQUIRE);
	for (int i = 0; i < hi; i++) {
		if (!__atomic_load_n(&mapping_live[i], __ATOMIC_ACQUIRE))
			continue;
		const struct shim_mapping *m = &mappings[i];
		if (a - m->base < m->len)
			return m;
	}
	return NULL;
}

void
shim_mapping_for_each(void (*fn)(struct shim_mapping *m, void *ctx),
		void *ctx)
{
	for (int i = 0; i < mapping_hi; i++)
		if (mapping_live[i])
			fn(&mappings[i], ctx);
}

void
shim_region_for_each(void (*fn)(struct shim_region *r, void *ctx), void *ctx)
{
	for (uint32_t i = 0; i < nregions; i++)
		fn(&regions[i], ctx);
}

/* the dirty-page tracking of each mapping (main.c: shim_dirty.c's
 * setup and release, which look mappings up here: a callback, so this
 * file does not call the file that calls it) */
static struct {
	int (*setup)(struct shim_mapping *m);
	void (*release)(struct shim_mapping *m);
} tracking;

void
shim_mappings_set_tracking(int (*setup)(struct shim_mapping *m),
		void (*release)(struct shim_mapping *m))
{
	tracking.setup = setup;
	tracking.release = release;
}

struct shim_mapping *
shim_mapping_add(uintptr_t base, size_t len, uint64_t file_off,
		struct shim_region *r, int prot)
{
	for (int i = 0; i < MAPPINGS_MAX; i++) {
		if (mapping_live[i])
			continue;
		struct shim_mapping *m = &mappings[i];
		if (tracking.release != NULL) /* the slot's last user's */
			tracking.release(m);
		*m = (struct shim_mapping){ .base = base, .len = len,
			.file_off = file_off, .region = r, .prot = prot };
		if (tracking.setup != NULL && tracking.setup(m) != 0)
			return NULL;
		r->nmappings++;
		__atomic_store_n(&mapping_live[i], 1, __ATOMIC_RELEASE);
		if (i >= mapping_hi)
			__atomic_store_n(&mapping_hi, i + 1, __ATOMIC_RELEASE);
		return m;
	}
	shim_fatal("more than %d mappings of emulated pmem",
		MAPPINGS_MAX);
}

void
shim_mapping_remove(struct shim_mapping *m)
{
	int i = (int)(m - mappings);
	m->region->nmappings--;
	__atomic_store_n(&mapping_live[i], 0, __ATOMIC_RELEASE);
}

struct shim_region *
shim_fd_region(int fd)
{
	if (fd < 0 || fd >= FDS_MAX)
		return NULL;
	return __atomic_load_n(&fd_regions[fd], __ATOMIC_ACQUIRE);
}

bool
shim_fd_dsync(int fd)
{
	return fd >= 0 && fd < FDS_MAX && fd_dsync[fd];
}

void
shim_fd_set(int fd, struct shim_region *r)
{
	if (fd >= 0 && fd < FDS_MAX) {
		int fl = r != NULL ? REAL(fcntl)(fd, F_GETFL) : -1;
		fd_dsync[fd] = fl >= 0 && (fl & O_DSYNC);
		__atomic_store_n(&fd_regions[fd], r, __ATOMIC_RELEASE);
	}
	else if (r != NULL)
		shim_fatal("descriptor %d of emulated file %s is above "
			"%d", fd, r->path, FDS_MAX);
}

/* shim_pmem_dir -- the pmem dir with symlinks resolved, once */
const char *
shim_pmem_dir(void)
{
	static char dir[PATH_MAX];
	static int done;
	if (!done) {
		const char *d = shim_opts()->pmem_dir;
		/* a check of an image names the program's pmem dir, which
		 * need not exist any more (a moved trace) */
		if (d != NULL && REAL(realpath)(d, dir) == NULL) {
			if (shim_opts()->image_dir == NULL)
				shim_fatal("--pmem-dir / PMEMU_PMEM_DIR=%s: "
					"%s", d, strerror(errno));
			snprintf(dir, sizeof(dir), "%s", d);
		}
		if (d == NULL)
			dir[0] = '\0';
		done = 1;
	}
	return dir;
}

/*
 * shim_path_resolve -- the absolute path of (dirfd, path), its directory's
 * symlinks resolved; true when it lies under the pmem dir
 */
bool
shim_path_resolve(int dirfd, const char *path, char *abs)
{
	const char *dir = shim_pmem_dir();
	if (dir[0] == '\0' || path == NULL)
		return false;
	char full[PATH_MAX * 2], resolved[PATH_MAX];
	if (path[0] == '/') {
		snprintf(full, sizeof(full), "%s", path);
	} else {
		char base[PATH_MAX];
		if (dirfd == AT_FDCWD) {
			if (REAL(getcwd)(base, sizeof(base)) == NULL)
				return false;
		} else {
			char link[64];
			snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
			ssize_t n = REAL(readlink)(link, base, sizeof(base) - 1);
			if (n <= 0)
				return false;
			base[n] = '\0';
		}
		snprintf(full, sizeof(full), "%s/%s", base, path);
	}
	char *slash = strrchr(full, '/');
	*slash = '\0';
	const char *name = slash + 1;
	if (REAL(realpath)(full[0] ? full : "/", resolved) == NULL)
		return false;
	if (name[0] == '\0' || strcmp(name, ".") == 0 ||
			strcmp(name, "..") == 0)
		return false;
	size_t n = strlen(dir);
	if (strncmp(resolved, dir, n) != 0 ||
			(resolved[n] != '/' && resolved[n] != '\0'))
		return false;
	if (snprintf(abs, PATH_MAX, "%s/%s", resolved, name) >= PATH_MAX)
		return false;
	return true;
}

bool
shim_path_is_pmem(const char *path)
{
	char abs[PATH_MAX];
	return shim_path_resolve(AT_FDCWD, path, abs);
}

/* region_announce -- the model and the trace learn of a new region */
static void
region_announce(struct shim_region *r)
{
	if (shim_model() != NULL) {
		(void)model_region_add(shim_model(), r->id, r->len, r->domain);
		r->line_len = model_region_line(shim_model(), r->id);
	}
	shim_shared_region(r->id, r->domain);
	struct { uint32_t region, domain; uint64_t len; uint32_t line, pad; }
		body = { r->id, r->domain, r->len, r->line_len, 0 };
	shim_record(TRACE_REC_REGION, 0, &body, sizeof(body), r->path,
		strlen(r->path) + 1);
}

/* media_open -- the real file, read-write when the program may write */
static int
media_open(const char *abs, int flags, mode_t mode)
{
	int f = O_CLOEXEC | (flags & (O_CREAT | O_EXCL));
	int fd = REAL(open)(abs, O_RDWR | f, mode);
	if (fd < 0 && errno == EACCES && (flags & O_ACCMODE) == O_RDONLY)
		fd = REAL(open)(abs, O_RDONLY | f, mode);
	return fd;
}

/* region_new -- a new region whose media is the open file fd, named path
 * in reports; its view is created now */
static struct shim_region *
region_new(int fd, const struct stat *st, const char *path)
{
	if (nregions == REGIONS_MAX)
		shim_fatal("more than %d emulated files", REGIONS_MAX);
	struct shim_region *r = &regions[nregions];
	*r = (struct shim_region){ .id = region_id(path),
		.domain = shim_domain(),
		.line_len = shim_opts()->line_len, .media_fd = fd,
		.view_fd = -1, .media_dev = st->st_dev,
		.media_ino = st->st_ino };
	snprintf(r->path, sizeof(r->path), "%s", path);
	int ret = shim_view_create(r);
	if (ret != 0)
		shim_fatal("%s: cannot create its view in %s: %s", path,
			shim_opts()->tmpdir, strerror(-ret));
	nregions++;
	region_announce(r);
	return r;
}

struct shim_region *
shim_region_of_path(const char *abs, int flags, mode_t mode)
{
	int fd = media_open(abs, flags, mode);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (REAL(fstat)(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		REAL(close)(fd);
		errno = EINVAL;
		return NULL;
	}
	for (uint32_t i = 0; i < nregions; i++) {
		struct shim_region *r = &regions[i];
		if (r->media_dev == st.st_dev && r->media_ino == st.st_ino) {
			REAL(close)(fd);
			snprintf(r->path, sizeof(r->path), "%s", abs);
			return r;
		}
	}
	return region_new(fd, &st, abs);
}

struct shim_region *
shim_region_of_fd(int media_fd, const char *path)
{
	struct stat st;
	if (REAL(fstat)(media_fd, &st) != 0)
		return NULL;
	return region_new(media_fd, &st, path);
}

void
shim_region_renamed(const char *path)
{
	char abs[PATH_MAX];
	struct stat st;
	if (!shim_path_resolve(AT_FDCWD, path, abs) || REAL(stat)(abs, &st) != 0)
		return;
	shim_lock();
	for (uint32_t i = 0; i < nregions; i++)
		if (regions[i].media_dev == st.st_dev &&
				regions[i].media_ino == st.st_ino)
			snprintf(regions[i].path, sizeof(regions[i].path), "%s",
				abs);
	shim_unlock();
}

/* who must know when the mapping table changed (main.c: the plugin
 * hooks' slots, api/hooks.c, a layer above this one) */
static void (*mappings_listener)(void);

void
shim_mappings_set_listener(void (*fn)(void))
{
	mappings_listener = fn;
}

void
shim_mappings_changed(void)
{
	if (mappings_listener != NULL)
		mappings_listener();
}
