/*
 * fatal.c -- the shim's one way to stop the program on an error
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim_fatal.h"

void
shim_fatal(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(msg) - 2)
		n = sizeof(msg) - 2;
	msg[n++] = '\n';
	static const char prefix[] = "pmemu: error: ";
	/* system calls: no interposer, no REAL that may not be resolved */
	(void)syscall(SYS_write, 2, prefix, sizeof(prefix) - 1);
	(void)syscall(SYS_write, 2, msg, (size_t)n);
	(void)syscall(SYS_exit_group, 2);
	__builtin_unreachable();
}
