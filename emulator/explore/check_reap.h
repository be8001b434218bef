/*
 * check_reap.h -- what a check left running: the runner of a check slot
 * is a child subreaper and ends every descendant of a check before the
 * next one (check_reap.c)
 */
#ifndef PMEMU_CHECK_REAP_H
#define PMEMU_CHECK_REAP_H 1

#include <sys/types.h>

/* makes this process the reaper of its descendants' orphans; 0 or -1 */
int xp_reap_become_subreaper(void);
/* kills and reaps every child of this process but keep (0: none), and
 * the orphans that killing them hands over, until none is left;
 * async-signal-safe */
void xp_reap_descendants(pid_t keep);

#endif
