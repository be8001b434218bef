/*
 * site_impl.h -- the site tables shared by site.c (interning) and
 * site_write.c (writing sites and modules to the trace)
 */
#ifndef PMEMU_SITE_IMPL_H
#define PMEMU_SITE_IMPL_H 1

#include <stdatomic.h>
#include <stdint.h>

#include "shim_site.h"

#define SITE_MAX (1u << 16)          /* ids 1..SITE_MAX-1; 0 is unknown */
#define SITE_SLOTS (SITE_MAX * 2u)   /* open addressing, load <= 1/2 */
#define SITE_MODULE_MAX 1024u

enum site_state {
	SITE_FREE = 0,     /* id not handed out, or its record is being filled */
	SITE_PENDING = 1,  /* interned, not yet written to the trace */
	SITE_WRITTEN = 2,
	SITE_DEAD = 3,     /* lost an insertion race to an equal site */
};

/* one interned site; immutable once published through a slot */
struct site_rec {
	uint64_t hash;
	const struct pmemu_srcloc *loc; /* a plugin site; NULL for a stack */
	uint32_t nframes;
	_Atomic uint32_t state;         /* enum site_state */
	uintptr_t pc[SHIM_SITE_FRAMES];
};

/* a loaded module as dl_iterate_phdr saw it */
struct site_module {
	uintptr_t lo, hi;   /* hull of its PT_LOAD segments */
	uintptr_t bias;     /* dlpi_addr: trace offsets are pc - bias */
	uint32_t id;
};

/*
 * MAP_SHARED anonymous, so a forked child keeps handing out the ids its
 * parent would (one id space per trace across fork).
 */
struct site_tables {
	_Atomic uint32_t slot[SITE_SLOTS]; /* site ids, 0 = empty */
	struct site_rec rec[SITE_MAX];
	_Atomic uint32_t next_id;
	/* below: owned by whoever holds write_lock (site_write.c) */
	atomic_flag write_lock;
	_Atomic uint32_t written_below; /* every id below: WRITTEN or DEAD */
	uint32_t nmodules;
	struct site_module module[SITE_MODULE_MAX];
};

/* the first module id of this image (shim_site_set_base) */
uint32_t shim_site_module_base(void);
/* the id readers see for the table's own id local */
uint32_t shim_site_id_of_local(uint32_t local);

/* the tables, mapped by shim_site_init(); NULL before (hidden: called
 * at every capture and every take of shim_lock, not through the PLT) */
struct site_tables *site_tables_get(void)
	__attribute__((visibility("hidden")));

#endif
