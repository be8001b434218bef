/*
 * own_segv.c -- a program with its own SIGSEGV handler: its stores to
 * emulated pmem work, and its real fault still reaches its handler
 */
#include <err.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void
on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	static const char msg[] = "caught my own fault\n";
	if (si->si_addr == (void *)16 && write(1, msg, sizeof(msg) - 1) > 0)
		_exit(42);
	_exit(43);
}

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(2, "usage: %s FILE", argv[0]);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSEGV, &sa, NULL) != 0)
		err(1, "sigaction");
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 4096) < 0)
		err(1, "%s", argv[1]);
	char *pm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pm == MAP_FAILED)
		err(1, "mmap");
	strcpy(pm, "before the fault");
	msync(pm, 4096, MS_SYNC);
	if (argc > 2)
		return 0;
	*(volatile int *)16 = 1; /* a real fault */
	return 1;
}
