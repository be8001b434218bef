/*
 * check_fork.h -- the fork server of an exec'd check (check_fork.c,
 * docs/explore.md "The fork server"): run by the slot's runner
 */
#ifndef PMEMU_CHECK_FORK_H
#define PMEMU_CHECK_FORK_H 1

#include <stdbool.h>
#include <sys/types.h>

#include "check.h"
#include "check_cmd.h"
#include "check_runner.h"

struct xp_fork_server {
	pid_t pid;          /* the server, a group leader; 0: none */
	int pidfd, sock;
	volatile pid_t child; /* the state's process running now, or 0 */
	unsigned runs;      /* states it passed */
	char *where;        /* the image file and directory it was started
	                     * on ("pmem\ndir"): its argv holds them */
	unsigned failures;  /* servers lost in a row */
	const char *off;    /* why the slot runs its checks by exec now */
	bool off_told;      /* that reason went back in a result */
	unsigned fail_share; /* of the slot's last checks, the share that
	                      * failed (a moving average, of 1024) */
};

/* one state (its image pmem in dir, environment envp) through the fork server;
 * true with its verdict in res (a PASS: from a child of the server, or
 * from the check run under the preload when it could not serve), false:
 * run it by plain exec (nothing reported yet; a server's failure is
 * never a verdict) */
bool xp_fork_check(struct xp_fork_server *s, const struct xp_runner_cfg *cfg,
		const struct xp_check_cmd *cmd, const char *pmem,
		const char *dir, char **envp, struct xp_result *res);
/* under libpmemu-lazy.so, whether the slot's next check should try the
 * server: a check it does not pass costs a run by exec after the child's,
 * a PASS saves an exec, so not while more than a quarter of the slot's
 * last checks failed (a buggy program's runs: most fail) */
bool xp_fork_worth(const struct xp_fork_server *s,
		const struct xp_runner_cfg *cfg);
/* the verdict of a check of the slot, served or by exec */
void xp_fork_note(struct xp_fork_server *s, const struct xp_result *res);
/* the reason the server stopped for good into res, the first time */
void xp_fork_tell(struct xp_fork_server *s, struct xp_runner_reply *rep);
/* ends the server and its child (their groups) */
void xp_fork_stop(struct xp_fork_server *s);
/* async-signal-safe: SIGKILL to the server's and the child's groups */
void xp_fork_kill(const struct xp_fork_server *s);

#endif
