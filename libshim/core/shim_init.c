/*
 * shim_init.c -- libpmemu.so start-up and the process state: options,
 * model, trace writer, the emission lock, thread ids, fork handling
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "insn.h"
#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_intercept.h"
#include "shim_region.h"
#include "shim_site.h"
#include "shim_tx.h"

__thread int shim_depth __attribute__((tls_model("initial-exec")));
volatile bool shim_active;

static struct shim_options opts;
static struct model *model;
static struct trace_writer *writer;
static bool trace_events;
static pid_t owner_pid;             /* the process that ran the constructor */
static pthread_mutex_t emit_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread uint32_t cached_tid __attribute__((tls_model("initial-exec")));


const struct shim_options *
shim_opts(void)
{
	return &opts;
}

struct model *
shim_model(void)
{
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

uint32_t
shim_tid(void)
{
	if (cached_tid == 0)
		cached_tid = (uint32_t)syscall(SYS_gettid);
	return cached_tid;
}

void
shim_lock(void)
{
	pthread_mutex_lock(&emit_lock);
	/* sites interned by fault handlers since the last release: written
	 * before any record that names them (a fault's store is emitted
	 * only when its page is settled, under this lock) */
	shim_site_flush_pending();
}

void
shim_unlock(void)
{
	/* sites interned by handlers and interposers meanwhile: write them */
	shim_site_flush_pending();
	pthread_mutex_unlock(&emit_lock);
}

void
shim_fatal(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(msg) - 2)
		n = sizeof(msg) - 2;
	msg[n++] = '\n';
	static const char prefix[] = "pmemu: ";
	ssize_t r = write(2, prefix, sizeof(prefix) - 1);
	r = write(2, msg, (size_t)n);
	(void)r;
	_exit(2);
}

void *
shim_resolve_symbol(const char *name, void *self)
{
	void *p = dlsym(RTLD_NEXT, name);
	if (p == NULL || p == self) {
		/* RTLD_DEFAULT finds libraries loaded before us; never us */
		p = dlsym(RTLD_DEFAULT, name);
		if (p == self)
			p = NULL;
	}
	return p;
}

void *
shim_resolve_required(const char *name, void *self)
{
	void *p = shim_resolve_symbol(name, self);
	if (p == NULL)
		shim_fatal("error: failed to intercept %s: no definition "
			"after libpmemu.so", name);
	return p;
}

void
shim_emit_locked(const struct model_event *ev)
{
	shim_shared_event(ev); /* another process's store it flushes */
	if (model != NULL)
		(void)model_apply(model, ev);
	if (trace_events)
		(void)trace_append_event(writer, ev);
	shim_tx_event(ev); /* stores in a transaction (shim_tx.c) */
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
	shim_site_flush_pending();
	struct trace_writer *w = writer;
	writer = NULL;
	trace_events = false;
	(void)trace_writer_close(w, status);
}

/* site_sink -- SITE/MODULE records of new sites (shim_site.h) */
static void
site_sink(uint16_t type, const void *body, size_t len)
{
	shim_record(type, 0, body, len, NULL, 0);
}

/* model_from_options -- the in-process model: findings only, no contents */
static struct model *
model_from_options(const struct shim_options *o)
{
	struct model_config *cfg = model_config_new();
	if (cfg == NULL)
		shim_fatal("error: out of memory");
	if (model_config_set_domain(cfg, o->domain) != 0 ||
			model_config_set_line(cfg, o->line_len) != 0 ||
			model_config_set_clflush_weak(cfg, o->clflush_weak) ||
			model_config_set_sector(cfg, o->sector_len) != 0 ||
			model_config_set_contents(cfg, false) != 0)
		shim_fatal("error: the model rejects --line=%u --sector=%u",
			o->line_len, o->sector_len);
	struct model *m = model_new(cfg, NULL, NULL);
	model_config_delete(cfg);
	if (m == NULL)
		shim_fatal("error: out of memory");
	return m;
}

/* writer_open -- the trace (record) or findings file (run); an image
 * started by exec under the shim (an earlier one set PMEMU_ROOT_PID)
 * joins the file the first image opened */
static void
writer_open(void)
{
	const char *path = opts.trace_path ? opts.trace_path : opts.report_path;
	if (path == NULL)
		return;
	if (opts.root_pid != 0) {
		int ret = shim_join(path, opts.root_pid == (long)getpid(),
				&writer);
		if (ret != 0)
			shim_fatal("error: %s: cannot join the trace (%s)", path,
				strerror(-ret));
		trace_events = opts.trace_path != NULL;
		return;
	}
	char prog[PATH_MAX] = "";
	ssize_t n = readlink("/proc/self/exe", prog, sizeof(prog) - 1);
	prog[n > 0 ? n : 0] = '\0';
	const char *base = strrchr(prog, '/');
	struct trace_writer_info info = {
		.domain = opts.domain, .line_len = opts.line_len,
		.sector_len = opts.sector_len,
		.clflush_weak = opts.clflush_weak,
		.program = base ? base + 1 : prog,
	};
	int ret = trace_writer_open(path, &info, &writer);
	if (ret != 0)
		shim_fatal("error: %s: cannot write the trace (%s)", path,
			strerror(-ret));
	trace_events = opts.trace_path != NULL;
}

static void
atfork_prepare(void)
{
	shim_lock();
	shim_shared_forking();
}

static void
atfork_parent(void)
{
	shim_shared_forked();
	shim_unlock();
}

/* the child keeps the state, the trace and the views; it has a new tid */
static void
atfork_child(void)
{
	pthread_mutex_init(&emit_lock, NULL);
	cached_tid = 0;
	shim_lock();
	shim_dirty_forked();
	shim_shared_forked();
	shim_unlock();
	uint32_t ids[2] = { (uint32_t)getpid(), (uint32_t)getppid() };
	shim_record(TRACE_REC_PROCESS, 0, ids, sizeof(ids), NULL, 0);
}

bool
shim_is_forked_child(void)
{
	return getpid() != owner_pid;
}

static void
count_region(struct shim_region *r, void *ctx)
{
	(void)r;
	(*(unsigned *)ctx)++;
}

/*
 * shim_exit_notes -- what the report must say besides findings: locked
 * instructions in uninstrumented code order write-backs as fences do, and
 * pmemu does not see them (docs/raw-instructions.md), so a run that
 * emulated something may have a verdict that depends on them
 */
void
shim_exit_notes(void)
{
	if (shim_is_forked_child())
		return;
	unsigned nregions = 0, nlocked = shim_insn_locked_sites();
	shim_lock();
	shim_region_for_each(count_region, &nregions);
	if (nlocked > 0 && nregions > 0) {
		char modules[256], note[512];
		shim_insn_locked_describe(modules, sizeof(modules));
		bool one = nlocked == 1;
		int n = snprintf(note, sizeof(note), "%u locked instruction%s "
			"in uninstrumented code (%s) %s pmemu cannot see: a "
			"verdict may depend on %s", nlocked, one ? "" : "s",
			modules, one ? "is a fence" : "are fences",
			one ? "it" : "them");
		if (n > 0)
			shim_record(TRACE_REC_NOTE, 0, note, strlen(note) + 1,
				NULL, 0);
	}
	unsigned ntrapping = shim_insn_trapping_sites();
	if (ntrapping > 0 && nregions > 0) {
		char note[256];
		int n = snprintf(note, sizeof(note), "%u raw instruction "
			"site%s could not take a jump to a trampoline and "
			"trap%s (int3, slower; docs/raw-instructions.md)",
			ntrapping, ntrapping == 1 ? "" : "s",
			ntrapping == 1 ? "s" : "");
		if (n > 0)
			shim_record(TRACE_REC_NOTE, 0, note, strlen(note) + 1,
				NULL, 0);
	}
	shim_unlock();
}

__attribute__((constructor(101))) static void
shim_init(void)
{
	shim_depth++;
	extern char **environ;
	char err[512];
	if (shim_options_parse(environ, &opts, err, sizeof(err)) != 0)
		shim_fatal("error: %s", err);
	owner_pid = getpid();
	if (opts.root_pid == 0) {
		char pid[24];
		snprintf(pid, sizeof(pid), "%ld", (long)owner_pid);
		setenv("PMEMU_ROOT_PID", pid, 1); /* exec'd children know */
	}
	shim_init_map();
	shim_init_fileio();
	shim_init_signal();
	shim_init_thread();
	model = model_from_options(&opts);
	writer_open();
	if (shim_site_init() != 0)
		shim_fatal("error: cannot map the call site tables");
	shim_site_set_sink(site_sink);
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	shim_signal_install();
	shim_insn_init();
	shim_active = true;
	shim_depth--;
}

__attribute__((destructor(101))) static void
shim_fini(void)
{
	if (!shim_active)
		return;
	shim_depth++;
	shim_active = false; /* later calls (other destructors) go to REAL */
	shim_exit_notes();
	shim_shutdown(0);
}

