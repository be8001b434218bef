/* devdax_share.c ROLE DEV SYNCDIR -- two processes started apart (not
 * forked from one another) that map one device DAX (or pmem file) DEV:
 *   write-flush, write-noflush: "hello" at 0 (persisted, or not: the
 *     bug), then ready=1 at 64, persisted; waits for SYNCDIR/done
 *   write-stay: as write-noflush, but waits for SYNCDIR/exited
 *   write-late: "hello" at 0 and ready=1 at 64, neither persisted; waits
 *     for SYNCDIR/exited (the reader exited), then persists flag=1 at 8192
 *     (the bug: the data was never persisted, and the exit of the reader,
 *     which maps it too, does not persist it)
 *   read: waits for ready through its own mapping, prints "saw hello" (or
 *     "saw nothing"), persists flag=1 at 4096, creates SYNCDIR/done
 *   peek: the same, without the flag (no store at all)
 *   peek-stay: peek, then waits for SYNCDIR/wexited (the writer exited)
 *   persist: the same, persisting the writer's "hello" instead of a flag
 *   check DEV: exit 1 when a flag is durable and the data is not
 * The waits give up after about 5 s (the processes do not share memory). */
#include <fcntl.h>
#include <libpmem.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MiB2 (2u << 20)
#define TRIES 500 /* of 10 ms */

static volatile char *
map_dev(const char *dev, int prot)
{
	int fd = open(dev, (prot & PROT_WRITE) ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return NULL;
	void *p = mmap(NULL, MiB2, prot, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

static void
wait_for(const char *dir, const char *name)
{
	char done[4096];
	snprintf(done, sizeof(done), "%s/%s", dir, name);
	for (int i = 0; i < TRIES && access(done, F_OK) != 0; i++)
		usleep(10000);
}

static int
writer(volatile char *m, const char *role, const char *dir)
{
	int late = strcmp(role, "write-late") == 0;
	int stay = late || strcmp(role, "write-stay") == 0;
	memcpy((char *)m, "hello", 6); /* DATA */
	if (strcmp(role, "write-flush") == 0)
		pmem_persist((char *)m, 6);
	m[64] = 1;
	if (!late)
		pmem_persist((char *)m + 64, 1);
	wait_for(dir, stay ? "exited" : "done");
	if (late) {
		m[8192] = 1;
		pmem_persist((char *)m + 8192, 1);
	}
	return 0;
}

static int
reader(volatile char *m, int flag, const char *dir)
{
	char done[4096];
	snprintf(done, sizeof(done), "%s/done", dir);
	int i;
	for (i = 0; i < TRIES && m[64] != 1; i++)
		usleep(10000);
	if (m[64] == 1 && memcmp((const char *)m, "hello", 6) == 0) {
		printf("saw hello\n");
		if (flag == 1) {
			m[4096] = 1;
			pmem_persist((char *)m + 4096, 1);
		} else if (flag == 2) {
			pmem_persist((char *)m, 6); /* another's store */
		}
	} else {
		printf("saw nothing\n");
	}
	fflush(stdout);
	int fd = open(done, O_CREAT | O_WRONLY, 0644);
	if (fd >= 0)
		close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	const char *role = argv[1];
	if (strcmp(role, "check") == 0) {
		volatile char *m = map_dev(argv[2], PROT_READ);
		if (m == NULL)
			return 2;
		return (m[4096] == 1 || m[8192] == 1) &&
			memcmp((const char *)m, "hello", 6) != 0;
	}
	if (argc < 4)
		return 2;
	volatile char *m = map_dev(argv[2], PROT_READ | PROT_WRITE);
	if (m == NULL) {
		perror(argv[2]);
		return 2;
	}
	if (strcmp(role, "read") == 0)
		return reader(m, 1, argv[3]);
	if (strcmp(role, "persist") == 0)
		return reader(m, 2, argv[3]);
	if (strcmp(role, "peek") == 0)
		return reader(m, 0, argv[3]);
	if (strcmp(role, "peek-stay") == 0) {
		reader(m, 0, argv[3]);
		wait_for(argv[3], "wexited");
		return 0;
	}
	return writer(m, role, argv[3]);
}
