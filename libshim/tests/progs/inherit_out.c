/*
 * inherit_out.c -- 4096 bytes of a template written to standard output,
 * which a shell opened on a pmem file before it exec'd this program
 * (`sh -c 'inherit_out HOW TEMPLATE > /mnt/pm/pool'`), then fsync'd.
 * HOW "write": read, then write(1); "copy": copy_file_range into 1 (the
 * kernel refuses it across file systems, the shim copies by hand);
 * "stdout": fwrite to stdout ("fclose": then fclose(stdout), which
 * closes descriptor 1); "dprintf": dprintf(1); "dup2": the pool
 * (argv[3]) opened and put on 1 by dup2, then fwrite to stdout. Under
 * pmemu the new image did not know descriptor 1 named a view: the bytes
 * reached the view unseen (the pool file after the run was all zeros),
 * a copy into a write-only descriptor was never read back, and glibc's
 * stdio and dprintf write from inside libc, unseen.
 * -DFORGET_FSYNC leaves them unsynced (reported at the call).
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define N 4096

int
main(int argc, char *argv[])
{
	if (argc < 3)
		errx(2, "usage: %s HOW TEMPLATE [POOL] > POOL", argv[0]);
	int in = open(argv[2], O_RDONLY);
	static char buf[N + 1];
	if (in < 0 || (strcmp(argv[1], "copy") != 0 && read(in, buf, N) != N))
		err(1, "%s", argv[2]);
	if (strcmp(argv[1], "dup2") == 0) {
		int fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) != 1)
			err(1, "%s", argv[3]);
	}
	ssize_t n;
	if (strcmp(argv[1], "write") == 0)
		n = write(1, buf, N); /* WRITE */
	else if (strcmp(argv[1], "copy") == 0)
		n = copy_file_range(in, NULL, 1, NULL, N, 0); /* COPY */
	else if (strcmp(argv[1], "dprintf") == 0)
		n = dprintf(1, "%s", buf); /* DPRINTF */
	else
		n = fwrite(buf, 1, N, stdout) == N &&
			fflush(stdout) == 0 ? N : -1; /* FWRITE */
	if (n != N)
		err(1, "%s: %zd", argv[1], n);
#ifndef FORGET_FSYNC
	if (fsync(1) != 0)
		err(1, "fsync");
#endif
	/* "fclose": glibc's fclose of stdout closes descriptor 1 */
	if (strcmp(argv[1], "fclose") == 0 &&
			(fclose(stdout) != 0 || fcntl(1, F_GETFD) != -1))
		errx(4, "descriptor 1 still open after fclose(stdout)");
	return 0;
}
