/*
 * test_shim_shared.c -- the run's end reads the table of unflushed pieces
 * (core/shim_shared*.c) between two calls of the shim of each other
 * process, never in the middle of one (shim_shared_section.c): real
 * processes (fork) share the table; the order is forced through the
 * table itself and pipes (a verdict never depends on a sleep)
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "real.h"
#include "shim_core.h"
#include "shim_shared.h"
#include "shim_shared_impl.h"

#define REGION 7

/* what the table calls: the real functions, a model that counts the
 * stores it adopts (the first process's report) */
shim_real_open_fn shim_real_open = open;
shim_real_read_fn shim_real_read = read;
shim_real_close_fn shim_real_close = close;
shim_real_mmap_fn shim_real_mmap = mmap;
shim_real_nanosleep_fn shim_real_nanosleep = nanosleep;
shim_real_clock_gettime_fn shim_real_clock_gettime = clock_gettime;

static int fake_model;
static uint64_t adopted[8]; /* offsets of the stores adopted */
static int nadopted;

struct model *
shim_model(void)
{
	return (struct model *)&fake_model;
}

/* shim_tid() asks each time: the cache stays 0 */
__thread uint32_t shim_cached_tid;

uint32_t
shim_tid_ask(void)
{
	return (uint32_t)getpid();
}

int
model_apply(struct model *m, const struct model_event *ev)
{
	(void)m;
	if (ev->kind == MODEL_EV_STORE && nadopted < 8)
		adopted[nadopted++] = ev->off;
	return 0;
}

int
model_region_add(struct model *m, uint32_t region, uint64_t len,
		enum model_domain domain)
{
	(void)m, (void)region, (void)len, (void)domain;
	return 0;
}

int
model_region_resize(struct model *m, uint32_t region, uint64_t len)
{
	(void)m, (void)region, (void)len;
	return 0;
}

/* what a process of the run does to the table: an event of kind */
static void
event(enum model_ev kind, uint64_t off, uint64_t len)
{
	struct model_event ev = { .kind = kind, .tid = shim_tid(), .site = 1,
		.region = REGION, .off = off, .len = len };
	shim_shared_event(&ev);
}

/* run_start -- this process is the run's first, the table new and
 * shared, and it forks (so it uses the table) */
static void
run_start(void)
{
	void *area = mmap(NULL, shim_shared_size(), PROT_READ | PROT_WRITE,
		MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(area != MAP_FAILED);
	shim_shared_start(area, true);
	shim_shared_forking();
	nadopted = 0;
}

/* child -- in the child of run_start's fork: a member as itself */
static void
child(void)
{
	shim_shared_forked();
}

static void
tell(int fd)
{
	assert_int_equal(write(fd, "x", 1), 1);
}

static void
hear(int fd)
{
	char c;
	assert_int_equal(read(fd, &c, 1), 1);
}

/* a process stores two pieces and is persisting the second (one call of
 * the shim: the drain's stores, then the flush) when the run's first
 * process exits: the second is not reported */
static void
test_the_runs_end_waits_for_a_call_under_way(void **state)
{
	(void)state;
	int in[2], out[2];
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	run_start();
	uint32_t *read_once = mmap(NULL, sizeof(*read_once),
		PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(read_once != MAP_FAILED);
	*read_once = 0;
	pid_t pid = fork();
	if (pid == 0) {
		child();
		shim_shared_section_begin();
		event(MODEL_EV_STORE, 0, 128);
		tell(in[1]); /* inside the call, both pieces owned */
		/* the run's end has begun to read (it waits for this call;
		 * one that did not would have read it already) */
		while (!__atomic_load_n(&shared->reading, __ATOMIC_ACQUIRE) &&
				!__atomic_load_n(read_once, __ATOMIC_ACQUIRE))
			;
		event(MODEL_EV_CLWB, 64, 64);
		shim_shared_section_end();
		hear(out[0]); /* alive until the report is made */
		_exit(0);
	}
	hear(in[0]);
	shim_shared_exit(false);
	__atomic_store_n(read_once, 1, __ATOMIC_RELEASE);
	tell(out[1]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(nadopted, 1);
	assert_int_equal(adopted[0], 0);
}

/* a process that starts a call of the shim while the run's end reads the
 * table waits until it has read it */
static void
test_a_call_waits_for_the_runs_end(void **state)
{
	(void)state;
	int in[2];
	assert_int_equal(pipe(in), 0);
	run_start();
	uint32_t *seen = mmap(NULL, sizeof(*seen), PROT_READ | PROT_WRITE,
		MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(seen != MAP_FAILED);
	*seen = UINT32_MAX;
	shared_read_begin((uint32_t)getpid());
	pid_t pid = fork();
	if (pid == 0) {
		child();
		tell(in[1]);
		shim_shared_section_begin();
		*seen = __atomic_load_n(&shared->reading, __ATOMIC_ACQUIRE);
		shim_shared_section_end();
		_exit(0);
	}
	hear(in[0]);
	usleep(20000); /* a call that did not wait: past begin by now */
	shared_read_end();
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(*seen, 0);
}

/* the run's end that died reading the table keeps no one waiting */
static void
test_a_dead_reader_is_no_reader(void **state)
{
	(void)state;
	run_start();
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	int status;
	assert_int_equal(waitpid(dead, &status, 0), dead);
	shared->reading = (uint32_t)dead;
	shim_shared_section_begin();
	assert_int_equal(shared->reading, 0);
	shim_shared_section_end();
	assert_int_equal(shared->busy[shared_slot].pid, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_runs_end_waits_for_a_call_under_way),
		cmocka_unit_test(test_a_call_waits_for_the_runs_end),
		cmocka_unit_test(test_a_dead_reader_is_no_reader),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
