/*
 * shim_shared_impl.h -- the table of unflushed pieces shared by the
 * processes of a run (shim_shared.c, shim_shared_exit.c)
 */
#ifndef PMEMU_SHIM_SHARED_IMPL_H
#define PMEMU_SHIM_SHARED_IMPL_H 1

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

#define PIECE_SHIFT 6
#define TABLE_LEN (1u << 16) /* pieces; full: later ones are not shared */
#define MEMBERS 64           /* processes using the table at once */
#define REGIONS 256          /* regions whose domain the table knows */
#define OWNER_PID 0x3fffffu  /* an owner's pid (pid_max is 2^22 at most) */
#define OWNER_REPORTED (1u << 31) /* the run's first process reported it */
#define OWNER_LEFT (1u << 30)     /* its process left it (exit, exec) */

struct piece {
	uint64_t key;              /* (region << 40 | piece) + 1; 0 free */
	uint32_t owner;            /* pid with an unflushed store; 0 none */
	uint32_t site;
};

struct shared_table {
	uint32_t lock;             /* pid of the process deciding its exit */
	uint32_t used;             /* a process joined: the pieces may hold */
	uint32_t reading;          /* pid of the run's end reading it; 0 none */
	uint32_t members[MEMBERS]; /* pids of the processes using it; 0 free */
	/* busy[i].pid: members[i] is inside a call of the shim (its emission
	 * lock held: its events half in the table); one line each */
	struct { uint32_t pid, pad[15]; } busy[MEMBERS];
	struct { uint32_t id1, domain; } regions[REGIONS]; /* id + 1; 0 free */
	struct piece pieces[TABLE_LEN];
};

extern struct shared_table *shared; /* NULL: none (yet) */
extern bool shared_active;          /* this process uses it */
extern bool shared_first;           /* the run's first process */
extern int shared_slot;             /* this process's member slot; -1 */
extern uint32_t shared_me;          /* this process's pid, once joined */

/* the process joins the table's members (lock-free) */
void shared_join(void);
/* another live process is a member */
bool shared_others_live(void);
/* pid is a member still alive */
bool shared_member_live(uint32_t pid);
/* this process is no member any more */
void shared_leave(void);
/* pid runs (a zombie does not) */
bool shared_pid_live(uint32_t pid);
/* the run's end reads the table: it waits until no other member is inside
 * a call of the shim, and keeps them out until shared_read_end
 * (shim_shared_section.c) */
void shared_read_begin(uint32_t me);
void shared_read_end(void);
/* the exits are decided one at a time; a holder that died (killed in its
 * exit) is taken over */
void shared_lock(void);
void shared_unlock(void);
/* an event of kind over e's piece */
struct model_event shared_piece_event(const struct piece *e,
		enum model_ev kind);
/* this process's model gets e's store (owned by another process) */
void shared_adopt(const struct piece *e);

#endif
