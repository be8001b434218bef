/* trace_tmpdir.h -- the trace tests' scratch directory: tmp_path names a
 * file in it; setup makes it, teardown removes it (cmocka group hooks) */
#ifndef PMEMU_TRACE_TMPDIR_H
#define PMEMU_TRACE_TMPDIR_H 1

#include <stdio.h>
#include <stdlib.h>

static char dir[256];

static const char *
tmp_path(const char *name)
{
	static char p[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/pmemu-test-trace-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

#endif /* PMEMU_TRACE_TMPDIR_H */
