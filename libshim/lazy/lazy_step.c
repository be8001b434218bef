/*
 * lazy_step.c -- libpmemu-lazy.so: a fault decides the lines the faulting
 * instruction touches, not every undecided line of its page
 *
 * The processor reports a fault per page; a libpmemobj pool keeps lanes,
 * logs and heap headers of many transactions on one page, and deciding
 * them all at the first touch multiplies the check's runs by outcomes of
 * lines it never reads. So the page is opened for the faulting instruction
 * alone: capstone gives the instruction's memory operands, their
 * addresses (from the registers) and sizes, the lines they cover on the
 * page are decided, the trap flag steps the instruction, and the SIGTRAP
 * that follows closes the page again (lazy_watch.c protects what is still
 * undecided on it). A rep string instruction's remaining iterations are
 * decided at once and its pages stay open until it is done.
 *
 * The common forms do not step: a move or an integer ALU instruction with
 * one memory operand on the open page, and rep movs/stos, run in the
 * handler (lazy_emul.c), which then closes the page as the trap would.
 * A rep string instruction run there faults on its later pages inside the
 * handler: those faults decide its lines as the check's own would (same
 * registers, same element, its pc in the log), and one the check would
 * take itself (no image page, a protection it lacks) hands the
 * instruction back, its progress kept, to be stepped as before.
 *
 * Where that cannot be exact, the page is decided whole, as before:
 * - the check has started a thread (another thread could read the open
 *   page during the step unseen);
 * - the instruction is not decoded, has a memory operand of unknown size
 *   or over 64 bytes, an address it cannot compute from the registers (a
 *   vector index: gathers and scatters; a segment base; 32-bit registers),
 *   or the fault is not in the ranges it computes; a rep string
 *   instruction over LW_STEP_REP_MAX bytes (it traps per iteration);
 * - the page faulted LW_STEP_HOT times per branch its watched lines
 *   could start, at most LW_STEP_HOT_MAX times, already (a loop: one
 *   fault per access would cost more than the runs it saves; a fault
 *   costs microseconds, a run milliseconds);
 * - the instruction faults on more than LW_STEP_PAGES pages.
 *
 * No allocation in the handlers: they only decode (into an instruction
 * capstone allocated when the decoder was loaded, lazy_decoder.c, before
 * any page was protected), write and mprotect.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "lazy_decoder.h"
#include "lazy_emul.h"
#include "lazy_step.h"

#define LW_STEP_HOT 256   /* faults on one page per branch its watched
			   * lines could start before it is decided whole */
#define LW_STEP_HOT_MAX 16384 /* ... and at most */
#define LW_STEP_PAGES 4   /* pages one instruction may open */
#define LW_STEP_SLOTS 256 /* pages whose faults are counted */
#define LW_STEP_REP_MAX 16384 /* bytes a rep string instruction may step */
#define LW_TRAP_FLAG 0x100

static struct {
	bool on;          /* stepping allowed: decoder ready, no thread */
	bool threaded;    /* a thread was started (pthread_create) */
	bool trap_ready;  /* our SIGTRAP handler is in (lw_step_init) */
	cs_insn *insn;    /* the decoder's (lazy_decoder.c) */
	uintptr_t open[LW_STEP_PAGES]; /* opened for the step under way */
	size_t nopen;
	uintptr_t pc;     /* the instruction they are open for */
	struct { uintptr_t page; unsigned faults; } hot[LW_STEP_SLOTS];
	void (*close_page)(uintptr_t page);
	struct sigaction old_trap;
	uintptr_t page_len;
	size_t nranges;   /* memory operands of the instruction opened */
	uintptr_t ea, ea_end; /* its first one's bytes */
	unsigned rep;     /* running a rep string instruction of this size */
	bool gave_back;   /* a fault of the check's own stopped it */
	uint64_t rcx_left;  /* its count then */
	struct { unsigned long faults, traps, emulated, reps; } n;
	int stats_fd;     /* PMEMU_LAZY_STATS */
} st = { .stats_fd = -1 };

static int (*real_pthread_create)(pthread_t *, const pthread_attr_t *,
		void *(*)(void *), void *);

/* pthread_create -- a second thread ends stepping for this process */
int
pthread_create(pthread_t *t, const pthread_attr_t *attr,
		void *(*fn)(void *), void *arg)
{
	if (real_pthread_create == NULL)
		real_pthread_create = (__typeof__(real_pthread_create))
			dlsym(RTLD_NEXT, "pthread_create");
	__atomic_store_n(&st.threaded, true, __ATOMIC_SEQ_CST);
	__atomic_store_n(&st.on, false, __ATOMIC_SEQ_CST);
	return real_pthread_create(t, attr, fn, arg);
}

/* hot -- one more fault on page, whose watched lines could start
 * branches runs if decided whole; true once it faulted too often */
static bool
hot(uintptr_t page, unsigned long branches)
{
	size_t i = (page >> 12) % LW_STEP_SLOTS;
	if (st.hot[i].page != page) {
		st.hot[i].page = page;
		st.hot[i].faults = 0;
	}
	unsigned long most = branches > LW_STEP_HOT_MAX / LW_STEP_HOT ?
		LW_STEP_HOT_MAX : LW_STEP_HOT * (branches ? branches : 1);
	return ++st.hot[i].faults > most;
}

/* gpr -- the value of 64-bit register r in uc, false for any other */
static bool
gpr(const ucontext_t *uc, unsigned r, uint64_t next_pc, uint64_t *v)
{
	static const struct { unsigned cs; int greg; } map[] = {
		{ X86_REG_RAX, REG_RAX }, { X86_REG_RBX, REG_RBX },
		{ X86_REG_RCX, REG_RCX }, { X86_REG_RDX, REG_RDX },
		{ X86_REG_RSI, REG_RSI }, { X86_REG_RDI, REG_RDI },
		{ X86_REG_RBP, REG_RBP }, { X86_REG_RSP, REG_RSP },
		{ X86_REG_R8, REG_R8 }, { X86_REG_R9, REG_R9 },
		{ X86_REG_R10, REG_R10 }, { X86_REG_R11, REG_R11 },
		{ X86_REG_R12, REG_R12 }, { X86_REG_R13, REG_R13 },
		{ X86_REG_R14, REG_R14 }, { X86_REG_R15, REG_R15 },
	};
	if (r == X86_REG_INVALID) {
		*v = 0;
		return true;
	}
	if (r == X86_REG_RIP) {
		*v = next_pc;
		return true;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].cs == r) {
			*v = (uint64_t)uc->uc_mcontext.gregs[map[i].greg];
			return true;
		}
	return false;
}

/* plain_store -- operand i of the instruction is written whole and not
 * read: the destination (Intel order: the first operand) of a move or a
 * string store without a mask. Capstone 4's access flags are missing for
 * many vector moves, and would count a masked AVX-512 store, which leaves
 * masked-off bytes, as whole. */
static bool
plain_store(uint8_t i)
{
	const char *m = st.insn->mnemonic;
	if (strncmp(m, "rep ", 4) == 0)
		m += 4;
	if (i != 0 || strstr(st.insn->op_str, "{k") != NULL ||
			strstr(m, "maskmov") != NULL)
		return false;
	return strncmp(m, "mov", 3) == 0 || strncmp(m, "vmov", 4) == 0 ||
		strncmp(m, "stos", 4) == 0;
}

/* touched -- the byte ranges the instruction at uc's pc accesses (a rep
 * string instruction: all its remaining iterations) into lo/hi, whether
 * each is only written into store; their number, or 0 when they cannot be known exactly (see the header) */
static size_t
touched(const ucontext_t *uc, uintptr_t lo[], uintptr_t hi[], bool store[],
		size_t max, bool *rep)
{
	uint64_t pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	const uint8_t *code = (const uint8_t *)pc;
	size_t len = 16, n = 0;
	uint64_t addr = pc;
	if (!lw_decoder_next(&code, &len, &addr))
		return 0;
	const cs_x86 *x = &st.insn->detail->x86;
	bool prefixed; /* rep: only a string instruction's counts (not bnd) */
	unsigned elem = lw_emul_string_size(st.insn->bytes, st.insn->size,
			&prefixed);
	*rep = elem != 0 && prefixed;
	uint64_t count = *rep ? (uint64_t)uc->uc_mcontext.gregs[REG_RCX] : 1;
	bool down = (uc->uc_mcontext.gregs[REG_EFL] & 0x400) != 0; /* DF */
	for (uint8_t i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];
		uint64_t base, index;
		if (op->type != X86_OP_MEM)
			continue;
		unsigned size = elem ? elem : op->size;
		if (n == max || size == 0 || size > 64 ||
				op->mem.segment != X86_REG_INVALID ||
				!gpr(uc, op->mem.base, addr, &base) ||
				!gpr(uc, op->mem.index, addr, &index) ||
				count > LW_STEP_REP_MAX / size)
			return 0;
		uintptr_t ea = (uintptr_t)(base + index * (uint64_t)op->mem.scale +
				(uint64_t)op->mem.disp);
		uintptr_t span = (uintptr_t)(count * size);
		lo[n] = down ? ea + size - span : ea;
		hi[n] = down ? ea + size : ea + span;
		store[n] = plain_store(i);
		n++;
	}
	return n;
}

size_t
lw_step_open(void *ucv, uintptr_t page, uintptr_t addr, uintptr_t lo[],
		uintptr_t hi[], bool store[], size_t max, unsigned long branches)
{
	ucontext_t *uc = ucv;
	bool rep = false;
	st.n.faults++;
	if (!__atomic_load_n(&st.on, __ATOMIC_SEQ_CST) ||
			st.nopen == LW_STEP_PAGES || hot(page, branches))
		return 0;
	size_t n = touched(uc, lo, hi, store, max, &rep), hit = 0;
	for (size_t i = 0; i < n; i++)
		hit += addr >= lo[i] && addr < hi[i];
	if (hit == 0) /* the fault is not where the decoder says: page */
		return 0;
	if (st.nopen == 0)
		st.pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	st.open[st.nopen++] = page;
	st.nranges = rep ? 0 : n;
	st.ea = lo[0];
	st.ea_end = hi[0];
	if (st.rep == 0) /* the handler's own rep string: no trap */
		uc->uc_mcontext.gregs[REG_EFL] |= LW_TRAP_FLAG;
	return n;
}

bool
lw_step_threaded(void)
{
	return __atomic_load_n(&st.threaded, __ATOMIC_SEQ_CST);
}

bool
lw_step_on(void)
{
	return __atomic_load_n(&st.on, __ATOMIC_SEQ_CST);
}

bool
lw_step_is_open(uintptr_t page)
{
	for (size_t i = 0; i < st.nopen; i++)
		if (st.open[i] == page)
			return true;
	return false;
}

/* close_open -- the instruction is done: close its pages again */
static void
close_open(ucontext_t *uc)
{
	uc->uc_mcontext.gregs[REG_EFL] &= ~(greg_t)LW_TRAP_FLAG;
	size_t n = st.nopen;
	st.nopen = 0;
	for (size_t i = 0; i < n; i++)
		st.close_page(st.open[i]);
}

/* run_rep -- the rep string instruction opened, run to its end here (or
 * to a fault of the check's own: then stepped from there) */
static void
run_rep(ucontext_t *uc, unsigned size)
{
	unsigned len = st.insn->size;
	st.rep = size;
	st.gave_back = false;
	lw_emul_rep(uc, st.insn, size);
	st.rep = 0;
	if (st.gave_back) {
		uc->uc_mcontext.gregs[REG_RCX] = (greg_t)st.rcx_left;
		return;
	}
	st.n.reps++;
	uc->uc_mcontext.gregs[REG_RIP] += len;
	close_open(uc);
}

void
lw_step_run(void *ucv, int prot)
{
	ucontext_t *uc = ucv;
	unsigned size;
	if (st.nopen != 1 || st.rep != 0)
		return;
	if ((size = lw_emul_rep_size(st.insn)) != 0) {
		run_rep(uc, size);
	} else if (st.nranges == 1 && st.ea >= st.open[0] &&
			st.ea_end <= st.open[0] + st.page_len &&
			lw_emul_access(uc, st.insn, st.ea, prot)) {
		st.n.emulated++;
		close_open(uc);
	}
}

uintptr_t
lw_step_pc(uintptr_t pc)
{
	return st.rep != 0 ? st.pc : pc;
}

bool
lw_step_give_back(void *ucv)
{
	ucontext_t *uc = ucv;
	if (st.rep == 0 ||
			!lw_emul_rep_at((uintptr_t)uc->uc_mcontext.gregs[REG_RIP],
				st.rep))
		return false;
	/* end the handler's instruction where the check's will fault */
	st.gave_back = true;
	st.rcx_left = (uint64_t)uc->uc_mcontext.gregs[REG_RCX];
	uc->uc_mcontext.gregs[REG_RCX] = 0;
	return true;
}

/* on_trap -- the stepped instruction is done: close its pages again */
static void
on_trap(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	if (st.nopen > 0 && (uc->uc_mcontext.gregs[REG_EFL] & LW_TRAP_FLAG)) {
		int saved = errno;
		st.n.traps++;
		/* a rep string instruction traps per iteration: its ranges
		 * were decided whole, its pages stay open until it is done */
		if ((uintptr_t)uc->uc_mcontext.gregs[REG_RIP] == st.pc &&
				uc->uc_mcontext.gregs[REG_RCX] != 0)
			return;
		close_open(uc);
		errno = saved;
		return;
	}
	/* not ours: the handler before us, or the default */
	if ((st.old_trap.sa_flags & SA_SIGINFO) &&
			st.old_trap.sa_sigaction != NULL) {
		st.old_trap.sa_sigaction(sig, si, ucv);
	} else if (st.old_trap.sa_handler != SIG_DFL &&
			st.old_trap.sa_handler != SIG_IGN) {
		st.old_trap.sa_handler(sig);
	} else if (st.old_trap.sa_handler == SIG_DFL) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
}

/* stats -- PMEMU_LAZY_STATS: what the handlers did in this process, one
 * line at exit (a debug count: tests and docs/performance.md) */
__attribute__((destructor)) static void
stats(void)
{
	char buf[160];
	if (st.stats_fd < 0)
		return;
	int n = snprintf(buf, sizeof(buf), "lazy-stats pid %ld faults %lu "
			"traps %lu emulated %lu rep %lu\n", (long)getpid(),
			st.n.faults, st.n.traps, st.n.emulated, st.n.reps);
	if (n > 0 && syscall(SYS_write, st.stats_fd, buf, (size_t)n) < 0)
		return;
}

void
lw_step_resolve(void)
{
	real_pthread_create = (__typeof__(real_pthread_create))
		dlsym(RTLD_NEXT, "pthread_create");
}

void
lw_step_init(void (*close_page)(uintptr_t page))
{
	const char *stats_path = getenv("PMEMU_LAZY_STATS");
	if (stats_path != NULL && stats_path[0] != '\0')
		st.stats_fd = (int)syscall(SYS_openat, AT_FDCWD, stats_path,
				O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	st.page_len = (uintptr_t)sysconf(_SC_PAGESIZE);
	st.close_page = close_page;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTRAP, &sa, &st.old_trap) != 0)
		return;
	st.trap_ready = true;
}

void
lw_step_arm(void)
{
	if (!st.trap_ready || __atomic_load_n(&st.on, __ATOMIC_SEQ_CST) ||
			__atomic_load_n(&st.threaded, __ATOMIC_SEQ_CST) ||
			!lw_decoder_load())
		return;
	st.insn = lw_decoder_insn();
	__atomic_store_n(&st.on, true, __ATOMIC_SEQ_CST);
	/* a thread started meanwhile: stepping stays off */
	if (__atomic_load_n(&st.threaded, __ATOMIC_SEQ_CST))
		__atomic_store_n(&st.on, false, __ATOMIC_SEQ_CST);
}
