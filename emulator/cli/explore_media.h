/* explore_media.h -- the pmem dir around explore's recording
 * (explore_media.c) */
#ifndef PMEMU_EXPLORE_MEDIA_H
#define PMEMU_EXPLORE_MEDIA_H 1

/* copies the regular files at the top of pmem_dir into to (made); 0 or
 * the exit status of the error printed */
int explore_media_snapshot(const char *pmem_dir, const char *to);
/* pmem_dir's top files become the snapshot's again; 0 or an exit status */
int explore_media_restore(const char *snapshot, const char *pmem_dir);
/* the files of a flat directory, then it */
void explore_media_remove(const char *dir);

#endif
