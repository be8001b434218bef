/*
 * shim_shared_section.c -- the run's end reads the shared table
 * (shim_shared.c) between two calls of the shim of every other process,
 * never in the middle of one
 *
 * One call of the shim (its emission lock held) may change the table more
 * than once: a persist's lock drains the logged stores (their pieces get
 * an owner), then its flush covers them (no owner). The run's first
 * process, at its exit, reports every store left in the table, those of
 * processes still running too (shim_shared_exit.c); read between the two,
 * the table held a store its process was persisting, reported as not
 * durable at exit: a false finding whose presence was the scheduler's
 * (`test_a_store_nobody_persists_is_reported_once[shell-first]`, 14 runs
 * in 300 on a loaded machine). So each member marks its slot busy while
 * it holds its lock, and the run's end marks the table read: a member
 * that finds it read leaves its mark and waits; the run's end waits for
 * every busy member (Dekker's order: both write, then read the other's
 * mark, sequentially consistent). A member that died, or members held in
 * their calls longer than READ_WAIT_S in all (stopped, a signal handler
 * that blocks), are read as they are; a reader that died is no reader.
 */
#include <time.h>
#include <unistd.h>

#include "real.h"
#include "shim_shared.h"
#include "shim_shared_impl.h"

#define READ_WAIT_S 10       /* the longest wait for the members' calls */
#define POLL_US 100

static bool in_section;      /* this process marked its slot busy */

/* nap -- a short sleep between two looks at another process's mark */
static void
nap(void)
{
	struct timespec ts = { 0, POLL_US * 1000 };
	REAL(nanosleep)(&ts, NULL);
}

/* wait_reader -- until the run's end that reads the table has read it
 * (or died) */
static void
wait_reader(uint32_t reader)
{
	while (__atomic_load_n(&shared->reading, __ATOMIC_ACQUIRE) ==
			reader) {
		if (!shared_pid_live(reader)) {
			__atomic_compare_exchange_n(&shared->reading, &reader,
				0, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
			return;
		}
		nap();
	}
}

void
shim_shared_section_begin(void)
{
	if (!shared_active || shared_slot < 0)
		return;
	uint32_t *mark = &shared->busy[shared_slot].pid;
	for (;;) {
		__atomic_store_n(mark, shared_me, __ATOMIC_SEQ_CST);
		uint32_t reader = __atomic_load_n(&shared->reading,
			__ATOMIC_SEQ_CST);
		if (reader == 0 || reader == shared_me) {
			in_section = true;
			return;
		}
		__atomic_store_n(mark, 0, __ATOMIC_RELEASE);
		wait_reader(reader);
	}
}

void
shim_shared_section_end(void)
{
	if (!in_section)
		return;
	in_section = false;
	if (shared_slot >= 0) /* not a forked child's, inherited */
		__atomic_store_n(&shared->busy[shared_slot].pid, 0,
			__ATOMIC_RELEASE);
}

/* seconds -- CLOCK_MONOTONIC's */
static double
seconds(void)
{
	struct timespec ts;
	REAL(clock_gettime)(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* wait_member -- until members[i] is out of its call of the shim (its
 * stores then are whole in the table), dead, or the read has waited too
 * long (since start) */
static void
wait_member(int i, uint32_t me, double start)
{
	for (;;) {
		uint32_t m = __atomic_load_n(&shared->members[i],
			__ATOMIC_ACQUIRE);
		if (m == 0 || m == me || __atomic_load_n(
				&shared->busy[i].pid, __ATOMIC_SEQ_CST) != m ||
				!shared_pid_live(m) ||
				seconds() - start > READ_WAIT_S)
			return;
		nap();
	}
}

void
shared_read_begin(uint32_t me)
{
	__atomic_store_n(&shared->reading, me, __ATOMIC_SEQ_CST);
	double start = seconds();
	for (int i = 0; i < MEMBERS; i++)
		wait_member(i, me, start);
}

void
shared_read_end(void)
{
	__atomic_store_n(&shared->reading, 0, __ATOMIC_RELEASE);
}
