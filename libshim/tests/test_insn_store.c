/*
 * test_insn_store.c -- each store form the write-fault handler runs
 * itself (libshim/insn/insn_store.c, libshim/patch/insn_store_run.c)
 * writes what the instruction writes and moves the pc past it: every
 * sample stores once natively to a writable page, once to a read-only
 * page whose SIGSEGV handler calls insn_store_run on the fault's own
 * context with a writable alias of the page, as shim_dirty_fault does
 * (the page stays read-only). The pages must end the same, the pc must
 * move by the length capstone decodes. Forms it must
 * not run (locked, read-modify-write, string, non-temporal, masked,
 * fs-relative, across the page's end) say "not run" and are then run by
 * the processor on the opened page.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>
#include <cmocka.h>

#include "insn.h"
#include "insn_store_run.h"

#define PAGE 4096u

/* the vector registers' and general registers' values of the samples */
static uint8_t pattern[64] __attribute__((aligned(64)));
static uint8_t pattern2[64] __attribute__((aligned(64)));
/* a page a rip-relative store reaches */
static uint8_t rip_page[2 * PAGE] __attribute__((aligned(PAGE)));

/* the read-only pages and their writable alias */
static uintptr_t fault_base, alias_base;

/* what the handler saw */
static volatile int ran, compat_ran;
static volatile uintptr_t pc_before, pc_after;

static void
on_segv(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	ucontext_t *uc = ucv;
	uintptr_t addr = (uintptr_t)si->si_addr, page = addr & ~(uintptr_t)
		(PAGE - 1);
	bool no_alias = alias_base == fault_base; /* opened, written, closed */
	if (no_alias)
		mprotect((void *)page, PAGE, PROT_READ | PROT_WRITE);
	pc_before = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	ucontext_t compat = *uc; /* the same bytes in 32-bit code: not run */
	compat.uc_mcontext.gregs[REG_CSGSFS] = (greg_t)(((uint64_t)
		uc->uc_mcontext.gregs[REG_CSGSFS] & ~0xffffull) | 0x23);
	compat_ran = insn_store_run(&compat, addr, page, page - fault_base +
		alias_base);
	ran = insn_store_run(uc, addr, page, page - fault_base + alias_base);
	pc_after = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	if (!ran) /* stepped in the shim: here, run by the processor */
		mprotect((void *)page, PAGE, PROT_READ | PROT_WRITE);
	else if (no_alias)
		mprotect((void *)page, PAGE, PROT_READ);
}

/* SAMPLE -- a function storing at p (rdi) by the text of one
 * instruction, after loading xmm/ymm/zmm and k registers with the
 * patterns and rax, rcx, r9, r10 with constants */
#define SAMPLE(name, text) \
static __attribute__((noinline)) void \
name(uint8_t *p) \
{ \
	__asm__ volatile( \
		"movabs $0x8877665544332211, %%rax\n\t" \
		"mov $3, %%ecx\n\t" \
		"movabs $0x0123456789abcdef, %%r9\n\t" \
		"movabs $0xfedcba9876543210, %%r10\n\t" \
		"mov $16, %%r8d\n\t" \
		text \
		:: "D"(p), "S"(pattern), "d"(pattern2) \
		: "rax", "rcx", "r8", "r9", "r10", "r12", "xmm1", "xmm3", \
		  "xmm4", "xmm12", "memory"); \
}

/* vector registers loaded from the patterns, by AVX-512 when asked */
#define LOAD_SSE "movdqu (%%rsi), %%xmm3\n\tmovdqu (%%rdx), %%xmm12\n\t"
#define LOAD_AVX "vmovdqu (%%rsi), %%ymm4\n\tvmovdqu (%%rdx), %%ymm12\n\t"
#define LOAD_512 "vmovdqu64 (%%rsi), %%zmm1\n\t" \
	"vmovdqu64 (%%rdx), %%zmm17\n\tvmovdqu64 (%%rsi), %%zmm20\n\t" \
	"vmovdqu64 (%%rdx), %%zmm25\n\tmov $-1, %%eax\n\t" \
	"kmovq %%rax, %%k1\n\t"
#define END_AVX "\n\tvzeroupper"

/* run by the handler */
SAMPLE(mov8, "mov %%al, 5(%%rdi)")
SAMPLE(mov8_high, "mov %%ah, 7(%%rdi)")
SAMPLE(mov8_rex, "mov %%r9b, 9(%%rdi)")
SAMPLE(mov8_sil, "mov %%sil, 11(%%rdi)")
SAMPLE(mov16, "mov %%ax, 13(%%rdi)")
SAMPLE(mov32, "mov %%eax, 16(%%rdi)")
SAMPLE(mov64_sib, "mov %%r10, 8(%%rdi,%%rcx,8)")
SAMPLE(mov64_disp32, "mov %%r9, 0x800(%%rdi)")
SAMPLE(imm8, "movb $0x5a, 40(%%rdi)")
SAMPLE(imm16, "movw $0x1234, 42(%%rdi)")
SAMPLE(imm32, "movl $0x89abcdef, 44(%%rdi)")
SAMPLE(imm64_neg, "movq $-5, 48(%%rdi)")
SAMPLE(imm32_r12, "mov %%rdi, %%r12\n\tmovl $7, 56(%%r12)")
SAMPLE(movups, LOAD_SSE "movups %%xmm3, 65(%%rdi)")
SAMPLE(movupd, LOAD_SSE "movupd %%xmm12, 97(%%rdi)")
SAMPLE(movaps, LOAD_SSE "movaps %%xmm3, 128(%%rdi)")
SAMPLE(movapd, LOAD_SSE "movapd %%xmm12, 144(%%rdi)")
SAMPLE(movdqa, LOAD_SSE "movdqa %%xmm12, 160(%%rdi)")
SAMPLE(movdqu, LOAD_SSE "movdqu %%xmm3, 177(%%rdi)")
SAMPLE(movss, LOAD_SSE "movss %%xmm3, 200(%%rdi)")
SAMPLE(movsd, LOAD_SSE "movsd %%xmm12, 208(%%rdi)")
SAMPLE(movq_d6, LOAD_SSE "movq %%xmm3, 216(%%rdi)")
SAMPLE(movd_7e, LOAD_SSE "movd %%xmm12, 224(%%rdi)")
SAMPLE(movq_7e, LOAD_SSE ".byte 0x66, 0x48, 0x0f, 0x7e, 0x5f, 0x70")
SAMPLE(vmovdqu_ymm, LOAD_AVX "vmovdqu %%ymm4, 257(%%rdi)" END_AVX)
SAMPLE(vmovdqa_ymm, LOAD_AVX "vmovdqa %%ymm12, 320(%%rdi)" END_AVX)
SAMPLE(vmovups_c4, LOAD_AVX "vmovups %%ymm12, 3(%%rdi,%%r8,8)" END_AVX)
SAMPLE(vmovaps_xmm, LOAD_AVX "vmovaps %%xmm4, 384(%%rdi)" END_AVX)
SAMPLE(vmovupd_ymm, LOAD_AVX "vmovupd %%ymm4, 400(%%rdi)" END_AVX)
SAMPLE(vmovss, LOAD_AVX "vmovss %%xmm12, 440(%%rdi)" END_AVX)
SAMPLE(vmovsd, LOAD_AVX "vmovsd %%xmm4, 448(%%rdi)" END_AVX)
SAMPLE(vmovq, LOAD_AVX "vmovq %%xmm12, 456(%%rdi)" END_AVX)
SAMPLE(vmovd, LOAD_AVX "vmovd %%xmm4, 464(%%rdi)" END_AVX)
SAMPLE(evex_dqu64, LOAD_512 "vmovdqu64 %%zmm17, 512(%%rdi)" END_AVX)
SAMPLE(evex_dqu8, LOAD_512 "vmovdqu8 %%zmm20, 577(%%rdi)" END_AVX)
SAMPLE(evex_dqu16, LOAD_512 "vmovdqu16 %%ymm25, 704(%%rdi)" END_AVX)
SAMPLE(evex_dqu32, LOAD_512 "vmovdqu32 %%zmm1, 768(%%rdi,%%rcx,4)" END_AVX)
SAMPLE(evex_dqa32, LOAD_512 "vmovdqa32 %%zmm20, 896(%%rdi)" END_AVX)
SAMPLE(evex_dqa64, LOAD_512 "vmovdqa64 %%xmm25, 976(%%rdi)" END_AVX)
SAMPLE(evex_ups, LOAD_512 "vmovups %%zmm25, 1025(%%rdi)" END_AVX)
SAMPLE(evex_aps, LOAD_512 "vmovaps %%ymm17, 1120(%%rdi)" END_AVX)
SAMPLE(evex_upd, LOAD_512 "vmovupd %%zmm1, -64(%%rdi,%%r8,8)" END_AVX)
SAMPLE(evex_apd, LOAD_512 "vmovapd %%xmm20, 1200(%%rdi)" END_AVX)
SAMPLE(evex_dqu64_x, LOAD_512 "vmovdqu64 %%xmm1, 1300(%%rdi)" END_AVX)

/* stepped, not run */
SAMPLE(lock_add, "lock addl $1, 4(%%rdi)")
SAMPLE(rmw_add, "add %%eax, 8(%%rdi)")
SAMPLE(xchg, "xchg %%rax, 16(%%rdi)")
SAMPLE(stos, "mov %%rdi, %%r12\n\tmov %%eax, %%eax\n\t"
	"rep stosb\n\tmov %%r12, %%rdi")
SAMPLE(movnti, "movnti %%rax, 24(%%rdi)")
SAMPLE(movntdq, LOAD_SSE "movntdq %%xmm3, 32(%%rdi)")
SAMPLE(evex_masked, LOAD_512 "vmovdqu64 %%zmm17, 64(%%rdi)%{%%k1%}" END_AVX)
SAMPLE(movhps, LOAD_SSE "movhps %%xmm3, 128(%%rdi)")
SAMPLE(across, "mov %%rax, 4093(%%rdi)")
SAMPLE(ymm_across, LOAD_AVX "vmovdqu %%ymm4, 4080(%%rdi)" END_AVX)
SAMPLE(rip_rel, "movq %%rax, rip_page+24(%%rip)")

struct form {
	const char *name;
	void (*fn)(uint8_t *p);
	bool run;        /* the handler runs it */
	bool avx512;
};

#define RUN(f) { #f, f, true, false }
#define RUN512(f) { #f, f, true, true }
#define STEP(f) { #f, f, false, false }
#define STEP512(f) { #f, f, false, true }

static const struct form forms[] = {
	RUN(mov8), RUN(mov8_high), RUN(mov8_rex), RUN(mov8_sil), RUN(mov16),
	RUN(mov32), RUN(mov64_sib), RUN(mov64_disp32), RUN(imm8),
	RUN(imm16), RUN(imm32), RUN(imm64_neg), RUN(imm32_r12),
	RUN(movups), RUN(movupd), RUN(movaps), RUN(movapd), RUN(movdqa),
	RUN(movdqu), RUN(movss), RUN(movsd), RUN(movq_d6), RUN(movd_7e),
	RUN(movq_7e), RUN(vmovdqu_ymm), RUN(vmovdqa_ymm), RUN(vmovups_c4),
	RUN(vmovaps_xmm), RUN(vmovupd_ymm), RUN(vmovss), RUN(vmovsd),
	RUN(vmovq), RUN(vmovd),
	RUN512(evex_dqu64), RUN512(evex_dqu8), RUN512(evex_dqu16),
	RUN512(evex_dqu32), RUN512(evex_dqa32), RUN512(evex_dqa64),
	RUN512(evex_ups), RUN512(evex_aps), RUN512(evex_upd),
	RUN512(evex_apd), RUN512(evex_dqu64_x),
	STEP(lock_add), STEP(rmw_add), STEP(xchg), STEP(stos), STEP(movnti),
	STEP(movntdq), STEP512(evex_masked), STEP(movhps), STEP(across),
	STEP(ymm_across),
};

static uint8_t *native, *watched, *alias;
static struct insn_scanner *scanner;

static int
setup(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 64; i++) {
		pattern[i] = (uint8_t)(0x11 * i + 7);
		pattern2[i] = (uint8_t)(0xa5 ^ (13 * i));
	}
	native = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = memfd_create("watched", 0);
	if (fd < 0 || ftruncate(fd, 2 * PAGE) != 0)
		return -1;
	watched = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		fd, 0);
	alias = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		fd, 0);
	scanner = insn_scanner_new();
	return native == MAP_FAILED || watched == MAP_FAILED ||
		alias == MAP_FAILED || scanner == NULL;
}

/* handle_faults -- on_segv takes SIGSEGV (cmocka sets its own for each
 * test) */
static void
handle_faults(void)
{
	struct sigaction sa = { .sa_sigaction = on_segv,
		.sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGSEGV, &sa, NULL), 0);
}

/* insn_len -- what capstone says the instruction at pc is long */
static unsigned
insn_len(uintptr_t pc)
{
	struct insn_site s;
	assert_int_equal(insn_decode_one(scanner, (const uint8_t *)pc, 15,
		pc, &s), 0);
	return s.len;
}

/* check -- f natively, then against a read-only page, the two pages
 * the same after; run by the handler or not, as f says */
static void
check(const struct form *f, uint8_t *to_native, uint8_t *to_watched,
		uint8_t *to_alias, size_t len)
{
	handle_faults();
	fault_base = (uintptr_t)to_watched;
	alias_base = (uintptr_t)to_alias;
	memset(to_native, 0xcc, len);
	memset(to_watched, 0xcc, len);
	f->fn(to_native);
	assert_int_equal(mprotect(to_watched, len, PROT_READ), 0);
	ran = -1;
	f->fn(to_watched);
	assert_int_equal(mprotect(to_watched, len, PROT_READ | PROT_WRITE),
		0);
	print_message("%s: %s\n", f->name, ran ? "run" : "not run");
	assert_int_equal(ran, f->run);
	assert_false(compat_ran);
	if (f->run)
		assert_int_equal(pc_after - pc_before, insn_len(pc_before));
	else
		assert_int_equal(pc_after, pc_before);
	assert_memory_equal(to_native, to_watched, len);
}

static void
test_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		if (forms[i].avx512 && !__builtin_cpu_supports("avx512bw"))
			continue;
		check(&forms[i], native, watched, alias, 2 * PAGE);
	}
}

/* a rip-relative store: the address is the next instruction's plus
 * the displacement */
static void
test_rip_relative(void **state)
{
	(void)state;
	static const struct form f = RUN(rip_rel);
	uint8_t before[PAGE];
	memset(rip_page, 0xcc, PAGE);
	rip_rel(rip_page); /* natively: the bytes to expect */
	memcpy(before, rip_page, PAGE);
	check(&f, rip_page, rip_page, rip_page, PAGE);
	assert_memory_equal(before, rip_page, PAGE);
}

/* forms decoded as no store: fs-relative (a thread variable), C7 /1
 * (not a mov), a mov to a register, EVEX with zeroing or broadcast,
 * VEX.256 vmovq, a REX before a VEX prefix, F3 before a mov (xrelease) */
static void
test_not_decoded(void **state)
{
	(void)state;
	static const uint8_t codes[][8] = {
		{ 4, 0x64, 0x48, 0x89, 0x07 },
		{ 6, 0xc7, 0x4f, 0x08, 0x01, 0x00, 0x00, 0x00 },
		{ 2, 0x89, 0xc7 },
		{ 7, 0x62, 0xe1, 0xfe, 0xc8, 0x7f, 0x4f, 0x08 },
		{ 7, 0x62, 0xe1, 0xfe, 0x58, 0x7f, 0x4f, 0x08 },
		{ 4, 0xc5, 0xfd, 0xd6, 0x1f },
		{ 5, 0x40, 0xc5, 0xfa, 0x7f, 0x1f },
		{ 3, 0xf3, 0x89, 0x07 },
	};
	struct insn_store st;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		assert_int_equal(insn_store_decode(codes[i] + 1, codes[i][0],
			0, &st), 0);
}

/* the decoder asks for more bytes only inside an instruction it might
 * run: a cut VEX, EVEX, ModRM or immediate */
static void
test_cut_short(void **state)
{
	(void)state;
	static const uint8_t evex[] = { 0x62, 0xe1, 0xfe, 0x48, 0x7f, 0x4f,
		0x08 };
	static const uint8_t imm[] = { 0x48, 0xc7, 0x47, 0x30, 0xfb, 0xff,
		0xff, 0xff };
	struct insn_store st;
	for (size_t n = 1; n < sizeof(evex); n++)
		assert_int_equal(insn_store_decode(evex, n, 0, &st), -1);
	assert_int_equal(insn_store_decode(evex, sizeof(evex), 0, &st), 1);
	assert_int_equal(st.site.disp, 8 * 64);
	for (size_t n = 1; n < sizeof(imm); n++)
		assert_int_equal(insn_store_decode(imm, n, 0, &st), -1);
	assert_int_equal(insn_store_decode(imm, sizeof(imm), 0, &st), 1);
	assert_int_equal(st.imm, (uint64_t)-5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_rip_relative),
		cmocka_unit_test(test_not_decoded),
		cmocka_unit_test(test_cut_short),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
