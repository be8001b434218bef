/*
 * test_insn_jump.c -- where a site may take a jump to a trampoline, and
 * the trampoline's bytes (insn_jump.c): displaced instructions move with
 * their rip-relative operands fixed up and their short jumps re-encoded;
 * what cannot move (jrcxz, a store, a call) or would be jumped into keeps
 * the int3
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>
#include <cmocka.h>

#include "insn.h"

static const uint8_t sfence[] = { 0x0f, 0xae, 0xf8 };
static const uint8_t load_rip[] = { /* mov 0x100(%rip),%rax */
	0x48, 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00 };
static const uint8_t add_rax[] = { 0x48, 0x83, 0xc0, 0x01 };
static const uint8_t store_rdi[] = { 0x48, 0x89, 0x07 }; /* mov %rax,(%rdi) */
static const uint8_t jrcxz_2[] = { 0xe3, 0x02 };
static const uint8_t jne_3[] = { 0x75, 0x03 };    /* over the sfence */
static const uint8_t nops[] = { 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
	0x90 };

/* the code under test lives in .bss so a trampoline buffer next to it is
 * within rel32 reach */
static uint8_t code[256];
static uint8_t tramp[512];
static size_t code_len;

static void
put(const uint8_t *b, size_t n)
{
	memcpy(code + code_len, b, n);
	code_len += n;
}

static int
keep_first(void *ctx, const struct insn_site *s)
{
	struct insn_site *out = ctx;
	if (out->kind == INSN_NONE && insn_kind_traps(s->kind))
		*out = *s;
	return 0;
}

/* plan -- the site the scanner finds in code[], with its jump planned */
static struct insn_site
plan(void)
{
	struct insn_scanner *sc = insn_scanner_new();
	struct insn_site s = { .kind = INSN_NONE };
	struct insn_range r = { (uintptr_t)code, (uintptr_t)code + code_len };
	assert_non_null(sc);
	insn_scan(sc, code, code_len, (uintptr_t)code, keep_first, &s);
	assert_int_not_equal(s.kind, INSN_NONE);
	insn_jumps_plan(sc, &s, 1, &r, 1);
	insn_scanner_delete(sc);
	return s;
}

static int
reset(void **state)
{
	(void)state;
	memset(code, 0xcc, sizeof(code));
	code_len = 0;
	return 0;
}

/* tramp_of -- the trampoline of s, calling a dummy entry for s itself,
 * the first instruction of its range */
static size_t
tramp_of(const struct insn_site *s, size_t *code_off)
{
	const struct insn_site *calls[INSN_TR_MAX] = { s };
	return insn_tramp_write(tramp, sizeof(tramp), (uintptr_t)tramp, s,
			calls, 0x1234, code_off);
}

static void
test_rip_relative_operand_is_fixed_up(void **state)
{
	(void)state;
	put(sfence, sizeof(sfence));
	put(load_rip, sizeof(load_rip));
	put(nops, sizeof(nops));
	struct insn_site s = plan();
	assert_int_equal(s.jmp_back, 0);
	assert_int_equal(s.jmp_len, 10);
	assert_int_equal(s.tr_n, 2);
	assert_int_equal(s.tr_rel[1], 3);
	size_t off;
	size_t used = tramp_of(&s, &off);
	assert_true(used > 0);
	/* the call sequence (25 bytes) for the sfence, then the load */
	const uint8_t *moved = tramp + off + 25;
	assert_memory_equal(moved, load_rip, 3);
	int32_t disp;
	memcpy(&disp, moved + 3, 4);
	uint64_t target = (uintptr_t)code + 3 + 7 + 0x100;
	assert_int_equal((uintptr_t)moved + 7 + disp, target);
	/* then the jmp back to the end of the range */
	const uint8_t *back = moved + 7;
	memcpy(&disp, back + 1, 4);
	assert_int_equal(back[0], 0xe9);
	assert_int_equal((uintptr_t)back + 5 + disp, (uintptr_t)code + 10);
}

static void
test_short_jump_that_cannot_move_keeps_int3(void **state)
{
	(void)state;
	put(sfence, sizeof(sfence));
	put(jrcxz_2, sizeof(jrcxz_2));  /* no rel32 form */
	put(nops, sizeof(nops));
	struct insn_site s = plan();
	assert_int_equal(s.jmp_len, 0);
}

static void
test_store_after_the_site_keeps_int3(void **state)
{
	(void)state;
	put(sfence, sizeof(sfence));
	put(store_rdi, sizeof(store_rdi)); /* must fault at its own address */
	put(nops, sizeof(nops));
	struct insn_site s = plan();
	assert_int_equal(s.jmp_len, 0);
}

static void
test_branch_into_range_keeps_int3(void **state)
{
	(void)state;
	put(sfence, sizeof(sfence));
	put(add_rax, sizeof(add_rax));  /* offset 3: the loop's head */
	put(nops, 4);
	uint8_t jmp_back[2] = { 0xeb, (uint8_t)(int8_t)(3 - (int)(code_len + 2)) };
	put(jmp_back, sizeof(jmp_back));
	struct insn_site s = plan();
	assert_int_equal(s.jmp_len, 0);
}

static void
test_short_jcc_before_the_site_is_reencoded(void **state)
{
	(void)state;
	put(nops, 1);
	put(jne_3, sizeof(jne_3));      /* target: the add, after the sfence */
	put(sfence, sizeof(sfence));
	put(add_rax, sizeof(add_rax));  /* a branch target: the jmp must end
	                                   before it */
	put(nops, sizeof(nops));
	uint8_t loop[2] = { 0xeb, (uint8_t)(int8_t)(6 - (int)(code_len + 2)) };
	put(loop, sizeof(loop));
	struct insn_site s = plan();
	assert_int_equal(s.jmp_back, 2);
	assert_int_equal(s.jmp_len, 5);
	assert_int_equal(s.tr_rel[0], INSN_TR_BRANCH);
	const struct insn_site *calls[INSN_TR_MAX] = { NULL, &s };
	size_t off;
	assert_true(insn_tramp_write(tramp, sizeof(tramp), (uintptr_t)tramp,
			&s, calls, 0x1234, &off) > 0);
	const uint8_t *jcc = tramp + off;
	int32_t rel;
	assert_int_equal(jcc[0], 0x0f);
	assert_int_equal(jcc[1], 0x85);
	memcpy(&rel, jcc + 2, 4);
	assert_int_equal((uintptr_t)jcc + 6 + rel, (uintptr_t)code + 6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_rip_relative_operand_is_fixed_up,
				reset),
		cmocka_unit_test_setup(
				test_short_jump_that_cannot_move_keeps_int3,
				reset),
		cmocka_unit_test_setup(test_store_after_the_site_keeps_int3,
				reset),
		cmocka_unit_test_setup(test_branch_into_range_keeps_int3,
				reset),
		cmocka_unit_test_setup(
				test_short_jcc_before_the_site_is_reencoded,
				reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
