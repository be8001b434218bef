/* lazy_pool.c -- `--explore lazy --jobs N`: N worker processes run the
 * checks, the parent walks the crash points as one process would
 *
 * A point's runs are known only as its earlier runs end, so one process
 * keeps a slot busy only when a point has several runs pending (issue
 * 16). Here each of N forked workers explores one shard of the points
 * (whole points by key, as `--shard` does; under a user's --shard K/M
 * worker j is shard K + M*j of M*N) and sends every run it makes to the
 * parent: its key (image and undecided lines), verdict, output and
 * reads, then a mark per crash point done. The parent replays every
 * point in order, as --jobs 1 does, and takes each run from them (lazy.c
 * from_known): states, ids, order, notes and counts are those of --jobs
 * 1. A run no worker sent (a worker died, a read pmemu cannot see) the
 * parent runs itself. Runs two workers both made (the same key at points
 * of two shards) are the cost: --jobs 1 makes them once.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image_dir.h"
#include "lazy_impl.h"
#include "xalloc.h"

enum { REC_RUN = 'K', REC_POINT = 'P' };

#define WORKER_SLOTS 4  /* at most, a worker's (it runs as many at once) */

/* what a worker shares with its parent: the pipe of its records, and the
 * tokens every run of every worker takes (one byte each, --jobs of them:
 * a worker with one point of many runs keeps them all busy when the
 * others are idle, and never more than --jobs checks run) */
struct xp_lazy_link {
	int fd;
	int tok_r, tok_w;        /* O_NONBLOCK: shared by the workers */
	int *held;               /* shared: this worker's tokens taken */
};

struct pool_worker {
	pid_t pid;
	int fd;
	char *buf;               /* read, not parsed yet */
	size_t len, cap;
	uint64_t points_done;    /* points below this one are sent */
	bool eof;
	bool ran;                /* sent a run */
};

struct xp_lazy_pool {
	struct pool_worker *w;
	size_t n;
	unsigned long shard_k, shard_n;  /* the user's --shard */
	int tok_r, tok_w;
	int *held;               /* per worker, MAP_SHARED */
	char dir[PATH_MAX];      /* the workers' temporary directories */
};

bool
xp_lazy_pool_wanted(const struct xp_opts *o)
{
	return o->lazy && o->jobs > 1 && o->check.kind == XP_CHECK_EXEC &&
		!o->check.shim;
}

size_t
xp_lazy_pool_slots(const struct xp_opts *o)
{
	if (!xp_lazy_pool_wanted(o))
		return 0;
	return o->jobs * (o->jobs < WORKER_SLOTS ? o->jobs : WORKER_SLOTS);
}

/* child -- worker j of the pool: its shard, its runs on fd; never
 * returns */
static void
child(struct xp_lazy_pool *p, const struct xp_opts *o, size_t j, int fd,
		xp_lazy_work_fn work)
{
	struct xp_opts wo = *o;
	struct xp_lazy_link link = { fd, p->tok_r, p->tok_w, &p->held[j] };
	for (size_t i = 0; i < j; i++)
		if (p->w[i].fd >= 0)
			close(p->w[i].fd);
	/* slots for a point of many runs while other workers idle (the
	 * tokens bound the runs); not --jobs each: --jobs^2 runners */
	wo.jobs = o->jobs < WORKER_SLOTS ? o->jobs : WORKER_SLOTS;
	wo.jobs_set = false;
	wo.progress = false;
	wo.tmpdir = p->dir;
	wo.shard_k = o->shard_k + o->shard_n * j;
	wo.shard_n = o->shard_n * p->n;
	work(&wo, &link);
	_exit(0);
}

/* tokens -- the pipe of --jobs tokens and the counts taken; 0 or -1 */
static int
tokens(struct xp_lazy_pool *p)
{
	int fds[2];
	p->held = mmap(NULL, p->n * sizeof(*p->held), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p->held == MAP_FAILED) {
		p->held = NULL;
		return -1;
	}
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
		return -1;
	p->tok_r = fds[0];
	p->tok_w = fds[1];
	for (size_t j = 0; j < p->n; j++)
		if (write(p->tok_w, "t", 1) != 1)
			return -1;
	return 0;
}

struct xp_lazy_pool *
xp_lazy_pool_start(const struct xp_opts *o, xp_lazy_work_fn work)
{
	struct xp_lazy_pool *p = xcalloc(1, sizeof(*p), "pool_start: p");
	p->n = o->jobs;
	p->shard_k = o->shard_k;
	p->shard_n = o->shard_n;
	p->tok_r = p->tok_w = -1;
	snprintf(p->dir, sizeof(p->dir), "%.*s/pmemu-lazy.XXXXXX",
			PATH_MAX - 32, o->tmpdir ? o->tmpdir : "/tmp");
	if (mkdtemp(p->dir) == NULL) {
		free(p);
		return NULL; /* one process explores (its mkdtemp says why) */
	}
	p->w = xcalloc(p->n, sizeof(*p->w), "pool_start: p->w");
	for (size_t j = 0; j < p->n; j++) {
		p->w[j].pid = -1;
		p->w[j].fd = -1;
		p->w[j].eof = true; /* not started: the parent runs its points */
	}
	pid_t parent = getpid();
	size_t started = 0;
	for (size_t j = 0; j < p->n && (j > 0 || tokens(p) == 0); j++) {
		struct pool_worker *w = &p->w[j];
		int fds[2];
		if (pipe2(fds, O_CLOEXEC) != 0)
			continue;
		fflush(NULL);
		w->pid = fork();
		if (w->pid == 0) {
			close(fds[0]);
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() != parent)
				_exit(0);
			child(p, o, j, fds[1], work);
		}
		close(fds[1]);
		if (w->pid < 0) {
			close(fds[0]);
			continue;
		}
		fcntl(fds[0], F_SETPIPE_SZ, 1 << 20);
		w->fd = fds[0];
		w->eof = false;
		started++;
	}
	if (started == 0) {
		xp_lazy_pool_delete(p);
		return NULL;
	}
	return p;
}

void
xp_lazy_pool_stop(struct xp_lazy_pool *p)
{
	for (size_t j = 0; p != NULL && j < p->n; j++) {
		struct pool_worker *w = &p->w[j];
		if (w->fd >= 0)
			close(w->fd);
		if (w->pid > 0) {
			kill(w->pid, SIGTERM);
			while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
		w->fd = w->pid = -1;
		w->eof = true;
	}
}

void
xp_lazy_pool_delete(struct xp_lazy_pool *p)
{
	if (p == NULL)
		return;
	xp_lazy_pool_stop(p);
	for (size_t j = 0; j < p->n; j++)
		free(p->w[j].buf);
	if (p->tok_r >= 0)
		close(p->tok_r);
	if (p->tok_w >= 0)
		close(p->tok_w);
	if (p->held != NULL)
		munmap(p->held, p->n * sizeof(*p->held));
	/* what a killed worker left (each removes its own at its end) */
	xp_image_dir_remove(p->dir);
	free(p->w);
	free(p);
}

size_t
xp_lazy_pool_ran(const struct xp_lazy_pool *p)
{
	size_t n = 0;
	for (size_t j = 0; p != NULL && j < p->n; j++)
		n += p->w[j].ran;
	return n;
}

/* ---- a worker: its tokens ---- */

bool
xp_lazy_token_take(struct engine *e, bool wait)
{
	struct xp_lazy_link *l = e->link;
	char t;
	if (l == NULL)
		return true;
	for (;;) {
		if (read(l->tok_r, &t, 1) == 1) {
			++*l->held;
			return true;
		}
		if (!wait || xp_engine_stopped(e))
			return false;
		struct pollfd pf = { l->tok_r, POLLIN, 0 };
		poll(&pf, 1, 200);
	}
}

void
xp_lazy_token_give(struct engine *e)
{
	struct xp_lazy_link *l = e->link;
	if (l == NULL || *l->held == 0)
		return;
	/* written first: a worker killed in between adds a token, never
	 * loses one */
	if (write(l->tok_w, "t", 1) == 1)
		--*l->held;
}

void
xp_lazy_token_give_all(struct engine *e)
{
	while (e->link != NULL && *e->link->held > 0)
		xp_lazy_token_give(e);
}

/* ---- a worker: its records ---- */

struct rec {
	char *b;
	size_t len, cap;
};

static void
put(struct rec *r, const void *v, size_t n)
{
	r->b = xp_engine_grow(r->b, &r->cap, r->len + n, 1);
	memcpy(r->b + r->len, v, n);
	r->len += n;
}

static void
put_str(struct rec *r, const char *s)
{
	uint32_t n = s ? (uint32_t)strlen(s) : UINT32_MAX;
	put(r, &n, sizeof(n));
	if (s)
		put(r, s, n);
}

/* send -- the record, its length first; a parent gone stops the worker
 * as SIGTERM would (its checks killed, its files removed) */
static void
send_rec(struct engine *e, struct rec *r)
{
	uint32_t len = (uint32_t)(r->len - sizeof(len));
	memcpy(r->b, &len, sizeof(len));
	for (size_t done = 0; done < r->len; ) {
		ssize_t w = write(e->link->fd, r->b + done, r->len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (e->o->stop != NULL)
				*e->o->stop = SIGTERM;
			break;
		}
		done += (size_t)w;
	}
	free(r->b);
}

static void
rec_begin(struct rec *r, char type)
{
	uint32_t len = 0;
	memset(r, 0, sizeof(*r));
	put(r, &len, sizeof(len));
	put(r, &type, 1);
}

void
xp_lazy_export_run(struct engine *e, struct xp_hash key,
		const struct lazy_known *kn)
{
	struct rec r;
	rec_begin(&r, REC_RUN);
	int32_t res[4] = { kn->res.kind, kn->res.code, kn->res.sig,
		kn->res.forked };
	uint32_t nread = (uint32_t)kn->nread;
	put(&r, &key, sizeof(key));
	put(&r, res, sizeof(res));
	put_str(&r, kn->output);
	put(&r, &nread, sizeof(nread));
	for (size_t j = 0; j < kn->nread; j++) {
		put(&r, &kn->read[j].region, sizeof(kn->read[j].region));
		put(&r, &kn->read[j].off, sizeof(kn->read[j].off));
		put(&r, &kn->bytes[j], sizeof(kn->bytes[j]));
		put_str(&r, kn->how[j]);
	}
	send_rec(e, &r);
}

void
xp_lazy_export_point(struct engine *e, size_t idx)
{
	struct rec r;
	uint64_t i = idx;
	rec_begin(&r, REC_POINT);
	put(&r, &i, sizeof(i));
	put_str(&r, e->fork_off); /* why its fork server is off, if it is */
	send_rec(e, &r);
}

/* ---- the parent: reading them ---- */

struct cur {
	const char *p, *end;
	bool bad;
};

static void
get(struct cur *c, void *v, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		memset(v, 0, n);
		return;
	}
	memcpy(v, c->p, n);
	c->p += n;
}

static char *
get_str(struct cur *c)
{
	uint32_t n;
	get(c, &n, sizeof(n));
	if (c->bad || n == UINT32_MAX)
		return NULL;
	if ((size_t)(c->end - c->p) < n) {
		c->bad = true;
		return NULL;
	}
	char *s = xmalloc((size_t)n + 1, "get_str: s");
	memcpy(s, c->p, n);
	s[n] = '\0';
	c->p += n;
	return s;
}

/* import_run -- a worker's run, for from_known, unless a run with its key
 * is known already (two workers made it) */
static void
import_run(struct engine *e, struct cur *c)
{
	struct xp_hash key;
	int32_t res[4];
	uint32_t nread;
	get(c, &key, sizeof(key));
	get(c, res, sizeof(res));
	char *output = get_str(c);
	get(c, &nread, sizeof(nread));
	if (c->bad || nread > (size_t)(c->end - c->p) ||
			xp_lazy_find_known(e->lazy, key) != NULL) {
		free(output);
		return;
	}
	struct lazy_known kn = { { (enum xp_res_kind)res[0], res[1], res[2],
		res[3] != 0 }, output, NULL, NULL, NULL, nread, true };
	kn.read = xcalloc(nread + 1, sizeof(*kn.read), "import_run: read");
	kn.bytes = xcalloc(nread + 1, sizeof(*kn.bytes), "import_run: bytes");
	kn.how = xcalloc(nread + 1, sizeof(*kn.how), "import_run: how");
	for (uint32_t j = 0; j < nread; j++) {
		get(c, &kn.read[j].region, sizeof(kn.read[j].region));
		get(c, &kn.read[j].off, sizeof(kn.read[j].off));
		get(c, &kn.bytes[j], sizeof(kn.bytes[j]));
		kn.how[j] = get_str(c);
		if (kn.how[j] == NULL)
			kn.how[j] = xp_strdup("");
	}
	if (c->bad) {
		xp_lazy_free_known(&kn);
		return;
	}
	*xp_lazy_new_known(e->lazy, key) = kn;
}

/* parse -- the whole records of worker w's buffer */
static void
parse(struct engine *e, struct pool_worker *w)
{
	size_t at = 0;
	uint32_t len;
	while (w->len - at >= sizeof(len)) {
		memcpy(&len, w->buf + at, sizeof(len));
		if (w->len - at - sizeof(len) < len)
			break;
		struct cur c = { w->buf + at + sizeof(len),
			w->buf + at + sizeof(len) + len, false };
		char type;
		get(&c, &type, 1);
		if (type == REC_RUN) {
			import_run(e, &c);
			w->ran = true;
		} else if (type == REC_POINT) {
			uint64_t idx;
			get(&c, &idx, sizeof(idx));
			char *off = get_str(&c);
			if (e->fork_off == NULL)
				e->fork_off = off;
			else
				free(off);
			w->points_done = idx + 1;
		}
		at += sizeof(len) + len;
	}
	memmove(w->buf, w->buf + at, w->len - at);
	w->len -= at;
}

/* read_worker -- what worker j sent; at its end, the tokens it held (it
 * was killed) go back */
static void
read_worker(struct engine *e, size_t j)
{
	struct xp_lazy_pool *p = e->pool;
	struct pool_worker *w = &p->w[j];
	w->buf = xp_engine_grow(w->buf, &w->cap, w->len + 65536, 1);
	ssize_t n = read(w->fd, w->buf + w->len, w->cap - w->len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		w->eof = true;
		for (; p->held[j] > 0; p->held[j]--)
			if (write(p->tok_w, "t", 1) != 1)
				break;
		return;
	}
	w->len += (size_t)n;
	parse(e, w);
}

/* drain -- what the workers sent, waiting at most timeout_ms for some */
static void
drain(struct engine *e, int timeout_ms)
{
	struct xp_lazy_pool *p = e->pool;
	struct pollfd *pf = xcalloc(p->n + 1, sizeof(*pf), "drain: pf");
	for (size_t j = 0; j < p->n; j++) {
		pf[j].fd = p->w[j].eof ? -1 : p->w[j].fd;
		pf[j].events = POLLIN;
	}
	if (poll(pf, p->n, timeout_ms) > 0)
		for (size_t j = 0; j < p->n; j++)
			if (pf[j].revents != 0)
				read_worker(e, j);
	free(pf);
}

int
xp_lazy_pool_wait(struct engine *e, size_t idx)
{
	struct xp_lazy_pool *p = e->pool;
	unsigned long n = p->shard_n * p->n;
	size_t j = (size_t)((e->point_key.a % n - (p->shard_k - 1)) /
			p->shard_n);
	struct pool_worker *w = &p->w[j < p->n ? j : 0];
	drain(e, 0);
	/* a poll bounded in time: a signal just before it is seen */
	while (!w->eof && w->points_done <= idx) {
		if (xp_engine_stopped(e))
			return 1;
		drain(e, 200);
	}
	return 0;
}
