/*
 * shim_shared_table.c -- the table of unflushed pieces shared by the
 * processes of a run: its members (the processes using it), its lock,
 * the domains of its regions, and a piece's store adopted by a model
 * (shim_shared.c uses it per event, shim_shared_exit.c at exit)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "real.h"
#include "shim_core.h"
#include "shim_shared.h"
#include "shim_shared_impl.h"

struct shared_table *shared;
bool shared_active;
bool shared_first;
int shared_slot = -1;
uint32_t shared_me;

bool
shared_pid_live(uint32_t pid)
{
	if (kill((pid_t)pid, 0) != 0 && errno != EPERM)
		return false;
	char path[40], stat[256];
	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	int fd = REAL(open)(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	ssize_t n = REAL(read)(fd, stat, sizeof(stat) - 1);
	REAL(close)(fd);
	if (n <= 0)
		return true;
	stat[n] = '\0';
	char *paren = strrchr(stat, ')'); /* "pid (comm) S ..." */
	return paren == NULL || paren[1] == '\0' || paren[2] != 'Z';
}

/* join_slot -- members[i] becomes me if it is free (or, when `dead`,
 * held by a process that ended) */
static bool
join_slot(int i, uint32_t me, bool dead)
{
	uint32_t m = __atomic_load_n(&shared->members[i], __ATOMIC_ACQUIRE);
	if (m != 0 && !(dead && !shared_pid_live(m)))
		return false;
	if (!__atomic_compare_exchange_n(&shared->members[i], &m, me, false,
			__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return false;
	shared_slot = i;
	return true;
}

void
shared_join(void)
{
	uint32_t me = (uint32_t)getpid();
	__atomic_store_n(&shared->used, 1, __ATOMIC_RELEASE);
	shared_active = true;
	shared_me = me;
	shared_slot = -1; /* a forked child: not its parent's slot */
	for (int i = 0; i < MEMBERS; i++)
		if (__atomic_load_n(&shared->members[i],
				__ATOMIC_ACQUIRE) == me) {
			shared_slot = i;
			return;
		}
	for (int pass = 0; pass < 2; pass++) /* a free slot, else a dead's */
		for (int i = 0; i < MEMBERS; i++)
			if (join_slot(i, me, pass == 1)) {
				/* not busy (a dead's mark may be left) */
				__atomic_store_n(&shared->busy[i].pid, 0,
					__ATOMIC_RELEASE);
				return;
			}
}

bool
shared_member_live(uint32_t pid)
{
	for (int i = 0; i < MEMBERS; i++)
		if (__atomic_load_n(&shared->members[i], __ATOMIC_ACQUIRE) ==
				pid)
			return shared_pid_live(pid);
	return false;
}

bool
shared_others_live(void)
{
	uint32_t me = (uint32_t)getpid();
	for (int i = 0; i < MEMBERS; i++) {
		uint32_t m = __atomic_load_n(&shared->members[i],
			__ATOMIC_ACQUIRE);
		if (m != 0 && m != me && shared_pid_live(m))
			return true;
	}
	return false;
}

void
shared_leave(void)
{
	uint32_t me = (uint32_t)getpid();
	for (int i = 0; i < MEMBERS; i++) {
		uint32_t m = me;
		__atomic_compare_exchange_n(&shared->members[i], &m, 0, false,
			__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	}
}

void
shared_lock(void)
{
	uint32_t me = (uint32_t)getpid();
	for (;;) {
		uint32_t h = 0;
		if (__atomic_compare_exchange_n(&shared->lock, &h, me, false,
				__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		if (!shared_pid_live(h) && __atomic_compare_exchange_n(
				&shared->lock, &h, me, false, __ATOMIC_ACQUIRE,
				__ATOMIC_RELAXED))
			return;
		usleep(100);
	}
}

void
shared_unlock(void)
{
	__atomic_store_n(&shared->lock, 0, __ATOMIC_RELEASE);
}

void
shim_shared_region(uint32_t id, enum model_domain domain)
{
	if (shared == NULL)
		return;
	for (int i = 0; i < REGIONS; i++) {
		uint32_t k = 0;
		if (__atomic_compare_exchange_n(&shared->regions[i].id1, &k,
				id + 1, false, __ATOMIC_ACQ_REL,
				__ATOMIC_ACQUIRE) || k == id + 1) {
			shared->regions[i].domain = (uint32_t)domain;
			return;
		}
	}
}

/* region_domain -- the domain the table knows of region id */
static enum model_domain
region_domain(uint32_t id)
{
	for (int i = 0; i < REGIONS; i++)
		if (__atomic_load_n(&shared->regions[i].id1, __ATOMIC_ACQUIRE) ==
				id + 1)
			return (enum model_domain)shared->regions[i].domain;
	return MODEL_DOMAIN_ADR;
}

struct model_event
shared_piece_event(const struct piece *e, enum model_ev kind)
{
	uint64_t k = e->key - 1;
	return (struct model_event){ .kind = kind, .tid = shim_tid(),
		.site = e->site, .region = (uint32_t)(k >> 40),
		.off = (k & ((1ull << 40) - 1)) << PIECE_SHIFT,
		.len = 1u << PIECE_SHIFT };
}

void
shared_adopt(const struct piece *e)
{
	struct model *m = shim_model();
	struct model_event ev = shared_piece_event(e, MODEL_EV_STORE);
	if (m == NULL || model_apply(m, &ev) == 0)
		return;
	/* a region this process never mapped (a shell that waits) */
	if (model_region_add(m, ev.region, ev.off + ev.len,
			region_domain(ev.region)) != 0)
		(void)model_region_resize(m, ev.region, ev.off + ev.len);
	(void)model_apply(m, &ev);
}

