/*
 * test_insn_cache.c -- the on-disk scan cache (insn_cache.c): a stored
 * entry loads back as it was; another key, a corrupt, truncated or
 * foreign file is a miss; the key follows the build-id, else the file's
 * identity; the directory comes from PMEMU_CACHE_DIR, XDG or HOME
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <ucontext.h>
#include <unistd.h>
#include <cmocka.h>

#include "insn.h"

static char dir[] = "/tmp/test_insn_cache.XXXXXX";

static const struct insn_site sample[3] = {
	{ .addr = 0x1040, .len = 4, .kind = INSN_CLWB, .base = REG_RDI,
		.index = INSN_REG_NONE, .scale = 1, .src = INSN_REG_NONE,
		.orig = 0x66 },
	{ .addr = 0x2000, .len = 5, .kind = INSN_NT_VEC, .base = INSN_REG_RIP,
		.index = REG_RCX, .scale = 8, .disp = -24, .seg = 0x64,
		.regfile = INSN_RF_XMM, .src = 17, .width = 64, .orig = 0x62 },
	{ .addr = 0x3010, .len = INSN_CLIENT_REQ_LEN, .kind = INSN_CLIENT_REQ,
		.base = INSN_REG_NONE, .index = INSN_REG_NONE,
		.src = INSN_REG_NONE, .orig = 0x48, .vg_answer = 1 },
};

/* the only file in dir */
static void
cache_file(char *path, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	path[0] = '\0';
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			snprintf(path, len, "%s/%s", dir, e->d_name);
	closedir(d);
	assert_true(path[0] != '\0');
}

static void
store_sample(const char *key)
{
	struct insn_cache_entry e = { (struct insn_site *)sample, 3, 7 };
	insn_cache_store(dir, key, &e);
}

static void
test_stored_entry_loads_back(void **state)
{
	(void)state;
	store_sample("key one");
	struct insn_cache_entry e;
	assert_int_equal(insn_cache_load(dir, "key one", &e), 0);
	assert_int_equal(e.nsites, 3);
	assert_int_equal(e.locked, 7);
	for (size_t i = 0; i < 3; i++)
		assert_memory_equal(&e.sites[i], &sample[i], sizeof(sample[i]));
	free(e.sites);
	assert_int_equal(insn_cache_load(dir, "key two", &e), -1);
}

/* rewrite -- the file of "key one" with byte at off changed, or cut */
static void
damage(long off, bool truncate)
{
	char path[PATH_MAX];
	store_sample("key one");
	cache_file(path, sizeof(path));
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	if (truncate) {
		assert_int_equal(ftruncate(fileno(f), off), 0);
	} else {
		fseek(f, off, SEEK_SET);
		int c = fgetc(f);
		fseek(f, off, SEEK_SET);
		fputc(c ^ 0x10, f);
	}
	fclose(f);
}

static void
test_damaged_file_is_a_miss(void **state)
{
	(void)state;
	struct insn_cache_entry e;
	long offs[] = { 0, 8, 12, 16, 40, 50, 60, 100, 140 };
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		damage(offs[i], false);
		assert_int_equal(insn_cache_load(dir, "key one", &e), -1);
		damage(offs[i], true);
		assert_int_equal(insn_cache_load(dir, "key one", &e), -1);
	}
	store_sample("key one"); /* rewritten: good again */
	assert_int_equal(insn_cache_load(dir, "key one", &e), 0);
	free(e.sites);
}

static void
test_foreign_key_is_a_miss(void **state)
{
	(void)state;
	char one[PATH_MAX], two[PATH_MAX];
	struct insn_cache_entry e;
	store_sample("key two");
	cache_file(two, sizeof(two));
	store_sample("key one");
	assert_int_equal(insn_cache_load(dir, "key one", &e), 0);
	free(e.sites);
	unlink(two);
	cache_file(one, sizeof(one));
	assert_int_equal(rename(one, two), 0); /* key one's bytes, two's name */
	assert_int_equal(insn_cache_load(dir, "key two", &e), -1);
}

static void
test_bad_record_is_a_miss(void **state)
{
	(void)state;
	struct insn_site bad = sample[0];
	bad.base = 40; /* no such register in the frame */
	struct insn_cache_entry in = { &bad, 1, 0 }, out;
	insn_cache_store(dir, "bad", &in);
	assert_int_equal(insn_cache_load(dir, "bad", &out), -1);
	bad = sample[0];
	bad.kind = INSN_LOCKED; /* never patched */
	insn_cache_store(dir, "bad", &in);
	assert_int_equal(insn_cache_load(dir, "bad", &out), -1);
}

static void
test_unwritable_dir_is_no_error(void **state)
{
	(void)state;
	struct insn_cache_entry e = { (struct insn_site *)sample, 3, 0 };
	insn_cache_store("/proc/no-such-dir", "k", &e);
	assert_int_equal(insn_cache_load("/proc/no-such-dir", "k", &e), -1);
}

static int
main_phdrs(struct dl_phdr_info *info, size_t size, void *ctx)
{
	(void)size;
	*(struct dl_phdr_info *)ctx = *info;
	return 1; /* the first object is the program */
}

static void
test_key_follows_build_id_else_file(void **state)
{
	(void)state;
	struct dl_phdr_info info;
	dl_iterate_phdr(main_phdrs, &info);
	struct insn_cache_module m = { info.dlpi_addr, info.dlpi_phdr,
		info.dlpi_phnum, "/proc/self/exe", 0 };
	char k0[PATH_MAX + 512], k1[sizeof(k0)], k2[sizeof(k0)];
	assert_int_equal(insn_cache_key(&m, k0, sizeof(k0)), 0);
	assert_non_null(strstr(k0, "build-id "));
	m.flags = 1;
	assert_int_equal(insn_cache_key(&m, k1, sizeof(k1)), 0);
	assert_string_not_equal(k0, k1);
	/* no notes: the file's identity, which its mtime changes */
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/module", dir);
	FILE *f = fopen(path, "w");
	fclose(f);
	m.phnum = 0;
	m.path = path;
	assert_int_equal(insn_cache_key(&m, k1, sizeof(k1)), 0);
	assert_non_null(strstr(k1, path));
	struct timespec t[2] = { { 1, 0 }, { 1, 0 } };
	assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
	assert_int_equal(insn_cache_key(&m, k2, sizeof(k2)), 0);
	assert_string_not_equal(k1, k2);
	unlink(path);
	assert_int_equal(insn_cache_key(&m, k2, sizeof(k2)), -1);
}

static void
test_dir_from_environment(void **state)
{
	(void)state;
	char want[PATH_MAX];
	snprintf(want, sizeof(want), "%s/sub", dir);
	setenv("PMEMU_CACHE_DIR", want, 1);
	assert_string_equal(insn_cache_dir(), want);
	setenv("PMEMU_CACHE_DIR", "", 1);
	assert_null(insn_cache_dir());
	unsetenv("PMEMU_CACHE_DIR");
	setenv("XDG_CACHE_HOME", dir, 1);
	snprintf(want, sizeof(want), "%s/pmemu", dir);
	assert_string_equal(insn_cache_dir(), want);
	unsetenv("XDG_CACHE_HOME");
	setenv("HOME", dir, 1);
	snprintf(want, sizeof(want), "%s/.cache/pmemu", dir);
	assert_string_equal(insn_cache_dir(), want);
	setenv("PMEMU_CACHE_DIR", "/proc/none", 1);
	assert_null(insn_cache_dir()); /* cannot be made: no cache */
	/* another user could plant scans there: no cache */
	snprintf(want, sizeof(want), "%s/shared", dir);
	assert_int_equal(mkdir(want, 0777), 0);
	assert_int_equal(chmod(want, 01777), 0);
	setenv("PMEMU_CACHE_DIR", want, 1);
	assert_null(insn_cache_dir());
	snprintf(want, sizeof(want), "%s/link", dir);
	assert_int_equal(symlink(dir, want), 0);
	setenv("PMEMU_CACHE_DIR", want, 1);
	assert_null(insn_cache_dir());
	unlink(want);
	snprintf(want, sizeof(want), "%s/shared", dir);
	rmdir(want);
}

static int
clean_dir(void **state)
{
	(void)state;
	char path[PATH_MAX];
	DIR *d = opendir(dir);
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' || e->d_name[1] == 'c') {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	closedir(d);
	return 0;
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_stored_entry_loads_back,
				clean_dir),
		cmocka_unit_test_teardown(test_damaged_file_is_a_miss,
				clean_dir),
		cmocka_unit_test_teardown(test_foreign_key_is_a_miss,
				clean_dir),
		cmocka_unit_test_teardown(test_bad_record_is_a_miss,
				clean_dir),
		cmocka_unit_test_teardown(test_unwritable_dir_is_no_error,
				clean_dir),
		cmocka_unit_test_teardown(test_key_follows_build_id_else_file,
				clean_dir),
		cmocka_unit_test(test_dir_from_environment),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return failed;
}
