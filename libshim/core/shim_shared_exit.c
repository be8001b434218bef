/*
 * shim_shared_exit.c -- who reports a store of the shared table
 * (shim_shared.c) that no process flushed: exactly one process
 *
 * The processes using the table are its members. At its exit (or exec) a
 * process, under the table's lock, leaves the members; then
 *  - the run's first process (pmemu reports once it exits) reports every
 *    store left in the table: its own through its model, the others'
 *    adopted as its own (with their sites); a store of a process still
 *    running is marked reported, so that its owner does not report it
 *    again;
 *  - another process with a member still alive (or the first at exec)
 *    leaves its own stores to the table (they are clean to its model,
 *    marked left: a new image of the same pid adopts them as another's);
 *  - another process with no member alive (the last) reports its own
 *    and adopts what the others left.
 * A process killed (SIGKILL) writes no findings; its pieces stay in the
 * table, for the first or the last process to report.
 */
#include <unistd.h>

#include "real.h"
#include "shim_core.h"
#include "shim_shared.h"
#include "shim_shared_impl.h"

/* settle -- what this process does at its exit with e, owned by owner
 * (last: it reports what is left, as the run's first process or with no
 * other member alive) */
static void
settle(struct piece *e, uint32_t owner, uint32_t me, bool last)
{
	uint32_t pid = owner & OWNER_PID;
	if (pid == me && !(owner & OWNER_LEFT)) {
		uint32_t now = last || (owner & OWNER_REPORTED) ? 0 :
			owner | OWNER_LEFT;
		bool cas = __atomic_compare_exchange_n(&e->owner, &owner, now,
			false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
		if (cas && last && !(owner & OWNER_REPORTED))
			return; /* this model reports it */
		struct model_event ev = shared_piece_event(e,
			MODEL_EV_SET_CLEAN);
		if (shim_model() != NULL) /* left, reported or flushed */
			(void)model_apply(shim_model(), &ev);
		return;
	}
	if ((owner & OWNER_REPORTED) || !last)
		return;
	uint32_t now = !(owner & OWNER_LEFT) && shared_member_live(pid) ?
		owner | OWNER_REPORTED : 0;
	if (__atomic_compare_exchange_n(&e->owner, &owner, now, false,
			__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		shared_adopt(e); /* reported here, with the storer's site */
}

void
shim_shared_exit(bool exec)
{
	if (shared == NULL || !__atomic_load_n(&shared->used,
			__ATOMIC_ACQUIRE))
		return; /* no process used the table */
	if (!shared_active && !shared_first)
		return;
	uint32_t me = (uint32_t)getpid();
	/* not busy while it waits for the lock: its holder may be the run's
	 * end, which waits for every busy member */
	shim_shared_section_end();
	shared_lock();
	shared_leave();
	/* the first process's exec is not the run's end */
	bool last = (shared_first && !exec) || !shared_others_live();
	if (last) /* others' stores as of between their calls of the shim */
		shared_read_begin(me);
	for (uint32_t i = 0; i < TABLE_LEN; i++) {
		struct piece *e = &shared->pieces[i];
		uint32_t owner = __atomic_load_n(&e->owner, __ATOMIC_ACQUIRE);
		if (owner != 0 && __atomic_load_n(&e->key, __ATOMIC_ACQUIRE))
			settle(e, owner, me, last);
	}
	if (last)
		shared_read_end();
	shared_active = false;
	shared_unlock();
}
