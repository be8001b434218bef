/*
 * raw_own_trap.c -- a prebuilt program (no pmemu plugin) with its own
 * SIGTRAP handler, installed before and after its raw clwb/sfence run:
 * its handler sees exactly the traps it caused (a raise() and an int3 of
 * its own), and the flushes pmemu patched to trap still work. -DBUGGY
 * forgets to flush the record's body (pmemu: unpersisted store, at the
 * line marked "the body"). With --no-handler it only raises SIGTRAP,
 * which must end it as the default action does.
 */
#include <immintrin.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void *raw_map(int argc, char **argv, size_t len);

struct record {
	uint64_t body[8];   /* one cache line */
	uint64_t valid;     /* the next line */
} __attribute__((aligned(64)));

static volatile sig_atomic_t traps;

static void
on_trap(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	traps++;
}

static void
persist(struct record *r)
{
	for (int i = 0; i < 8; i++)
		r->body[i] = 0x2000 + (uint64_t)i; /* the body */
#ifndef BUGGY
	_mm_clwb(r->body);
#endif
	_mm_sfence();
	r->valid = 1;
	_mm_clwb(&r->valid);
	_mm_sfence();
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--no-handler") == 0) {
		raise(SIGTRAP);             /* default action: the end */
		return 0;
	}
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTRAP, &sa, &old) != 0)
		return 3;
	struct record *r = raw_map(argc, argv, 4096);
	raise(SIGTRAP);                     /* the program's own trap */
	persist(r);
	__asm__ volatile("int3");           /* and a breakpoint of its own */
	struct sigaction now;
	if (sigaction(SIGTRAP, NULL, &now) != 0 || now.sa_sigaction != on_trap)
		return 4;
	printf("traps=%d valid=%lu body0=%#lx\n", (int)traps,
		(unsigned long)r->valid, (unsigned long)r->body[0]);
	return 0;
}
