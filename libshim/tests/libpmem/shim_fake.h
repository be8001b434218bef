/* shim_fake.h -- the shim core double used by test_libpmem_*.c */
#ifndef PMEMU_SHIM_FAKE_H
#define PMEMU_SHIM_FAKE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "shim_events.h"
#include "shim_intercept.h"
#include "shim_region.h"
#include "shim_site.h"

#define FAKE_EVENTS_MAX 64
#define FAKE_MAPPINGS_MAX 4
#define FAKE_SITE 7u

struct fake_event {
	enum model_ev kind;
	uintptr_t addr;
	size_t len;
	uint32_t site;
};

extern struct fake_event fake_events[FAKE_EVENTS_MAX];
extern size_t fake_nevents;
extern size_t fake_copy_persists; /* calls of shim_ev_copy_persist */
extern enum model_domain fake_domain;

/* no mappings, no events, adr, shim active */
void fake_reset(void);
/* [base, base + len) is an emulated mapping of a region on domain d */
void fake_map(void *base, size_t len, enum model_domain d);

#endif
