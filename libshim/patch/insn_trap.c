/*
 * insn_trap.c -- the SIGTRAP handler of patched instructions: find the
 * site, perform the instruction for real on the operands the interrupted
 * context holds, emit its model event, resume after it
 *
 * The handler runs on a synchronous trap in program code that is not the
 * shim's, so the thread holds no shim lock; it allocates nothing and calls
 * only the shim_ev_* door (shim_events.h) and shim_site_ucontext().
 * Register operands come from the signal frame: general registers from
 * gregs, xmm0-15 and mm0-7 from the FXSAVE image, the upper halves of ymm
 * and zmm and zmm16-31 from the XSAVE components behind it (SDM vol. 1,
 * 13.4-13.8; insn_xstate.c reads the image, a trampoline's too).
 */
#include <cpuid.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "client_request.h"
#include "insn.h"
#include "insn_trap.h"
#include "insn_xstate.h"
#include "shim_events.h"
#include "shim_fatal.h"
#include "shim_intercept.h"
#include "shim_region.h"
#include "shim_site.h"

#define LINE_LEN 64

/* what this CPU runs and where the frame keeps the vector registers */
static struct {
	bool ready;
	bool clwb, clflushopt, movdiri, movdir64b;
} cpu;

static _Atomic(const struct insn_table *) table;
static struct sigaction prev_trap;  /* whoever had SIGTRAP before us */
static atomic_bool installed;

/* cpu_probe -- CPUID leaf 7 and 0xD, XCR0; once, before any trap */
static void
cpu_probe(void)
{
	unsigned a, b, c, d;
	if (cpu.ready)
		return;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		cpu.clflushopt = b & (1u << 23);
		cpu.clwb = b & (1u << 24);
		cpu.movdiri = c & (1u << 27);
		cpu.movdir64b = c & (1u << 28);
	}
	cpu.ready = true;
}

bool
insn_site_emulable(const struct insn_site *s)
{
	cpu_probe();
	switch (s->kind) {
	case INSN_CLWB:
		return cpu.clwb;
	case INSN_CLFLUSHOPT:
		return cpu.clflushopt;
	case INSN_MOVDIRI:
		return cpu.movdiri;
	case INSN_MOVDIR64B:
		return cpu.movdir64b;
	case INSN_NT_VEC:
		if (s->src >= 16 || s->width == 64)
			return insn_xstate_enabled(XFEATURE_YMM) &&
					insn_xstate_enabled(XFEATURE_ZMM_HI256) &&
					insn_xstate_enabled(XFEATURE_HI16_ZMM);
		if (s->width == 32)
			return insn_xstate_enabled(XFEATURE_YMM);
		return true;
	default:
		return insn_kind_traps(s->kind);
	}
}

void
insn_table_publish(const struct insn_table *t)
{
	atomic_store_explicit(&table, t, memory_order_release);
}

const struct insn_table *
insn_table_current(void)
{
	return atomic_load_explicit(&table, memory_order_acquire);
}

/* table_find -- binary search of the site whose first byte is at */
static const struct insn_site *
table_find(uint64_t at)
{
	const struct insn_table *t = insn_table_current();
	if (t == NULL)
		return NULL;
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->sites[mid].addr < at)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->n && t->sites[lo].addr == at ? &t->sites[lo] : NULL;
}

/* source_bytes -- what the store at s writes: its source register */
static int
source_bytes(const struct insn_site *s, const ucontext_t *uc, uint8_t *out)
{
	const uint8_t *fp = (const uint8_t *)uc->uc_mcontext.fpregs;
	switch (s->regfile) {
	case INSN_RF_GPR:
		memcpy(out, &uc->uc_mcontext.gregs[s->src], 8);
		return 0;
	case INSN_RF_MMX:
		if (fp == NULL)
			return -1;
		insn_xstate_mmx(fp, (unsigned)s->src, out);
		return 0;
	case INSN_RF_XMM:
		return insn_xstate_vector(fp, (unsigned)s->src, s->width, out);
	default:
		return -1;
	}
}

/* nt_store -- a non-temporal store of width bytes of src at ea */
static void
nt_store(uintptr_t ea, const uint8_t *src, unsigned width, bool direct)
{
	uint32_t v4;
	uint64_t v8;
	switch (width) {
	case 4:
		memcpy(&v4, src, 4);
		if (direct)
			__asm__ volatile("movdiri %1, %0"
					: "=m"(*(uint32_t *)ea) : "r"(v4));
		else
			__asm__ volatile("movnti %1, %0"
					: "=m"(*(uint32_t *)ea) : "r"(v4));
		break;
	case 8:
		memcpy(&v8, src, 8);
		if (direct)
			__asm__ volatile("movdiri %1, %0"
					: "=m"(*(uint64_t *)ea) : "r"(v8));
		else
			__asm__ volatile("movnti %1, %0"
					: "=m"(*(uint64_t *)ea) : "r"(v8));
		break;
	case 16:
		__asm__ volatile("movdqu (%1), %%xmm0\n\tmovntdq %%xmm0, (%0)"
				:: "r"(ea), "r"(src) : "xmm0", "memory");
		break;
	case 32:
		__asm__ volatile("vmovdqu (%1), %%ymm0\n\t"
				"vmovntdq %%ymm0, (%0)\n\tvzeroupper"
				:: "r"(ea), "r"(src) : "xmm0", "memory");
		break;
	case 64:
		__asm__ volatile("vmovdqu64 (%1), %%zmm0\n\t"
				"vmovntdq %%zmm0, (%0)\n\tvzeroupper"
				:: "r"(ea), "r"(src) : "xmm0", "memory");
		break;
	default:
		shim_fatal("internal: a %u-byte non-temporal store",
				width);
	}
}

/* site_at -- the site id of the trapping instruction itself */
static uint32_t
site_at(const struct insn_site *s, ucontext_t *uc)
{
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)s->addr;
	return shim_site_ucontext(uc);
}

/* what a performed instruction tells the model */
struct insn_event {
	enum model_ev kind;  /* 0: nothing (DRAM) */
	uintptr_t addr;
	size_t len;
};

/*
 * perform_flush -- the same flush of the line at the operand, unless the
 * line is emulated pmem: there the hardware flush only evicts the line
 * of the view (CLWB does on AMD), which the flush event then reads back
 * from DRAM to diff it, and the fence's page compare again (raw, 64 MiB:
 * most of diff_lines); what becomes durable is the shim's doing
 */
static struct insn_event
perform_flush(const struct insn_site *s, const ucontext_t *uc)
{
	uintptr_t ea = insn_effective_addr(s, uc);
	bool dram = shim_mapping_lookup((void *)ea) == NULL;
	enum model_ev kind;
	if (s->kind == INSN_CLWB) {
		if (dram)
			__asm__ volatile("clwb (%0)" :: "r"(ea) : "memory");
		kind = MODEL_EV_CLWB;
	} else if (s->kind == INSN_CLFLUSHOPT) {
		if (dram)
			__asm__ volatile("clflushopt (%0)" :: "r"(ea)
					: "memory");
		kind = MODEL_EV_CLFLUSHOPT;
	} else {
		if (dram)
			__asm__ volatile("clflush (%0)" :: "r"(ea) : "memory");
		kind = MODEL_EV_CLFLUSH;
	}
	/* the hardware writes back the whole 64-byte line */
	return (struct insn_event){ kind,
		ea & ~(uintptr_t)(LINE_LEN - 1), LINE_LEN };
}

/* perform_store -- the non-temporal store from the frame's register */
static struct insn_event
perform_store(const struct insn_site *s, const ucontext_t *uc)
{
	uint8_t src[64] __attribute__((aligned(64)));
	if (source_bytes(s, uc, src) < 0)
		shim_fatal("the signal frame lacks the register of the "
				"%s at %#lx; rebuild with the GCC plugin",
				insn_kind_name(s->kind), (unsigned long)s->addr);
	uintptr_t ea = insn_effective_addr(s, uc);
	nt_store(ea, src, s->width, s->kind == INSN_MOVDIRI);
	return (struct insn_event){ MODEL_EV_NT_STORE, ea, s->width };
}

/* perform_movdir64b -- 64 bytes from the memory operand to [register] */
static struct insn_event
perform_movdir64b(const struct insn_site *s, const ucontext_t *uc)
{
	uintptr_t from = insn_effective_addr(s, uc);
	uintptr_t to = (uintptr_t)uc->uc_mcontext.gregs[s->src];
	if (s->addr32)
		to = (uint32_t)to;
	__asm__ volatile("movdir64b (%1), %0" :: "r"(to), "r"(from)
			: "memory");
	return (struct insn_event){ MODEL_EV_MOVDIR64B, to, 64 };
}

/* perform -- execute s on the operands of the context uc */
static struct insn_event
perform(const struct insn_site *s, const ucontext_t *uc)
{
	switch (s->kind) {
	case INSN_CLWB:
	case INSN_CLFLUSHOPT:
	case INSN_CLFLUSH:
		return perform_flush(s, uc);
	case INSN_SFENCE:
		__asm__ volatile("sfence" ::: "memory");
		return (struct insn_event){ MODEL_EV_SFENCE, 0, 0 };
	case INSN_MFENCE:
		__asm__ volatile("mfence" ::: "memory");
		return (struct insn_event){ MODEL_EV_MFENCE, 0, 0 };
	case INSN_NT_GPR:
	case INSN_NT_VEC:
	case INSN_NT_MMX:
	case INSN_MOVDIRI:
		return perform_store(s, uc);
	case INSN_MOVDIR64B:
		return perform_movdir64b(s, uc);
	default:
		shim_fatal("internal: a trap at a %s",
				insn_kind_name(s->kind));
	}
}

/*
 * emit -- the event of a performed instruction. Fences matter to every
 * thread; flushes and stores only on emulated pmem (the plugin's range
 * check does the same). As the plugin hooks: nothing while the shim is
 * inactive or already running on this thread, and the shim's own calls
 * made while emitting go straight to the real functions.
 */
static void
emit(const struct insn_site *s, ucontext_t *uc, const struct insn_event *e)
{
	bool fence = e->kind == MODEL_EV_SFENCE || e->kind == MODEL_EV_MFENCE;
	if (!fence && shim_mapping_lookup((void *)e->addr) == NULL)
		return;
	SHIM_ENTER_OR_RETURN();
	uint32_t site = site_at(s, uc);
	if (fence)
		shim_ev_fence(e->kind, site);
	else if (e->kind == MODEL_EV_NT_STORE)
		shim_ev_nt_store((void *)e->addr, e->len, site);
	else if (e->kind == MODEL_EV_MOVDIR64B)
		shim_ev_movdir64b((void *)e->addr, site);
	else
		shim_ev_flush((void *)e->addr, e->len, e->kind, site);
	SHIM_LEAVE();
}

void
insn_emulate(const struct insn_site *s, ucontext_t *uc)
{
	int saved_errno = errno;
	if (s->kind == INSN_CLIENT_REQ) {
		client_request_trap(s, uc);
	} else {
		struct insn_event e = perform(s, uc);
		emit(s, uc, &e);
	}
	errno = saved_errno;
}

/*
 * jump_being_written -- the site whose jump patch starts at `at`: its
 * first byte is an int3 while the other four are written (insn_patch.c)
 */
static const struct insn_site *
jump_being_written(uint64_t at)
{
	const struct insn_site *s = table_find(at);
	if (s == NULL) /* a client request's jump starts at its preamble */
		s = table_find(at + INSN_CLIENT_REQ_LEN - INSN_XCHG_RBX_LEN);
	return s != NULL && s->tramp != 0 &&
		s->addr - s->jmp_back == at ? s : NULL;
}

/* traps taken at sites that have no trampoline (an int3 kept) */
static atomic_ulong traps_taken;

unsigned long
shim_insn_traps_taken(void)
{
	return atomic_load_explicit(&traps_taken, memory_order_relaxed);
}

bool
shim_insn_sigtrap(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	/* int3 reports SI_KERNEL; kill(), raise() and single steps do not */
	if (sig != SIGTRAP || si == NULL || si->si_code != SI_KERNEL ||
			uc == NULL)
		return false;
	uint64_t at = (uint64_t)uc->uc_mcontext.gregs[REG_RIP] - 1;
	const struct insn_site *s = jump_being_written(at);
	if (s != NULL) { /* its trampoline does the whole range */
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)s->tramp;
		return true;
	}
	if ((s = table_find(at)) == NULL)
		return false;
	if (s->tramp == 0)
		atomic_fetch_add_explicit(&traps_taken, 1, memory_order_relaxed);
	insn_emulate(s, uc);
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(s->addr + s->len);
	return true;
}

/* real_sigaction -- libc's, past any sigaction interposer */
static int
real_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	static int (*fn)(int, const struct sigaction *, struct sigaction *);
	if (fn == NULL)
		fn = (int (*)(int, const struct sigaction *,
				struct sigaction *))dlsym(RTLD_NEXT, "sigaction");
	if (fn == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return fn(sig, act, old);
}

/* trap_chain -- a SIGTRAP that is not ours goes where it went before */
static void
trap_chain(int sig, siginfo_t *si, void *uc)
{
	if (prev_trap.sa_flags & SA_SIGINFO) {
		prev_trap.sa_sigaction(sig, si, uc);
	} else if (prev_trap.sa_handler == SIG_DFL) {
		/* default action (core dump): re-raise, delivered on return */
		struct sigaction dfl = { .sa_handler = SIG_DFL };
		real_sigaction(SIGTRAP, &dfl, NULL);
		raise(SIGTRAP);
	} else if (prev_trap.sa_handler != SIG_IGN) {
		prev_trap.sa_handler(sig);
	}
}

static void
trap_handler(int sig, siginfo_t *si, void *uc)
{
	if (!shim_insn_sigtrap(sig, si, uc))
		trap_chain(sig, si, uc);
}

int
insn_trap_install(void)
{
	cpu_probe();
	if (atomic_exchange(&installed, true))
		return 0;
	/* no SA_ONSTACK: the emulation unwinds and emits, more than a small
	 * alternate stack holds; SA_NODEFER: a handler the program runs
	 * inside ours may meet another patched site; an empty mask: the
	 * emulated store may fault on a write-protected view page and the
	 * shim's SIGSEGV handler must run */
	struct sigaction act = {
		.sa_sigaction = trap_handler,
		.sa_flags = SA_SIGINFO | SA_RESTART | SA_NODEFER,
	};
	sigemptyset(&act.sa_mask);
	return real_sigaction(SIGTRAP, &act, &prev_trap) == 0 ? 0 : -errno;
}
