/*
 * image_dir.c -- where the workers' images go when the user named no
 * TMPDIR (docs/explore.md, "Images, and what they cost")
 *
 * On tmpfs a check's msync and pmemu's page writes are not writeback
 * (kvmap100 pessimistic,inflight: a sixth less CPU, a quarter less wall),
 * but every image stays in memory. The images go to the first tmpfs of
 * /dev/shm and $XDG_RUNTIME_DIR that takes O_DIRECT opens (tmpfs before
 * Linux 6.6 refuses them: a check opening its image so would fail there
 * and not on the user's pmem) and where they fit: every image directory
 * the exploration may hold at once (--jobs, the lazy pool's workers', the
 * explanation's) x (the regions at their largest + 1 MiB for the DIMM
 * file, the lazy run's files) must be at most half the file system's
 * free space (the checks may create files next to the image) and a
 * quarter of MemAvailable (tmpfs pages are not reclaimed: the checks,
 * pmemu and everything else on the machine need the rest). Otherwise
 * /tmp, as before. PMEMU_TMPFS_DIR (tests) replaces the candidates,
 * PMEMU_TMPFS_LIMIT=BYTES (tests) lowers the limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "engine_impl.h"
#include "image_dir.h"
#include "image_watch.h"
#include "trace.h"

#define TMPFS_MAGIC_ 0x01021994
#define SLOT_EXTRA (1u << 20)

uint64_t
xp_trace_regions(const char *trace, bool *cxl)
{
	if (cxl != NULL)
		*cxl = false;
	struct trace_reader *rd;
	char err[256];
	if (trace_reader_open(trace, &rd, err, sizeof(err)) != 0)
		return 0;
	struct { uint32_t id; uint64_t len; } r[64];
	size_t n = 0;
	uint64_t over = 0; /* regions past the table: summed as they come */
	struct trace_rec rec;
	while (trace_next(rd, &rec) == 1) {
		if (rec.type != TRACE_REC_REGION && rec.type != TRACE_REC_RESIZE)
			continue;
		if (cxl != NULL && rec.type == TRACE_REC_REGION &&
				rec.u.region.domain == MODEL_DOMAIN_CXL)
			*cxl = true;
		size_t i = 0;
		while (i < n && r[i].id != rec.u.region.region)
			i++;
		if (i == n && n == sizeof(r) / sizeof(r[0])) {
			over += rec.u.region.len;
			continue;
		}
		if (i == n)
			r[n++] = (typeof(r[0])){ rec.u.region.region, 0 };
		if (rec.u.region.len > r[i].len)
			r[i].len = rec.u.region.len;
	}
	trace_reader_close(rd);
	uint64_t sum = over;
	for (size_t i = 0; i < n; i++)
		sum += r[i].len;
	return sum;
}

/* mem_available -- MemAvailable of /proc/meminfo in bytes, 0 unknown */
static uint64_t
mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	if (f == NULL)
		return 0;
	char line[128];
	unsigned long long kb = 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb << 10;
}

/* takes_direct -- an O_DIRECT open of a file in dir succeeds */
static bool
takes_direct(const char *dir)
{
	char path[PATH_MAX];
	int fd = xp_probe_file(dir, path, sizeof(path));
	if (fd < 0)
		return false;
	close(fd);
	fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	unlink(path);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* room -- how many bytes of images dir takes (0: not a tmpfs for them) */
static uint64_t
room(const char *dir, uint64_t cap)
{
	struct statfs fs;
	struct statvfs vfs;
	if (dir == NULL || dir[0] != '/' || statfs(dir, &fs) != 0 ||
			fs.f_type != TMPFS_MAGIC_ || statvfs(dir, &vfs) != 0 ||
			access(dir, W_OK | X_OK) != 0 || !takes_direct(dir))
		return 0;
	uint64_t free_half = (uint64_t)vfs.f_bavail * vfs.f_frsize / 2;
	uint64_t mem = mem_available() / 4;
	uint64_t r = free_half < mem ? free_half : mem;
	return r < cap ? r : cap;
}

static double
mib(uint64_t b)
{
	return (double)b / (1 << 20);
}

int
xp_image_dir(const struct xp_opts *o, char *dir, size_t len, char *note,
		size_t notelen, char *err, size_t errlen)
{
	uint64_t cap = UINT64_MAX;
	const char *lim = getenv("PMEMU_TMPFS_LIMIT");
	if (lim != NULL) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(lim, &end, 10);
		if (errno != 0 || end == lim || *end != '\0' || lim[0] == '-') {
			snprintf(err, errlen, "PMEMU_TMPFS_LIMIT '%s': not a "
					"number of bytes", lim);
			return -1;
		}
		cap = v;
	}
	note[0] = '\0';
	snprintf(dir, len, "/tmp");
	size_t slots = (o->check.kind == XP_CHECK_SO_INPROC ? 1 : o->jobs) +
		xp_lazy_pool_slots(o) + 1;
	uint64_t per = xp_trace_regions(o->trace, NULL) + SLOT_EXTRA;
	uint64_t need = per * slots;
	const char *test = getenv("PMEMU_TMPFS_DIR");
	const char *cand[2] = { test ? test : "/dev/shm",
		test ? NULL : getenv("XDG_RUNTIME_DIR") };
	for (size_t i = 0; i < 2; i++) {
		uint64_t r = room(cand[i], cap);
		if (r >= need && need / slots == per) {
			snprintf(dir, len, "%s", cand[i]);
			note[0] = '\0';
			return 0;
		}
		if (r > 0 && note[0] == '\0')
			snprintf(note, notelen, "the images are in /tmp, not "
				"%s: %zu image directories of %.1f MiB would "
				"take more than half its free space or a "
				"quarter of the available memory (TMPDIR "
				"chooses)", cand[i], slots, mib(per));
	}
	return 0;
}

static int
remove_one(const char *path, const struct stat *st, int flag,
		struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void
xp_image_dir_remove(const char *dir)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}
