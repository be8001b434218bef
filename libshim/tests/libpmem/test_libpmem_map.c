/*
 * test_libpmem_map.c -- pmem_map_file's flags and errors, the version and
 * error calls, and libpmem2's getters and granularity per domain, against
 * a double of the shim core (paths containing "/pmem/" are "emulated", so
 * pmem_map_file does the work itself with libc's calls)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpmem.h>
#include <libpmem2.h>

#include "shim_fake.h"

static char dir[256];   /* .../pmem: "emulated" for the double */
static char path[300];

static int
setup_dir(void **state)
{
	(void)state;
	fake_reset();
	char top[] = "/tmp/pmemu-libpmem-XXXXXX";
	assert_non_null(mkdtemp(top));
	snprintf(dir, sizeof(dir), "%s/pmem", top);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/file", dir);
	return 0;
}

static int
teardown_dir(void **state)
{
	(void)state;
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[600];
	while (d != NULL && (e = readdir(d)) != NULL) {
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (e->d_name[0] != '.')
			unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
	*strrchr(dir, '/') = '\0';
	rmdir(dir);
	return 0;
}

static void
expect_map_error(size_t len, int flags, int err)
{
	errno = 0;
	assert_null(pmem_map_file(path, len, flags, 0600, NULL, NULL));
	assert_int_equal(errno, err);
	assert_true(strlen(pmem_errormsg()) > 0);
}

static void
test_map_invalid_args(void **state)
{
	(void)state;
	expect_map_error(4096, PMEM_FILE_CREATE | 0x100, EINVAL);
	expect_map_error(0, PMEM_FILE_CREATE, EINVAL);
	expect_map_error(4096, 0, EINVAL);
	expect_map_error(4096, PMEM_FILE_TMPFILE, EINVAL);
	expect_map_error(0, 0, ENOENT); /* no such file */
	assert_non_null(strstr(pmem_errormsg(), "open"));
}

static void
test_map_create_allocates(void **state)
{
	(void)state;
	size_t mapped_len = 0;
	int is_pmem = -1;
	char *a = pmem_map_file(path, 8192, PMEM_FILE_CREATE, 0600,
			&mapped_len, &is_pmem);
	assert_non_null(a);
	assert_int_equal(mapped_len, 8192);
	assert_int_equal(is_pmem, 0); /* the double emulates no mapping */
	strcpy(a + 4096, "hello");
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 8192);
	assert_true(st.st_blocks * 512 >= 8192);
	assert_int_equal(pmem_unmap(a, mapped_len), 0);
	/* len 0 without CREATE: the whole existing file */
	a = pmem_map_file(path, 0, 0, 0, &mapped_len, NULL);
	assert_non_null(a);
	assert_int_equal(mapped_len, 8192);
	assert_string_equal(a + 4096, "hello");
	assert_int_equal(pmem_unmap(a, mapped_len), 0);
}

static void
test_map_create_truncates_existing(void **state)
{
	(void)state;
	size_t mapped_len = 0;
	char *a = pmem_map_file(path, 3 * 4096, PMEM_FILE_CREATE, 0600,
			&mapped_len, NULL);
	assert_non_null(a);
	pmem_unmap(a, mapped_len);
	a = pmem_map_file(path, 4096, PMEM_FILE_CREATE, 0600, &mapped_len,
			NULL);
	assert_non_null(a);
	assert_int_equal(mapped_len, 4096);
	pmem_unmap(a, mapped_len);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 4096);
}

static void
test_map_sparse(void **state)
{
	(void)state;
	size_t mapped_len = 0;
	char *a = pmem_map_file(path, 1 << 20,
			PMEM_FILE_CREATE | PMEM_FILE_SPARSE, 0600, &mapped_len,
			NULL);
	assert_non_null(a);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 1 << 20);
	assert_true(st.st_blocks * 512 < (1 << 20));
	pmem_unmap(a, mapped_len);
}

static void
test_map_excl(void **state)
{
	(void)state;
	size_t mapped_len = 0;
	char *a = pmem_map_file(path, 4096, PMEM_FILE_CREATE | PMEM_FILE_EXCL,
			0600, &mapped_len, NULL);
	assert_non_null(a);
	pmem_unmap(a, mapped_len);
	expect_map_error(4096, PMEM_FILE_CREATE | PMEM_FILE_EXCL, EEXIST);
	/* the failed call did not remove the file it did not create */
	assert_int_equal(access(path, F_OK), 0);
}

static void
test_map_tmpfile_leaves_no_name(void **state)
{
	(void)state;
	size_t mapped_len = 0;
	char *a = pmem_map_file(dir, 4096,
			PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0, &mapped_len,
			NULL);
	assert_non_null(a);
	assert_int_equal(mapped_len, 4096);
	strcpy(a, "scratch");
	DIR *d = opendir(dir);
	struct dirent *e;
	int names = 0;
	while ((e = readdir(d)) != NULL)
		names += e->d_name[0] != '.';
	closedir(d);
	assert_int_equal(names, 0);
	assert_int_equal(pmem_unmap(a, mapped_len), 0);
}

static void
test_msync_rounds_to_pages(void **state)
{
	(void)state;
	size_t mapped_len = 0;
	char *a = pmem_map_file(path, 8192, PMEM_FILE_CREATE, 0600,
			&mapped_len, NULL);
	assert_non_null(a);
	/* unaligned: the kernel's msync would say EINVAL; libpmem rounds */
	assert_int_equal(pmem_msync(a + 100, 5000), 0);
	assert_int_equal(pmem_deep_persist(a + 100, 10), 0);
	assert_int_equal(pmem_deep_drain(a, 0), 0);
	pmem_unmap(a, mapped_len);
}

static void
test_check_version(void **state)
{
	(void)state;
	assert_null(pmem_check_version(PMEM_MAJOR_VERSION, 0));
	assert_null(pmem_check_version(PMEM_MAJOR_VERSION,
			PMEM_MINOR_VERSION));
	assert_non_null(strstr(pmem_check_version(2, 0), "major"));
	assert_non_null(strstr(pmem_check_version(1, 99), "minor"));
}

/* ---- libpmem2 ---- */

static struct pmem2_map *
pmem2_map_file(int *fdp)
{
	int fd = open(path, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 2 * 4096), 0);
	struct pmem2_config *cfg;
	struct pmem2_source *src;
	struct pmem2_map *map = NULL;
	assert_int_equal(pmem2_config_new(&cfg), 0);
	assert_int_equal(pmem2_config_set_required_store_granularity(cfg,
			PMEM2_GRANULARITY_PAGE), 0);
	assert_int_equal(pmem2_source_from_fd(&src, fd), 0);
	assert_int_equal(pmem2_map_new(&map, cfg, src), 0);
	pmem2_source_delete(&src);
	pmem2_config_delete(&cfg);
	*fdp = fd;
	return map;
}

static void
pmem2_unmap_file(struct pmem2_map *map, int fd)
{
	assert_int_equal(pmem2_map_delete(&map), 0);
	close(fd);
}

static void
test_pmem2_not_emulated_is_libpmem2s(void **state)
{
	(void)state;
	int fd;
	struct pmem2_map *map = pmem2_map_file(&fd);
	pmem2_persist_fn real_persist = pmem2_get_persist_fn(map);
	assert_non_null(real_persist);
	char *a = pmem2_map_get_address(map);
	strcpy(a, "native");
	real_persist(a, 7);
	assert_int_equal(fake_nevents, 0);
	/* /tmp is no DAX: libpmem2 itself says page */
	assert_int_equal(pmem2_map_get_store_granularity(map),
			PMEM2_GRANULARITY_PAGE);
	fake_map(a, pmem2_map_get_size(map), MODEL_DOMAIN_ADR);
	assert_ptr_not_equal(pmem2_get_persist_fn(map), real_persist);
	pmem2_unmap_file(map, fd);
}

static void
test_pmem2_adr(void **state)
{
	(void)state;
	int fd;
	struct pmem2_map *map = pmem2_map_file(&fd);
	char *a = pmem2_map_get_address(map);
	fake_map(a, pmem2_map_get_size(map), MODEL_DOMAIN_ADR);
	assert_int_equal(pmem2_map_get_store_granularity(map),
			PMEM2_GRANULARITY_CACHE_LINE);
	pmem2_get_persist_fn(map)(a, 10);
	pmem2_get_flush_fn(map)(a, 10);
	pmem2_get_drain_fn(map)();
	pmem2_get_memcpy_fn(map)(a, "x", 2, PMEM2_F_MEM_NONTEMPORAL);
	pmem2_get_memmove_fn(map)(a, "y", 2, PMEM2_F_MEM_NODRAIN);
	pmem2_get_memset_fn(map)(a, 'z', 2, PMEM2_F_MEM_NOFLUSH);
	const enum model_ev want[] = { MODEL_EV_CLWB, MODEL_EV_SFENCE,
		MODEL_EV_CLWB, MODEL_EV_SFENCE, MODEL_EV_NT_STORE,
		MODEL_EV_SFENCE, MODEL_EV_STORE, MODEL_EV_CLWB,
		MODEL_EV_STORE };
	assert_int_equal(fake_nevents, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < fake_nevents; i++)
		assert_int_equal(fake_events[i].kind, want[i]);
	assert_int_equal(a[0], 'z');
	assert_int_equal(pmem2_deep_flush(map, a, 4096), 0);
	assert_int_equal(pmem2_deep_flush(map, a + 4096, 8192),
			PMEM2_E_DEEP_FLUSH_RANGE);
	pmem2_unmap_file(map, fd);
}

static void
test_pmem2_eadr_and_pagecache(void **state)
{
	(void)state;
	int fd;
	struct pmem2_map *map = pmem2_map_file(&fd);
	char *a = pmem2_map_get_address(map);
	fake_map(a, pmem2_map_get_size(map), MODEL_DOMAIN_EADR);
	assert_int_equal(pmem2_map_get_store_granularity(map),
			PMEM2_GRANULARITY_BYTE);
	pmem2_get_persist_fn(map)(a, 10);
	assert_int_equal(fake_nevents, 1);
	assert_int_equal(fake_events[0].kind, MODEL_EV_SFENCE);

	fake_reset();
	fake_map(a, pmem2_map_get_size(map), MODEL_DOMAIN_PAGECACHE);
	assert_int_equal(pmem2_map_get_store_granularity(map),
			PMEM2_GRANULARITY_PAGE);
	/* page granularity: persist is msync (the shim's msync emits) */
	pmem2_get_persist_fn(map)(a + 10, 10);
	pmem2_get_drain_fn(map)();
	assert_int_equal(fake_nevents, 0);
	pmem2_get_memcpy_fn(map)(a, "page", 5, 0);
	assert_int_equal(fake_nevents, 1);
	assert_int_equal(fake_events[0].kind, MODEL_EV_STORE);
	assert_string_equal(a, "page");
	pmem2_unmap_file(map, fd);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)
	const struct CMUnitTest tests[] = {
		T(test_map_invalid_args),
		T(test_map_create_allocates),
		T(test_map_create_truncates_existing),
		T(test_map_sparse),
		T(test_map_excl),
		T(test_map_tmpfile_leaves_no_name),
		T(test_msync_rounds_to_pages),
		T(test_check_version),
		T(test_pmem2_not_emulated_is_libpmem2s),
		T(test_pmem2_adr),
		T(test_pmem2_eadr_and_pagecache),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
