/*
 * shim_fake.c -- a test double of the shim core for the libpmem
 * interposers: a table of fake emulated mappings, and the events the
 * interposers emit, recorded in order
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>

#include "real.h"
#include "shim_fake.h"
#include "shim_fatal.h"

__thread int shim_depth;
volatile bool shim_active = true;
/* the real functions shim_devdax.c calls: libc's, as the shim resolves */
shim_real_mmap_fn shim_real_mmap = mmap;
shim_real_munmap_fn shim_real_munmap = munmap;

struct fake_event fake_events[FAKE_EVENTS_MAX];
size_t fake_nevents;
size_t fake_copy_persists;
enum model_domain fake_domain = MODEL_DOMAIN_ADR;

static struct shim_region fake_regions[FAKE_MAPPINGS_MAX];
static struct shim_mapping fake_mappings[FAKE_MAPPINGS_MAX];
static size_t fake_nmappings;

void
fake_reset(void)
{
	fake_nevents = 0;
	fake_copy_persists = 0;
	fake_nmappings = 0;
	fake_domain = MODEL_DOMAIN_ADR;
	shim_active = true;
	shim_depth = 0;
}

void
fake_map(void *base, size_t len, enum model_domain d)
{
	if (fake_nmappings == FAKE_MAPPINGS_MAX)
		abort();
	struct shim_region *r = &fake_regions[fake_nmappings];
	struct shim_mapping *m = &fake_mappings[fake_nmappings];
	memset(r, 0, sizeof(*r));
	memset(m, 0, sizeof(*m));
	r->id = (uint32_t)fake_nmappings;
	r->domain = d;
	m->base = (uintptr_t)base;
	m->len = len;
	m->region = r;
	fake_nmappings++;
}

const struct shim_mapping *
shim_mapping_lookup(const void *addr)
{
	for (size_t i = 0; i < fake_nmappings; i++) {
		const struct shim_mapping *m = &fake_mappings[i];
		if ((uintptr_t)addr - m->base < m->len)
			return m;
	}
	return NULL;
}

enum model_domain
shim_domain(void)
{
	return fake_domain;
}

bool
shim_path_is_pmem(const char *path)
{
	return strstr(path, "/pmem/") != NULL;
}

struct shim_region *
shim_fd_region(int fd)
{
	(void)fd;
	return NULL;
}

uint32_t
shim_site_here(void)
{
	return FAKE_SITE;
}

static void
record(enum model_ev kind, const void *addr, size_t len, uint32_t site)
{
	if (fake_nevents == FAKE_EVENTS_MAX)
		abort();
	/* events are emitted inside the shim only */
	if (shim_depth != 1)
		abort();
	fake_events[fake_nevents++] = (struct fake_event){ kind,
		(uintptr_t)addr, len, site };
}

void
shim_ev_store(void *addr, size_t len, bool traced, uint32_t site)
{
	if (!traced)
		abort();
	record(MODEL_EV_STORE, addr, len, site);
}

void
shim_ev_nt_store(void *addr, size_t len, uint32_t site)
{
	record(MODEL_EV_NT_STORE, addr, len, site);
}

void
shim_ev_flush(const void *addr, size_t len, enum model_ev kind,
		uint32_t site)
{
	record(kind, addr, len, site);
}

void
shim_ev_fence(enum model_ev kind, uint32_t site)
{
	record(kind, NULL, 0, site);
}

/* as the shim's: the flush's events, then the fence's */
void
shim_ev_persist(const void *addr, size_t len, enum model_ev flush,
		enum model_ev fence, uint32_t site)
{
	record(flush, addr, len, site);
	record(fence, NULL, 0, site);
}

/* as the shim's: the copy's stores, its flush unless non-temporal, the
 * fence; one call (fake_copy_persists counts them) */
void
shim_ev_copy_persist(void *addr, size_t len, bool nt, enum model_ev fence,
		uint32_t site)
{
	fake_copy_persists++;
	record(nt ? MODEL_EV_NT_STORE : MODEL_EV_STORE, addr, len, site);
	if (!nt)
		record(MODEL_EV_CLWB, addr, len, site);
	record(fence, NULL, 0, site);
}

void
shim_fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("pmemu: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}
