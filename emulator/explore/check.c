/* check.c -- running the user's check on an image, one slot per worker
 *
 * exec:  /bin/sh -c CMD through posix_spawn (a vfork: cheap whatever our
 *        size), in its own process group so a timeout kills all of it;
 * so-fork: a small runner process per slot, forked before the trace is
 *        loaded, dlopen()s LIB and forks a child per check that calls
 *        FUNC(image) and exits with its value (a crash is a signal);
 * so-in-process: FUNC is called right here (no timeout: a check that
 *        hangs hangs pmemu; documented).
 * Exit status 0 is a consistent image. Completion is waited for with
 * poll() on a pidfd (exec) or on the runner's reply pipe.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "explore.h"

extern char **environ;

#define OUT_TAIL 4096

typedef int (*check_fn)(const char *image);

struct slot_run {
	bool busy, done, timed_out;
	pid_t pid;
	int pidfd;
	double deadline;
	int req_fd, rep_fd;     /* so-fork runner pipes */
	pid_t runner;
	int out_fd;             /* the check's stdout and stderr */
	struct xp_result res;
	char out[OUT_TAIL + 1];
	char *env[8];           /* our variables, freed at the next start */
};

struct xp_checker {
	struct xp_check_cfg cfg;
	size_t nslots;
	struct slot_run *s;
	char **envp;            /* environ minus ours + room for ours */
	size_t nenv;
	check_fn fn;            /* in-process */
	void *handle;
	size_t busy;
	char *pmem_dir;         /* shim: the program's pmem dir (owned) */
};

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

const char *
xp_res_kind_name(enum xp_res_kind k)
{
	static const char *const names[] = { "pass", "exit", "signal",
		"timeout", "error" };
	return (unsigned)k < 5 ? names[k] : "error";
}

void
xp_result_describe(const struct xp_result *r, char *buf, size_t len)
{
	switch (r->kind) {
	case XP_RES_PASS: snprintf(buf, len, "passed"); break;
	case XP_RES_EXIT: snprintf(buf, len, "exit status %d", r->code); break;
	case XP_RES_SIGNAL: snprintf(buf, len, "killed by signal %d (%s)",
			r->sig, strsignal(r->sig)); break;
	case XP_RES_TIMEOUT: snprintf(buf, len, "timed out (killed)"); break;
	default: snprintf(buf, len, "could not be run"); break;
	}
}

static void
status_result(int st, bool timed_out, struct xp_result *res)
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

/* wait_child -- waits for pid up to timeout_s (0: forever); kills its
 * process group past it */
static void
wait_child(pid_t pid, double timeout_s, struct xp_result *res)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	bool timed_out = false;
	if (pidfd >= 0 && timeout_s > 0) {
		struct pollfd p = { pidfd, POLLIN, 0 };
		int rc;
		do
			rc = poll(&p, 1, (int)(timeout_s * 1000));
		while (rc < 0 && errno == EINTR);
		if (rc == 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			timed_out = true;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	status_result(st, timed_out, res);
}

/* runner_main -- the so-fork runner: request in, child, result out */
static void __attribute__((noreturn))
runner_main(const struct xp_check_cfg *cfg, check_fn fn, int req, int rep,
		int out_fd)
{
	char buf[1 << 16];
	for (;;) {
		uint32_t len;
		if (read(req, &len, 4) != 4 || len >= sizeof(buf))
			_exit(0);
		size_t got = 0;
		while (got < len) {
			ssize_t n = read(req, buf + got, len - got);
			if (n <= 0)
				_exit(0);
			got += (size_t)n;
		}
		buf[len] = '\0';
		const char *state = buf, *markers = state + strlen(state) + 1;
		const char *pmem = markers + strlen(markers) + 1;
		const char *dir = pmem + strlen(pmem) + 1;
		struct xp_result res;
		pid_t pid = fork();
		if (pid == 0) {
			setpgid(0, 0);
			dup2(out_fd, 1);
			dup2(out_fd, 2);
			setenv("PMEMU_STATE", state, 1);
			setenv("PMEMU_MARKERS", markers, 1);
			setenv("PMEMU_IMAGE", dir, 1);
			int rc = fn(pmem);
			fflush(NULL);
			_exit(rc == 0 ? 0 : (rc & 0xff) ? (rc & 0xff) : 1);
		}
		if (pid < 0) {
			memset(&res, 0, sizeof(res));
			res.kind = XP_RES_ERROR;
		} else {
			wait_child(pid, cfg->timeout_s, &res);
		}
		if (write(rep, &res, sizeof(res)) != sizeof(res))
			_exit(0);
	}
}

/* load_so -- "LIB:FUNC" resolved; 0 or -1 */
static int
load_so(const char *spec, void **handle, check_fn *fn, char *err,
		size_t errlen)
{
	const char *colon = strrchr(spec, ':');
	if (colon == NULL || colon == spec || colon[1] == '\0') {
		snprintf(err, errlen, "--check-so %s: expected LIB:FUNC", spec);
		return -1;
	}
	char *lib = strndup(spec, (size_t)(colon - spec));
	*handle = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	free(lib);
	if (*handle == NULL) {
		snprintf(err, errlen, "--check-so: %s", dlerror());
		return -1;
	}
	*(void **)fn = dlsym(*handle, colon + 1);
	if (*fn == NULL) {
		snprintf(err, errlen, "--check-so %s: no function %s", spec,
				colon + 1);
		return -1;
	}
	return 0;
}

static int
start_runner(struct xp_checker *c, struct slot_run *s)
{
	int req[2], rep[2];
	if (pipe2(req, O_CLOEXEC) != 0 || pipe2(rep, O_CLOEXEC) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(req[1]);
		close(rep[0]);
		/* the other runners' pipes: they must see EOF when we go */
		for (size_t i = 0; i < c->nslots; i++) {
			if (&c->s[i] == s || c->s[i].req_fd < 0)
				continue;
			close(c->s[i].req_fd);
			close(c->s[i].rep_fd);
		}
		runner_main(&c->cfg, c->fn, req[0], rep[1], s->out_fd);
	}
	close(req[0]);
	close(rep[1]);
	s->req_fd = req[1];
	s->rep_fd = rep[0];
	s->runner = pid;
	return 0;
}

/* base_env -- environ without the variables we set per check */
static void
base_env(struct xp_checker *c)
{
	size_t n = 0;
	while (environ[n])
		n++;
	c->envp = calloc(n + 8, sizeof(*c->envp));
	if (c->envp == NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		const char *e = environ[i];
		if (strncmp(e, "PMEMU_STATE=", 12) == 0 ||
				strncmp(e, "PMEMU_MARKERS=", 14) == 0 ||
				strncmp(e, "PMEMU_IMAGE=", 12) == 0 ||
				(c->cfg.shim && (strncmp(e, "LD_PRELOAD=", 11)
				== 0 || strncmp(e, "PMEMU_PMEM_DIR=", 15) == 0)))
			continue;
		c->envp[c->nenv++] = environ[i];
	}
}

int
xp_checker_new(const struct xp_check_cfg *cfg, size_t nslots,
		struct xp_checker **out, char *err, size_t errlen)
{
	struct xp_checker *c = calloc(1, sizeof(*c));
	if (c == NULL)
		abort();
	c->cfg = *cfg;
	c->nslots = nslots;
	c->s = calloc(nslots, sizeof(*c->s));
	if (c->s == NULL)
		abort();
	*out = c;
	base_env(c);
	if (cfg->kind != XP_CHECK_EXEC &&
			load_so(cfg->cmd, &c->handle, &c->fn, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < nslots; i++) {
		struct slot_run *s = &c->s[i];
		s->pidfd = s->req_fd = s->rep_fd = -1;
		s->out_fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (s->out_fd < 0) {
			snprintf(err, errlen, "check output file: %s",
					strerror(errno));
			return -1;
		}
		if (cfg->kind == XP_CHECK_SO_FORK && start_runner(c, s) != 0) {
			snprintf(err, errlen, "check runner: %s",
					strerror(errno));
			return -1;
		}
	}
	return 0;
}

void
xp_checker_delete(struct xp_checker *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nslots; i++) {
		struct slot_run *s = &c->s[i];
		if (s->busy && s->pid > 0) {
			kill(-s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
		}
		if (s->pidfd >= 0)
			close(s->pidfd);
		if (s->req_fd >= 0)
			close(s->req_fd);
		if (s->rep_fd >= 0)
			close(s->rep_fd);
		if (s->runner > 0)
			waitpid(s->runner, NULL, 0);
		if (s->out_fd >= 0)
			close(s->out_fd);
		for (size_t j = 0; j < 8; j++)
			free(s->env[j]);
	}
	free(c->s);
	free(c->envp);
	free(c->pmem_dir);
	/* the library stays loaded: its destructors may not be safe */
	free(c);
}

/* expand -- CMD with {pmem} and {pmemdir} replaced */
static char *
expand(const char *cmd, const char *pmem, const char *dir)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		abort();
	for (const char *p = cmd; *p;) {
		if (strncmp(p, "{pmemdir}", 9) == 0) {
			fputs(dir, f);
			p += 9;
		} else if (strncmp(p, "{pmem}", 6) == 0) {
			fputs(pmem, f);
			p += 6;
		} else {
			fputc(*p++, f);
		}
	}
	fclose(f);
	return buf;
}

static char *
env_str(const char *name, const char *value)
{
	char *s;
	if (asprintf(&s, "%s=%s", name, value) < 0)
		abort();
	return s;
}

/* set_env -- our variables after the base environment */
static char **
set_env(struct xp_checker *c, struct slot_run *s, const char *dir,
		const char *state, const char *markers)
{
	size_t n = 0;
	for (size_t j = 0; j < 8; j++) {
		free(s->env[j]);
		s->env[j] = NULL;
	}
	s->env[n++] = env_str("PMEMU_STATE", state);
	s->env[n++] = env_str("PMEMU_MARKERS", markers);
	s->env[n++] = env_str("PMEMU_IMAGE", dir);
	if (c->cfg.shim) {
		char *lib;
		if (asprintf(&lib, "%s/libpmemu.so", cli_libdir()) < 0)
			abort();
		s->env[n++] = env_str("LD_PRELOAD", lib);
		free(lib);
		if (c->cfg.pmem_dir)
			s->env[n++] = env_str("PMEMU_PMEM_DIR",
					c->cfg.pmem_dir);
	}
	for (size_t j = 0; j < n; j++)
		c->envp[c->nenv + j] = s->env[j];
	c->envp[c->nenv + n] = NULL;
	return c->envp;
}

static int
spawn_exec(struct xp_checker *c, struct slot_run *s, const char *dir,
		const char *pmem, const char *state, const char *markers)
{
	char *cmd = expand(c->cfg.cmd, pmem, dir);
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none;
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, s->out_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, s->out_fd, 2);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
			POSIX_SPAWN_SETSIGMASK);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	int rc = posix_spawn(&s->pid, "/bin/sh", &fa, &at, argv,
			set_env(c, s, dir, state, markers));
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(cmd);
	if (rc != 0)
		return -1;
	s->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	if (s->pidfd < 0) { /* no pidfd: wait right here */
		wait_child(s->pid, c->cfg.timeout_s, &s->res);
		s->done = true;
	}
	s->deadline = c->cfg.timeout_s > 0 ? now_s() + c->cfg.timeout_s : 0;
	return 0;
}

static int
send_request(struct slot_run *s, const char *dir, const char *pmem,
		const char *state, const char *markers)
{
	size_t ls = strlen(state) + 1, lm = strlen(markers) + 1;
	size_t lp = strlen(pmem) + 1, ld = strlen(dir) + 1;
	uint32_t len = (uint32_t)(ls + lm + lp + ld);
	if (len >= (1 << 16))
		return -1;
	char buf[4 + (1 << 16)];
	memcpy(buf, &len, 4);
	memcpy(buf + 4, state, ls);
	memcpy(buf + 4 + ls, markers, lm);
	memcpy(buf + 4 + ls + lm, pmem, lp);
	memcpy(buf + 4 + ls + lm + lp, dir, ld);
	return write(s->req_fd, buf, 4 + len) == (ssize_t)(4 + len) ? 0 : -1;
}

static void
run_inproc(struct xp_checker *c, struct slot_run *s, const char *dir,
		const char *pmem, const char *state, const char *markers)
{
	setenv("PMEMU_STATE", state, 1);
	setenv("PMEMU_MARKERS", markers, 1);
	setenv("PMEMU_IMAGE", dir, 1);
	int rc = c->fn(pmem);
	memset(&s->res, 0, sizeof(s->res));
	s->res.kind = rc == 0 ? XP_RES_PASS : XP_RES_EXIT;
	s->res.code = rc;
	s->done = true;
}

int
xp_check_start(struct xp_checker *c, size_t slot, const char *dir,
		const char *pmem, const char *state, const char *markers)
{
	struct slot_run *s = &c->s[slot];
	s->busy = true;
	s->done = false;
	s->timed_out = false;
	s->out[0] = '\0';
	c->busy++;
	if (ftruncate(s->out_fd, 0) != 0 || lseek(s->out_fd, 0, SEEK_SET) < 0)
		s->out[0] = '\0';
	int rc = 0;
	if (c->cfg.kind == XP_CHECK_EXEC)
		rc = spawn_exec(c, s, dir, pmem, state, markers);
	else if (c->cfg.kind == XP_CHECK_SO_FORK)
		rc = send_request(s, dir, pmem, state, markers);
	else
		run_inproc(c, s, dir, pmem, state, markers);
	if (rc != 0) {
		memset(&s->res, 0, sizeof(s->res));
		s->res.kind = XP_RES_ERROR;
		s->done = true;
	}
	return rc;
}

/* read_output -- the tail of what a failing check printed */
static void
read_output(struct slot_run *s)
{
	off_t end = lseek(s->out_fd, 0, SEEK_END);
	off_t from = end > OUT_TAIL ? end - OUT_TAIL : 0;
	ssize_t n = end > 0 ? pread(s->out_fd, s->out, (size_t)(end - from),
			from) : 0;
	s->out[n > 0 ? n : 0] = '\0';
}

static void
finish(struct xp_checker *c, size_t i, size_t *slot, struct xp_result *res)
{
	struct slot_run *s = &c->s[i];
	*res = s->res;
	*slot = i;
	s->busy = false;
	s->done = false;
	c->busy--;
	if (res->kind != XP_RES_PASS && c->cfg.kind != XP_CHECK_SO_INPROC)
		read_output(s);
}

/* collect -- the result of a slot whose fd is ready */
static void
collect(struct xp_checker *c, struct slot_run *s)
{
	if (c->cfg.kind == XP_CHECK_EXEC) {
		int st = 0;
		while (waitpid(s->pid, &st, 0) < 0 && errno == EINTR)
			;
		close(s->pidfd);
		s->pidfd = -1;
		status_result(st, s->timed_out, &s->res);
	} else if (read(s->rep_fd, &s->res, sizeof(s->res)) !=
			sizeof(s->res)) {
		memset(&s->res, 0, sizeof(s->res));
		s->res.kind = XP_RES_ERROR; /* the runner died */
	}
	s->done = true;
}

/* kill_late -- kills exec'd checks past their deadline; ms to the next */
static int
kill_late(struct xp_checker *c)
{
	double now = now_s(), next = -1;
	for (size_t i = 0; i < c->nslots; i++) {
		struct slot_run *s = &c->s[i];
		if (!s->busy || s->done || s->deadline == 0 || s->timed_out ||
				c->cfg.kind != XP_CHECK_EXEC)
			continue;
		if (s->deadline <= now) {
			kill(-s->pid, SIGKILL);
			kill(s->pid, SIGKILL);
			s->timed_out = true;
		} else if (next < 0 || s->deadline - now < next) {
			next = s->deadline - now;
		}
	}
	return next < 0 ? -1 : (int)(next * 1000) + 1;
}

int
xp_check_wait(struct xp_checker *c, size_t *slot, struct xp_result *res)
{
	struct pollfd p[c->nslots + 1];
	size_t idx[c->nslots + 1];
	for (;;) {
		size_t n = 0;
		for (size_t i = 0; i < c->nslots; i++) {
			struct slot_run *s = &c->s[i];
			if (!s->busy)
				continue;
			if (s->done) {
				finish(c, i, slot, res);
				return 0;
			}
			p[n].fd = c->cfg.kind == XP_CHECK_EXEC ? s->pidfd :
				s->rep_fd;
			p[n].events = POLLIN;
			p[n].revents = 0;
			idx[n++] = i;
		}
		if (n == 0)
			return -1;
		int rc = poll(p, n, kill_late(c));
		if (rc < 0 && errno != EINTR)
			return -1;
		for (size_t k = 0; rc > 0 && k < n; k++)
			if (p[k].revents)
				collect(c, &c->s[idx[k]]);
	}
}

void
xp_check_run(struct xp_checker *c, size_t slot, const char *dir,
		const char *pmem, const char *state, const char *markers,
		struct xp_result *res)
{
	size_t got;
	xp_check_start(c, slot, dir, pmem, state, markers);
	/* only this slot is busy when called (explain runs alone) */
	while (xp_check_wait(c, &got, res) == 0)
		if (got == slot)
			return;
	memset(res, 0, sizeof(*res));
	res->kind = XP_RES_ERROR;
}

void
xp_checker_set_pmem_dir(struct xp_checker *c, const char *dir)
{
	free(c->pmem_dir);
	c->pmem_dir = xp_strdup(dir);
	c->cfg.pmem_dir = c->pmem_dir;
}

size_t
xp_checker_busy(const struct xp_checker *c)
{
	return c->busy;
}

const char *
xp_check_output(struct xp_checker *c, size_t slot)
{
	return c->s[slot].out;
}
