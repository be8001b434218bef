/*
 * shim_session.h -- the views shared by the processes of one run
 * (shim_session.c)
 */
#ifndef PMEMU_SHIM_SESSION_H
#define PMEMU_SHIM_SESSION_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* the shared view of one media file, as a process of the run holds it */
struct shim_session_view {
	uint32_t id;               /* the region id the run gives the file */
	int view_fd;               /* the view, opened in this process */
	int meta_fd;               /* its page bitmaps (shim_view.c) */
	uint64_t len;              /* the view's size (a view found) */
};

/* the first process of the run makes the session, the others find it
 * (PMEMU_SESSION_FD); without one, every process has views of its own.
 * The session also holds an area of area_len zero bytes, shared by every
 * process of it (shim_session_area: NULL without a session) */
void shim_session_start(bool root, size_t area_len);
void *shim_session_area(void);

/* the run's table is locked against other processes (lock held: shim_lock
 * too, so a thread of this process never waits for another) */
void shim_session_lock(void);
void shim_session_unlock(void);

/* (session lock held) the view another live process of the run holds of
 * the media (dev, ino), opened here in *v: 0; else 1 when the run has
 * given the file an id (v->id, for a new view), -1 when it has not */
int shim_session_find(dev_t dev, ino_t ino, struct shim_session_view *v);
/* (session lock held) this process holds v of the media (dev, ino) */
void shim_session_hold(dev_t dev, ino_t ino, const struct shim_session_view *v);
/* (session lock held) another live process of the run holds the view */
bool shim_session_held_elsewhere(dev_t dev, ino_t ino);
/* (session lock held) this process holds no view any more (exit, exec) */
void shim_session_leave(void);

#endif
