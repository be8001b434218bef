/*
 * fork_spawn.c -- libpmemu-fork.so: the calls that start another program
 * or process before the trigger. The check then cannot serve (what that
 * process did to the image would not happen again in the server's
 * children), and the PMEMU_ variables' strings must be readable for the
 * kernel to copy them (fork_env.c). libc's own execve calls inside
 * system, popen, posix_spawn, wordexp and the execl family are not
 * interposable: those functions are hooked themselves.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>
#include <wordexp.h>

#include "fork_server.h"

#define ARGC_MAX 4096 /* arguments of an execl call we pass on */

pid_t
fork(void)
{
	REAL(fork);
	fs_spawned();
	return real();
}

pid_t
vfork(void)
{
	/* a vfork child shares our stack: fork instead (the same to a
	 * program that only execs or _exits in the child) */
	fs_spawned();
	return fork();
}

int
execve(const char *path, char *const argv[], char *const envp[])
{
	REAL(execve);
	fs_spawned();
	return real(path, argv, envp);
}

int
execv(const char *path, char *const argv[])
{
	REAL(execv);
	fs_spawned();
	return real(path, argv);
}

int
execvp(const char *file, char *const argv[])
{
	REAL(execvp);
	fs_spawned();
	return real(file, argv);
}

int
execvpe(const char *file, char *const argv[], char *const envp[])
{
	REAL(execvpe);
	fs_spawned();
	return real(file, argv, envp);
}

int
fexecve(int fd, char *const argv[], char *const envp[])
{
	REAL(fexecve);
	fs_spawned();
	return real(fd, argv, envp);
}

/* gather -- an execl-style argument list into argv, and after its NULL
 * the envp when asked */
static void
gather(const char *arg, va_list ap, char **argv, char *const **envp)
{
	size_t n = 0;
	argv[n] = (char *)arg;
	while (argv[n] != NULL && n < ARGC_MAX - 1)
		argv[++n] = va_arg(ap, char *);
	argv[n] = NULL;
	if (envp != NULL)
		*envp = va_arg(ap, char *const *);
}

int
execl(const char *path, const char *arg, ...)
{
	static char *argv[ARGC_MAX];
	va_list ap;
	va_start(ap, arg);
	gather(arg, ap, argv, NULL);
	va_end(ap);
	return execv(path, argv);
}

int
execlp(const char *file, const char *arg, ...)
{
	static char *argv[ARGC_MAX];
	va_list ap;
	va_start(ap, arg);
	gather(arg, ap, argv, NULL);
	va_end(ap);
	return execvp(file, argv);
}

int
execle(const char *path, const char *arg, ...)
{
	static char *argv[ARGC_MAX];
	char *const *envp;
	va_list ap;
	va_start(ap, arg);
	gather(arg, ap, argv, &envp);
	va_end(ap);
	return execve(path, argv, envp);
}

int
posix_spawn(pid_t *pid, const char *path,
		const posix_spawn_file_actions_t *fa,
		const posix_spawnattr_t *at, char *const argv[],
		char *const envp[])
{
	REAL(posix_spawn);
	fs_spawned();
	return real(pid, path, fa, at, argv, envp);
}

int
posix_spawnp(pid_t *pid, const char *file,
		const posix_spawn_file_actions_t *fa,
		const posix_spawnattr_t *at, char *const argv[],
		char *const envp[])
{
	REAL(posix_spawnp);
	fs_spawned();
	return real(pid, file, fa, at, argv, envp);
}

int
system(const char *cmd)
{
	REAL(system);
	fs_spawned();
	return real(cmd);
}

FILE *
popen(const char *cmd, const char *mode)
{
	REAL(popen);
	fs_spawned();
	return real(cmd, mode);
}

int
wordexp(const char *words, wordexp_t *we, int flags)
{
	REAL(wordexp);
	fs_spawned();
	return real(words, we, flags);
}
