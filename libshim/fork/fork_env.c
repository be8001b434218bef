/*
 * fork_env.c -- libpmemu-fork.so: the PMEMU_ variables, which differ per
 * state (PMEMU_STATE, PMEMU_MARKERS...)
 *
 * A check may read them before it touches the image (a check that looks
 * at the markers first), and a program may copy its whole environment at
 * start (Python's os.environ): a child of the fork server would see the
 * values of the state the server started with. So their strings move to
 * memory with no access, one fixed slot each: any read of them before the
 * server started faults, and the check then runs plain (fork_server.c);
 * getenv of a PMEMU_ variable is a trigger (the child reads the state's
 * value, written in the slots), getenv of another one skips them (no
 * fault). Before an exec the strings are made readable (the kernel copies
 * them: EFAULT else; fork_spawn.c). SIGSEGV stays ours until the trigger:
 * the check's own handler is kept aside and gets every other fault.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "fork_server.h"

#define VARS_MAX 16
#define SLOT_SIZE (64u << 10)
#define NAME_MAX_LEN 64

extern char **environ;

static struct {
	char *region;             /* VARS_MAX slots, PROT_NONE while armed */
	size_t nvars;
	char names[VARS_MAX][NAME_MAX_LEN];
	volatile int armed;
	struct sigaction user_segv; /* the check's SIGSEGV disposition */
} fe;

static int (*real_sigaction)(int, const struct sigaction *,
		struct sigaction *);
static char *(*real_getenv)(const char *);
static char *(*real_secure_getenv)(const char *);

#define RESOLVE(name) \
	(real_##name = real_##name ? real_##name : \
	 (__typeof__(real_##name))dlsym(RTLD_NEXT, #name))

static bool
in_region(const void *p)
{
	return fe.region != NULL && (const char *)p >= fe.region &&
		(const char *)p < fe.region + VARS_MAX * SLOT_SIZE;
}

/* forward -- a fault that is not ours, to the check's disposition */
static void
forward(int sig, siginfo_t *si, void *uc)
{
	const struct sigaction *u = &fe.user_segv;
	if ((u->sa_flags & SA_SIGINFO) && u->sa_sigaction != NULL) {
		u->sa_sigaction(sig, si, uc);
	} else if (u->sa_handler != SIG_DFL && u->sa_handler != SIG_IGN) {
		u->sa_handler(sig);
	} else {
		/* the default: the access runs again and kills us */
		struct sigaction dfl;
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		real_sigaction(SIGSEGV, &dfl, NULL);
	}
}

/* on_fault -- a read of a variable's string other than by getenv (a
 * scan of environ: libc's own getenv inside setlocale, Python's
 * os.environ): not a place to fork from (libc may hold a lock), and the
 * value may be kept: the check runs plain (fs_env_read) */
static void
on_fault(int sig, siginfo_t *si, void *uc)
{
	if (fe.armed && in_region(si->si_addr)) {
		fs_env_read();
		fe_release();
		return;
	}
	forward(sig, si, uc);
}

/* name_len -- the length of the name of a NAME=VALUE string */
static size_t
name_len(const char *s)
{
	const char *eq = strchr(s, '=');
	return eq ? (size_t)(eq - s) : strlen(s);
}

void
fe_init(void)
{
	RESOLVE(sigaction);
	RESOLVE(getenv);
	RESOLVE(secure_getenv);
	void *r = mmap(NULL, VARS_MAX * SLOT_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		return;
	fe.region = r;
	for (size_t i = 0; environ && environ[i]; i++) {
		const char *e = environ[i];
		size_t len = strlen(e), nl = name_len(e);
		if (strncmp(e, "PMEMU_", 6) != 0)
			continue;
		if (fe.nvars == VARS_MAX || len >= SLOT_SIZE ||
				nl >= NAME_MAX_LEN) {
			fe.nvars = VARS_MAX + 1; /* cannot serve */
			break;
		}
		char *slot = fe.region + fe.nvars * SLOT_SIZE;
		memcpy(slot, e, len + 1);
		memcpy(fe.names[fe.nvars], e, nl);
		fe.names[fe.nvars][nl] = '\0';
		environ[i] = slot;
		fe.nvars++;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (real_sigaction(SIGSEGV, &sa, &fe.user_segv) != 0)
		return;
	mprotect(fe.region, VARS_MAX * SLOT_SIZE, PROT_NONE);
	fe.armed = 1;
}

bool
fe_fits(const char *blob, size_t len)
{
	size_t k = 0;
	if (fe.nvars > VARS_MAX)
		return false;
	for (size_t at = 0; at < len; at += strlen(blob + at) + 1, k++) {
		const char *s = blob + at;
		size_t nl = name_len(s);
		if (k == fe.nvars || strlen(s) >= SLOT_SIZE ||
				strlen(fe.names[k]) != nl ||
				memcmp(fe.names[k], s, nl) != 0)
			return false;
	}
	return k == fe.nvars;
}

void
fe_apply(const char *blob, size_t len)
{
	mprotect(fe.region, VARS_MAX * SLOT_SIZE, PROT_READ | PROT_WRITE);
	size_t k = 0;
	for (size_t at = 0; at < len; at += strlen(blob + at) + 1, k++)
		memcpy(fe.region + k * SLOT_SIZE, blob + at,
				strlen(blob + at) + 1);
}

void
fe_release(void)
{
	if (!fe.armed)
		return;
	mprotect(fe.region, VARS_MAX * SLOT_SIZE, PROT_READ | PROT_WRITE);
	fe.armed = 0;
	real_sigaction(SIGSEGV, &fe.user_segv, NULL);
}

bool
fe_serviceable(void)
{
	return fe.armed && fe.nvars <= VARS_MAX;
}

/* find -- getenv without touching the slots (armed only) */
static char *
find(const char *name)
{
	size_t nl = strlen(name);
	for (size_t i = 0; environ && environ[i]; i++)
		if (!in_region(environ[i]) &&
				strncmp(environ[i], name, nl) == 0 &&
				environ[i][nl] == '=')
			return environ[i] + nl + 1;
	return NULL;
}

char *
getenv(const char *name)
{
	RESOLVE(getenv);
	if (fe.armed && strncmp(name, "PMEMU_", 6) != 0)
		return find(name);
	if (fe.armed)
		fs_trigger();
	return real_getenv(name);
}

char *
secure_getenv(const char *name)
{
	RESOLVE(secure_getenv);
	if (fe.armed && strncmp(name, "PMEMU_", 6) != 0)
		return find(name);
	if (fe.armed)
		fs_trigger();
	return real_secure_getenv(name);
}

/* sigaction -- SIGSEGV stays ours until the trigger; the check's
 * disposition is kept and reported as if set */
int
sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	RESOLVE(sigaction);
	if (sig != SIGSEGV || !fe.armed)
		return real_sigaction(sig, act, old);
	if (old != NULL)
		*old = fe.user_segv;
	if (act != NULL)
		fe.user_segv = *act;
	return 0;
}

sighandler_t
signal(int sig, sighandler_t h)
{
	static sighandler_t (*real_signal)(int, sighandler_t);
	RESOLVE(signal);
	if (sig != SIGSEGV || !fe.armed)
		return real_signal(sig, h);
	sighandler_t old = fe.user_segv.sa_handler;
	memset(&fe.user_segv, 0, sizeof(fe.user_segv));
	fe.user_segv.sa_handler = h;
	fe.user_segv.sa_flags = SA_RESTART;
	return old;
}
