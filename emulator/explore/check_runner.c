/*
 * check_runner.c -- the runner of a check slot: requests in, results out
 *
 * exec: the runner posix_spawns CMD (check_cmd.c) in its own process
 *       group and waits for it (killing the group past the timeout), so
 *       the explorer never blocks on a vfork+execve; it is a subreaper
 *       and ends all a check left running before the next one
 *       (check_reap.c);
 * so:   the runner keeps one long-lived child that has the library loaded
 *       and calls FUNC(image) per request, instead of a fork per state.
 *       A child is reused only after checks that passed. A check that
 *       fails, crashes or hangs in a reused child is run again in a fresh
 *       one and that verdict is reported, so what an earlier check left
 *       behind (an open pool, a descriptor) never fails a state; the
 *       child is replaced after every failure and every RUNS_MAX checks.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <time.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../libshim/lazy/lazy_wait.h"
#include "check_cmd.h"
#include "check_fork.h"
#include "check_reap.h"
#include "check_runner.h"
#include "check.h"

#define REQ_CAP (1u << 16)
#define RUNS_MAX 4096  /* checks per so child: bounds what checks leak */

/* the check process (group) running now, for the SIGTERM handler */
static volatile pid_t current_child;
/* the slot's fork server (exec), for the SIGTERM handler */
static struct xp_fork_server fork_server;

struct so_child {
	pid_t pid;      /* 0: none */
	int pidfd;
	int req, rep;   /* request to it, its 4-byte reply */
	unsigned runs;  /* checks it passed */
};

void
xp_runner_status(int st, bool timed_out, struct xp_result *res)
{
	memset(res, 0, sizeof(*res));
	if (timed_out)
		res->kind = XP_RES_TIMEOUT;
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		res->kind = XP_RES_PASS;
	else if (WIFEXITED(st)) {
		res->kind = XP_RES_EXIT;
		res->code = WEXITSTATUS(st);
	} else if (WIFSIGNALED(st)) {
		res->kind = XP_RES_SIGNAL;
		res->sig = WTERMSIG(st);
	} else
		res->kind = XP_RES_ERROR;
}

static void
error_result(struct xp_result *res)
{
	memset(res, 0, sizeof(*res));
	res->kind = XP_RES_ERROR;
}

/* poll_in -- waits for fd up to timeout_s (0: forever): 1 ready, 0 late */
static int
poll_in(int fd, double timeout_s)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int rc;
	do
		rc = poll(&p, 1, timeout_s > 0 ? (int)(timeout_s * 1000) : -1);
	while (rc < 0 && errno == EINTR);
	return rc != 0;
}

void
xp_runner_kill_group(pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
}

int
xp_runner_reap(pid_t pid)
{
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

double
xp_runner_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

double
xp_runner_lazy_waited(const char *dir)
{
	char path[PATH_MAX + 16];
	struct lw_wait_level l;
	snprintf(path, sizeof(path), "%s.lazy-wait", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = pread(fd, &l, sizeof(l), offsetof(struct lw_wait, lvl));
	close(fd);
	return n == (ssize_t)sizeof(l) ?
		(double)lw_wait_ns(&l, (uint64_t)(xp_runner_now() * 1e9)) / 1e9 : 0;
}

/* wait_child -- waits for pid up to timeout_s of its own time (lazy_dir:
 * the time it waited for the children libpmemu-lazy.so forked is not its
 * own); kills its group past it */
static void
wait_child(pid_t pid, double timeout_s, const char *lazy_dir,
		struct xp_result *res)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	bool timed_out = false;
	double start = xp_runner_now(), waited = 0;
	while (pidfd >= 0 && timeout_s > 0) {
		double left = timeout_s - (xp_runner_now() - start - waited);
		if (left > 0 && poll_in(pidfd, left < 0.001 ? 0.001 : left))
			break;
		double w = lazy_dir ? xp_runner_lazy_waited(lazy_dir) : 0;
		if (w <= waited) {
			xp_runner_kill_group(pid);
			timed_out = true;
			break;
		}
		waited = w;
	}
	if (pidfd >= 0)
		close(pidfd);
	xp_runner_status(xp_runner_reap(pid), timed_out, res);
}

/* on_term -- the explorer stops with a check running: take it along */
static void
on_term(int sig)
{
	(void)sig;
	if (current_child > 0)
		xp_runner_kill_group(current_child);
	xp_fork_kill(&fork_server);
	/* reaped, not only killed: the explorer waits for this process, and
	 * once it has, nothing the check started may be left running */
	xp_reap_descendants(0);
	_exit(0);
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* read_request -- a request into buf (length word included, *len bytes
 * in all) split into its fields; 0 or -1 at EOF */
static int
read_request(int fd, char *buf, size_t *len, const char **field, size_t *n)
{
	uint32_t body;
	if (read_all(fd, &body, 4) != 0 || body >= REQ_CAP)
		return -1;
	memcpy(buf, &body, 4);
	if (read_all(fd, buf + 4, body) != 0)
		return -1;
	buf[4 + body] = '\0';
	*len = 4 + body;
	*n = 0;
	for (size_t at = 4; at < 4 + body && *n < XP_REQ_MAX_FIELDS;
			at += strlen(buf + at) + 1)
		field[(*n)++] = buf + at;
	return *n > XP_REQ_HOW ? 0 : -1;
}

int
xp_runner_send(int req_fd, const char *const *field, size_t n)
{
	static char buf[4 + REQ_CAP];
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(field[i]) + 1;
		if (len + l >= REQ_CAP)
			return -1;
		memcpy(buf + 4 + len, field[i], l);
		len += l;
	}
	uint32_t body = (uint32_t)len;
	memcpy(buf, &body, 4);
	return write_all(req_fd, buf, 4 + len);
}

/* spawn -- argv[0] (searched in PATH) with envp, in its own group, its
 * output to out_fd; the spawn's error number */
int
xp_runner_spawn(const struct xp_runner_cfg *cfg, char **argv, char **envp,
		pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE); /* ignored here: not in the check */
	sigaddset(&dfl, SIGINT);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, cfg->out_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, cfg->out_fd, 2);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
			POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	int rc = posix_spawnp(pid, argv[0], &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc;
}

/* exec_check -- the command with our variables, in its own group: from
 * the fork server when it can (check_fork.c), else by execvp when it has
 * no shell syntax (a program that cannot be found is left to the shell,
 * which says so), else /bin/sh -c; *rerun: the fork server gave no PASS
 * and the explorer restores the image before it is run by exec */
static void
exec_check(const struct xp_runner_cfg *cfg, const struct xp_check_cmd *cmd,
		const char **f, size_t n, struct xp_result *res, bool *rerun)
{
	char *envp[cfg->nenv + XP_REQ_MAX_FIELDS + 1];
	memcpy(envp, cfg->base_env, cfg->nenv * sizeof(*envp));
	size_t k = cfg->nenv;
	for (size_t i = XP_REQ_ENV; i < n; i++)
		envp[k++] = (char *)f[i];
	envp[k] = NULL;
	bool by_exec = strcmp(f[XP_REQ_HOW], XP_REQ_HOW_EXEC) == 0;
	if (cfg->fork_lib != NULL && fork_server.off == NULL && !by_exec &&
			xp_fork_worth(&fork_server, cfg)) {
		bool done = xp_fork_check(&fork_server, cfg, cmd,
				f[XP_REQ_PMEM], f[XP_REQ_DIR], envp, res);
		*rerun = !done;
		if (done)
			xp_fork_note(&fork_server, res);
		return;
	}
	/* after a fork server's try: by exec, with only its own output */
	if (by_exec && (ftruncate(cfg->out_fd, 0) != 0 ||
			lseek(cfg->out_fd, 0, SEEK_SET) < 0))
		return error_result(res);
	pid_t pid;
	int rc = -1;
	if (cmd->simple) {
		char **argv = xp_check_cmd_argv(cmd, f[XP_REQ_PMEM],
				f[XP_REQ_DIR]);
		rc = xp_runner_spawn(cfg, argv, envp, &pid);
		xp_check_cmd_argv_free(argv);
	}
	if (rc != 0) {
		char *line = xp_check_cmd_shell(cfg->cmd, f[XP_REQ_PMEM],
				f[XP_REQ_DIR]);
		char *argv[] = { "/bin/sh", "-c", line, NULL };
		rc = xp_runner_spawn(cfg, argv, envp, &pid);
		free(line);
	}
	if (rc != 0)
		return error_result(res);
	current_child = pid;
	wait_child(pid, cfg->timeout_s, cfg->lazy ? f[XP_REQ_DIR] : NULL, res);
	current_child = 0;
	xp_fork_note(&fork_server, res);
}

/* so_child_main -- FUNC(image) per request, its verdict back */
static void __attribute__((noreturn))
so_child_main(const struct xp_runner_cfg *cfg, int req, int rep)
{
	static char buf[4 + REQ_CAP];
	const char *f[XP_REQ_MAX_FIELDS];
	size_t len, n;
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	setpgid(0, 0);
	dup2(cfg->out_fd, 1);
	dup2(cfg->out_fd, 2);
	while (read_request(req, buf, &len, f, &n) == 0) {
		setenv("PMEMU_STATE", f[XP_REQ_STATE], 1);
		setenv("PMEMU_MARKERS", f[XP_REQ_MARKERS], 1);
		setenv("PMEMU_IMAGE", f[XP_REQ_DIR], 1);
		unsetenv("PMEMU_DIRTY_SHUTDOWN");
		for (size_t i = XP_REQ_ENV; i < n; i++)
			if (strncmp(f[i], "PMEMU_DIRTY_SHUTDOWN=", 21) == 0)
				setenv("PMEMU_DIRTY_SHUTDOWN", f[i] + 21, 1);
		int rc = cfg->fn(f[XP_REQ_PMEM]);
		fflush(NULL);
		int32_t code = rc == 0 ? 0 : (rc & 0xff) ? (rc & 0xff) : 1;
		if (write_all(rep, &code, 4) != 0)
			break;
	}
	_exit(0);
}

static void
so_child_stop(struct so_child *k)
{
	if (k->pid <= 0)
		return;
	close(k->req);
	close(k->rep);
	xp_runner_kill_group(k->pid);
	xp_runner_reap(k->pid);
	if (k->pidfd >= 0)
		close(k->pidfd);
	k->pid = 0;
	current_child = 0;
}

static int
so_child_start(struct so_child *k, const struct xp_runner_cfg *cfg)
{
	int req[2], rep[2];
	if (pipe2(req, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(rep, O_CLOEXEC) != 0) {
		close(req[0]);
		close(req[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(req[1]);
		close(rep[0]);
		so_child_main(cfg, req[0], rep[1]);
	}
	close(req[0]);
	close(rep[1]);
	if (pid < 0) {
		close(req[1]);
		close(rep[0]);
		return -1;
	}
	*k = (struct so_child){ .pid = pid, .req = req[1], .rep = rep[0],
		.pidfd = (int)syscall(SYS_pidfd_open, pid, 0) };
	current_child = pid;
	return 0;
}

/* so_attempt -- one request in the current child (a new one if none) */
static void
so_attempt(struct so_child *k, const struct xp_runner_cfg *cfg,
		const char *msg, size_t len, struct xp_result *res)
{
	if (k->pid <= 0 && so_child_start(k, cfg) != 0)
		return error_result(res);
	int32_t code;
	if (write_all(k->req, msg, len) != 0) {
		so_child_stop(k);
		return error_result(res);
	}
	if (poll_in(k->rep, cfg->timeout_s) == 0) {
		so_child_stop(k); /* kills it: past the timeout */
		memset(res, 0, sizeof(*res));
		res->kind = XP_RES_TIMEOUT;
		return;
	}
	if (read_all(k->rep, &code, 4) != 0) { /* it died in the check */
		close(k->req);
		close(k->rep);
		int st = xp_runner_reap(k->pid);
		kill(-k->pid, SIGKILL); /* what it started */
		if (k->pidfd >= 0)
			close(k->pidfd);
		k->pid = 0;
		current_child = 0;
		xp_runner_status(st, false, res);
		return;
	}
	memset(res, 0, sizeof(*res));
	res->kind = code == 0 ? XP_RES_PASS : XP_RES_EXIT;
	res->code = code;
}

static void
so_check(struct so_child *k, const struct xp_runner_cfg *cfg,
		const char *msg, size_t len, struct xp_result *res)
{
	bool reused = k->pid > 0;
	so_attempt(k, cfg, msg, len, res);
	if (res->kind == XP_RES_PASS) {
		if (++k->runs >= RUNS_MAX)
			so_child_stop(k);
		return;
	}
	so_child_stop(k); /* its state after a failure is suspect */
	if (!reused)
		return;
	/* confirmed in a fresh child, with only its own output */
	if (ftruncate(cfg->out_fd, 0) != 0 ||
			lseek(cfg->out_fd, 0, SEEK_SET) < 0)
		return;
	so_attempt(k, cfg, msg, len, res);
	so_child_stop(k);
}

static void __attribute__((noreturn))
runner_main(const struct xp_runner_cfg *cfg, int req, int rep)
{
	static char buf[4 + REQ_CAP];
	const char *f[XP_REQ_MAX_FIELDS];
	size_t len, n;
	struct so_child k = { .pid = 0, .pidfd = -1 };
	struct xp_check_cmd cmd = { 0 };
	if (cfg->kind == XP_CHECK_EXEC &&
			xp_check_cmd_parse(cfg->cmd, &cmd) != 0)
		_exit(1); /* the CLI rejects an empty command */
	xp_reap_become_subreaper();
	struct sigaction term = { .sa_handler = on_term };
	sigemptyset(&term.sa_mask);
	sigaction(SIGTERM, &term, NULL);
	signal(SIGPIPE, SIG_IGN); /* a dead child's pipe: EPIPE, not death */
	signal(SIGINT, SIG_IGN);  /* the terminal's ^C is the explorer's to
	                           * handle: it stops us with SIGTERM */
	while (read_request(req, buf, &len, f, &n) == 0) {
		struct xp_runner_reply r;
		memset(&r, 0, sizeof(r));
		if (cfg->kind == XP_CHECK_EXEC)
			exec_check(cfg, &cmd, f, n, &r.res, &r.rerun);
		else
			so_check(&k, cfg, buf, len, &r.res);
		xp_fork_tell(&fork_server, &r);
		/* what the check left running ends before the next one */
		xp_reap_descendants(k.pid > 0 ? k.pid : fork_server.pid);
		if (write_all(rep, &r, sizeof(r)) != 0)
			break;
	}
	so_child_stop(&k);
	xp_fork_stop(&fork_server);
	_exit(0);
}

int
xp_runner_fork(const struct xp_runner_cfg *cfg, const int *close_fds,
		size_t nclose, pid_t *pid, int *req_fd, int *rep_fd)
{
	int req[2], rep[2];
	if (pipe2(req, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(rep, O_CLOEXEC) != 0) {
		close(req[0]);
		close(req[1]);
		return -1;
	}
	pid_t p = fork();
	if (p == 0) {
		close(req[1]);
		close(rep[0]);
		for (size_t i = 0; i < nclose; i++)
			close(close_fds[i]);
		runner_main(cfg, req[0], rep[1]);
	}
	close(req[0]);
	close(rep[1]);
	if (p < 0) {
		close(req[1]);
		close(rep[0]);
		return -1;
	}
	*pid = p;
	*req_fd = req[1];
	*rep_fd = rep[0];
	return 0;
}
