/*
 * raw_map.c -- what the raw_* test programs share: a file mapped as they
 * would map persistent memory, and a digest of bytes for comparing the
 * output of a native run with a run under pmemu, and whether pmemu
 * patched a site of the program's own code
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* raw_map -- argv[1] grown to len bytes and mapped shared; exit 2 if not */
void *
raw_map(int argc, char **argv, size_t len)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		exit(2);
	}
	int fd = open(argv[1], O_CREAT | O_RDWR, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)len) != 0) {
		perror(argv[1]);
		exit(2);
	}
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	close(fd);
	return p;
}

/* raw_digest -- one line: label and the FNV-1a hash of len bytes at p */
void
raw_digest(const char *label, const void *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ ((const uint8_t *)p)[i]) * 0x100000001b3ull;
	printf("%s %016llx\n", label, (unsigned long long)h);
}

/* raw_patched -- 1 when the site traps, or a jmp at most 24 bytes before
 * it leads into code of no loaded object (pmemu's trampolines) */
int
raw_patched(const uint8_t *site)
{
	if (site[0] == 0xcc)
		return 1;
	for (int k = 0; k <= 24; k++) {
		const uint8_t *jmp = site - k;
		int32_t rel;
		Dl_info info;
		if (jmp[0] != 0xe9)
			continue;
		memcpy(&rel, jmp + 1, 4);
		if (dladdr(jmp + 5 + rel, &info) == 0)
			return 1;
	}
	return 0;
}
