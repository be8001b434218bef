/*
 * shim_poison_fault.c -- a fault on a page that holds a poisoned line
 * (the SIGSEGV handler's part) and the single step that follows
 *
 * A load of a poisoned line by the program is a machine check: SIGBUS
 * with BUS_MCEERR_AR and the address, queued to the faulting thread so
 * that it arrives at the faulting instruction once the SIGSEGV handler
 * returns, as the kernel's force_sig_mceerr() delivers it (a blocked or
 * ignored SIGBUS is reset to the default action and unblocked, so it
 * kills). Any other access (another line of the page, a store, the
 * shim's own reads) runs once with the page open: the trap flag makes
 * the CPU stop after the instruction (SIGTRAP, TRAP_TRACE), and the
 * page closes again. A store is watched through the poisoned lines it
 * may reach: they are filled with the complement of their bytes before
 * the step, a byte that differs after it was written, and the others
 * get their bytes back; a line whose every byte was written is cleared
 * (a full-line store overwrites the poison).
 *
 * Async-signal-safe: no lock, no allocation; per-thread step state.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "real.h"
#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_intercept.h"
#include "shim_poison.h"
#include "shim_prog_prot.h"
#include "shim_syscall.h"

#define EFLAGS_TF 0x100
#define PF_WRITE 2 /* page-fault error code: a write */
#define STEP_PAGES 4
#define STEP_LINES 2

struct poison_step {
	uint32_t npages, nlines;
	uintptr_t page[STEP_PAGES];
	const struct shim_mapping *map[STEP_PAGES];
	uintptr_t line[STEP_LINES];
	struct shim_poison_line *entry[STEP_LINES];
	uint8_t saved[STEP_LINES][SHIM_POISON_LINE];
};

static __thread struct poison_step step
	__attribute__((tls_model("initial-exec")));

/* entry_at -- the set entry of the line of m at addr, or NULL */
static struct shim_poison_line *
entry_at(const struct shim_mapping *m, uintptr_t addr)
{
	uint64_t off = m->file_off + (addr - m->base);
	off -= off % SHIM_POISON_LINE;
	uint32_t n = __atomic_load_n(&shim_poison_count, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; i < n; i++) {
		struct shim_poison_line *p = &shim_poison_lines[i];
		if (p->region == m->region && p->off == off &&
				__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) ==
				SHIM_POISON_SET)
			return p;
	}
	return NULL;
}

static void
say(const char *s)
{
	(void)shim_syscall(SYS_write, 2, s, strlen(s));
}

/* say_hex -- 0x and the digits of v */
static void
say_hex(uint64_t v)
{
	char b[19];
	int i = sizeof(b);
	do {
		b[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v != 0);
	b[--i] = 'x';
	b[--i] = '0';
	(void)shim_syscall(SYS_write, 2, b + i, sizeof(b) - (size_t)i);
}

/*
 * machine_check -- SIGBUS to this thread at the faulting instruction. A
 * program with no handler dies of it: say which line it read first, as
 * the kernel logs "Memory failure" (the report names the file and line).
 */
static void
machine_check(void *addr, ucontext_t *uc, const struct shim_poison_line *p)
{
	struct sigaction cur;
	REAL(sigaction)(SIGBUS, NULL, &cur);
	bool has = (cur.sa_flags & SA_SIGINFO) ? cur.sa_sigaction != NULL :
		cur.sa_handler != SIG_DFL && cur.sa_handler != SIG_IGN;
	if (!has || sigismember(&uc->uc_sigmask, SIGBUS)) {
		struct sigaction dfl = { .sa_handler = SIG_DFL };
		REAL(sigaction)(SIGBUS, &dfl, NULL);
		sigdelset(&uc->uc_sigmask, SIGBUS);
		say("pmemu: SIGBUS: the program read a poisoned line (a bad "
			"block) of ");
		say(p->name);
		say(" at ");
		say_hex(p->off);
		say(" and does not handle SIGBUS (BUS_MCEERR_AR)\n");
	}
	/* blocked until this handler returns: delivered at the load */
	sigset_t bus;
	sigemptyset(&bus);
	sigaddset(&bus, SIGBUS);
	(void)shim_syscall(SYS_rt_sigprocmask, SIG_BLOCK, &bus, NULL, _NSIG / 8);
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGBUS;
	si.si_code = BUS_MCEERR_AR;
	si.si_addr = addr;
	si.si_addr_lsb = 12; /* the kernel reports a 4 KiB page's loss */
	(void)shim_syscall(SYS_rt_tgsigqueueinfo, (pid_t)shim_syscall(SYS_getpid),
		(pid_t)shim_tid(), SIGBUS, &si);
}

/* watch -- a store may reach the poisoned line at addr: fill it with the
 * complement of its bytes (see the head of the file) */
static void
watch(const struct shim_mapping *m, uintptr_t addr)
{
	struct shim_poison_line *p = entry_at(m, addr);
	if (p == NULL || step.nlines == STEP_LINES)
		return;
	uintptr_t line = addr - (m->file_off + (addr - m->base)) %
		SHIM_POISON_LINE;
	for (uint32_t i = 0; i < step.nlines; i++)
		if (step.line[i] == line)
			return;
	uint32_t k = step.nlines++;
	step.line[k] = line;
	step.entry[k] = p;
	memcpy(step.saved[k], (void *)line, SHIM_POISON_LINE);
	for (uint32_t b = 0; b < SHIM_POISON_LINE; b++)
		((uint8_t *)line)[b] = (uint8_t)~step.saved[k][b];
}

/* open_page -- the page open for one instruction (a store: written in
 * dirty tracking's terms first, so its twin holds the bytes before) */
static void
open_page(const struct shim_mapping *m, uintptr_t page, void *addr,
		ucontext_t *uc, bool write)
{
	if (write && m->tracked) {
		REAL(mprotect)((void *)page, SHIM_PAGE_LEN, PROT_READ);
		(void)shim_dirty_fault(addr, uc);
	}
	REAL(mprotect)((void *)page, SHIM_PAGE_LEN, write ?
		shim_prog_prot(m, page) : shim_dirty_page_prot(m, page));
	if (step.npages < STEP_PAGES) {
		step.page[step.npages] = page;
		step.map[step.npages++] = m;
	}
	if (write) {
		watch(m, (uintptr_t)addr);
		uintptr_t next = (uintptr_t)addr + SHIM_POISON_LINE;
		if (next < page + SHIM_PAGE_LEN)
			watch(m, next);
	}
	uc->uc_mcontext.gregs[REG_EFL] |= EFLAGS_TF;
}

bool
shim_poison_fault(void *addr, ucontext_t *uc)
{
	if (__atomic_load_n(&shim_poison_count, __ATOMIC_ACQUIRE) == 0)
		return false;
	const struct shim_mapping *m = shim_mapping_lookup(addr);
	if (m == NULL)
		return false;
	uintptr_t page = (uintptr_t)addr & ~(uintptr_t)(SHIM_PAGE_LEN - 1);
	if (shim_poison_page_prot(m, page, PROT_READ) != PROT_NONE)
		return false;
	bool write = (uc->uc_mcontext.gregs[REG_ERR] & PF_WRITE) != 0;
	int prog = shim_prog_prot(m, page);
	if ((write && !(prog & PROT_WRITE)) || !(prog & PROT_READ))
		return false; /* the program's own fault */
	struct shim_poison_line *p = entry_at(m, (uintptr_t)addr);
	/* the shim's own reads (a settle's diff) are not the program's */
	if (!write && p != NULL && shim_depth == 0) {
		machine_check(addr, uc, p);
		return true;
	}
	open_page(m, page, addr, uc, write);
	return true;
}

/* watched -- after the step: which bytes of watched line k were stored;
 * the others get their bytes back; every byte: the poison is gone */
static void
watched(uint32_t k)
{
	uint8_t *line = (uint8_t *)step.line[k];
	uint64_t mask = 0;
	for (uint32_t b = 0; b < SHIM_POISON_LINE; b++) {
		uint8_t filled = (uint8_t)~step.saved[k][b];
		if (line[b] != filled)
			mask |= 1ull << b;
		else
			line[b] = step.saved[k][b];
	}
	struct shim_poison_line *p = step.entry[k];
	uint64_t all = __atomic_or_fetch(&p->written, mask, __ATOMIC_ACQ_REL);
	uint8_t set = SHIM_POISON_SET;
	if (all == UINT64_MAX && __atomic_compare_exchange_n(&p->state, &set,
			SHIM_POISON_CLEARED, false, __ATOMIC_ACQ_REL,
			__ATOMIC_ACQUIRE)) {
		p->mine = SHIM_POISON_MINE_CLEARED;
		__atomic_store_n(&shim_poison_unsaved, 1, __ATOMIC_RELEASE);
	}
}

bool
shim_poison_stepped(const siginfo_t *info, ucontext_t *uc)
{
	if (step.npages == 0 || info->si_code != TRAP_TRACE)
		return false;
	uc->uc_mcontext.gregs[REG_EFL] &= ~(greg_t)EFLAGS_TF;
	for (uint32_t k = 0; k < step.nlines; k++)
		watched(k);
	for (uint32_t i = 0; i < step.npages; i++) {
		const struct shim_mapping *m = step.map[i];
		uintptr_t page = step.page[i];
		REAL(mprotect)((void *)page, SHIM_PAGE_LEN,
			shim_poison_page_prot(m, page,
				shim_dirty_page_prot(m, page)));
	}
	step.npages = step.nlines = 0;
	return true;
}
