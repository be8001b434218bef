/*
 * fork_server.h -- libpmemu-fork.so: an exec'd check that becomes a fork
 * server at its first access to the image (docs/explore.md, "The fork
 * server"); what its files offer each other. The one symbol it exports
 * besides its hooks, __pmemu_fork_defer and __pmemu_fork_before
 * (fork_server.c), are for another preload (libpmemu-lazy.so) to start in
 * the served children and to prepare the server before each fork.
 */
#ifndef PMEMU_FORK_SERVER_H
#define PMEMU_FORK_SERVER_H
#include <stdbool.h>
#include <stddef.h>

#define FS_HIDDEN __attribute__((visibility("hidden")))

/* the check is about to touch state-dependent input (the image, or a
 * PMEMU_ variable): the first call becomes the server, and returns in a
 * child per state (or at once, when it cannot serve); async-signal-safe */
void fs_trigger(void) FS_HIDDEN;
/* the check read the PMEMU_ variables' strings before the trigger, or
 * started a process: it cannot serve */
void fs_env_read(void) FS_HIDDEN;
void fs_spawned(void) FS_HIDDEN;
/* whether path (relative to dirfd, AT_FDCWD: the cwd) names the image
 * directory or a file under it (or a path we cannot tell about) */
bool fs_is_image(int dirfd, const char *path) FS_HIDDEN;
/* // and /./ out of an absolute path p, in place; false when it has a
 * .. (fork_path.c) */
bool fs_clean_path(char *p) FS_HIDDEN;
/* whether the preload watches (a server may still start) */
bool fs_watching(void) FS_HIDDEN;
/* the image directory as given (PMEMU_IMAGE) and as resolved */
const char *fs_dir(void) FS_HIDDEN;
const char *fs_real_dir(void) FS_HIDDEN;

/* fork_proc.c: what /proc says about this process (no allocation) */
/* why this process cannot serve now (another thread, a child process
 * started before, the image open or mapped unseen), or NULL */
const char *fp_cannot_serve(void) FS_HIDDEN;

/* fork_env.c: the PMEMU_ variables, which change per state */
/* moves their strings to protected memory (a read faults: the trigger) */
void fe_init(void) FS_HIDDEN;
/* whether blob (NAME=VALUE strings, NUL-separated, len bytes) has the
 * same names in the same order as the process's PMEMU_ variables */
bool fe_fits(const char *blob, size_t len) FS_HIDDEN;
/* a child: the state's values in place of the server's */
void fe_apply(const char *blob, size_t len) FS_HIDDEN;
/* whether the variables could all be moved (few and short enough) */
bool fe_serviceable(void) FS_HIDDEN;
/* the trigger passed: the variables readable, the check's SIGSEGV
 * handler in place */
void fe_release(void) FS_HIDDEN;

/* fork_fds.c: the regular files and directories the check has open */
/* the server notes them and their offsets (but keep); false: too many */
bool ff_record(int keep) FS_HIDDEN;
/* a child: each open anew at its offset (not shared); false: failed */
bool ff_private(void) FS_HIDDEN;

/* REAL(name) -- declares `real`, the next definition of name (the
 * program's libc), in an interposer's body (needs <dlfcn.h>) */
#define REAL(name) \
	static __typeof__(name) *real; \
	if (real == NULL) \
		real = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

#endif
