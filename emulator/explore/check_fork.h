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
};

/* one state (its image pmem in dir, environment envp) through the fork server;
 * true with its verdict in res (a PASS: from a child of the server, or
 * from the check run under the preload when it could not serve), false:
 * run it by plain exec (nothing reported yet; a server's failure is
 * never a verdict) */
bool xp_fork_check(struct xp_fork_server *s, const struct xp_runner_cfg *cfg,
		const struct xp_check_cmd *cmd, const char *pmem,
		const char *dir, char **envp, struct xp_result *res);
/* the reason the server stopped for good into res, the first time */
void xp_fork_tell(struct xp_fork_server *s, struct xp_runner_reply *rep);
/* ends the server and its child (their groups) */
void xp_fork_stop(struct xp_fork_server *s);
/* async-signal-safe: SIGKILL to the server's and the child's groups */
void xp_fork_kill(const struct xp_fork_server *s);

#endif
