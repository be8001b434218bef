/*
 * bench_args.h -- the command line every bench_*.c program takes:
 *   PROG FILE [N1 [N2]] [bug]
 * the numbers scale the work (defaults: the benchmark's size), "bug"
 * plants the program's one persistence bug (run_bench.py --check
 * compares the findings of every mode on it)
 */
#ifndef BENCH_ARGS_H
#define BENCH_ARGS_H

#include <err.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct bench_args {
	const char *file;
	unsigned long n[2];
	bool bug;
};

static inline struct bench_args
bench_args(int argc, char *argv[], unsigned long n1, unsigned long n2)
{
	struct bench_args a = { NULL, { n1, n2 }, false };
	if (argc < 2)
		errx(2, "usage: %s FILE [N1 [N2]] [bug]", argv[0]);
	a.file = argv[1];
	int k = 0;
	for (int i = 2; i < argc; i++) {
		char *end;
		if (strcmp(argv[i], "bug") == 0) {
			a.bug = true;
			continue;
		}
		unsigned long v = strtoul(argv[i], &end, 10);
		if (k == 2 || *end != '\0' || end == argv[i] || v == 0)
			errx(2, "bad argument '%s'", argv[i]);
		a.n[k++] = v;
	}
	return a;
}

#endif
