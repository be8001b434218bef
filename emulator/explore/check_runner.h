/*
 * check_runner.h -- the runner process of a check slot (check_runner.c)
 *
 * One small runner per slot, forked before the trace is loaded, runs the
 * checks of that slot so that the explorer never forks or waits for an
 * execve itself: it writes a request and later reads a struct xp_result.
 */
#ifndef PMEMU_CHECK_RUNNER_H
#define PMEMU_CHECK_RUNNER_H 1

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "check.h"

typedef int (*xp_check_fn)(const char *image);

struct xp_runner_cfg {
	enum xp_check_kind kind;  /* XP_CHECK_EXEC or XP_CHECK_SO_FORK */
	double timeout_s;         /* 0: none */
	const char *cmd;          /* exec: the --check template */
	xp_check_fn fn;           /* so */
	char *const *base_env;    /* exec: environ minus our variables */
	size_t nenv;
	int out_fd;               /* the checks' stdout and stderr */
	const char *fork_lib;     /* exec: libpmemu-fork.so, or NULL: no fork
	                           * server (check_fork.c) */
	bool lazy;                /* exec under libpmemu-lazy.so: only a
	                           * served child's PASS is taken (a check
	                           * that goes on plain is stopped) */
};

/*
 * Request fields (NUL-terminated strings, in this order): the state id,
 * the markers, the image file, the image directory, how to run it (exec:
 * XP_REQ_HOW_*); exec adds our environment variables (the runner
 * substitutes the paths into the command, check_cmd.c).
 */
/* a runner's reply to a request */
struct xp_runner_reply {
	struct xp_result res;
	char fork_off[160];     /* exec: why the slot's fork server stopped
	                         * for good (told once), else "" */
	bool rerun;             /* XP_REQ_HOW_RESTORES: the fork server gave
	                         * no PASS; res holds nothing: restore the
	                         * image and send it again, XP_REQ_HOW_EXEC */
};

enum { XP_REQ_STATE, XP_REQ_MARKERS, XP_REQ_PMEM, XP_REQ_DIR, XP_REQ_HOW,
	XP_REQ_ENV };
/* XP_REQ_HOW: "r" the fork server when it can (by exec when it cannot),
 * and after no PASS from it reply rerun (the explorer restores the image
 * first: never a run again on what a failed child wrote); "x" by exec */
#define XP_REQ_HOW_RESTORES "r"
#define XP_REQ_HOW_EXEC "x"
#define XP_REQ_MAX_FIELDS 16

/* CLOCK_MONOTONIC in seconds */
double xp_runner_now(void);
/* lazy: the seconds the check's root process in image directory dir
 * has waited for the children libpmemu-lazy.so forked at its reads (not
 * its own time against the timeout; libshim/lazy/lazy_wait.h) */
double xp_runner_lazy_waited(const char *dir);

/* forks the runner; close_fds (n of them) are closed in it (the other
 * runners' pipes, so each sees EOF when the explorer goes); 0 or -1 */
int xp_runner_fork(const struct xp_runner_cfg *cfg, const int *close_fds,
		size_t nclose, pid_t *pid, int *req_fd, int *rep_fd);
/* one request; 0 or -1 (too long, or the runner is gone) */
int xp_runner_send(int req_fd, const char *const *field, size_t n);

/* for check_fork.c: posix_spawnp of argv in its own group, output to
 * cfg->out_fd; the spawn's error number */
int xp_runner_spawn(const struct xp_runner_cfg *cfg, char **argv,
		char **envp, pid_t *pid);
/* a wait status as a result */
void xp_runner_status(int st, bool timed_out, struct xp_result *res);
/* SIGKILL to pid's group and pid */
void xp_runner_kill_group(pid_t pid);
/* waitpid through EINTR: the status */
int xp_runner_reap(pid_t pid);

#endif
