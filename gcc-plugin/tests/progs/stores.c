/* stores.c -- scalar, aggregate, bit-field and indexed stores; stack
   stores (local_only) are never instrumented */
#include "prog.h"

struct rec {
	long id;
	int n;
	char name[12];
};
struct bits {
	unsigned lo : 4;
	unsigned mid : 12;
	unsigned hi : 16;
};

NOIPA void put_long(long *p, long v) { *p = v; } /* pmemu: store 0 8 */
NOIPA void put_char(char *p, char v) { *p = v; } /* pmemu: store 9 1 */
NOIPA void put_short(short *p, short v) { *p = v; } /* pmemu: store 10 2 */
NOIPA void put_rec(struct rec *d, const struct rec *s) { *d = *s; } /* pmemu: store 64 24 */
NOIPA void put_mid(struct bits *b, unsigned v) { b->mid = v; } /* pmemu: store 128 2 */
NOIPA void put_hi(struct bits *b, unsigned v) { b->hi = v; } /* pmemu: store 130 2 */
NOIPA void put_at(int *a, int i, int v) { a[i] = v; } /* pmemu: store 212 4 */
NOIPA void put_double(double *p, double v) { *p = v; } /* pmemu: store 256 8 */

/* local_only -- only stack stores: nothing to instrument */
NOIPA int
local_only(int n)
{
	int a[16];
	volatile int v = n;
	int *q = &a[n & 7];
	for (int i = 0; i < 16; i++)
		a[i] = i * v;
	*q = 3;
	return a[n & 15] + a[3];
}

int
main(void)
{
	char *pm = prog_pmem();
	struct rec r = { 7, 3, "name" };
	put_long((long *)pm, 42);
	put_char(pm + 9, 'x');
	put_short((short *)(pm + 10), 5);
	put_rec((struct rec *)(pm + 64), &r);
	put_mid((struct bits *)(pm + 128), 0x123);
	put_hi((struct bits *)(pm + 128), 0xbeef);
	put_at((int *)(pm + 192), 5, 9);
	put_double((double *)(pm + 256), 2.5);
	printf("stores %d %lu\n", local_only(5), prog_sum(pm, 512));
	return 0;
}
