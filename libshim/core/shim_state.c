/*
 * shim_state.c -- the process state: options, model, trace writer, the
 * emission lock, thread ids; main.c fills it in at start-up
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "real.h"
#include "shim_batch.h"
#include "shim_core.h"
#include "shim_intercept.h"
#include "shim_syscall.h"

__thread int shim_depth __attribute__((tls_model("initial-exec")));
volatile bool shim_active;

static struct shim_options opts;
static struct model *model;
static struct trace_writer *writer;
static bool trace_events;
static pid_t owner_pid;             /* the process that ran the constructor */
static pthread_mutex_t emit_lock = PTHREAD_MUTEX_INITIALIZER;
__thread uint32_t shim_cached_tid __attribute__((tls_model("initial-exec")));
/* what main.c registers: sites to write under the lock, the lines shared
 * with other processes before each event (shim_shared.c: a callback, so
 * the state does not call into the table that calls the state), each
 * event's transaction bookkeeping */
static void (*lock_hook)(void);
static void (*before_event_hook)(const struct model_event *ev);
static void (*event_hook)(const struct model_event *ev);
/* the store log's entries become events before any other (docs/shim.md) */
static void (*drain_hook)(void);
/* whether before_event_hook and event_hook would do nothing now */
static bool (*quiet_hook)(void);
/* the lock is held: no reader of the lines shared with other processes
 * sees half a call's events (shim_shared_section.c) */
static void (*section_begin_hook)(void);
static void (*section_end_hook)(void);

void
shim_state_start(const struct shim_options *o)
{
	opts = *o;
	owner_pid = getpid();
}

void
shim_state_set_model(struct model *m)
{
	model = m;
}

void
shim_state_set_writer(struct trace_writer *w, bool events)
{
	writer = w;
	trace_events = events;
}

void
shim_state_set_hooks(void (*on_lock)(void),
		void (*before_event)(const struct model_event *ev),
		void (*on_event)(const struct model_event *ev))
{
	lock_hook = on_lock;
	before_event_hook = before_event;
	event_hook = on_event;
}

void
shim_state_set_quiet(bool (*quiet)(void))
{
	quiet_hook = quiet;
}

void
shim_state_set_drain(void (*drain)(void))
{
	drain_hook = drain;
}

void
shim_state_set_section(void (*begin)(void), void (*end)(void))
{
	section_begin_hook = begin;
	section_end_hook = end;
}

/* the child of a fork has one thread: the lock is free, the tid new */
void
shim_state_forked(void)
{
	pthread_mutex_init(&emit_lock, NULL);
	shim_cached_tid = 0;
}

bool
shim_is_forked_child(void)
{
	return getpid() != owner_pid;
}


const struct shim_options *
shim_opts(void)
{
	return &opts;
}

struct model *
shim_model(void)
{
	if (shim_batch_on && shim_batch_held(shim_tid()))
		shim_batch_spill(model); /* whoever looks sees every event */
	return model;
}

struct trace_writer *
shim_trace_writer(void)
{
	return writer;
}

bool
shim_trace_events(void)
{
	return trace_events;
}

/* shim_tid_ask -- shim_tid()'s first call in a thread: asks the kernel */
uint32_t
shim_tid_ask(void)
{
	shim_cached_tid = (uint32_t)shim_syscall(SYS_gettid);
	return shim_cached_tid;
}

void
shim_lock(void)
{
	pthread_mutex_lock(&emit_lock);
	if (section_begin_hook != NULL)
		section_begin_hook();
	/* sites interned by fault handlers since the last release: written
	 * before any record that names them (a fault's store is emitted
	 * only when its page is settled, under this lock) */
	if (lock_hook != NULL)
		lock_hook();
	if (drain_hook != NULL)
		drain_hook();
}

void
shim_unlock(void)
{
	/* sites interned by handlers and interposers meanwhile: write them */
	if (lock_hook != NULL)
		lock_hook();
	if (section_end_hook != NULL)
		section_end_hook();
	pthread_mutex_unlock(&emit_lock);
}

void
shim_emit_locked(const struct model_event *ev)
{
	if (shim_batch_on && shim_batch_take(model, ev))
		return;
	if (before_event_hook != NULL) /* another process's store it flushes */
		before_event_hook(ev);
	if (model != NULL)
		(void)model_apply(model, ev);
	if (trace_events)
		(void)trace_append_event(writer, ev);
	if (event_hook != NULL)
		event_hook(ev); /* stores in a transaction (shim_tx.c) */
}

void
shim_emit_stores_locked(const struct model_event *ev, uint32_t count)
{
	if (trace_events)
		shim_fatal("internal: %u stores merged into one traced event",
				count);
	if (shim_batch_on)
		shim_batch_spill(model);
	if (before_event_hook != NULL)
		before_event_hook(ev);
	if (model != NULL)
		(void)model_apply_stores(model, ev, count);
	if (event_hook != NULL)
		event_hook(ev);
}

bool
shim_emit_batch_begin(uint32_t region, uint64_t off, uint64_t len,
		unsigned line_shift)
{
	static struct shim_batch_lines *lines; /* under the lock */
	if (model == NULL || trace_events || quiet_hook == NULL ||
			!quiet_hook())
		return false;
	if (lines == NULL) {
		void *p = REAL(mmap)(NULL, sizeof(*lines),
			PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
		if (p == MAP_FAILED)
			return false;
		lines = p;
	}
	return shim_batch_begin(lines, shim_tid(), region, off, len,
		line_shift);
}

bool
shim_emit_line_persists(const struct model_line_persists *p)
{
	if (model == NULL || trace_events || shim_batch_on ||
			quiet_hook == NULL || !quiet_hook())
		return false;
	(void)model_apply_line_persists(model, p);
	return true;
}

void
shim_emit_batch_end_now(void)
{
	shim_batch_spill(model);
}

/* site_exact_held -- shim_emit_site_exact while a batch is held: out of
 * line, so that the common case saves no registers and ends in a jump
 * (a diffed line of every per-line persist comes here) */
static __attribute__((noinline)) void
site_exact_held(uint32_t region, uint64_t off, uint32_t site)
{
	if (!shim_batch_site_exact(region, off, site) && model != NULL)
		model_store_site_exact(model, region, off, site);
}

void
shim_emit_site_exact(uint32_t region, uint64_t off, uint32_t site)
{
	if (shim_batch_on)
		site_exact_held(region, off, site);
	else if (model != NULL)
		model_store_site_exact(model, region, off, site);
}

bool
shim_emit_held_store_now(uint32_t region, uint64_t off, uint64_t len,
		uint32_t site, bool exact)
{
	struct model_event ev = { .kind = MODEL_EV_STORE, .tid = shim_tid(),
		.site = site, .region = region, .off = off, .len = len };
	if (!shim_batch_take(model, &ev))
		return false; /* spilled: the caller emits it */
	if (exact)
		(void)shim_batch_site_exact(region, off, site);
	return true;
}

bool
shim_emit_held_lines_now(uint32_t region, uint64_t off, uint32_t k,
		const uint32_t *sites, uint64_t exact)
{
	return shim_batch_take_lines(shim_tid(), region, off, k, sites,
		exact);
}

void
shim_emit_model_only(const struct model_event *ev)
{
	if (shim_batch_on && shim_batch_take(model, ev))
		return;
	if (model != NULL)
		(void)model_apply(model, ev);
}

void
shim_record(uint16_t type, uint32_t site, const void *b1, size_t l1,
		const void *b2, size_t l2)
{
	if (writer != NULL)
		(void)trace_append(writer, type, shim_tid(), site, b1, l1, b2,
				l2);
}

void
shim_writer_close(int status)
{
	if (writer == NULL)
		return;
	if (lock_hook != NULL)
		lock_hook();
	struct trace_writer *w = writer;
	writer = NULL;
	trace_events = false;
	(void)trace_writer_close(w, status);
}
