/* check.c -- running the user's check on an image, one slot per worker
 *
 * exec:  CMD (check_cmd.c: by execvp, or /bin/sh -c), spawned and waited for by the slot's runner
 *        process (check_runner.c), in its own process group so a
 *        timeout kills all of it;
 * so-fork: the slot's runner keeps a child that dlopen()ed LIB and calls
 *        FUNC(image) per state (a crash is a signal; failures are
 *        confirmed in a fresh child, check_runner.c);
 * so-in-process: FUNC is called right here (no timeout: a check that
 *        hangs hangs pmemu; documented).
 * Runners are forked before the trace is loaded, while pmemu is small.
 * Exit status 0 is a consistent image. Completion is waited for with
 * poll() on the runners' reply pipes.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_runner.h"
#include "cli.h"
#include "check.h"
#include "report.h"
#include "usc.h"
#include "xalloc.h"

extern char **environ;

#define OUT_TAIL 4096

typedef xp_check_fn check_fn;

struct slot_run {
	bool busy, done;
	int req_fd, rep_fd;     /* runner pipes */
	pid_t runner;
	int out_fd;             /* the check's stdout and stderr */
	struct xp_result res;
	char out[OUT_TAIL + 1];
	char *env[8];           /* our variables, freed at the next start */
	char *state;            /* the id of the state checked last */
	char *dir, *pmem, *markers; /* ... its image and markers (a rerun) */
	struct xp_usc_cache dimm; /* the image's DIMM written last */
};

struct xp_checker {
	struct xp_check_cfg cfg;
	size_t nslots;
	struct slot_run *s;
	char **envp;            /* environ minus the variables we set */
	int dirty_shutdown;     /* -1, or PMEMU_DIRTY_SHUTDOWN */
	size_t nenv;
	check_fn fn;            /* in-process */
	void *handle;
	size_t busy;
	char *pmem_dir;         /* shim: the program's pmem dir (owned) */
	struct trace_dimm dimm; /* the recording's DIMM (usc.c) */
	bool has_dimm;
	char *fork_lib;         /* exec: libpmemu-fork.so, or NULL */
	char fork_off[160];     /* why a slot's fork server is off, or "" */
	xp_check_restore_fn restore; /* a slot's image as its check began */
	void *restore_ctx;
};

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
	struct xp_runner_cfg rc = { .kind = c->cfg.kind,
		.timeout_s = c->cfg.timeout_s, .cmd = c->cfg.cmd, .fn = c->fn,
		.base_env = c->envp, .nenv = c->nenv, .out_fd = s->out_fd,
		.fork_lib = c->fork_lib, .lazy = c->cfg.lazy };
	int fds[2 * c->nslots];
	size_t n = 0;
	/* the other runners' pipes: they must see EOF when we go */
	for (size_t i = 0; i < c->nslots; i++) {
		if (&c->s[i] == s || c->s[i].req_fd < 0)
			continue;
		fds[n++] = c->s[i].req_fd;
		fds[n++] = c->s[i].rep_fd;
	}
	return xp_runner_fork(&rc, fds, n, &s->runner, &s->req_fd,
			&s->rep_fd);
}

/* base_env -- environ without the variables we set per check */
static void
base_env(struct xp_checker *c)
{
	size_t n = 0;
	while (environ[n])
		n++;
	c->envp = xcalloc(n + 8, sizeof(*c->envp), "base_env: c->envp");
	for (size_t i = 0; i < n; i++) {
		const char *e = environ[i];
		if (strncmp(e, "PMEMU_STATE=", 12) == 0 ||
				strncmp(e, "PMEMU_MARKERS=", 14) == 0 ||
				strncmp(e, "PMEMU_DIRTY_SHUTDOWN=", 21) == 0 ||
				strncmp(e, "PMEMU_IMAGE=", 12) == 0 ||
				((c->cfg.shim || c->cfg.lazy) &&
				(strncmp(e, "LD_PRELOAD=", 11)
				== 0 || strncmp(e, "PMEMU_PMEM_DIR=", 15) == 0)))
			continue;
		c->envp[c->nenv++] = environ[i];
	}
}

/* eager_runners -- the runners forked at once: one per CPU */
static size_t
eager_runners(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (size_t)n : 1;
}

int
xp_checker_new(const struct xp_check_cfg *cfg, size_t nslots,
		struct xp_checker **out, char *err, size_t errlen)
{
	struct xp_checker *c = xcalloc(1, sizeof(*c), "xp_checker_new: c");
	c->cfg = *cfg;
	c->nslots = nslots;
	c->dirty_shutdown = -1;
	c->s = xcalloc(nslots, sizeof(*c->s), "xp_checker_new: c->s");
	*out = c;
	base_env(c);
	/* not under libpmemu.so; before libpmemu-lazy.so (check_fork.c) */
	if (cfg->kind == XP_CHECK_EXEC && cfg->fork_server && !cfg->shim)
		c->fork_lib = xasprintf("a library path",
				"%s/libpmemu-fork.so", cli_libdir());
	if (cfg->kind != XP_CHECK_EXEC &&
			load_so(cfg->cmd, &c->handle, &c->fn, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < nslots; i++) {
		struct slot_run *s = &c->s[i];
		s->req_fd = s->rep_fd = -1;
		s->out_fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (s->out_fd < 0) {
			snprintf(err, errlen, "check output file: %s",
					strerror(errno));
			return -1;
		}
		/* the first runners fork now, while pmemu is small; more
		 * (a large --jobs) when a check first needs them */
		if (cfg->kind != XP_CHECK_SO_INPROC && i < eager_runners() &&
				start_runner(c, s) != 0) {
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
		if (s->busy && s->runner > 0)
			kill(s->runner, SIGTERM); /* it kills its check */
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
		free(s->state);
		free(s->dir);
		free(s->pmem);
		free(s->markers);
		xp_usc_cache_free(&s->dimm);
	}
	free(c->s);
	free(c->envp);
	free(c->pmem_dir);
	free(c->fork_lib);
	/* the library stays loaded: its destructors may not be safe */
	free(c);
}

static char *
env_str(const char *name, const char *value)
{
	char *s = xasprintf("a variable", "%s=%s", name, value);
	return s;
}

/* set_env -- our variables for an exec'd check, in s->env; their count */
static size_t
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
	if (c->dirty_shutdown >= 0)
		s->env[n++] = env_str("PMEMU_DIRTY_SHUTDOWN",
				c->dirty_shutdown ? "1" : "0");
	if (c->cfg.lazy) {
		char *lib = xasprintf("a library path", "%s/libpmemu-lazy.so",
				cli_libdir());
		s->env[n++] = env_str("LD_PRELOAD", lib);
		s->env[n++] = env_str("PMEMU_LAZY", "1");
		free(lib);
	} else if (c->cfg.shim) {
		char *lib = xasprintf("a library path", "%s/libpmemu.so",
				cli_libdir());
		s->env[n++] = env_str("LD_PRELOAD", lib);
		free(lib);
		if (c->cfg.pmem_dir)
			s->env[n++] = env_str("PMEMU_PMEM_DIR",
					c->cfg.pmem_dir);
	}
	return n;
}

/* send_request -- the slot's state to its runner (exec: with the
 * environment), to run as how says (XP_REQ_HOW_*) */
static int
send_request(struct xp_checker *c, struct slot_run *s, const char *how)
{
	const char *f[XP_REQ_MAX_FIELDS] = { [XP_REQ_STATE] = s->state,
		[XP_REQ_MARKERS] = s->markers, [XP_REQ_PMEM] = s->pmem,
		[XP_REQ_DIR] = s->dir, [XP_REQ_HOW] = how };
	/* a forked .so check takes the variables too (PMEMU_DIRTY_SHUTDOWN) */
	size_t n = XP_REQ_ENV;
	size_t nenv = set_env(c, s, s->dir, s->state, s->markers);
	for (size_t j = 0; j < nenv; j++)
		f[n++] = s->env[j];
	return xp_runner_send(s->req_fd, f, n);
}

static void
run_inproc(struct xp_checker *c, struct slot_run *s, const char *dir,
		const char *pmem, const char *state, const char *markers)
{
	setenv("PMEMU_STATE", state, 1);
	setenv("PMEMU_MARKERS", markers, 1);
	setenv("PMEMU_IMAGE", dir, 1);
	if (c->dirty_shutdown >= 0)
		setenv("PMEMU_DIRTY_SHUTDOWN", c->dirty_shutdown ? "1" : "0", 1);
	else
		unsetenv("PMEMU_DIRTY_SHUTDOWN");
	int rc = c->fn(pmem);
	memset(&s->res, 0, sizeof(s->res));
	s->res.kind = rc == 0 ? XP_RES_PASS : XP_RES_EXIT;
	s->res.code = rc;
	s->done = true;
}

/* how -- slot's check from the fork server when its image can be
 * restored for a run again by exec (check.h), else by exec: never again
 * on the image a failed child left (a recovery's writes) */
static const char *
how(struct xp_checker *c, size_t slot)
{
	if (c->restore == NULL)
		return XP_REQ_HOW_EXEC;
	return c->restore(c->restore_ctx, slot, false) == 0 ?
		XP_REQ_HOW_RESTORES : XP_REQ_HOW_EXEC;
}

int
xp_check_start(struct xp_checker *c, size_t slot, const char *dir,
		const char *pmem, const char *state, const char *markers)
{
	struct slot_run *s = &c->s[slot];
	free(s->state);
	free(s->dir);
	free(s->pmem);
	free(s->markers);
	s->state = xp_strdup(state);
	s->dir = xp_strdup(dir);
	s->pmem = xp_strdup(pmem);
	s->markers = xp_strdup(markers);
	s->busy = true;
	s->done = false;
	s->out[0] = '\0';
	c->busy++;
	if (ftruncate(s->out_fd, 0) != 0 || lseek(s->out_fd, 0, SEEK_SET) < 0)
		s->out[0] = '\0';
	/* the image's DIMM: its count moved unless GPF succeeded (usc.h) */
	int rc = c->has_dimm ? xp_usc_write_cached(&s->dimm, dir, &c->dimm,
			xp_usc_moved(c->dirty_shutdown)) : 0;
	if (rc == 0 && c->cfg.kind == XP_CHECK_SO_INPROC)
		run_inproc(c, s, dir, pmem, state, markers);
	else if (rc == 0 && s->req_fd < 0 && start_runner(c, s) != 0)
		rc = -1;
	else if (rc == 0)
		rc = send_request(c, s, how(c, slot));
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

/* collect -- the result of a slot whose runner replied, or died (the
 * check killed it: XP_RUNNER_LOST, with the signal); a check the fork
 * server did not pass goes again, by exec, on its image restored */
static void
collect(struct xp_checker *c, struct slot_run *s)
{
	struct xp_runner_reply r;
	if (read(s->rep_fd, &r, sizeof(r)) == sizeof(r)) {
		if (r.fork_off[0] != '\0' && c->fork_off[0] == '\0')
			memcpy(c->fork_off, r.fork_off, sizeof(c->fork_off));
		if (r.rerun && c->restore(c->restore_ctx,
				(size_t)(s - c->s), true) == 0 &&
				send_request(c, s, XP_REQ_HOW_EXEC) == 0)
			return;
		s->res = r.res;
		if (r.rerun) {
			memset(&s->res, 0, sizeof(s->res));
			s->res.kind = XP_RES_ERROR;
		}
	} else {
		memset(&s->res, 0, sizeof(s->res));
		s->res.kind = XP_RES_ERROR;
		s->res.code = XP_RUNNER_LOST;
		int st = 0;
		if (s->runner > 0 && waitpid(s->runner, &st, 0) == s->runner) {
			s->res.sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
			s->runner = 0;
		}
	}
	s->done = true;
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
			p[n].fd = s->rep_fd;
			p[n].events = POLLIN;
			p[n].revents = 0;
			idx[n++] = i;
		}
		if (n == 0)
			return -1;
		int rc = poll(p, n, -1); /* runners enforce the timeout */
		if (rc < 0 && errno == EINTR && c->cfg.stop && *c->cfg.stop)
			return -2;
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
	int rc;
	while ((rc = xp_check_wait(c, &got, res)) != -1)
		if (rc == 0 && got == slot)
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

void
xp_checker_set_restore(struct xp_checker *c, xp_check_restore_fn fn,
		void *ctx)
{
	c->restore = fn;
	c->restore_ctx = ctx;
}

void
xp_checker_set_dimm(struct xp_checker *c, const struct trace_dimm *d)
{
	c->dimm = *d;
	c->has_dimm = true;
}

void
xp_checker_set_dirty_shutdown(struct xp_checker *c, int v)
{
	c->dirty_shutdown = v;
}

const char *
xp_checker_fork_off(const struct xp_checker *c)
{
	return c->fork_off[0] ? c->fork_off : NULL;
}

size_t
xp_checker_busy(const struct xp_checker *c)
{
	return c->busy;
}

const char *
xp_check_state(const struct xp_checker *c, size_t slot)
{
	return c->s[slot].state ? c->s[slot].state : "";
}

const char *
xp_check_output(struct xp_checker *c, size_t slot)
{
	return c->s[slot].out;
}
