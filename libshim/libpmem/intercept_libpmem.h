/*
 * intercept_libpmem.h -- what the libpmem and libpmem2 interposers share:
 * splitting a range into emulated and native pieces, and turning flushes,
 * fences and copies on those pieces into model events (MODEL.md table)
 */
#ifndef PMEMU_INTERCEPT_LIBPMEM_H
#define PMEMU_INTERCEPT_LIBPMEM_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shim_intercept.h"
#include "shim_region.h"

/* internal to libpmemu.so: only the pmem_* and pmem2_* names are exported */
#pragma GCC visibility push(hidden)

/*
 * The PMEM_F_MEM_* flags (libpmem2's PMEM2_F_MEM_* have the same values),
 * reduced to what the model can tell apart.
 */
#define PMEMI_F_NODRAIN (1U << 0)
#define PMEMI_F_NONTEMPORAL (1U << 1)
#define PMEMI_F_TEMPORAL (1U << 2)
#define PMEMI_F_WC (1U << 3)
#define PMEMI_F_WB (1U << 4)
#define PMEMI_F_NOFLUSH (1U << 5)

/* how the stores of a copy travel to the media */
enum pmemi_copy_kind {
	PMEMI_COPY_FLUSHED = 0,   /* cached stores, then a flush per line */
	PMEMI_COPY_NONTEMPORAL,   /* streaming stores: in flight at once */
	PMEMI_COPY_NOFLUSH,       /* cached stores, left dirty */
};

/* what a piece of a range is: the mapping holding it, or NULL (native) */
struct pmemi_piece {
	char *addr;
	size_t len;
	const struct shim_mapping *map;
};

/* the first piece of [addr, addr + len) (len > 0) */
void pmemi_first_piece(const void *addr, size_t len, struct pmemi_piece *p);
/* true if some byte of the range lies in an emulated mapping */
bool pmemi_touches_emulated(const void *addr, size_t len);
/* the domain of an emulated piece */
enum model_domain pmemi_piece_domain(const struct pmemi_piece *p);

/* copy kind and drain of a PMEM_F_MEM_* flags word (libpmem's rules) */
enum pmemi_copy_kind pmemi_copy_kind(unsigned flags);
bool pmemi_copy_drains(unsigned flags);

/* the real libpmem's pmem_flush, else clflush of every line */
void pmemi_native_flush(const void *addr, size_t len);

/* cache-line flushes of emulated pieces as events (none where the caches
 * are persistent: eadr, as libpmem skips them on auto-flush platforms);
 * native pieces get real clflush instructions */
void pmemi_flush(const void *addr, size_t len, uint32_t site);
/* sfence: an event for the calling thread, and the real instruction */
void pmemi_fence(uint32_t site);
/* the events of len bytes just stored at dst (emulated pieces only) */
void pmemi_stored(void *dst, size_t len, enum pmemi_copy_kind kind,
		uint32_t site);
/* a whole flush call (pmem_flush, or pmem_persist when drain), entering
 * the shim or done natively */
void pmemi_flush_range(const void *addr, size_t len, bool drain);
/* a whole drain call */
void pmemi_drain(void);
/* a copy or fill with PMEM_F_MEM_* flags: the stores, then the events */
void *pmemi_memmove(void *dst, const void *src, size_t len, unsigned flags);
void *pmemi_memset(void *dst, int c, size_t len, unsigned flags);
/* msync(MS_SYNC) of the page-rounded range, through the shim's msync */
int pmemi_msync(const void *addr, size_t len);

#pragma GCC visibility pop

#endif
