/*
 * image_watch.h -- whether a check wrote a slot's file where a moved mtime
 * does not say it (tmpfs); image_watch.c
 */
#ifndef PMEMU_XP_IMAGE_WATCH_H
#define PMEMU_XP_IMAGE_WATCH_H 1

#include <stdbool.h>
#include <stddef.h>

/* whether a write through a shared mapping of a file in dir, to a page
 * read first, moves the file's mtime (probed once per file system): when
 * it does not, the slot's files are watched */
bool xp_watch_needed(const char *dir);
/* a watch on the file at path, just opened by pmemu; its id or -1 (no
 * watch: every check counts as a writer) */
int xp_watch_add(const char *path);
/* the file is as pmemu set it: a check starts now */
void xp_watch_start(int wd);
/* whether a process may have written the file since xp_watch_start: it
 * closed a copy opened for writing, still holds one it opened, the
 * events were lost, or there is no watch */
bool xp_watch_written(int wd);
/* before pmemu closes its own descriptor of the file */
void xp_watch_remove(int wd);
/* a new file in dir for a probe, its name in path (len bytes): its
 * descriptor, or -1 */
int xp_probe_file(const char *dir, char *path, size_t len);

#endif
