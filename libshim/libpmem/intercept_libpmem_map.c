/*
 * intercept_libpmem_map.c -- libpmem's mapping, msync, deep-persistence,
 * version and error calls
 *
 * pmem_map_file of a path under the pmem dir is done here with the plain
 * calls a program would make (open, ftruncate, fallocate, mmap, close,
 * unlink): each goes through the shim's own interposers, which emulate the
 * file, and is_pmem is then the emulated domain's answer. A path outside
 * the pmem dir is not emulated: the real libpmem maps it (or this file
 * does, the same way, when libpmem is not loaded).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libpmem.h>

#include "intercept_libpmem.h"
#include "shim_devdax.h"
#include "pmem_real.h"
#include "shim_region.h"

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif

#define PMEM_FILE_ALL (PMEM_FILE_CREATE | PMEM_FILE_EXCL | \
		PMEM_FILE_SPARSE | PMEM_FILE_TMPFILE)

/* the last error of this thread, as pmem_errormsg returns it */
static __thread char map_errmsg[512];

/* map_err -- record the message; "!" appends strerror(errno) as libpmem
 * does; errno is kept */
__attribute__((format(printf, 1, 2))) static void
map_err(const char *fmt, ...)
{
	int oerrno = errno;
	bool with_errno = fmt[0] == '!';
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(map_errmsg, sizeof(map_errmsg), fmt + with_errno, ap);
	va_end(ap);
	if (with_errno && n >= 0 && (size_t)n < sizeof(map_errmsg))
		snprintf(map_errmsg + n, sizeof(map_errmsg) - (size_t)n, ": %s",
				strerror(oerrno));
	errno = oerrno;
}

/* map_args_valid -- libpmem's argument rules for pmem_map_file */
static bool
map_args_valid(size_t len, int flags)
{
	errno = EINVAL;
	if (flags & ~PMEM_FILE_ALL) {
		map_err("invalid flag specified %x", flags);
		return false;
	}
	if ((flags & PMEM_FILE_CREATE) && (off_t)len < 0) {
		map_err("invalid file length %zu", len);
		return false;
	}
	if (len != 0 && !(flags & PMEM_FILE_CREATE)) {
		map_err("non-zero 'len' not allowed without PMEM_FILE_CREATE");
		return false;
	}
	if (len == 0 && (flags & PMEM_FILE_CREATE)) {
		map_err("zero 'len' not allowed with PMEM_FILE_CREATE");
		return false;
	}
	if ((flags & PMEM_FILE_TMPFILE) && !(flags & PMEM_FILE_CREATE)) {
		map_err("PMEM_FILE_TMPFILE not allowed without PMEM_FILE_CREATE");
		return false;
	}
	errno = 0;
	return true;
}

/*
 * open_tmpfile -- a new file with a unique name in the directory dir; the
 * caller unlinks it once mapped. Not O_TMPFILE: an emulated file needs a
 * name while the shim sets it up (docs/libpmem.md).
 */
static int
open_tmpfile(const char *dir, char *name, size_t name_len)
{
	unsigned long seed = (unsigned long)getpid() ^
		(unsigned long)time(NULL) ^ (unsigned long)(uintptr_t)name;
	for (int attempt = 0; attempt < 100; attempt++) {
		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		int n = snprintf(name, name_len, "%s/pmem.%06lx", dir,
				(seed >> 40) & 0xffffff);
		if (n < 0 || (size_t)n >= name_len) {
			errno = ENAMETOOLONG;
			return -1;
		}
		int fd = open(name, O_RDWR | O_CREAT | O_EXCL, S_IRWXU);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* size_file -- set the file to len bytes, allocated unless sparse */
static int
size_file(int fd, size_t len, bool sparse)
{
	if (ftruncate(fd, (off_t)len) != 0) {
		map_err("!ftruncate");
		return -1;
	}
	if (sparse)
		return 0;
	if (fallocate(fd, 0, 0, (off_t)len) == 0)
		return 0;
	if (errno == EOPNOTSUPP && (errno = posix_fallocate(fd, 0,
			(off_t)len)) == 0)
		return 0;
	map_err("!posix_fallocate");
	return -1;
}

/* file_len -- the size of an existing file (len 0 means "all of it") */
static int
file_len(int fd, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		map_err("!fstat");
		return -1;
	}
	if (st.st_size < 0) {
		errno = EINVAL;
		map_err("negative file size");
		return -1;
	}
	*len = (size_t)st.st_size;
	return 0;
}

/* map_fd -- MAP_SYNC first, as libpmem does; plain MAP_SHARED where the
 * file (domain) cannot have it */
static void *
map_fd(int fd, size_t len)
{
	void *addr = mmap(NULL, len, PROT_READ | PROT_WRITE,
			MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
	if (addr == MAP_FAILED && (errno == EOPNOTSUPP || errno == EINVAL))
		addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
				fd, 0);
	if (addr == MAP_FAILED) {
		map_err("!mmap");
		return NULL;
	}
	return addr;
}

/* map_open -- open (or create) the file pmem_map_file names */
static int
map_open(const char *path, int flags, mode_t mode, char *tmp, size_t tmp_len)
{
	int fd;
	if (flags & PMEM_FILE_TMPFILE)
		fd = open_tmpfile(path, tmp, tmp_len);
	else
		fd = open(path, O_RDWR |
				((flags & PMEM_FILE_CREATE) ? O_CREAT : 0) |
				((flags & PMEM_FILE_EXCL) ? O_EXCL : 0), mode);
	if (fd < 0)
		map_err("!open %s", path);
	return fd;
}

/* map_result -- what pmem_map_file returns for a mapping made (or not);
 * is_pmem < 0: ask pmem_is_pmem */
static void *
map_result(void *addr, size_t len, int is_pmem, size_t *mapped_lenp,
		int *is_pmemp)
{
	if (addr != NULL && mapped_lenp != NULL)
		*mapped_lenp = len;
	if (addr != NULL && is_pmemp != NULL)
		*is_pmemp = is_pmem >= 0 ? is_pmem : pmem_is_pmem(addr, len);
	return addr;
}

/*
 * map_devdax -- pmem_map_file of a device DAX, as libpmem: the whole
 * device whatever len says, flags other than CREATE and SPARSE refused,
 * and is_pmem 1
 */
static void *
map_devdax(const char *path, int flags, size_t *mapped_lenp, int *is_pmemp)
{
	if (flags & ~(PMEM_FILE_CREATE | PMEM_FILE_SPARSE)) {
		errno = EINVAL;
		map_err("flag unsupported for Device DAX");
		return NULL;
	}
	int fd = open(path, O_RDWR);
	if (fd < 0) {
		map_err("!open %s", path);
		return NULL;
	}
	const struct shim_region *r = shim_fd_region(fd);
	size_t len = r != NULL ? r->len : 0;
	errno = EINVAL;
	void *addr = len != 0 ? map_fd(fd, len) : NULL;
	int oerrno = errno;
	close(fd);
	errno = oerrno;
	return map_result(addr, len, 1, mapped_lenp, is_pmemp);
}

/* map_file -- pmem_map_file's work, through the interposed calls */
static void *
map_file(const char *path, size_t len, int flags, mode_t mode,
		size_t *mapped_lenp, int *is_pmemp)
{
	char tmp[PATH_MAX] = "";
	void *addr = NULL;
	if (shim_devdax_name(path) && !(flags & PMEM_FILE_TMPFILE))
		return map_devdax(path, flags, mapped_lenp, is_pmemp);
	if (!map_args_valid(len, flags))
		return NULL;
	int fd = map_open(path, flags, mode, tmp, sizeof(tmp));
	if (fd < 0)
		return NULL;
	int ret = (flags & PMEM_FILE_CREATE) ?
		size_file(fd, len, flags & PMEM_FILE_SPARSE) :
		file_len(fd, &len);
	if (ret == 0)
		addr = map_fd(fd, len);
	int oerrno = errno;
	close(fd);
	/* a temporary file lives as long as its mapping; a file this call
	 * created exclusively does not outlive a failure */
	if (tmp[0] != '\0' || (addr == NULL && (flags & PMEM_FILE_CREATE) &&
			(flags & PMEM_FILE_EXCL)))
		unlink(tmp[0] != '\0' ? tmp : path);
	errno = oerrno;
	return map_result(addr, len, -1, mapped_lenp, is_pmemp);
}

/* path_emulated -- the file (for TMPFILE: a file in the directory) is
 * under the pmem dir */
static bool
path_emulated(const char *path, int flags)
{
	char probe[PATH_MAX];
	if (!(flags & PMEM_FILE_TMPFILE))
		return shim_path_is_pmem(path);
	int n = snprintf(probe, sizeof(probe), "%s/pmem.probe", path);
	return n > 0 && (size_t)n < sizeof(probe) && shim_path_is_pmem(probe);
}

void *
pmem_map_file(const char *path, size_t len, int flags, mode_t mode,
		size_t *mapped_lenp, int *is_pmemp)
{
	if (path != NULL && !path_emulated(path, flags)) {
		__typeof__(&pmem_map_file) real = REAL_V(pmem_map_file);
		if (real != NULL) {
			void *addr = real(path, len, flags, mode, mapped_lenp,
					is_pmemp);
			__typeof__(&pmem_errormsg) msg = REAL_V(pmem_errormsg);
			if (addr == NULL && msg != NULL)
				map_err("%s", msg());
			return addr;
		}
	}
	if (path == NULL) {
		errno = EINVAL;
		map_err("invalid path");
		return NULL;
	}
	return map_file(path, len, flags, mode, mapped_lenp, is_pmemp);
}

/* pmem_unmap -- munmap, which the shim sees: a clean shutdown of the
 * range (MODEL.md) */
int
pmem_unmap(void *addr, size_t len)
{
	if (!pmemi_touches_emulated(addr, len ? len : 1)) {
		__typeof__(&pmem_unmap) real = REAL_V(pmem_unmap);
		if (real != NULL)
			return real(addr, len);
	}
	int ret = munmap(addr, len);
	if (ret != 0)
		map_err("!munmap");
	return ret;
}

/* pmem_msync -- msync(MS_SYNC) of the range rounded out to pages, as
 * libpmem does; the shim's msync turns it into events */
int
pmem_msync(const void *addr, size_t len)
{
	int ret = pmemi_msync(addr, len);
	if (ret != 0)
		map_err("!msync");
	return ret;
}

/* pmem_deep_drain -- on a file (not device DAX) libpmem msyncs the range */
int
pmem_deep_drain(const void *addr, size_t len)
{
	return len == 0 ? 0 : pmem_msync(addr, len);
}

/* pmem_deep_persist -- deep flush, then deep drain */
int
pmem_deep_persist(const void *addr, size_t len)
{
	pmem_deep_flush(addr, len);
	return pmem_deep_drain(addr, len);
}

/* pmem_check_version -- the interposed API is libpmem 1.1's */
const char *
pmem_check_version(unsigned major_required, unsigned minor_required)
{
	__typeof__(&pmem_check_version) real = REAL_V(pmem_check_version);
	if (real != NULL)
		return real(major_required, minor_required);
	if (major_required != PMEM_MAJOR_VERSION) {
		map_err("libpmem major version mismatch (need %u, found %u)",
				major_required, PMEM_MAJOR_VERSION);
		return map_errmsg;
	}
	if (minor_required > PMEM_MINOR_VERSION) {
		map_err("libpmem minor version mismatch (need %u, found %u)",
				minor_required, PMEM_MINOR_VERSION);
		return map_errmsg;
	}
	return NULL;
}

/* pmem_errormsg -- this thread's last error from an interposed call */
const char *
pmem_errormsg(void)
{
	return map_errmsg;
}
