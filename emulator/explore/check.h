/* check.h -- running the check: exec'd, forked .so, in process (check.c) */
#ifndef PMEMU_XP_CHECK_H
#define PMEMU_XP_CHECK_H 1

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "dimm.h"
#include "explore_common.h"

enum xp_check_kind {
	XP_CHECK_EXEC = 0,
	XP_CHECK_SO_FORK = 1,
	XP_CHECK_SO_INPROC = 2,
};
enum xp_res_kind {
	XP_RES_PASS = 0,
	XP_RES_EXIT = 1,
	XP_RES_SIGNAL = 2,
	XP_RES_TIMEOUT = 3,
	XP_RES_ERROR = 4,
};
struct xp_result {
	enum xp_res_kind kind;
	int code;               /* ERROR: XP_RUNNER_LOST when the slot's
	                         * runner died (the check killed it) */
	int sig;
	bool forked;            /* exec: from a child of the fork server */
};
struct xp_check_cfg {
	enum xp_check_kind kind;
	const char *cmd;        /* exec: the command; so: LIB:FUNC */
	double timeout_s;
	bool shim;              /* exec without {pmem}: under libpmemu.so */
	const char *pmem_dir;   /* shim: the program's pmem dir */
	bool lazy;              /* exec under libpmemu-lazy.so (lazy.c) */
	bool fork_server;       /* exec: a fork server when safe
	                         * (check_fork.c; --fork-server) */
	/* set (to a signal number) by a signal handler: waiting for a
	 * check returns early (xp_check_wait) */
	volatile sig_atomic_t *stop;
};
#define XP_RUNNER_LOST (-1)
struct xp_checker;
/* nslots workers, slot i's image is pmem[i] in dir[i]; 0 or -1 */
int xp_checker_new(const struct xp_check_cfg *cfg, size_t nslots,
		struct xp_checker **c, char *err, size_t errlen);
void xp_checker_delete(struct xp_checker *c);
/* starts a check of slot's image; 0 or -1 (result recorded as ERROR) */
int xp_check_start(struct xp_checker *c, size_t slot, const char *dir,
		const char *pmem, const char *state, const char *markers);
/* waits for a started check to end: its slot and result; 0, -1 none,
 * -2 a signal set cfg.stop meanwhile */
int xp_check_wait(struct xp_checker *c, size_t *slot, struct xp_result *res);
/* start + wait for that one */
void xp_check_run(struct xp_checker *c, size_t slot, const char *dir,
		const char *pmem, const char *state, const char *markers,
		struct xp_result *res);
/* shim: PMEMU_PMEM_DIR for the check (the program's pmem dir) */
void xp_checker_set_pmem_dir(struct xp_checker *c, const char *dir);
/* PMEMU_DIRTY_SHUTDOWN=v for the checks started next (a cxl state: 1
 * when Global Persistent Flush failed); -1 (the default): not set */
void xp_checker_set_dirty_shutdown(struct xp_checker *c, int v);
/* each image checked next gets d as its DIMM (DIR/.pmemu-dimm), the count
 * one higher unless the state is a cxl GPF success (usc.h) */
void xp_checker_set_dimm(struct xp_checker *c, const struct trace_dimm *d);
/* fn(ctx, slot, write): 0 when fn can write slot's image (and what goes
 * with it) again as it was when its check started, 1 when not; write:
 * writes it (0, or -1: an error result). With fn, a check it can restore
 * may come from the fork server, and one the server did not pass runs
 * again by exec on that image, not on the one a failed child left (its
 * recovery's writes); any other check runs by exec */
typedef int (*xp_check_restore_fn)(void *ctx, size_t slot, bool write);
void xp_checker_set_restore(struct xp_checker *c, xp_check_restore_fn fn,
		void *ctx);
size_t xp_checker_busy(const struct xp_checker *c);
/* exec: why a slot ran its checks by exec, not from a fork server (the
 * first slot to say), or NULL */
const char *xp_checker_fork_off(const struct xp_checker *c);
/* the state id of the last check started in slot */
const char *xp_check_state(const struct xp_checker *c, size_t slot);
/* the check's output of the last run in slot (NUL terminated, tail) */
const char *xp_check_output(struct xp_checker *c, size_t slot);
const char *xp_res_kind_name(enum xp_res_kind k);
void xp_result_describe(const struct xp_result *r, char *buf, size_t len);

#endif
