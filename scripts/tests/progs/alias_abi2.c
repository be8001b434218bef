/* alias_abi2.c -- a module as the plugin of ABI 2 built it: a two-word
 * slot registered with __pmemu_register_slot, and memory right after it
 * that the runtime must never write (the delta of ABI 3 slots); prints
 * whether the slot holds the pool's range, and that word */
#include <err.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

struct slot2 {
	volatile uintptr_t lo;
	volatile uintptr_t len;
};

static struct {
	struct slot2 slot;
	volatile uintptr_t after;
} module = { { 0, 0 }, 0x5a5a5a5a };

extern int __pmemu_register_slot(struct slot2 *slot) __attribute__((weak));

int
main(int argc, char **argv)
{
	if (argc != 2)
		errx(2, "usage: alias_abi2 POOL");
	if (__pmemu_register_slot == NULL)
		errx(1, "no runtime");
	__pmemu_register_slot(&module.slot);
	int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, 65536) != 0)
		err(1, "%s", argv[1]);
	char *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	int in = (uintptr_t)p - module.slot.lo < module.slot.len;
	printf("%s %lx\n", in ? "in" : "out", (unsigned long)module.after);
	return 0;
}
