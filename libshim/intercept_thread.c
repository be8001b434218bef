/*
 * intercept_thread.c -- processes: exec keeps the shim and its options,
 * exit records the status
 *
 * Threads need nothing here: a thread id is gettid(), cached per thread
 * (shim_tid). fork is handled by pthread_atfork (shim_init.c): the child
 * keeps the views, the trace and a copy of the model.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_intercept.h"
#include "shim_region.h"

#define ENV_KEEP_MAX 64

extern char **environ;

/* env_has -- envp defines the variable of entry "NAME=..." */
static bool
env_has(char *const envp[], const char *entry)
{
	size_t n = strcspn(entry, "=");
	for (size_t i = 0; envp && envp[i]; i++)
		if (strncmp(envp[i], entry, n) == 0 && envp[i][n] == '=')
			return true;
	return false;
}

static bool
env_must_keep(const char *entry)
{
	return strncmp(entry, "PMEMU_", 6) == 0 ||
		strncmp(entry, "LD_PRELOAD=", 11) == 0;
}

/* env_with_shim -- envp plus our LD_PRELOAD and PMEMU_* where missing */
static size_t
env_with_shim(char *const envp[], char **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; envp && envp[i] && n + 1 < max; i++)
		out[n++] = envp[i];
	size_t added = 0;
	for (size_t i = 0; environ && environ[i]; i++)
		if (env_must_keep(environ[i]) && !env_has(envp, environ[i]) &&
				n + 1 < max && added++ < ENV_KEEP_MAX)
			out[n++] = environ[i];
	out[n] = NULL;
	return n;
}

static void
sync_region(struct shim_region *r, void *ctx)
{
	(void)ctx;
	shim_media_sync(r, 0, r->len);
}

/* before_exec -- the new image opens the media: give it what we see */
static void
before_exec(void)
{
	if (shim_is_forked_child())
		return;
	shim_lock();
	shim_dirty_settle_all();
	shim_region_for_each(sync_region, NULL);
	shim_unlock();
}

static size_t
env_count(char *const envp[])
{
	size_t n = 0;
	while (envp && envp[n])
		n++;
	return n;
}

SHIM_INTERCEPTOR(int, execve, const char *path, char *const argv[],
		char *const envp[])
{
	SHIM_ENTER(execve, path, argv, envp);
	size_t max = env_count(envp) + ENV_KEEP_MAX + 1;
	char *env[max];
	env_with_shim(envp, env, max);
	before_exec();
	int ret = REAL(execve)(path, argv, env);
	SHIM_SAVE_ERRNO();
	SHIM_LEAVE();
	return ret;
}
#define INIT_EXECVE SHIM_RESOLVE(execve)

SHIM_INTERCEPTOR(int, execvpe, const char *file, char *const argv[],
		char *const envp[])
{
	SHIM_ENTER(execvpe, file, argv, envp);
	size_t max = env_count(envp) + ENV_KEEP_MAX + 1;
	char *env[max];
	env_with_shim(envp, env, max);
	before_exec();
	int ret = REAL(execvpe)(file, argv, env);
	SHIM_SAVE_ERRNO();
	SHIM_LEAVE();
	return ret;
}
#define INIT_EXECVPE SHIM_RESOLVE(execvpe)

SHIM_INTERCEPTOR(void, exit, int status)
{
	SHIM_ENSURE_REAL_(exit);
	shim_set_exit_status(status);
	REAL(exit)(status);
	__builtin_unreachable();
}
#define INIT_EXIT SHIM_RESOLVE(exit)

/* _exit -- skips the destructors, so the shutdown happens here: a forked
 * child's stores are settled (the parent's media sync needs them) and its
 * findings written */
static void
exit_now(int status)
{
	if (shim_active && shim_depth == 0) {
		shim_depth++;
		shim_active = false;
		shim_set_exit_status(status);
		shim_exit_notes();
		shim_shutdown(status);
	}
}

SHIM_INTERCEPTOR(void, _exit, int status)
{
	SHIM_ENSURE_REAL_(_exit);
	exit_now(status);
	REAL(_exit)(status);
	__builtin_unreachable();
}
#define INIT__EXIT SHIM_RESOLVE(_exit)

SHIM_INTERCEPTOR(void, _Exit, int status)
{
	SHIM_ENSURE_REAL_(_Exit);
	exit_now(status);
	REAL(_Exit)(status);
	__builtin_unreachable();
}
#define INIT__EXIT2 SHIM_RESOLVE(_Exit)

void
shim_init_thread(void)
{
	INIT__EXIT;
	INIT__EXIT2;
	INIT_EXECVE;
	INIT_EXECVPE;
	INIT_EXIT;
}
