/*
 * shim_options.h -- the PMEMU_* environment: one table, validated at start
 *
 * Every `pmemu run/record` option has a PMEMU_* variable, so the shim works
 * under a bare LD_PRELOAD too. Pure C (no I/O, no globals): the parser takes
 * an environment array and returns the options or one message; the cmocka
 * tests drive it alone. docs/shim.md lists the table.
 */
#ifndef PMEMU_SHIM_OPTIONS_H
#define PMEMU_SHIM_OPTIONS_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct shim_options {
	const char *pmem_dir;      /* PMEMU_PMEM_DIR, NULL: nothing emulated */
	enum model_domain domain;  /* PMEMU_DOMAIN, default adr */
	uint32_t line_len;         /* PMEMU_LINE, default 64 */
	bool clflush_weak;         /* PMEMU_CLFLUSH=weak */
	uint32_t sector_len;       /* PMEMU_SECTOR, default 512 */
	int error_exitcode;        /* PMEMU_ERROR_EXITCODE, -1 unset (CLI) */
	const char *log_file;      /* PMEMU_LOG_FILE (CLI) */
	bool quiet;                /* PMEMU_QUIET=1 (CLI) */
	bool ndctl;                /* PMEMU_NDCTL=on: libndctl sees the
				    * namespace (PMDK's SDS, bad blocks) */
	const char *report_path;   /* PMEMU_REPORT: findings file for run */
	const char *trace_path;    /* PMEMU_TRACE: trace of pmemu record */
	uint32_t trace_version;    /* PMEMU_TRACE_VERSION: 1 or 2; 0 the
	                              default (TRACE_VERSION) */
	const char *tmpdir;        /* PMEMU_TMPDIR: view files, /dev/shm */
	long root_pid;             /* PMEMU_ROOT_PID: first shim process, 0 */
	bool store_log_off;        /* PMEMU_STORE_LOG=0: each plugin store
	                              emitted at once, no per-thread log */
	bool alias_stores_off;     /* PMEMU_ALIAS_STORES=0: plugin-built
	                              stores go to the view (and fault),
	                              not through its writable alias */
	bool step_emul_off;        /* PMEMU_STEP_EMUL=0: every faulting
	                              store on a watched page is stepped,
	                              none run by the handler */
	bool patch_int3;           /* PMEMU_PATCH=int3: raw instructions
	                              trap, no trampolines (default jump) */
	bool tramp_xsave;          /* PMEMU_PATCH=jump-xsave: trampolines
	                              save the vector state with xsave, not
	                              by moving registers (insn_tramp.c) */
	const char *image_dir;     /* PMEMU_IMAGE: a check of a crash image:
	                              the pmem dir's files are its files */
	uint32_t latency_flush_ns; /* PMEMU_LATENCY flush=NS: per flushed
	                              line, 0 off */
	uint32_t latency_fence_ns; /* ... fence=NS: per fence after flushes */
	const char *badblocks;     /* PMEMU_BADBLOCK: FILE:OFFSET:LEN,...
	                              poisoned at start (first process) */
};

/*
 * --latency optane: round figures after Izraelevitz et al., "Basic
 * Performance Measurements of the Intel Optane DC Persistent Memory
 * Module" (2019, arXiv:1903.05714): a store+clwb+sfence round trip of
 * about 90 ns; a 64-byte line at one DIMM's ~2.3 GB/s write bandwidth,
 * about 30 ns (docs/shim.md)
 */
#define SHIM_LATENCY_OPTANE_FLUSH_NS 30
#define SHIM_LATENCY_OPTANE_FENCE_NS 90
#define SHIM_LATENCY_MAX_NS 1000000 /* 1 ms */

/* one known variable: its name, the option it mirrors, what it takes */
struct shim_env_var {
	const char *name;
	const char *option;        /* "--domain", or NULL (internal) */
	const char *values;        /* human description of valid values */
	/* 0, or -1 when value is malformed */
	int (*parse)(const char *value, struct shim_options *o);
};

/* the table of every PMEMU_* variable the shim or the pmemu CLI sets */
const struct shim_env_var *shim_env_table(size_t *n);

/* the defaults (nothing emulated, adr, 64-byte lines, 512-byte sectors) */
void shim_options_default(struct shim_options *o);

/*
 * parses every PMEMU_* entry of envp (NULL terminated, "NAME=value");
 * 0, or -1 with one line in err: an unknown PMEMU_ variable or a
 * malformed value. The strings of o point into envp.
 */
int shim_options_parse(char *const *envp, struct shim_options *o,
		char *err, size_t errlen);

#endif
