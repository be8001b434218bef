/*
 * inherit_out.c -- 4096 bytes of a template written to standard output,
 * which a shell opened on a pmem file before it exec'd this program
 * (`sh -c 'inherit_out HOW TEMPLATE > /mnt/pm/pool'`), then fsync'd.
 * HOW "write": read, then write(1); "copy": copy_file_range into 1 (the
 * kernel refuses it across file systems, the shim copies by hand). Under
 * pmemu the new image did not know descriptor 1 named a view: the bytes
 * reached the view unseen (the pool file after the run was all zeros),
 * and a copy into a write-only descriptor was never read back.
 * -DFORGET_FSYNC leaves them unsynced (reported at the call).
 */
#include <err.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define N 4096

int
main(int argc, char *argv[])
{
	if (argc != 3)
		errx(2, "usage: %s write|copy TEMPLATE > POOL", argv[0]);
	int in = open(argv[2], O_RDONLY);
	if (in < 0)
		err(1, "%s", argv[2]);
	static char buf[N];
	ssize_t n;
	if (strcmp(argv[1], "write") == 0)
		n = read(in, buf, N) == N ? write(1, buf, N) : -1; /* WRITE */
	else
		n = copy_file_range(in, NULL, 1, NULL, N, 0); /* COPY */
	if (n != N)
		err(1, "%s: %zd", argv[1], n);
#ifndef FORGET_FSYNC
	if (fsync(1) != 0)
		err(1, "fsync");
#endif
	return 0;
}
