/* shim_devdax.c -- device DAX emulation (shim_devdax.h) */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>

#include "real.h"
#include "shim_devdax.h"

/* number -- a decimal of 1 to 6 digits at *s; *s past it, -1 if none */
static long
number(const char **s)
{
	long v = 0;
	int n = 0;
	while (n < 6 && **s >= '0' && **s <= '9') {
		v = v * 10 + (**s - '0');
		(*s)++;
		n++;
	}
	return n == 0 ? -1 : v;
}

/* name_numbers -- R and N of dax<R>.<N>, or false */
static bool
name_numbers(const char *path, long *region, long *ns)
{
	const char *slash = strrchr(path, '/');
	const char *s = slash ? slash + 1 : path;
	if (strncmp(s, "dax", 3) != 0)
		return false;
	s += 3;
	*region = number(&s);
	if (*region < 0 || *s++ != '.')
		return false;
	*ns = number(&s);
	return *ns >= 0 && *s == '\0';
}

bool
shim_devdax_name(const char *path)
{
	long r, n;
	return name_numbers(path, &r, &n);
}

bool
shim_devdax_region(const struct shim_region *r)
{
	return r != NULL && shim_devdax_name(r->path);
}

bool
shim_devdax_fd(int fd)
{
	return shim_devdax_region(shim_fd_region(fd));
}

void
shim_devdax_stat_fill(const char *path, struct stat *st)
{
	long r, n;
	if (!S_ISREG(st->st_mode) || !name_numbers(path, &r, &n))
		return;
	st->st_mode = S_IFCHR | (st->st_mode & 07777);
	st->st_rdev = makedev(SHIM_DEVDAX_MAJOR, (unsigned)(r * 256 + n));
	st->st_size = 0;
	st->st_blocks = 0;
	st->st_blksize = 4096;
}

int
shim_devdax_mmap_args(void **addr, size_t len, int *flags, off_t off)
{
	errno = EINVAL;
	if ((*flags & MAP_TYPE) == MAP_PRIVATE || len == 0 ||
			len % SHIM_DEVDAX_ALIGN || off % SHIM_DEVDAX_ALIGN)
		return -1;
	if (*flags & MAP_FIXED)
		return (uintptr_t)*addr % SHIM_DEVDAX_ALIGN ? -1 : 0;
	/* as the kernel's dax_get_unmapped_area: an aligned free range */
	uint8_t *res = REAL(mmap)(NULL, len + SHIM_DEVDAX_ALIGN, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		return -1;
	uintptr_t lo = ((uintptr_t)res + SHIM_DEVDAX_ALIGN - 1) &
		~(uintptr_t)(SHIM_DEVDAX_ALIGN - 1);
	if (lo > (uintptr_t)res)
		REAL(munmap)(res, lo - (uintptr_t)res);
	uintptr_t end = (uintptr_t)res + len + SHIM_DEVDAX_ALIGN;
	if (end > lo + len)
		REAL(munmap)((void *)(lo + len), end - (lo + len));
	*addr = (void *)lo;
	*flags |= MAP_FIXED;
	errno = 0;
	return 0;
}
