/*
 * test_insn_store_next.c -- insn_store_next (libshim/patch/
 * insn_store_run.c) names the store right after one the write-fault
 * handler ran only when the processor would fault on it where it says:
 * a plain store within one 64-byte chunk, aligned if its form must be,
 * decoded from the code page the run store came from. Each case is an
 * instruction of the code page below, with rdi set as a store would see
 * it; nothing is executed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>
#include <cmocka.h>

#include "insn_store_run.h"

#define PAGE 4096u
#define USER_CS_64 0x33

/* one code page of samples, each after a label; the first starts 16
 * bytes in, so a previous instruction of the page can precede it */
__asm__(".pushsection .text\n"
	".p2align 12\n"
	"next_page:\n"
	".skip 16, 0x90\n"
	"next_zmm:\n\tvmovdqa64 %zmm17, 0x40(%rdi)\n"
	"next_mov_across:\n\tmovq %rax, 0x3c(%rdi)\n"
	"next_movaps:\n\tmovaps %xmm3, 0x48(%rdi)\n"
	"next_add:\n\taddq $1, (%rdi)\n"
	"next_mov_in:\n\tmovl %eax, 0x38(%rdi)\n"
	".p2align 12\n"
	".popsection\n");
extern const uint8_t next_page[], next_zmm[], next_mov_across[],
	next_movaps[], next_add[], next_mov_in[];

static uint8_t data[2 * PAGE] __attribute__((aligned(PAGE)));

/* next_in -- insn_store_next of the instruction at pc in code segment
 * cs, rdi = data + off, the store before it run from from_pc */
static bool
next_in(greg_t cs, const uint8_t *pc, uintptr_t from_pc, size_t off,
		uintptr_t *ea)
{
	ucontext_t uc;
	memset(&uc, 0, sizeof(uc));
	uc.uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)pc;
	uc.uc_mcontext.gregs[REG_RDI] = (greg_t)(uintptr_t)(data + off);
	uc.uc_mcontext.gregs[REG_CSGSFS] = cs;
	return insn_store_next(&uc, from_pc, ea);
}

/* next -- the same in 64-bit code */
static bool
next(const uint8_t *pc, uintptr_t from_pc, size_t off, uintptr_t *ea)
{
	return next_in(USER_CS_64, pc, from_pc, off, ea);
}

static void
test_store_in_one_chunk(void **state)
{
	(void)state;
	uintptr_t ea = 0, from = (uintptr_t)next_page;
	assert_true(next(next_zmm, from, 0, &ea));
	assert_int_equal(ea, (uintptr_t)data + 0x40);
	assert_true(next(next_mov_in, from, 8, &ea));
	assert_int_equal(ea, (uintptr_t)data + 0x40);
}

static void
test_not_taken(void **state)
{
	(void)state;
	uintptr_t ea = 0, from = (uintptr_t)next_page;
	/* across two 64-byte chunks: two lines, the fault's address is
	 * not certain */
	assert_false(next(next_mov_across, from, 0, &ea));
	/* a misaligned movaps raises #GP, not a page fault */
	assert_false(next(next_movaps, from, 0, &ea));
	assert_true(next(next_movaps, from, 8, &ea));
	/* read-modify-write: not a plain store */
	assert_false(next(next_add, from, 0, &ea));
	/* the store before it on another code page: its page may not be
	 * mapped (only the run store's was fetched) */
	assert_false(next(next_zmm, from - PAGE, 0, &ea));
	/* not after the run store */
	assert_false(next(next_zmm, (uintptr_t)next_mov_in, 0, &ea));
}

static void
test_compat_code(void **state)
{
	(void)state;
	uintptr_t ea;
	assert_true(next(next_zmm, (uintptr_t)next_page, 0, &ea));
	assert_false(next_in(0x23 /* 32-bit code */, next_zmm,
		(uintptr_t)next_page, 0, &ea));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_in_one_chunk),
		cmocka_unit_test(test_not_taken),
		cmocka_unit_test(test_compat_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
