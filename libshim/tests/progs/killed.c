/*
 * killed.c -- stores, msyncs, then dies by SIGKILL: `pmemu record` must
 * still leave a readable trace up to that point
 */
#include <err.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(2, "usage: %s FILE", argv[0]);
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 4096) < 0)
		err(1, "%s", argv[1]);
	char *pm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pm == MAP_FAILED)
		err(1, "mmap");
	strcpy(pm, "durable before the kill");
	if (msync(pm, 4096, MS_SYNC) < 0)
		err(1, "msync");
	strcpy(pm + 64, "never durable");
	raise(SIGKILL);
	return 0;
}
