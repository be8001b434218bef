/*
 * main.c -- libpmemu.so start-up and teardown: the one place that knows
 * every layer (docs/shim.md). It resolves every REAL, fills in the core's
 * state, registers what the layers above the core add to it, installs
 * the handlers and patches raw instructions; its destructor is exit's
 * clean shutdown for a program that returns from main.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "insn.h"
#include "insn_notes.h"
#include "insn_patch.h"
#include "insn_store_run.h"
#include "intercept_signal.h"
#include "intercept_stdio.h"
#include "intercept_kernel_aio.h"
#include "ndctl_topology.h"
#include "pmem_real.h"
#include "real.h"
#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_file.h"
#include "shim_findings.h"
#include "shim_hooks.h"
#include "shim_intercept.h"
#include "shim_join.h"
#include "shim_latency.h"
#include "shim_poison.h"
#include "shim_region.h"
#include "shim_session.h"
#include "shim_shared.h"
#include "shim_site.h"
#include "shim_store_log.h"
#include "shim_tx.h"

/* tx_event -- stores in a transaction (shim_tx.c): the inline check of
 * shim_tx.h behind the core's event hook */
static void
tx_event(const struct model_event *ev)
{
	shim_tx_event(ev);
}

/* no_tx_open -- logged stores may be merged (shim_store_log.c): no
 * transaction's check wants each store's range */
static bool
no_tx_open(void)
{
	return atomic_load_explicit(&shim_tx_open_count,
		memory_order_acquire) == 0;
}

/* hooks_quiet -- neither event hook would do anything now: a persist's
 * events may reach the model in one call (shim_batch.c) */
static bool
hooks_quiet(void)
{
	return !shim_shared_in_use() && no_tx_open();
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
		shim_fatal("out of memory");
	if (model_config_set_domain(cfg, o->domain) != 0 ||
			model_config_set_line(cfg, o->line_len) != 0 ||
			model_config_set_clflush_weak(cfg, o->clflush_weak) ||
			model_config_set_sector(cfg, o->sector_len) != 0 ||
			model_config_set_contents(cfg, false) != 0)
		shim_fatal("the model rejects --line=%u --sector=%u",
			o->line_len, o->sector_len);
	struct model *m = model_new(cfg, NULL, NULL);
	model_config_delete(cfg);
	if (m == NULL)
		shim_fatal("out of memory");
	return m;
}

/* writer_open -- the trace (record) or findings file (run); an image
 * started by exec under the shim (an earlier one set PMEMU_ROOT_PID)
 * joins the file the first image opened */
static void
writer_open(const struct shim_options *opts)
{
	struct trace_writer *writer = NULL;
	const char *path = opts->trace_path ? opts->trace_path : opts->report_path;
	if (path == NULL)
		return;
	if (opts->root_pid != 0) {
		int ret = shim_join(path, opts->root_pid == (long)getpid(),
				&writer);
		if (ret != 0)
			shim_fatal("%s: cannot join the trace (%s)", path,
				strerror(-ret));
		shim_state_set_writer(writer, opts->trace_path != NULL);
		return;
	}
	char prog[PATH_MAX] = "";
	ssize_t n = REAL(readlink)("/proc/self/exe", prog, sizeof(prog) - 1);
	prog[n > 0 ? n : 0] = '\0';
	const char *base = strrchr(prog, '/');
	struct trace_writer_info info = {
		.domain = opts->domain, .line_len = opts->line_len,
		.sector_len = opts->sector_len,
		.clflush_weak = opts->clflush_weak,
		.program = base ? base + 1 : prog,
		.version = opts->trace_version,
	};
	int ret = trace_writer_open(path, &info, &writer);
	if (ret != 0)
		shim_fatal("%s: cannot write the trace (%s)", path,
			strerror(-ret));
	shim_state_set_writer(writer, opts->trace_path != NULL);
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
	shim_state_forked();
	shim_store_log_forked();
	pmemi_ndctl_forked();
	shim_shared_forked(); /* before the lock: its busy mark is its own */
	shim_lock();
	shim_dirty_forked();
	shim_unlock();
	uint32_t ids[2] = { (uint32_t)getpid(), (uint32_t)getppid() };
	shim_record(TRACE_REC_PROCESS, 0, ids, sizeof(ids), NULL, 0);
}

__attribute__((constructor(101))) static void
shim_init(void)
{
	shim_depth++;
	extern char **environ;
	char err[512];
	struct shim_options opts;
	if (shim_options_parse(environ, &opts, err, sizeof(err)) != 0)
		shim_fatal("%s", err);
	shim_state_start(&opts);
	shim_latency_start();
	if (opts.root_pid == 0) {
		char pid[24];
		snprintf(pid, sizeof(pid), "%ld", (long)getpid());
		setenv("PMEMU_ROOT_PID", pid, 1); /* exec'd children know */
	}
	shim_real_init();
	shim_session_start(opts.root_pid == 0, shim_shared_size());
	shim_shared_start(shim_session_area(), opts.root_pid == 0 ||
		opts.root_pid == (long)getpid());
	shim_real_pmem_init();
	shim_poison_load();
	if (opts.root_pid == 0 && opts.badblocks != NULL) {
		shim_poison_apply_option(opts.badblocks);
		shim_poison_save();
	}
	shim_state_set_model(model_from_options(&opts));
	writer_open(&opts);
	if (shim_site_init() != 0)
		shim_fatal("cannot map the call site tables");
	shim_site_set_sink(site_sink);
	shim_state_set_hooks(shim_site_flush_pending, shim_shared_event,
		tx_event);
	shim_state_set_quiet(hooks_quiet);
	shim_state_set_section(shim_shared_section_begin,
		shim_shared_section_end);
	shim_state_set_drain(shim_store_log_drain);
	shim_store_log_set_merge(no_tx_open);
	shim_store_log_set_flush(hooks_quiet);
	shim_mappings_set_listener(shim_hooks_update_slots);
	shim_mappings_set_tracking(shim_dirty_setup, shim_dirty_release);
	shim_dirty_set_prot_hook(shim_poison_page_prot);
	shim_dirty_set_last_line_hook(shim_dirty_open_next);
	if (!opts.step_emul_off) {
		shim_dirty_set_store_hook(insn_store_run);
		shim_dirty_set_next_store_hook(insn_store_next);
	}
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	shim_signal_install();
	shim_kernel_aio_refuse();
	shim_file_inherit();
	shim_std_streams();
	shim_insn_init();
	shim_active = true;
	shim_depth--;
}

__attribute__((destructor(101))) static void
shim_fini(void)
{
	if (!shim_active)
		return;
	/* exit flushes the streams after every destructor: a stream of a
	 * view (fopen) flushes now, its writes traced and in the shutdown */
	(void)fflush(NULL);
	shim_depth++;
	shim_active = false; /* later calls (other destructors) go to REAL */
	shim_exit_notes();
	shim_shutdown(0);
}

