/*
 * spawn_env.c -- a program that starts itself by posix_spawn (argv[2]:
 * "spawn", or "spawnp" for posix_spawnp) with an environment of its own
 * (PATH only); the child writes 4096 bytes to the pmem file argv[1] and
 * fsyncs them. Under pmemu the child ran without LD_PRELOAD: its write
 * went to the media unseen. -DFORGET_FSYNC leaves the bytes unsynced.
 */
#include <err.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 4096

static int
child(const char *pool)
{
	static char buf[N];
	memset(buf, 'c', sizeof(buf));
	int fd = open(pool, O_CREAT | O_RDWR, 0644);
	if (fd < 0 || pwrite(fd, buf, N, 0) != N) /* WRITE */
		err(1, "child");
#ifndef FORGET_FSYNC
	if (fsync(fd) != 0)
		err(1, "fsync");
#endif
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc != 3)
		errx(2, "usage: %s POOL spawn|spawnp|child", argv[0]);
	if (strcmp(argv[2], "child") == 0)
		return child(argv[1]);
	char *args[] = { argv[0], argv[1], "child", NULL };
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	pid_t pid;
	int st;
	int r = strcmp(argv[2], "spawnp") == 0 ?
		posix_spawnp(&pid, argv[0], NULL, NULL, args, env) :
		posix_spawn(&pid, argv[0], NULL, NULL, args, env);
	if (r != 0 || waitpid(pid, &st, 0) != pid || st != 0)
		errx(1, "%s: %d, status %d", argv[2], r, st);
	printf("%s done\n", argv[2]);
	return 0;
}
