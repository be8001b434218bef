/* shim_options.c -- the PMEMU_* table, its parsers and the validation */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "shim_badblock_spec.h"
#include "shim_options.h"

static int
parse_pmem_dir(const char *v, struct shim_options *o)
{
	if (v[0] != '/' || strlen(v) >= PATH_MAX - 64)
		return -1; /* the CLI passes an absolute path */
	o->pmem_dir = v;
	return 0;
}

static int
parse_domain(const char *v, struct shim_options *o)
{
	if (strcmp(v, "adr") == 0)
		o->domain = MODEL_DOMAIN_ADR;
	else if (strcmp(v, "eadr") == 0)
		o->domain = MODEL_DOMAIN_EADR;
	else if (strcmp(v, "pagecache") == 0)
		o->domain = MODEL_DOMAIN_PAGECACHE;
	else if (strcmp(v, "cxl") == 0)
		o->domain = MODEL_DOMAIN_CXL;
	else
		return -1;
	return 0;
}

static int
parse_line(const char *v, struct shim_options *o)
{
	unsigned long n;
	/* a cache line: a power of two from 64 to 4096 bytes (the model
	 * needs a line to hold its 8-byte torn pieces as one mask) */
	if (parse_decimal(v, 64, 4096, &n) != 0 || (n & (n - 1)) != 0)
		return -1;
	o->line_len = (uint32_t)n;
	return 0;
}

static int
parse_clflush(const char *v, struct shim_options *o)
{
	if (strcmp(v, "strong") == 0)
		o->clflush_weak = false;
	else if (strcmp(v, "weak") == 0)
		o->clflush_weak = true;
	else
		return -1;
	return 0;
}

static int
parse_sector(const char *v, struct shim_options *o)
{
	if (strcmp(v, "512") == 0)
		o->sector_len = 512;
	else if (strcmp(v, "4096") == 0)
		o->sector_len = 4096;
	else
		return -1;
	return 0;
}

static int
parse_exitcode(const char *v, struct shim_options *o)
{
	unsigned long n;
	if (parse_decimal(v, 0, 255, &n) != 0)
		return -1;
	o->error_exitcode = (int)n;
	return 0;
}

static int
parse_nonempty(const char *v)
{
	return v[0] == '\0' ? -1 : 0;
}

static int
parse_log_file(const char *v, struct shim_options *o)
{
	o->log_file = v;
	return parse_nonempty(v);
}

/* parse_flag -- "0" or "1" */
static int
parse_flag(const char *v, bool *flag)
{
	if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
		return -1;
	*flag = v[0] == '1';
	return 0;
}

/* parse_off -- "0" or "1", kept as a switch that is on when "0" */
static int
parse_off(const char *v, bool *off)
{
	bool on;
	if (parse_flag(v, &on) != 0)
		return -1;
	*off = !on;
	return 0;
}

static int
parse_store_log(const char *v, struct shim_options *o)
{
	return parse_off(v, &o->store_log_off);
}

static int
parse_alias_stores(const char *v, struct shim_options *o)
{
	return parse_off(v, &o->alias_stores_off);
}

static int
parse_step_emul(const char *v, struct shim_options *o)
{
	return parse_off(v, &o->step_emul_off);
}

static int
parse_quiet(const char *v, struct shim_options *o)
{
	return parse_flag(v, &o->quiet);
}

static int
parse_ndctl(const char *v, struct shim_options *o)
{
	if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
		return -1;
	o->ndctl = v[1] == 'n';
	return 0;
}

static int
parse_patch(const char *v, struct shim_options *o)
{
	if (strcmp(v, "int3") != 0 && strcmp(v, "jump") != 0 &&
			strcmp(v, "jump-xsave") != 0)
		return -1;
	o->patch_int3 = v[0] == 'i';
	o->tramp_xsave = v[4] == '-';
	return 0;
}

static int
parse_report(const char *v, struct shim_options *o)
{
	o->report_path = v;
	return v[0] == '/' ? 0 : -1;
}

static int
parse_trace(const char *v, struct shim_options *o)
{
	o->trace_path = v;
	return v[0] == '/' ? 0 : -1;
}

static int
parse_trace_version(const char *v, struct shim_options *o)
{
	unsigned long n;
	if (parse_decimal(v, 1, 2, &n) != 0)
		return -1;
	o->trace_version = (uint32_t)n;
	return 0;
}

static int
parse_tmpdir(const char *v, struct shim_options *o)
{
	o->tmpdir = v;
	return v[0] == '/' ? 0 : -1;
}

static int
parse_root_pid(const char *v, struct shim_options *o)
{
	unsigned long n;
	if (parse_decimal(v, 1, INT_MAX, &n) != 0)
		return -1;
	o->root_pid = (long)n;
	return 0;
}

static int
parse_image(const char *v, struct shim_options *o)
{
	o->image_dir = v;
	return v[0] == '/' ? 0 : -1;
}

/* parse_latency -- "optane", or flush=NS,fence=NS (either, any order;
 * one left out is 0) */
static int
parse_latency(const char *v, struct shim_options *o)
{
	o->latency_flush_ns = o->latency_fence_ns = 0;
	if (strcmp(v, "optane") == 0) {
		o->latency_flush_ns = SHIM_LATENCY_OPTANE_FLUSH_NS;
		o->latency_fence_ns = SHIM_LATENCY_OPTANE_FENCE_NS;
		return 0;
	}
	char list[64];
	if (v[0] == '\0' || strlen(v) >= sizeof(list))
		return -1;
	strcpy(list, v);
	for (char *item = list, *next; item != NULL; item = next) {
		next = strchr(item, ',');
		if (next != NULL)
			*next++ = '\0';
		char *eq = strchr(item, '=');
		unsigned long ns;
		if (eq == NULL || parse_decimal(eq + 1, 0, SHIM_LATENCY_MAX_NS,
				&ns) != 0)
			return -1;
		*eq = '\0';
		if (strcmp(item, "flush") == 0)
			o->latency_flush_ns = (uint32_t)ns;
		else if (strcmp(item, "fence") == 0)
			o->latency_fence_ns = (uint32_t)ns;
		else
			return -1;
	}
	return 0;
}

/* parse_badblock -- FILE:OFFSET:LEN,...: the syntax here, the files
 * at start (region/shim_poison_option.c) */
static int
parse_badblock(const char *v, struct shim_options *o)
{
	char file[256];
	uint64_t off, len;
	int r;
	const char *s = v;
	while ((r = shim_badblock_next(&s, file, sizeof(file), &off, &len)) > 0)
		;
	o->badblocks = v;
	return r == 0 && *v != '\0' ? 0 : -1;
}

/* set by `pmemu explore` for a check and by the CLI for itself: known,
 * so a program run under them is not stopped, but not the shim's */
static int
parse_other(const char *v, struct shim_options *o)
{
	(void)v;
	(void)o;
	return 0;
}

static const struct shim_env_var env_table[] = {
	{ "PMEMU_PMEM_DIR", "--pmem-dir", "an absolute directory path",
		parse_pmem_dir },
	{ "PMEMU_DOMAIN", "--domain", "adr, eadr, pagecache or cxl",
		parse_domain },
	{ "PMEMU_LINE", "--line", "a power of two from 64 to 4096", parse_line },
	{ "PMEMU_CLFLUSH", "--clflush", "strong or weak", parse_clflush },
	{ "PMEMU_SECTOR", "--sector", "512 or 4096", parse_sector },
	{ "PMEMU_LATENCY", "--latency", "optane or flush=NS,fence=NS (0 to "
		"1000000)", parse_latency },
	{ "PMEMU_NDCTL", "--ndctl", "on or off", parse_ndctl },
	{ "PMEMU_BADBLOCK", "--badblock", "FILE:OFFSET:LEN (FILE under the "
		"pmem dir, OFFSET and LEN in bytes; several: comma-separated)",
		parse_badblock },
	{ "PMEMU_ERROR_EXITCODE", "--error-exitcode", "0 to 255",
		parse_exitcode },
	{ "PMEMU_LOG_FILE", "--log-file", "a file name", parse_log_file },
	{ "PMEMU_QUIET", "--quiet", "0 or 1", parse_quiet },
	{ "PMEMU_REPORT", NULL, "an absolute file path", parse_report },
	{ "PMEMU_TRACE", NULL, "an absolute file path", parse_trace },
	{ "PMEMU_TRACE_VERSION", NULL, "1 or 2", parse_trace_version },
	{ "PMEMU_TMPDIR", NULL, "an absolute directory path", parse_tmpdir },
	{ "PMEMU_ROOT_PID", NULL, "a process id", parse_root_pid },
	{ "PMEMU_SESSION_FD", NULL, "the run's table of views (shim_session.c)",
		parse_other },
	{ "PMEMU_LIBDIR", NULL, "a directory", parse_other },
	{ "PMEMU_STATE", NULL, "a crash state id", parse_other },
	{ "PMEMU_MARKERS", NULL, "crash point names", parse_other },
	{ "PMEMU_DIRTY_SHUTDOWN", NULL, "0 or 1 (a cxl crash state)",
		parse_other },
	{ "PMEMU_IMAGE", NULL, "an absolute image directory path",
		parse_image },
	{ "PMEMU_CACHE_DIR", NULL, "a directory (empty: none)", parse_other },
	{ "PMEMU_PATCH", NULL, "int3, jump or jump-xsave", parse_patch },
	{ "PMEMU_STORE_LOG", NULL, "0 or 1", parse_store_log },
	{ "PMEMU_STEP_EMUL", NULL, "0 or 1", parse_step_emul },
	{ "PMEMU_ALIAS_STORES", NULL, "0 or 1", parse_alias_stores },
	/* pmemu's own build and test harness (ctest environments) */
	{ "PMEMU_BUILD_DIR", NULL, "a directory", parse_other },
	{ "PMEMU_SOURCE_DIR", NULL, "a directory", parse_other },
	{ "PMEMU_PYTHON", NULL, "a program", parse_other },
	{ "PMEMU_ORACLE", NULL, "a program", parse_other },
	{ "PMEMU_ORACLE_MUTANT", NULL, "a program", parse_other },
	{ "PMEMU_ORACLE_DIR", NULL, "a directory", parse_other },
	{ "PMEMU_GCC_PLUGIN_DIR", NULL, "a directory", parse_other },
	{ "PMEMU_FAKE_LOG", NULL, "a file", parse_other },
	{ "PMEMU_LAZY_STATS", NULL, "a file", parse_other },
	/* explore's tests: where its images go (emulator/explore/image_dir.c) */
	{ "PMEMU_TMPFS_DIR", NULL, "a directory", parse_other },
	{ "PMEMU_TMPFS_LIMIT", NULL, "a number of bytes", parse_other },
};

const struct shim_env_var *
shim_env_table(size_t *n)
{
	*n = sizeof(env_table) / sizeof(env_table[0]);
	return env_table;
}

void
shim_options_default(struct shim_options *o)
{
	memset(o, 0, sizeof(*o));
	o->domain = MODEL_DOMAIN_ADR;
	o->line_len = 64;
	o->sector_len = 512;
	o->error_exitcode = -1;
	o->tmpdir = "/dev/shm";
}

/* env_lookup -- the table entry named by the n bytes at name, or NULL */
static const struct shim_env_var *
env_lookup(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(env_table) / sizeof(env_table[0]); i++)
		if (strlen(env_table[i].name) == n &&
				strncmp(env_table[i].name, name, n) == 0)
			return &env_table[i];
	return NULL;
}

int
shim_options_parse(char *const *envp, struct shim_options *o, char *err,
		size_t errlen)
{
	shim_options_default(o);
	for (; envp != NULL && *envp != NULL; envp++) {
		const char *e = *envp;
		if (strncmp(e, "PMEMU_", 6) != 0)
			continue;
		const char *eq = strchr(e, '=');
		size_t n = eq ? (size_t)(eq - e) : strlen(e);
		const struct shim_env_var *v = env_lookup(e, n);
		if (v == NULL) {
			snprintf(err, errlen, "unknown variable %.*s in the "
				"environment (see docs/shim.md)", (int)n, e);
			return -1;
		}
		const char *value = eq ? eq + 1 : "";
		if (v->parse(value, o) != 0) {
			snprintf(err, errlen, "%s%s%s='%s': expected %s",
				v->option ? v->option : "",
				v->option ? " / " : "", v->name, value,
				v->values);
			return -1;
		}
	}
	return 0;
}
