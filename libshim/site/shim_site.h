/*
 * shim_site.h -- call sites: where in the program an event came from
 *
 * A site id names a call stack (libunwind, innermost first) or, for code
 * built with the plugin, a source location. Ids are small integers,
 * interned in a lock-free table so a signal handler may take one; each new
 * site is written to the trace (TRACE_REC_SITE / TRACE_REC_SITE_SRC, with
 * TRACE_REC_MODULE for every module a frame points into), so `pmemu` can
 * resolve it to function and file:line with the binary's debug info.
 */
#ifndef PMEMU_SHIM_SITE_H
#define PMEMU_SHIM_SITE_H 1

#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

#include "pmemu_hooks.h"

#define SHIM_SITE_FRAMES 16 /* deepest stack kept per site */

/* the site of the caller of the interposed function (skip shim frames) */
uint32_t shim_site_here(void);
/* the site of the instruction that trapped or faulted (signal handler) */
uint32_t shim_site_ucontext(const ucontext_t *uc);
/* the site of an instrumented source location (+ the caller's stack) */
uint32_t shim_site_srcloc(const struct pmemu_srcloc *loc);

/*
 * Writing sites to the trace is deferred (contract at the top of site.c):
 * the three calls above only intern, so they are safe in signal handlers;
 * shim_site_flush_pending(), called outside handlers, writes every new
 * site (and the modules its frames point into) through the sink.
 */
#define SHIM_SITE_UNKNOWN 0u           /* no site: tables full, no frame */
#define SHIM_SITE_NO_MODULE UINT32_MAX /* a frame in no loaded module */

/* this image's ids start above sites and modules (an image that joined a
 * trace after exec, shim_join.c); before the first site is taken */
void shim_site_set_base(uint32_t sites, uint32_t modules);

/* where records go: body is a TRACE_REC_SITE/_SITE_SRC/_MODULE body */
typedef void (*shim_site_sink_fn)(uint16_t type, const void *body,
		size_t len);
/* maps the tables (idempotent; the first shim_site_* call does it too);
 * 0 or -errno */
int shim_site_init(void);
void shim_site_set_sink(shim_site_sink_fn sink);
/* writes pending sites and their modules; not from a signal handler */
void shim_site_flush_pending(void);
/* the frames of a site (program counters, adjusted as the trace stores
 * them); returns the frame count, 0 for an unknown id (tests, explain) */
uint32_t shim_site_frames(uint32_t site, uintptr_t *pc, uint32_t max);

#endif
