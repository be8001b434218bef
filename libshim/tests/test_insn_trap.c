/* test_insn_trap.c -- patched instructions trap, are performed exactly on
 * the operands of the interrupted context, emit their event, and resume */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <cmocka.h>
#include <cpuid.h>

#include "insn.h"
#include "insn_trap.h"
#include "shim_events.h"
#include "shim_fatal.h"
#include "shim_intercept.h"
#include "shim_region.h"
#include "shim_site.h"

/* ---- test doubles of the shim core ---- */
__thread int shim_depth;
volatile bool shim_active = true;

struct ev {
	int kind;          /* model_ev */
	uintptr_t addr;
	size_t len;
	uint32_t site;
};
static struct ev evs[16];
static int nev;
static uintptr_t site_rip;   /* rip that shim_site_ucontext was given */
uint8_t test_pmem[4096] __attribute__((aligned(4096)));
#define pmem test_pmem
static const struct shim_mapping fake_mapping;

static void
ev_add(int kind, const void *addr, size_t len, uint32_t site)
{
	if (nev < 16)
		evs[nev++] = (struct ev){ kind, (uintptr_t)addr, len, site };
}

void shim_ev_flush(const void *addr, size_t len, enum model_ev kind,
		uint32_t site) { ev_add(kind, addr, len, site); }
void shim_ev_fence(enum model_ev kind, uint32_t site)
{ ev_add(kind, NULL, 0, site); }
void shim_ev_nt_store(void *addr, size_t len, uint32_t site)
{ ev_add(MODEL_EV_NT_STORE, addr, len, site); }
void shim_ev_movdir64b(void *addr, uint32_t site)
{ ev_add(MODEL_EV_MOVDIR64B, addr, 64, site); }

/* client requests have their own test (test_client_request.c) */
void
client_request_trap(const struct insn_site *s, ucontext_t *uc)
{
	(void)s;
	(void)uc;
}

uint32_t
shim_site_ucontext(const ucontext_t *uc)
{
	site_rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	return 42;
}

const struct shim_mapping *
shim_mapping_lookup(const void *addr)
{
	uintptr_t a = (uintptr_t)addr;
	return a >= (uintptr_t)pmem && a < (uintptr_t)pmem + sizeof(pmem) ?
		&fake_mapping : NULL;
}

void
shim_fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	abort();
}

/* ---- the code under test: each function is one patched instruction ---- */
#define FN(name, body) ".globl " #name "\n" #name ":\n" body "\tret\n"
__asm__(".pushsection .text.insn_test,\"ax\",@progbits\n"
	".balign 4096\n"
	".globl t_code_start\nt_code_start:\n"
	FN(t_clwb, "\tclwb (%rdi)\n")
	FN(t_clflushopt, "\tclflushopt 64(%rdi)\n")
	FN(t_clflush, "\tclflush (%rdi,%rsi,8)\n")
	FN(t_sfence, "\tsfence\n")
	FN(t_mfence, "\tmfence\n")
	FN(t_movnti64, "\tmovnti %rsi, (%rdi)\n")
	FN(t_movnti32_sib, "\tmovnti %edx, 4(%rdi,%rsi,4)\n")
	FN(t_movntdq_xmm9, "\tmovdqu (%rsi), %xmm9\n\tmovntdq %xmm9, (%rdi)\n")
	FN(t_movntps_rip, "\tmovdqu (%rsi), %xmm2\n"
		"\tmovntps %xmm2, test_pmem+1024(%rip)\n")
	FN(t_vmovntdq_ymm, "\tvmovdqu (%rsi), %ymm3\n"
		"\tvmovntdq %ymm3, (%rdi)\n\tvzeroupper\n")
	FN(t_vmovntdq_zmm, "\tvmovdqu64 (%rsi), %zmm7\n"
		"\tvmovntdq %zmm7, (%rdi)\n\tvzeroupper\n")
	FN(t_vmovntdq_zmm20, "\tvmovdqu64 (%rsi), %zmm20\n"
		"\tvmovntdq %zmm20, 64(%rdi)\n")
	FN(t_vmovntdq_xmm17, "\tvmovdqu64 (%rsi), %xmm17\n"
		"\tvmovntdq %xmm17, (%rdi)\n")
	FN(t_movntq, "\tmovq %rsi, %mm2\n\tmovntq %mm2, (%rdi)\n\temms\n")
	FN(t_movdir64b, "\tmovdir64b (%rsi), %rdi\n")
	FN(t_movdiri, "\tmovdiri %rsi, (%rdi)\n")
	FN(t_lock_add, "\tlock addq $1, (%rdi)\n")
	".globl t_code_end\nt_code_end:\n"
	".popsection\n");

extern char t_code_start[], t_code_end[];
void t_clwb(void *p);
void t_clflushopt(void *p);
void t_clflush(void *p, long idx);
void t_sfence(void);
void t_mfence(void);
void t_movnti64(void *p, uint64_t v);
void t_movnti32_sib(void *p, long idx, uint32_t v);
void t_movntdq_xmm9(void *p, const void *src);
void t_movntps_rip(void *unused, const void *src);
void t_vmovntdq_ymm(void *p, const void *src);
void t_vmovntdq_zmm(void *p, const void *src);
void t_vmovntdq_zmm20(void *p, const void *src);
void t_vmovntdq_xmm17(void *p, const void *src);
void t_movntq(void *p, uint64_t v);
void t_movdir64b(void *dst, const void *src);
void t_movdiri(void *p, uint64_t v);
void t_lock_add(void *p);

/* cpu_has7 -- CPUID leaf 7: bit of ebx (reg 1) or ecx (reg 2) */
static bool
cpu_has7(int reg, unsigned bit)
{
	unsigned a, b, c, d;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return false;
	return ((reg == 1 ? b : c) >> bit) & 1;
}

static unsigned locked_seen;
static int prog_traps;

static void
prog_trap_handler(int sig)
{
	(void)sig;
	prog_traps++;
}

static int
collect(void *ctx, const struct insn_site *s)
{
	struct insn_table *t = ctx;
	if (s->kind == INSN_LOCKED)
		locked_seen++;
	else if (insn_kind_traps(s->kind) && insn_site_emulable(s))
		t->sites[t->n++] = *s;
	return 0;
}

/* setup -- scan, publish, patch: what insn_patch.c does for a module */
static int
setup(void **state)
{
	(void)state;
	signal(SIGTRAP, prog_trap_handler); /* the program's, chained */
	if (insn_trap_install() != 0)
		return -1;
	struct insn_scanner *sc = insn_scanner_new();
	size_t len = (size_t)(t_code_end - t_code_start);
	struct insn_table *t = malloc(sizeof(*t) + len * sizeof(t->sites[0]));
	t->n = 0;
	insn_scan(sc, (const uint8_t *)t_code_start, len,
			(uintptr_t)t_code_start, collect, t);
	insn_scanner_delete(sc);
	insn_table_publish(t);
	uintptr_t lo = (uintptr_t)t_code_start & ~4095ul;
	uintptr_t hi = ((uintptr_t)t_code_end + 4095) & ~4095ul;
	if (mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE | PROT_EXEC))
		return -1;
	for (size_t i = 0; i < t->n; i++)
		*(volatile uint8_t *)t->sites[i].addr = 0xcc;
	mprotect((void *)lo, hi - lo, PROT_READ | PROT_EXEC);
	return 0;
}

static int
reset(void **state)
{
	(void)state;
	nev = 0;
	site_rip = 0;
	memset(pmem, 0, sizeof(pmem));
	return 0;
}

/* patched_at -- the table's site in function fn, so rip can be checked */
static uintptr_t
patched_in(void (*fn)(void))
{
	const struct insn_table *t = insn_table_current();
	for (size_t i = 0; i < t->n; i++)
		if (t->sites[i].addr >= (uintptr_t)fn &&
				t->sites[i].addr < (uintptr_t)fn + 32)
			return t->sites[i].addr;
	fail_msg("no patched site in the function");
	return 0;
}

static void
assert_event(int i, int kind, const void *addr, size_t len)
{
	assert_true(i < nev);
	assert_int_equal(evs[i].kind, kind);
	assert_ptr_equal((void *)evs[i].addr, addr);
	assert_int_equal(evs[i].len, len);
	assert_int_equal(evs[i].site, 42);
}

static void
test_flushes(void **state)
{
	(void)state;
	if (!cpu_has7(1, 24) || !cpu_has7(1, 23)) /* clwb, clflushopt */
		skip();
	t_clwb(pmem + 70);
	assert_event(0, MODEL_EV_CLWB, pmem + 64, 64);
	assert_int_equal(site_rip, patched_in((void (*)(void))t_clwb));
	t_clflushopt(pmem + 128);
	assert_event(1, MODEL_EV_CLFLUSHOPT, pmem + 192, 64);
	t_clflush(pmem, 40); /* 320 */
	assert_event(2, MODEL_EV_CLFLUSH, pmem + 320, 64);
	assert_int_equal(nev, 3);
	static char dram[64] __attribute__((aligned(64)));
	t_clwb(dram); /* a flush outside every mapping: no event */
	assert_int_equal(nev, 3);
}

static void
test_fences(void **state)
{
	(void)state;
	t_sfence();
	t_mfence();
	assert_event(0, MODEL_EV_SFENCE, NULL, 0);
	assert_event(1, MODEL_EV_MFENCE, NULL, 0);
	assert_int_equal(site_rip, patched_in(t_mfence));
}

static void
test_movnti(void **state)
{
	(void)state;
	t_movnti64(pmem + 8, 0x1122334455667788ull);
	uint64_t v;
	memcpy(&v, pmem + 8, 8);
	assert_int_equal(v, 0x1122334455667788ull);
	assert_event(0, MODEL_EV_NT_STORE, pmem + 8, 8);
	t_movnti32_sib(pmem, 3, 0xdeadbeef); /* 4 + 3 * 4 = 16 */
	uint32_t w;
	memcpy(&w, pmem + 16, 4);
	assert_int_equal(w, 0xdeadbeef);
	assert_int_equal(pmem[20], 0); /* exactly 4 bytes */
	assert_event(1, MODEL_EV_NT_STORE, pmem + 16, 4);
}

/* pattern -- 64 distinct bytes, so a wrong register or half shows */
static void
pattern(uint8_t *b, uint8_t seed)
{
	for (int i = 0; i < 64; i++)
		b[i] = (uint8_t)(seed + 7 * i + 1);
}

static void
check_vector(void (*fn)(void *, const void *), unsigned off, unsigned len,
		uint8_t seed)
{
	uint8_t src[64];
	pattern(src, seed);
	reset(NULL);
	fn(pmem, src);
	assert_memory_equal(pmem + off, src, len);
	assert_int_equal(pmem[off + len], 0);
	assert_event(0, MODEL_EV_NT_STORE, pmem + off, len);
}

static void
test_vectors(void **state)
{
	(void)state;
	check_vector(t_movntdq_xmm9, 0, 16, 3);
	uint8_t src[64];
	pattern(src, 5);
	t_movntps_rip(NULL, src); /* rip-relative: pmem + 1024 */
	assert_memory_equal(pmem + 1024, src, 16);
	assert_event(1, MODEL_EV_NT_STORE, pmem + 1024, 16);
	if (!__builtin_cpu_supports("avx"))
		return;
	check_vector(t_vmovntdq_ymm, 0, 32, 9);
	if (!__builtin_cpu_supports("avx512f"))
		return;
	check_vector(t_vmovntdq_zmm, 0, 64, 11);
	check_vector(t_vmovntdq_zmm20, 64, 64, 13);
	check_vector(t_vmovntdq_xmm17, 0, 16, 17);
}

static void
test_mmx_and_direct(void **state)
{
	(void)state;
	t_movntq(pmem + 24, 0x0102030405060708ull);
	uint64_t v;
	memcpy(&v, pmem + 24, 8);
	assert_int_equal(v, 0x0102030405060708ull);
	assert_event(0, MODEL_EV_NT_STORE, pmem + 24, 8);
	if (!cpu_has7(2, 28) || !cpu_has7(2, 27)) /* movdir64b, movdiri */
		return;
	uint8_t src[64] __attribute__((aligned(64)));
	pattern(src, 21);
	t_movdir64b(pmem + 256, src);
	assert_memory_equal(pmem + 256, src, 64);
	assert_event(1, MODEL_EV_MOVDIR64B, pmem + 256, 64);
	t_movdiri(pmem + 512, 0xa5a5a5a55a5a5a5aull);
	memcpy(&v, pmem + 512, 8);
	assert_int_equal(v, 0xa5a5a5a55a5a5a5aull);
	assert_event(2, MODEL_EV_NT_STORE, pmem + 512, 8);
}

static void
test_dram_store_no_event(void **state)
{
	(void)state;
	static uint64_t dram[2];
	t_movnti64(&dram[1], 77);
	assert_int_equal(dram[1], 77);
	assert_int_equal(nev, 0);
}

static void
test_locked_counted_not_patched(void **state)
{
	(void)state;
	uint64_t x = 1;
	t_lock_add(&x);
	assert_int_equal(x, 2);
	assert_int_equal(locked_seen, 1);
	assert_int_equal(nev, 0);
}

static void
test_inactive_no_event(void **state)
{
	(void)state;
	shim_active = false; /* before init, after teardown */
	t_movnti64(pmem, 5);
	t_sfence();
	shim_active = true;
	shim_depth = 1; /* inside the shim already */
	t_movnti64(pmem + 8, 6);
	shim_depth = 0;
	assert_int_equal(pmem[0], 5);
	assert_int_equal(pmem[8], 6);
	assert_int_equal(nev, 0);
}

static void
test_foreign_trap_chained(void **state)
{
	(void)state;
	raise(SIGTRAP); /* SI_TKILL: not ours, goes to the program */
	assert_int_equal(prog_traps, 1);
	assert_int_equal(nev, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_flushes, reset),
		cmocka_unit_test_setup(test_fences, reset),
		cmocka_unit_test_setup(test_movnti, reset),
		cmocka_unit_test_setup(test_vectors, reset),
		cmocka_unit_test_setup(test_mmx_and_direct, reset),
		cmocka_unit_test_setup(test_dram_store_no_event, reset),
		cmocka_unit_test_setup(test_locked_counted_not_patched, reset),
		cmocka_unit_test_setup(test_inactive_no_event, reset),
		cmocka_unit_test_setup(test_foreign_trap_chained, reset),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
