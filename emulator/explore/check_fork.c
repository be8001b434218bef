/*
 * check_fork.c -- the fork server of an exec'd check (docs/explore.md,
 * "The fork server"), driven by the slot's runner (check_runner.c)
 *
 * The check is spawned with LD_PRELOAD=libpmemu-fork.so (libshim/fork/)
 * and PMEMU_FORK_FD, one end of a SOCK_SEQPACKET pair. It says "H <pid>"
 * when the library loads, and at its first access to the image either
 * "S" (it serves) or "N <why>" (it goes on as a plain check). Per state
 * the runner sends the state's PMEMU_ variables; the server forks a child
 * that goes on from that access, says "C <pid>", then "W <wait status>"
 * ("F": that request could not be served).
 *
 * Only a PASS comes from here: a child that fails, crashes or hangs, a
 * server lost, and a check that failed under the preload are run again
 * by plain exec (the caller), whose verdict is reported. The server is
 * replaced after RUNS_MAX passes and after any non-PASS. Under
 * libpmemu-lazy.so (cfg->lazy) only a served child's PASS is taken (a
 * check that goes on without serving is stopped there and run by exec),
 * a server stays after its child's failure, and a slot whose checks
 * mostly fail runs them by exec (xp_fork_worth). For good, the
 * slot runs by exec when the check has shell syntax, did not load the
 * library (static, set-id), could not serve (another thread or process,
 * the image opened unseen), ended before it touched the image, or lost
 * FAILURES_MAX servers in a row; that reason goes back once.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check_fork.h"

#define RUNS_MAX 1024     /* states per server: bounds what it may leak */
#define FAILURES_MAX 3
#define MSG_MAX 512
#define BLOB_MAX (256u << 10)
#define SHARE_ONE 1024u   /* fail_share of every check failing */

void
xp_fork_kill(const struct xp_fork_server *s)
{
	pid_t c = s->child, p = s->pid;
	if (c > 0)
		xp_runner_kill_group(c);
	if (p > 0)
		xp_runner_kill_group(p);
}

void
xp_fork_stop(struct xp_fork_server *s)
{
	if (s->pid <= 0)
		return;
	xp_fork_kill(s);
	close(s->sock);
	if (s->pidfd >= 0)
		close(s->pidfd);
	xp_runner_reap(s->pid);
	s->pid = 0;
	s->child = 0;
	free(s->where);
	s->where = NULL;
}

static void
turn_off(struct xp_fork_server *s, const char *why)
{
	if (s->off == NULL)
		s->off = why;
}

void
xp_fork_tell(struct xp_fork_server *s, struct xp_runner_reply *rep)
{
	if (s->off == NULL || s->off_told)
		return;
	snprintf(rep->fork_off, sizeof(rep->fork_off), "%s", s->off);
	s->off_told = true;
}

bool
xp_fork_worth(const struct xp_fork_server *s, const struct xp_runner_cfg *cfg)
{
	return !cfg->lazy || s->fail_share < SHARE_ONE / 4;
}

void
xp_fork_note(struct xp_fork_server *s, const struct xp_result *res)
{
	unsigned failed = res->kind != XP_RES_PASS ? SHARE_ONE : 0;
	s->fail_share = s->fail_share - s->fail_share / 8 + failed / 8;
}

/* next_msg -- the server's next message into buf before the deadline
 * (0: none): 1, 0 the server ended or went quiet, -1 past the deadline */
static int
next_msg(struct xp_fork_server *s, double deadline, char *buf, size_t len)
{
	for (;;) {
		struct pollfd p[2] = { { s->sock, POLLIN, 0 },
			{ s->pidfd, POLLIN, 0 } };
		int ms = -1;
		if (deadline > 0) {
			double left = deadline - xp_runner_now();
			if (left <= 0)
				return -1;
			ms = (int)(left * 1000) + 1;
		}
		int rc = poll(p, s->pidfd >= 0 ? 2 : 1, ms);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc == 0)
			return -1;
		if (p[0].revents & POLLIN) {
			ssize_t n = recv(s->sock, buf, len - 1, 0);
			if (n > 0) {
				buf[n] = '\0';
				return 1;
			}
		}
		if (rc < 0 || p[0].revents || p[1].revents)
			return 0;
	}
}

/* preload_env -- envp with LD_PRELOAD=lib[:the user's] and the socket */
static char **
preload_env(const struct xp_runner_cfg *cfg, char **envp, int fd,
		char *pre, size_t prelen, char *fdvar, size_t fdlen)
{
	size_t n = 0;
	while (envp[n])
		n++;
	char **out = calloc(n + 3, sizeof(*out));
	if (out == NULL)
		return NULL;
	const char *user = NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(envp[i], "LD_PRELOAD=", 11) == 0)
			user = envp[i] + 11;
		else
			out[k++] = envp[i];
	}
	snprintf(pre, prelen, "LD_PRELOAD=%s%s%s", cfg->fork_lib,
			user && *user ? ":" : "", user ? user : "");
	snprintf(fdvar, fdlen, "PMEMU_FORK_FD=%d", fd);
	out[k++] = pre;
	out[k++] = fdvar;
	return out;
}

/* blob -- the PMEMU_ variables of envp, NUL-separated, in their order
 * (the server's environment has them in the same order); its length */
static size_t
blob(char **envp, char *buf, size_t cap)
{
	size_t len = 0;
	for (size_t i = 0; envp[i]; i++) {
		size_t l = strlen(envp[i]) + 1;
		if (strncmp(envp[i], "PMEMU_", 6) != 0)
			continue;
		if (len + l > cap)
			return 0;
		memcpy(buf + len, envp[i], l);
		len += l;
	}
	return len;
}

/* plain -- the spawned check goes on without serving: its own verdict
 * (a PASS is taken, anything else is run again by plain exec) */
static bool
plain(struct xp_fork_server *s, double timeout_s, struct xp_result *res)
{
	bool timed_out = false;
	close(s->sock);
	s->sock = -1;
	if (s->pidfd >= 0 && timeout_s > 0) {
		struct pollfd p = { s->pidfd, POLLIN, 0 };
		int rc;
		while ((rc = poll(&p, 1, (int)(timeout_s * 1000))) < 0 &&
				errno == EINTR)
			;
		if (rc == 0) {
			xp_runner_kill_group(s->pid);
			timed_out = true;
		}
	}
	xp_runner_status(xp_runner_reap(s->pid), timed_out, res);
	if (s->pidfd >= 0)
		close(s->pidfd);
	s->pid = 0;
	free(s->where);
	s->where = NULL;
	return res->kind == XP_RES_PASS;
}

/* start -- spawns the check under the preload and waits for "S": 1
 * serving; 0 it went on as a plain check (res: its verdict if a PASS),
 * -1 run this state by exec */
static int
start(struct xp_fork_server *s, const struct xp_runner_cfg *cfg,
		char **argv, const char *where, char **envp, double deadline,
		struct xp_result *res, bool *passed)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
		return -1;
	fcntl(sv[0], F_SETFD, FD_CLOEXEC);
	char pre[4096 + 64], fdvar[32];
	char **env = preload_env(cfg, envp, sv[1], pre, sizeof(pre), fdvar,
			sizeof(fdvar));
	pid_t pid;
	int rc = env ? xp_runner_spawn(cfg, argv, env, &pid) : -1;
	free(env);
	close(sv[1]);
	if (rc != 0) {
		close(sv[0]);
		return -1;
	}
	*s = (struct xp_fork_server){ .pid = pid, .sock = sv[0],
		.pidfd = (int)syscall(SYS_pidfd_open, pid, 0),
		.failures = s->failures, .off = s->off,
		.off_told = s->off_told, .fail_share = s->fail_share,
		.where = strdup(where) };
	if (s->where == NULL) {
		xp_fork_stop(s);
		return -1;
	}
	char msg[MSG_MAX];
	bool hello = false;
	for (;;) {
		int got = next_msg(s, deadline, msg, sizeof(msg));
		if (got < 0) {
			xp_fork_stop(s);
			return -1; /* hung before the image: by exec */
		}
		if (got == 1 && msg[0] == 'H') {
			hello = true;
			continue;
		}
		if (got == 1 && msg[0] == 'S')
			return 1;
		if (got == 1 && msg[0] == 'N') {
			static char why[MSG_MAX];
			snprintf(why, sizeof(why), "%s", msg + 2);
			turn_off(s, why);
		} else if (!hello) {
			turn_off(s, "the check did not load libpmemu-fork.so "
				"(a static or set-id program)");
		} else {
			turn_off(s, "the check ended, or ran another program, "
				"before it touched the image");
		}
		if (cfg->lazy) {
			/* libpmemu-lazy.so started only at the trigger: its
			 * read log may miss what the check did before */
			xp_fork_stop(s);
			return 0;
		}
		/* what is left of the timeout (0 is none: at least 1 ms) */
		double left = deadline > 0 ? deadline - xp_runner_now() : 0;
		*passed = plain(s, deadline > 0 && left < 0.001 ? 0.001 : left,
				res);
		return 0;
	}
}

/* served -- one state through the running server: true with a PASS */
static bool
served(struct xp_fork_server *s, char **envp, double deadline,
		const char *lazy_dir, struct xp_result *res)
{
	static char buf[BLOB_MAX];
	char msg[MSG_MAX];
	size_t len = blob(envp, buf, sizeof(buf));
	if (len == 0 || send(s->sock, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
		return false;
	int got = next_msg(s, deadline, msg, sizeof(msg));
	if (got != 1 || msg[0] != 'C')
		return false;
	s->child = (pid_t)atol(msg + 2);
	double waited = 0, w;
	/* the time it waited for children forked at reads is not its own */
	while ((got = next_msg(s, deadline > 0 ? deadline + waited : 0, msg,
			sizeof(msg))) < 0 && lazy_dir != NULL &&
			(w = xp_runner_lazy_waited(lazy_dir)) > waited)
		waited = w;
	if (got != 1 || msg[0] != 'W')
		return false; /* a hang (killed with the server), or lost */
	s->child = 0;
	xp_runner_status(atoi(msg + 2), false, res);
	res->forked = true;
	return res->kind == XP_RES_PASS;
}

bool
xp_fork_check(struct xp_fork_server *s, const struct xp_runner_cfg *cfg,
		const struct xp_check_cmd *cmd, const char *pmem,
		const char *dir, char **envp, struct xp_result *res)
{
	memset(res, 0, sizeof(*res));
	if (!cmd->simple)
		turn_off(s, "the check has shell syntax (it runs with /bin/sh "
			"-c, and the process that touches the image is not "
			"the one pmemu waits for)");
	if (s->failures >= FAILURES_MAX)
		turn_off(s, "the fork server failed 3 times in a row");
	if (s->off != NULL)
		return false;
	double deadline = cfg->timeout_s > 0 ? xp_runner_now() + cfg->timeout_s : 0;
	bool passed = false;
	char where[2 * PATH_MAX + 2];
	snprintf(where, sizeof(where), "%s\n%s", pmem, dir);
	/* its children go on with its argv: another image, another server
	 * (the explanation's images are in a directory of their own) */
	if (s->pid > 0 && strcmp(s->where, where) != 0)
		xp_fork_stop(s);
	if (s->pid <= 0) {
		char **argv = xp_check_cmd_argv(cmd, pmem, dir);
		int rc = start(s, cfg, argv, where, envp, deadline, res,
				&passed);
		xp_check_cmd_argv_free(argv);
		if (rc <= 0) {
			if (rc < 0)
				s->failures++;
			return passed;
		}
	}
	passed = served(s, envp, deadline, cfg->lazy ? dir : NULL, res);
	/* a child that ended cannot have changed its server; under lazy,
	 * where most runs of a buggy check fail, the server stays */
	bool keep = passed || (cfg->lazy && res->forked);
	if (!keep || ++s->runs >= RUNS_MAX) {
		if (!res->forked)
			s->failures++; /* the server, not the check, failed */
		xp_fork_stop(s);
	}
	if (passed)
		s->failures = 0;
	return passed;
}
