/*
 * fatal.c -- the shim's one way to stop the program on an error, and to
 * say one it refuses without stopping
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim_fatal.h"
#include "shim_syscall.h"

/* say -- one line "pmemu: error: <fmt...>" on stderr */
static void
say(const char *fmt, va_list ap)
{
	char msg[512];
	int n = vsnprintf(msg, sizeof(msg) - 1, fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(msg) - 2)
		n = sizeof(msg) - 2;
	msg[n++] = '\n';
	static const char prefix[] = "pmemu: error: ";
	/* system calls: no interposer, no REAL that may not be resolved */
	(void)shim_syscall(SYS_write, 2, prefix, sizeof(prefix) - 1);
	(void)shim_syscall(SYS_write, 2, msg, (size_t)n);
}

void
shim_fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
	(void)shim_syscall(SYS_exit_group, 2);
	__builtin_unreachable();
}

void
shim_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
}
