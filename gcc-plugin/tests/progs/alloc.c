/* alloc.c -- stores through allocators' results. A user allocator
   declared __attribute__((malloc)) may hand out pmem (a pool or arena
   allocator): its stores are instrumented even when the pointer never
   escapes. The C library's allocators (GCC built-ins) return DRAM: at -O2
   a store through their result that does not escape is skipped
   (test_plugin.py: test_allocator_results, by the plugin's stats). */
#include "prog.h"

static char *arena;
static size_t arena_used;

/* pm_alloc -- N bytes of the pmem buffer, never reused */
__attribute__((malloc, noinline, noclone)) void *
pm_alloc(size_t n)
{
	void *p = arena + arena_used;
	arena_used += (n + 63) & ~(size_t)63;
	return p;
}

/* sum -- pure: reading the memory does not let its pointer escape */
__attribute__((pure, noinline, noclone)) long
sum(const long *p, int n)
{
	long s = 0;
	for (int i = 0; i < n; i++)
		s += p[i];
	return s;
}

NOIPA long
pool_store(long v)
{
	long *p = (long *)pm_alloc(2 * sizeof(long));
	p[0] = v; /* pmemu: store 0 8 */
	return sum(p, 1);
}

/* pool_realloc -- realloc's result may be its argument's memory (never
   called: realloc of pool memory would fail) */
NOIPA long
pool_realloc(long v)
{
	long *p = (long *)realloc(pm_alloc(sizeof(long)), 2 * sizeof(long));
	p[1] = v;
	return sum(p, 2);
}

NOIPA long
dram_malloc(long v)
{
	long *p = (long *)malloc(2 * sizeof(long));
	if (p == NULL)
		return 0;
	p[0] = v;
	long s = sum(p, 1);
	free(p);
	return s;
}

NOIPA long
dram_calloc_realloc(long v)
{
	long *p = (long *)calloc(2, sizeof(long));
	if (p == NULL)
		return 0;
	p[1] = v;
	long *q = (long *)realloc(p, 4 * sizeof(long));
	if (q == NULL) {
		free(p);
		return 0;
	}
	q[3] = v;
	long s = sum(q + 1, 1) + sum(q + 3, 1);
	free(q);
	return s;
}

NOIPA long
dram_stack(int n, long v)
{
	long *a = (long *)__builtin_alloca(n * sizeof(long));
	long vla[n];
	a[n - 1] = v;
	vla[n - 1] = v;
	return sum(a + n - 1, 1) + sum(vla + n - 1, 1);
}

NOIPA long
dram_strdup(const char *s)
{
	char *d = strdup(s);
	if (d == NULL)
		return 0;
	d[0] = 'x';
	long r = sum((const long *)d, 1);
	free(d);
	return r;
}

int
main(void)
{
	char *pm = prog_pmem();
	arena = pm;
	long s = pool_store(7) + dram_malloc(3) + dram_calloc_realloc(4) +
		 dram_stack(5, 6) + dram_strdup("abcdefgh");
	printf("alloc %ld %lu\n", s & 0xff, prog_sum(pm, 64));
	return 0;
}
