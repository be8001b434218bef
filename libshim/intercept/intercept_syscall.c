/*
 * intercept_syscall.c -- glibc's syscall(): a program that writes,
 * opens, maps, syncs, stats or closes through syscall(SYS_write, ...)
 * instead of the libc wrappers bypassed every interposer (a raw openat gave it
 * the media's descriptor, a raw write to a view reached it untraced: "no
 * findings" for a write never synced). The numbers that act on files,
 * descriptors or mappings go to the interposers of the same calls; the
 * others (futex, gettid, ...) to the real syscall(), the buffers of
 * those that write into the caller's memory (fstat, pipe2, wait4...)
 * opened first when they are emulated pmem (shim_kernel_fill.c). A
 * system call made by an instruction of the program's own (inline asm)
 * is out of reach.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shim_file.h"
#include "shim_intercept.h"
#include "shim_kernel_fill.h"

#define P(i) ((void *)a[i])
#define I(i) ((int)a[i])

/*
 * resolves -- (dirfd, path) resolves as how->resolve requires, asked of
 * the kernel itself: an O_PATH openat2 with the same RESOLVE_* flags
 * (errno set when not). A file the open would create is not there yet:
 * its directory is asked instead.
 */
static bool
resolves(int dirfd, const char *path, const struct open_how *how)
{
	struct open_how probe = { .flags = O_PATH | O_CLOEXEC,
		.resolve = how->resolve };
	long fd = REAL(syscall)(SYS_openat2, dirfd, path, &probe,
		sizeof(probe));
	if (fd < 0 && errno == ENOENT && (how->flags & O_CREAT)) {
		char dir[PATH_MAX];
		const char *slash = strrchr(path, '/');
		size_t n = slash == NULL ? 0 : (size_t)(slash - path) + 1;
		if (n >= sizeof(dir))
			return false;
		memcpy(dir, path, n);
		strcpy(dir + n, ".");
		probe.flags |= O_DIRECTORY;
		fd = REAL(syscall)(SYS_openat2, dirfd, dir, &probe,
			sizeof(probe));
	}
	if (fd < 0)
		return false;
	REAL(close)((int)fd);
	return true;
}

/*
 * openat2 -- glibc 2.36 has no wrapper: its open_how's flags and mode
 * are openat's (a mode without O_CREAT refused, as the kernel does); for
 * a file the shim emulates, its RESOLVE_* restriction is checked by the
 * kernel first (resolves), then the open is the view's (never a
 * descriptor of the media); other files get the real system call
 */
static long
raw_openat2(const long *a)
{
	const struct open_how *how = P(2);
	const char *path = P(1);
	if ((size_t)a[3] < sizeof(*how) || how == NULL || path == NULL)
		return REAL(syscall)(SYS_openat2, a[0], a[1], a[2], a[3]);
	/* the kernel refuses a mode without O_CREAT or O_TMPFILE, which
	 * openat ignores */
	if ((how->mode & ~(uint64_t)07777) || (how->mode != 0 &&
			!(how->flags & (O_CREAT | O_TMPFILE)))) {
		errno = EINVAL;
		return -1;
	}
	/* under RESOLVE_IN_ROOT, "/" is dirfd itself */
	while ((how->resolve & RESOLVE_IN_ROOT) && path[0] == '/')
		path++;
	if (how->resolve != 0 && !shim_file_emulated_at(I(0), path,
			!(how->resolve & RESOLVE_NO_SYMLINKS)))
		return REAL(syscall)(SYS_openat2, a[0], a[1], a[2], a[3]);
	if (how->resolve != 0 && !resolves(I(0), P(1), how))
		return -1;
	return openat(I(0), path[0] != '\0' ? path : ".", (int)how->flags,
		(mode_t)how->mode);
}

/* routed -- the interposer of system call nr, true; false: none */
static bool
routed(long nr, const long *a, long *ret)
{
	switch (nr) {
	case SYS_write: *ret = write(I(0), P(1), a[2]); break;
	case SYS_pwrite64: *ret = pwrite64(I(0), P(1), a[2], a[3]); break;
	case SYS_writev: *ret = writev(I(0), P(1), I(2)); break;
	/* the kernel's offset is (pos_l, pos_h): pos_l alone on 64 bits */
	case SYS_pwritev: *ret = pwritev(I(0), P(1), I(2), a[3]); break;
	case SYS_pwritev2:
		*ret = pwritev2(I(0), P(1), I(2), a[3], I(5));
		break;
	case SYS_sendfile: *ret = sendfile(I(0), I(1), P(2), a[3]); break;
	case SYS_copy_file_range:
		*ret = copy_file_range(I(0), P(1), I(2), P(3), a[4],
			(unsigned)a[5]);
		break;
	case SYS_splice:
		*ret = splice(I(0), P(1), I(2), P(3), a[4], (unsigned)a[5]);
		break;
#ifdef SYS_open
	case SYS_open: *ret = open(P(0), I(1), (mode_t)a[2]); break;
	case SYS_creat: *ret = creat(P(0), (mode_t)a[1]); break;
	case SYS_dup2: *ret = dup2(I(0), I(1)); break;
	case SYS_rename: *ret = rename(P(0), P(1)); break;
#endif
	case SYS_openat:
		*ret = openat(I(0), P(1), I(2), (mode_t)a[3]);
		break;
	case SYS_openat2: *ret = raw_openat2(a); break;
	case SYS_close: *ret = close(I(0)); break;
	case SYS_dup: *ret = dup(I(0)); break;
	case SYS_dup3: *ret = dup3(I(0), I(1), I(2)); break;
	case SYS_fcntl: *ret = fcntl(I(0), I(1), a[2]); break;
	case SYS_recvmsg: *ret = recvmsg(I(0), P(1), I(2)); break;
	case SYS_pidfd_getfd:
		*ret = pidfd_getfd(I(0), I(1), (unsigned)a[2]);
		break;
	case SYS_renameat:
		*ret = renameat(I(0), P(1), I(2), P(3));
		break;
	case SYS_renameat2:
		*ret = renameat2(I(0), P(1), I(2), P(3), (unsigned)a[4]);
		break;
	case SYS_mmap:
		*ret = (long)mmap(P(0), a[1], I(2), I(3), I(4), a[5]);
		break;
	case SYS_munmap: *ret = munmap(P(0), a[1]); break;
	case SYS_mremap:
		*ret = (long)mremap(P(0), a[1], a[2], I(3), P(4));
		break;
	case SYS_mprotect: *ret = mprotect(P(0), a[1], I(2)); break;
	case SYS_madvise: *ret = madvise(P(0), a[1], I(2)); break;
	case SYS_msync: *ret = msync(P(0), a[1], I(2)); break;
	case SYS_fsync: *ret = fsync(I(0)); break;
	case SYS_fdatasync: *ret = fdatasync(I(0)); break;
	case SYS_sync: sync(); *ret = 0; break;
	case SYS_syncfs: *ret = syncfs(I(0)); break;
	case SYS_sync_file_range:
		*ret = sync_file_range(I(0), a[1], a[2], (unsigned)a[3]);
		break;
	case SYS_fstat: *ret = fstat(I(0), P(1)); break;
	case SYS_readlink: *ret = readlink(P(0), P(1), a[2]); break;
	case SYS_readlinkat:
		*ret = readlinkat(I(0), P(1), P(2), a[3]);
		break;
	case SYS_newfstatat: *ret = fstatat(I(0), P(1), P(2), I(3)); break;
	case SYS_statx:
		*ret = statx(I(0), P(1), I(2), (unsigned)a[3], P(4));
		break;
	case SYS_ftruncate: *ret = ftruncate(I(0), a[1]); break;
	case SYS_truncate: *ret = truncate(P(0), a[1]); break;
	case SYS_fallocate:
		*ret = fallocate(I(0), I(1), a[2], a[3]);
		break;
	default:
		return false;
	}
	return true;
}

/* syscall -- six arguments read, as glibc's own syscall() passes them
 * (the shim's own system calls are shim_syscall's, never this) */
SHIM_INTERCEPTOR(long, syscall, long nr, ...)
{
	SHIM_REAL_ENSURE();
	long a[6], ret;
	va_list ap;
	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (shim_depth == 0 && shim_active && routed(nr, a, &ret))
		return ret;
	int saved;
	if (shim_enter(&saved)) { /* a call that writes into emulated pmem */
		shim_kernel_fill(nr, a);
		shim_leave(saved);
	}
	return REAL(syscall)(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
