/*
 * shim_fatal.h -- the shim's one way to stop on an error (fatal.c)
 */
#ifndef PMEMU_SHIM_FATAL_H
#define PMEMU_SHIM_FATAL_H 1

/* stops the program with one line "pmemu: error: <msg>" on stderr, exit 2
 * (async-signal-safe) */
void shim_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2),
		noreturn));
/* the same line for a call the shim refuses (the call then fails), the
 * program going on */
void shim_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
