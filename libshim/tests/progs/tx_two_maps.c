/*
 * tx_two_maps.c -- one file mapped twice, a transaction (pmemcheck's
 * client requests, as libpmemobj makes them) that adds a range through
 * one mapping and stores through the other, after the first mapping's
 * page was written and settled. The page's bytes are 0xff and durable;
 * the transaction adds [0, 32) and zeroes it: no finding. -DOUTSIDE also
 * zeroes [128, 192), never added: "store outside its transaction" at
 * pool+0x80, and nothing at [32, 64), which kept its bytes. -DLATE
 * zeroes [0, 32) through the second mapping before it adds the range
 * through the first: "store before its TX_ADD" at pool+0x0.
 */
#include <err.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pmemu.h"

#define LEN 8192
#define PMC(n) (((unsigned)'P' << 24 | (unsigned)'C' << 16) + (n))
#define START_TX 18
#define END_TX 20
#define ADD_TO_TX 22

/* request -- a client request as valgrind.h's amd64 macro emits it */
static uint64_t
request(uint64_t req, uint64_t a1, uint64_t a2)
{
	volatile uint64_t args[6] = { req, a1, a2, 0, 0, 0 };
	uint64_t res;
	__asm__ volatile("rolq $3, %%rdi\n\trolq $13, %%rdi\n\t"
			"rolq $61, %%rdi\n\trolq $51, %%rdi\n\t"
			"xchgq %%rbx, %%rbx"
			: "=d"(res) : "a"(&args[0]), "0"(0)
			: "cc", "memory", "rdi");
	return res;
}

static uint8_t *
map(int fd)
{
	uint8_t *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	return p;
}

static void
persist(void *p, size_t len)
{
	pmemu_flush(p, len);
	pmemu_fence();
}

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(2, "usage: %s FILE", argv[0]);
	int fd = open(argv[1], O_CREAT | O_RDWR, 0644);
	if (fd < 0 || ftruncate(fd, LEN) != 0)
		err(1, "%s", argv[1]);
	uint8_t *a = map(fd), *b = map(fd);
	memset(a, 0xff, 4096);
	persist(a, 4096);
	for (int i = 0; i < 100; i++) /* a's page settles: its twin goes */
		pmemu_fence();
	request(PMC(START_TX), 0, 0);
#ifdef LATE
	memset(b, 0, 32); /* BUG: stored before it is added */
	request(PMC(ADD_TO_TX), (uintptr_t)a, 32);
#else
	request(PMC(ADD_TO_TX), (uintptr_t)b, 32);
	memset(b, 0, 32);
#endif
#ifdef OUTSIDE
	memset(b + 128, 0, 64); /* BUG: never added */
#endif
	persist(b, 192);
	request(PMC(END_TX), 0, 0);
	printf("%d\n", a[128]);
	return 0;
}
