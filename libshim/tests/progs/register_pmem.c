/*
 * register_pmem.c -- a heap buffer made emulated pmem with
 * pmemu_register_pmem (include/pmemu.h): a record stored and persisted
 * with pmemu_flush/pmemu_fence, then its valid flag (the last byte), then
 * unregistered (a clean shutdown) and freed. FORGET_FLUSH never flushes
 * the record (pmemu: unpersisted store at the line marked STORE; a crash
 * may keep the flag and lose the record). A range smaller than a page once rounded in
 * to whole pages is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmemu.h"

#define LEN 8192

int
main(void)
{
	char *buf;
	if (posix_memalign((void **)&buf, 4096, LEN) != 0)
		return 2;
	memset(buf, 0, LEN);
	strcpy(buf, "before registration");
	int tiny = pmemu_register_pmem(buf + 1, 4096, "tiny");
	if (pmemu_register_pmem(buf, LEN, "heap") != 0)
		return 3;
	strcpy(buf + 4096, "a record on emulated pmem"); /* STORE */
#ifndef FORGET_FLUSH
	pmemu_flush(buf + 4096, 64);
#endif
	pmemu_fence();
	buf[LEN - 1] = 1; /* VALID: the record is complete */
	pmemu_flush(buf + LEN - 1, 1);
	pmemu_fence();
	if (pmemu_unregister_pmem(buf, LEN) != 0)
		return 4;
	buf[0] = 'B'; /* private memory again: not pmem */
	printf("running=%d tiny=%d %s / %s\n", pmemu_running(), tiny, buf,
		buf + 4096);
	free(buf);
	return 0;
}
