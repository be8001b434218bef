/*
 * raw_dlopen.c -- stores to pmem, then persists them with a function of a
 * library it loads with dlopen (argv[2]); that library flushes with raw
 * clwb. -DBUGGY persists only the first half of what it stored.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

void *raw_map(int argc, char **argv, size_t len);
void raw_digest(const char *label, const void *p, size_t len);

int
main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s FILE LIBRARY\n", argv[0]);
		return 2;
	}
	uint64_t *pm = raw_map(argc, argv, 4096);
	void *lib = dlopen(argv[2], RTLD_NOW);
	void (*persist)(const void *, size_t) =
		lib != NULL ? (void (*)(const void *, size_t))dlsym(lib,
				"raw_lib_persist") : NULL;
	if (persist == NULL) {
		fprintf(stderr, "%s\n", dlerror());
		return 2;
	}
	for (int i = 0; i < 32; i++)
		pm[i] = 0x7000 + (uint64_t)i; /* the stores */
#ifdef BUGGY
	persist(pm, 16 * sizeof(*pm));
#else
	persist(pm, 32 * sizeof(*pm));
#endif
	raw_digest("dl", pm, 4096);
	return 0;
}
