/*
 * fake_rt.c -- a test double for libpmemu.so: logs every hook call
 *
 * LD_PRELOAD it under a program built with the plugin. It implements the
 * hooks of pmemu_hooks.h and the "pmemu_rt_api" table of pmemu.h; the
 * buffer given to pmemu_register_pmem() becomes the one pmem range every
 * registered slot checks, and each hook writes one line
 *     KIND OFFSET LEN FILE:LINE FUNC
 * (OFFSET relative to that buffer, "-" for fences) to the file named by
 * PMEMU_FAKE_LOG, or to stderr; with PMEMU_FAKE_QUIET set, nothing (the
 * benchmark measures the calls, not the logging).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pmemu.h"
#include "pmemu_hooks.h"

#define FAKE_SLOTS 64

static struct pmemu_slot *fake_slots[FAKE_SLOTS];
static int fake_nslots;
static uintptr_t fake_lo, fake_len;
static int fake_fd = -1;

static const char *const fake_flush_names[] = { "clwb", "clflushopt",
						"clflush" };
static const char *const fake_fence_names[] = { "sfence", "mfence",
						"locked" };

/* fake_log -- one line per hook; write(2) so it is safe anywhere */
static void
fake_log(const char *kind, const void *addr, size_t len,
	 const struct pmemu_srcloc *loc)
{
	static int quiet = -1;
	if (quiet < 0)
		quiet = getenv("PMEMU_FAKE_QUIET") != NULL;
	if (quiet)
		return; /* benchmarks: pay the call, not the logging */
	char line[512];
	char off[32] = "-";
	if (fake_fd < 0) {
		const char *path = getenv("PMEMU_FAKE_LOG");
		fake_fd = path ? open(path, O_WRONLY | O_CREAT | O_APPEND, 0644)
			       : 2;
		if (fake_fd < 0)
			fake_fd = 2;
	}
	if (addr != NULL)
		snprintf(off, sizeof off, "%ld",
			 (long)((uintptr_t)addr - fake_lo));
	int n = snprintf(line, sizeof line, "%s %s %zu %s:%u %s\n", kind, off,
			 len, loc->file, loc->line, loc->func);
	if (n > 0 && write(fake_fd, line, (size_t)n) < 0)
		abort();
}

int
__pmemu_register_slot(struct pmemu_slot *slot)
{
	if (fake_nslots == FAKE_SLOTS)
		abort();
	fake_slots[fake_nslots++] = slot;
	slot->lo = fake_lo;
	slot->len = fake_len;
	return PMEMU_HOOKS_ABI;
}

void
__pmemu_store(void *addr, size_t len, const struct pmemu_srcloc *loc)
{
	fake_log("store", addr, len, loc);
}

/* each store of the run, as __pmemu_store would have logged it */
void
__pmemu_store_run(void *addr, size_t size, size_t count,
		  const struct pmemu_srcloc *loc)
{
	for (size_t i = 0; i < count; i++)
		fake_log("store", (char *)addr + i * size, size, loc);
}

void
__pmemu_store_nt(void *addr, size_t len, const struct pmemu_srcloc *loc)
{
	fake_log("store_nt", addr, len, loc);
}

void
__pmemu_movdir64b(void *dst, const struct pmemu_srcloc *loc)
{
	fake_log("movdir64b", dst, 64, loc);
}

void
__pmemu_flush(const void *addr, int kind, const struct pmemu_srcloc *loc)
{
	fake_log(fake_flush_names[kind], addr, 0, loc);
}

void
__pmemu_fence(int kind, const struct pmemu_srcloc *loc)
{
	fake_log(fake_fence_names[kind], NULL, 0, loc);
}

/* fake_set_range -- every module's slot checks [lo, lo + len) */
static void
fake_set_range(uintptr_t lo, uintptr_t len)
{
	fake_lo = lo;
	fake_len = len;
	for (int i = 0; i < fake_nslots; i++) {
		fake_slots[i]->lo = lo;
		fake_slots[i]->len = len;
	}
}

static void fake_crash_point(const char *name) { (void)name; }

static int
fake_register_pmem(void *addr, size_t len, const char *name)
{
	(void)name;
	fake_set_range((uintptr_t)addr, len);
	return 0;
}

static int
fake_unregister_pmem(void *addr, size_t len)
{
	(void)addr;
	(void)len;
	fake_set_range(0, 0);
	return 0;
}

static void fake_flush(const void *addr, size_t len) { (void)addr; (void)len; }
static void fake_fence(void) {}

const struct pmemu_rt_api pmemu_rt_api = {
	PMEMU_API_VERSION, fake_crash_point, fake_register_pmem,
	fake_unregister_pmem, fake_flush, fake_fence,
};
