/*
 * shim_core.h -- the shim's process state: options, the in-process model,
 * the trace writer, the emission lock, thread ids
 *
 * Events reach the model and the trace under one lock (shim_lock), taken
 * only from ordinary context: the SIGSEGV handler never emits, it records
 * the faulting page in lock-free structures (shim_dirty.c) that the next
 * flush or fence turns into events.
 */
#ifndef PMEMU_SHIM_CORE_H
#define PMEMU_SHIM_CORE_H 1

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include "model.h"
#include "shim_fatal.h"
#include "shim_options.h"
#include "trace.h"

/* memcpy of a store's bytes, the common widths inline: the plugin
 * build's hook copies every store (a call to libc's memmove for 16
 * bytes was ~10 % of its raw run; 64: a run of stores to one line) */
static inline void
shim_copy_small(void *to, const void *from, size_t len)
{
	if (len == 16)
		memcpy(to, from, 16);
	else if (len == 8)
		memcpy(to, from, 8);
	else if (len == 64)
		memcpy(to, from, 64);
	else
		memcpy(to, from, len);
}

/* start loading the cache line at p for writing (prefetchw: a store
 * into it later neither misses nor waits for a read for ownership; a
 * no-op where the CPU lacks it) */
static inline void
shim_prefetch_write(const void *p)
{
	__asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
}

/* start-up (main.c): the options, the model, the writer (events: every
 * event is recorded too), what the layers above add to the lock (sites
 * to write while it is held) and to each event: before it (the lines
 * shared with other processes of the run) and after (transactions) */
void shim_state_start(const struct shim_options *o);
void shim_state_set_model(struct model *m);
void shim_state_set_writer(struct trace_writer *w, bool events);
void shim_state_set_hooks(void (*on_lock)(void),
		void (*before_event)(const struct model_event *ev),
		void (*on_event)(const struct model_event *ev));
/* true when the hooks of shim_state_set_hooks would do nothing now (no
 * other process, no transaction): a persist's events may be batched */
void shim_state_set_quiet(bool (*quiet)(void));
/* called under the lock, before anything else there: the store log */
void shim_state_set_drain(void (*drain)(void));
/* called once the lock is taken, first, and last before it is released
 * (the lines shared with other processes: a call's events are whole) */
void shim_state_set_section(void (*begin)(void), void (*end)(void));
/* in the child of a fork: a free lock, a new tid */
void shim_state_forked(void);

const struct shim_options *shim_opts(void);
/* the in-process model (findings); NULL before init */
struct model *shim_model(void);
/*
 * the writer that sites, modules, regions and findings go to: the trace of
 * `pmemu record` (PMEMU_TRACE) or the findings file of `pmemu run`
 * (PMEMU_REPORT); NULL when neither is set
 */
struct trace_writer *shim_trace_writer(void);
/* writes END and closes the writer (root process, at exit) */
void shim_writer_close(int status);
/* true when every event is recorded too (pmemu record) */
bool shim_trace_events(void);

/* this thread's gettid(), 0 until shim_tid() first asks (reset in a
 * forked child); hidden, initial-exec: one TLS load in shim_tid() */
extern __thread uint32_t shim_cached_tid
	__attribute__((tls_model("initial-exec"), visibility("hidden")));
uint32_t shim_tid_ask(void);

/* gettid(), cached per thread (reset in a forked child): inline, as it
 * is asked several times per event */
static inline uint32_t
shim_tid(void)
{
	uint32_t tid = shim_cached_tid;
	return __builtin_expect(tid != 0, 1) ? tid : shim_tid_ask();
}

/* the emission lock; never taken in a signal handler */
void shim_lock(void);
void shim_unlock(void);

/* applies one event to the model and, when recording, appends it to the
 * trace; called with shim_lock held */
void shim_emit_locked(const struct model_event *ev);
/* a STORE that stands for `count` stores of one site, contiguous in one
 * line (model_apply_stores); never while recording: the trace keeps each
 * store (the store log merges only when shim_trace_events() is false) */
void shim_emit_stores_locked(const struct model_event *ev, uint32_t count);
/*
 * a persist of [off, off+len) of region (lines of 1 << line_shift bytes)
 * by this thread starts: its stores, flush and fence may be held and
 * reach the model in one call (shim_batch.c); only when the model alone
 * sees events (no trace, main.c's quiet predicate true); false: not
 * held. shim_emit_batch_end after the fence (lock held throughout)
 */
bool shim_emit_batch_begin(uint32_t region, uint64_t off, uint64_t len,
		unsigned line_shift);
/* a window of line persists and its fence to the model in one call
 * (shim_window.c), when nothing but the model would see its events (no
 * trace, the event hooks quiet, no batch held): true; else nothing done
 * (lock held) */
bool shim_emit_line_persists(const struct model_line_persists *p);
/* a flag of the library itself (hidden: read without the GOT) */
extern bool shim_batch_on __attribute__((visibility("hidden")));
void shim_emit_batch_end_now(void);
/* no call while no batch is held: a per-line persist (libpmem's) is
 * never batched, and its calls were the libpmem row's cost */
static inline void
shim_emit_batch_end(void)
{
	if (shim_batch_on)
		shim_emit_batch_end_now();
}
/* model_store_site_exact of the untraced store just emitted */
void shim_emit_site_exact(uint32_t region, uint64_t off, uint32_t site);
/* an untraced store the batch of this thread takes (with its exact
 * site, model_store_site_exact): true; false: none held, or it was not
 * the batch's (the held events are applied), emit it as any other. No
 * call while no batch is held (every diffed line asks) */
bool shim_emit_held_store_now(uint32_t region, uint64_t off, uint64_t len,
		uint32_t site, bool exact);
static inline bool
shim_emit_held_store(uint32_t region, uint64_t off, uint64_t len,
		uint32_t site, bool exact)
{
	return shim_batch_on &&
		shim_emit_held_store_now(region, off, len, site, exact);
}
/* shim_emit_held_store of the k (<= 64) whole lines from off on at
 * once (a flushed page's), line j's site sites[j], bit j of `exact` its
 * exactness: true, all taken; false, none (emit them one by one) */
bool shim_emit_held_lines_now(uint32_t region, uint64_t off, uint32_t k,
		const uint32_t *sites, uint64_t exact);
static inline bool
shim_emit_held_lines(uint32_t region, uint64_t off, uint32_t k,
		const uint32_t *sites, uint64_t exact)
{
	return shim_batch_on &&
		shim_emit_held_lines_now(region, off, k, sites, exact);
}
/* model_apply of an event only the model sees (lock held) */
void shim_emit_model_only(const struct model_event *ev);
/* appends a non-event record when a writer exists (lock held or not) */
void shim_record(uint16_t type, uint32_t site, const void *b1, size_t l1,
		const void *b2, size_t l2);

/* true in a child forked from the process that started the shim: it
 * shares the views and the trace, and leaves the media to its parent */
bool shim_is_forked_child(void);

#endif
