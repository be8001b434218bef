/* test_shim_options.c -- the PMEMU_* table: defaults, values, rejects */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "shim_badblock_spec.h"
#include "shim_options.h"

static int
parse(char **env, struct shim_options *o, char *err)
{
	return shim_options_parse(env, o, err, 256);
}

static void
test_defaults(void **state)
{
	(void)state;
	char *env[] = { "HOME=/root", NULL };
	struct shim_options o;
	char err[256];
	assert_int_equal(parse(env, &o, err), 0);
	assert_null(o.pmem_dir);
	assert_int_equal(o.domain, MODEL_DOMAIN_ADR);
	assert_int_equal(o.line_len, 64);
	assert_int_equal(o.sector_len, 512);
	assert_false(o.clflush_weak);
	assert_int_equal(o.error_exitcode, -1);
	assert_string_equal(o.tmpdir, "/dev/shm");
	assert_int_equal(o.trace_version, 0); /* the writer's default */
}

static void
test_every_option(void **state)
{
	(void)state;
	char *env[] = { "PMEMU_PMEM_DIR=/mnt/pmem", "PMEMU_DOMAIN=pagecache",
		"PMEMU_LINE=256", "PMEMU_CLFLUSH=weak", "PMEMU_SECTOR=4096",
		"PMEMU_ERROR_EXITCODE=7", "PMEMU_LOG_FILE=log",
		"PMEMU_QUIET=1", "PMEMU_TRACE=/t", "PMEMU_TMPDIR=/tmp",
		"PMEMU_STATE=3", "PMEMU_TRACE_VERSION=1", NULL };
	struct shim_options o;
	char err[256];
	assert_int_equal(parse(env, &o, err), 0);
	assert_string_equal(o.pmem_dir, "/mnt/pmem");
	assert_int_equal(o.domain, MODEL_DOMAIN_PAGECACHE);
	assert_int_equal(o.line_len, 256);
	assert_true(o.clflush_weak);
	assert_int_equal(o.sector_len, 4096);
	assert_int_equal(o.error_exitcode, 7);
	assert_true(o.quiet);
	assert_string_equal(o.trace_path, "/t");
	assert_int_equal(o.trace_version, 1);
	assert_string_equal(o.tmpdir, "/tmp");
}

/* reject -- one variable that must stop the program, naming itself */
static void
reject(const char *entry, const char *must_say)
{
	char *env[] = { (char *)entry, NULL };
	struct shim_options o;
	char err[256] = "";
	assert_int_equal(parse(env, &o, err), -1);
	assert_non_null(strstr(err, must_say));
	assert_null(strchr(err, '\n'));
}

static void
test_malformed_values(void **state)
{
	(void)state;
	reject("PMEMU_DOMAIN=dax", "PMEMU_DOMAIN='dax'");
	reject("PMEMU_DOMAIN=", "--domain");
	reject("PMEMU_LINE=48", "power of two");
	reject("PMEMU_LINE=64k", "PMEMU_LINE");
	reject("PMEMU_LINE=8192", "PMEMU_LINE");
	reject("PMEMU_LINE=32", "from 64 to 4096");
	reject("PMEMU_LINE=-64", "PMEMU_LINE");
	reject("PMEMU_SECTOR=1024", "512 or 4096");
	reject("PMEMU_CLFLUSH=maybe", "strong or weak");
	reject("PMEMU_ERROR_EXITCODE=256", "0 to 255");
	reject("PMEMU_QUIET=yes", "0 or 1");
	reject("PMEMU_PMEM_DIR=relative/dir", "absolute");
	reject("PMEMU_REPORT=rel", "PMEMU_REPORT");
	reject("PMEMU_TRACE_VERSION=3", "1 or 2");
	reject("PMEMU_TRACE_VERSION=", "PMEMU_TRACE_VERSION");
}

/* latency -- the flush and fence costs PMEMU_LATENCY=v sets */
static void
latency(const char *v, uint32_t flush, uint32_t fence)
{
	char entry[64];
	snprintf(entry, sizeof(entry), "PMEMU_LATENCY=%s", v);
	char *env[] = { entry, NULL };
	struct shim_options o;
	char err[256];
	assert_int_equal(parse(env, &o, err), 0);
	assert_int_equal(o.latency_flush_ns, flush);
	assert_int_equal(o.latency_fence_ns, fence);
}

static void
test_latency(void **state)
{
	(void)state;
	char *env[] = { NULL };
	struct shim_options o;
	char err[256];
	assert_int_equal(parse(env, &o, err), 0);
	assert_int_equal(o.latency_flush_ns, 0); /* off by default */
	assert_int_equal(o.latency_fence_ns, 0);
	latency("optane", SHIM_LATENCY_OPTANE_FLUSH_NS,
			SHIM_LATENCY_OPTANE_FENCE_NS);
	latency("flush=100,fence=250", 100, 250);
	latency("fence=7,flush=3", 3, 7);
	latency("fence=1000000", 0, 1000000);
	latency("flush=0", 0, 0);
	reject("PMEMU_LATENCY=", "--latency");
	reject("PMEMU_LATENCY=flush", "flush=NS,fence=NS");
	reject("PMEMU_LATENCY=flush=", "PMEMU_LATENCY");
	reject("PMEMU_LATENCY=flush=1000001", "0 to 1000000");
	reject("PMEMU_LATENCY=flush=-1", "PMEMU_LATENCY");
	reject("PMEMU_LATENCY=flush=5ns", "PMEMU_LATENCY");
	reject("PMEMU_LATENCY=store=5", "PMEMU_LATENCY");
	reject("PMEMU_LATENCY=flush=5,", "PMEMU_LATENCY");
	reject("PMEMU_LATENCY=,fence=5", "PMEMU_LATENCY");
	reject("PMEMU_LATENCY=Optane", "PMEMU_LATENCY");
}

/* --badblock: FILE:OFFSET:LEN, comma-separated, FILE may hold ':' */
static void
test_badblock_specs(void **state)
{
	(void)state;
	const char *s = "pool:0x1040:64,a:b.img:8:1";
	char file[64];
	uint64_t off, len;
	assert_int_equal(shim_badblock_next(&s, file, sizeof(file), &off,
		&len), 1);
	assert_string_equal(file, "pool");
	assert_int_equal(off, 0x1040);
	assert_int_equal(len, 64);
	assert_int_equal(shim_badblock_next(&s, file, sizeof(file), &off,
		&len), 1);
	assert_string_equal(file, "a:b.img");
	assert_int_equal(off, 8);
	assert_int_equal(len, 1);
	assert_int_equal(shim_badblock_next(&s, file, sizeof(file), &off,
		&len), 0);
	static const char *bad[] = { "pool:1", ":0:1", "/abs:0:1",
		"../up:0:1", "d/../../up:0:1", "pool:0:0", "pool:-1:4",
		"pool:1:x", "pool:0:1,", "pool:0:1,,q:0:1",
		"pool:18446744073709551615:2" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *env[] = { NULL, NULL };
		char e[128];
		snprintf(e, sizeof(e), "PMEMU_BADBLOCK=%s", bad[i]);
		env[0] = e;
		struct shim_options o;
		char err[256];
		assert_int_equal(parse(env, &o, err), -1);
		assert_non_null(strstr(err, "--badblock / PMEMU_BADBLOCK="));
	}
	char *env[] = { "PMEMU_BADBLOCK=pool:0:64,pool:4096:1", NULL };
	struct shim_options o;
	char err[256];
	assert_int_equal(parse(env, &o, err), 0);
	assert_string_equal(o.badblocks, "pool:0:64,pool:4096:1");
}

static void
test_unknown_variable(void **state)
{
	(void)state;
	reject("PMEMU_FOO=1", "unknown variable PMEMU_FOO");
	reject("PMEMU_DOMAINS=adr", "PMEMU_DOMAINS");
	reject("PMEMU_=x", "PMEMU_");
}

static void
test_other_prefixes_pass(void **state)
{
	(void)state;
	char *env[] = { "PMEMUX=1", "PMEMU=1", "XPMEMU_FOO=1", NULL };
	struct shim_options o;
	char err[256];
	assert_int_equal(parse(env, &o, err), 0);
}

static void
test_table_is_sane(void **state)
{
	(void)state;
	size_t n;
	const struct shim_env_var *t = shim_env_table(&n);
	assert_true(n >= 12);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(strncmp(t[i].name, "PMEMU_", 6), 0);
		for (size_t j = i + 1; j < n; j++)
			assert_string_not_equal(t[i].name, t[j].name);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_option),
		cmocka_unit_test(test_malformed_values),
		cmocka_unit_test(test_latency),
		cmocka_unit_test(test_badblock_specs),
		cmocka_unit_test(test_unknown_variable),
		cmocka_unit_test(test_other_prefixes_pass),
		cmocka_unit_test(test_table_is_sane),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
