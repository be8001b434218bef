/*
 * intercept_thread.c -- processes: exec and posix_spawn keep the shim and
 * its options, exit records the status
 *
 * Threads need nothing here: a thread id is gettid(), cached per thread
 * (shim_tid). fork is handled by pthread_atfork (shim_init.c): the child
 * keeps the views, the trace and a copy of the model.
 */
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "insn_notes.h"
#include "shim_core.h"
#include "shim_findings.h"
#include "shim_intercept.h"

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

/*
 * before_exec -- the image's mappings vanish at exec: a clean shutdown as
 * at exit (MODEL.md), so the media holds what this image wrote and the
 * new image, which opens the media, sees it; this image's findings are
 * written now (the new one joins the same file, shim_join.c)
 */
static void
before_exec(void)
{
	shim_shutdown_exec();
}

static size_t
env_count(char *const envp[])
{
	size_t n = 0;
	while (envp && envp[n])
		n++;
	return n;
}

/* exec_with -- execve (or execvpe: search PATH) of argv, envp with the
 * shim kept, after this image's clean shutdown */
static int exec_with(bool search, const char *file, char *const argv[],
		char *const envp[]);

SHIM_INTERCEPTOR(int, execve, const char *path, char *const argv[],
		char *const envp[])
{
	SHIM_ENTER(execve, path, argv, envp);
	int ret = exec_with(false, path, argv, envp);
	SHIM_SAVE_ERRNO();
	SHIM_LEAVE();
	return ret;
}

SHIM_INTERCEPTOR(int, execvpe, const char *file, char *const argv[],
		char *const envp[])
{
	SHIM_ENTER(execvpe, file, argv, envp);
	int ret = exec_with(true, file, argv, envp);
	SHIM_SAVE_ERRNO();
	SHIM_LEAVE();
	return ret;
}

static int
exec_with(bool search, const char *file, char *const argv[],
		char *const envp[])
{
	size_t max = env_count(envp) + ENV_KEEP_MAX + 1;
	char *env[max];
	env_with_shim(envp, env, max);
	before_exec();
	SHIM_REAL_ENSURE();
	return search ? REAL(execvpe)(file, argv, env) :
		REAL(execve)(file, argv, env);
}

/*
 * posix_spawn, posix_spawnp -- the child execs inside libc with the
 * environment given: one without LD_PRELOAD (a program's own, short
 * list) ran unemulated, its writes and stores to pmem files straight to
 * the media, unseen ("no findings"). So LD_PRELOAD and PMEMU_* are put
 * back, as for exec; the parent goes on, so no shutdown here.
 */
#define SPAWN_BODY(name, pid, file, fa, attr, argv, envp) \
	SHIM_ENTER(name, pid, file, fa, attr, argv, envp); \
	size_t max_ = env_count(envp) + ENV_KEEP_MAX + 1; \
	char *env_[max_]; \
	env_with_shim(envp, env_, max_); \
	int ret = REAL(name)(pid, file, fa, attr, argv, env_); \
	SHIM_SAVE_ERRNO(); \
	SHIM_LEAVE(); \
	return ret

SHIM_INTERCEPTOR(int, posix_spawn, pid_t *pid, const char *path,
		const posix_spawn_file_actions_t *fa,
		const posix_spawnattr_t *attr, char *const argv[],
		char *const envp[])
{
	SPAWN_BODY(posix_spawn, pid, path, fa, attr, argv, envp);
}

SHIM_INTERCEPTOR(int, posix_spawnp, pid_t *pid, const char *file,
		const posix_spawn_file_actions_t *fa,
		const posix_spawnattr_t *attr, char *const argv[],
		char *const envp[])
{
	SPAWN_BODY(posix_spawnp, pid, file, fa, attr, argv, envp);
}

/* glibc's execv, execvp and execl* call execve inside libc, past any
 * interposer: each is the execve/execvpe interposer here */
SHIM_INTERCEPTOR(int, execv, const char *path, char *const argv[])
{
	SHIM_ENTER(execv, path, argv);
	int ret = exec_with(false, path, argv, environ);
	SHIM_SAVE_ERRNO();
	SHIM_LEAVE();
	return ret;
}

SHIM_INTERCEPTOR(int, execvp, const char *file, char *const argv[])
{
	SHIM_ENTER(execvp, file, argv);
	int ret = exec_with(true, file, argv, environ);
	SHIM_SAVE_ERRNO();
	SHIM_LEAVE();
	return ret;
}

/* the arguments of an execl call after arg, up to its NULL, into argv */
#define EXECL_ARGV(arg, argv, ap) \
	size_t n_ = 0; \
	va_start(ap, arg); \
	for (const char *a_ = arg; a_ != NULL; a_ = va_arg(ap, const char *)) \
		n_++; \
	va_end(ap); \
	char *argv[n_ + 1]; \
	va_start(ap, arg); \
	argv[0] = (char *)arg; \
	for (size_t i_ = 1; i_ <= n_; i_++) \
		argv[i_] = va_arg(ap, char *)

__attribute__((visibility("default"))) int
execl(const char *path, const char *arg, ...)
{
	va_list ap;
	EXECL_ARGV(arg, argv, ap);
	va_end(ap);
	return execv(path, argv);
}

__attribute__((visibility("default"))) int
execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	EXECL_ARGV(arg, argv, ap);
	va_end(ap);
	return execvp(file, argv);
}

__attribute__((visibility("default"))) int
execle(const char *path, const char *arg, ...)
{
	va_list ap;
	EXECL_ARGV(arg, argv, ap);
	char *const *envp = va_arg(ap, char *const *);
	va_end(ap);
	return execve(path, argv, envp);
}

/*
 * vfork -- a fork: a vfork child runs in its parent's memory, so what the
 * shim does in it (the exec's clean shutdown, its _exit) would be done to
 * the parent's state, and the interposer it enters for the exec, never
 * left, would leave the parent's thread inside the shim: every later call
 * of the parent went to the real function, untracked. A program may only
 * exec or _exit in a vfork child (POSIX), so a fork is the same to it.
 */
SHIM_INTERCEPTOR(pid_t, vfork, void)
{
	return fork();
}

SHIM_INTERCEPTOR(void, exit, int status)
{
	SHIM_REAL_ENSURE();
	shim_set_exit_status(status);
	REAL(exit)(status);
	__builtin_unreachable();
}

/* _exit -- skips the destructors, so the shutdown happens here: a forked
 * child's stores are settled (the parent's media sync needs them) and its
 * findings written */
static void
exit_now(int status)
{
	int saved;
	if (shim_enter(&saved)) { /* never left: the process ends */
		shim_active = false;
		shim_set_exit_status(status);
		shim_exit_notes();
		shim_shutdown(status);
	}
}

SHIM_INTERCEPTOR(void, _exit, int status)
{
	SHIM_REAL_ENSURE();
	exit_now(status);
	REAL(_exit)(status);
	__builtin_unreachable();
}

SHIM_INTERCEPTOR(void, _Exit, int status)
{
	SHIM_REAL_ENSURE();
	exit_now(status);
	REAL(_Exit)(status);
	__builtin_unreachable();
}

