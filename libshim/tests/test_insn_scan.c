/* test_insn_scan.c -- the scanner finds exactly the flush, fence,
 * non-temporal and locked instructions of hand-assembled code */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <cmocka.h>

#include "insn.h"

#define BASE 0x400000u

/* one hand-assembled instruction and what the scanner must say of it */
struct sample {
	const char *text;
	uint8_t bytes[15];
	uint8_t len;
	enum insn_kind kind;
};

static const struct sample samples[] = {
	{ "clwb (%rax)", { 0x66, 0x0f, 0xae, 0x30 }, 4, INSN_CLWB },
	{ "xsaveopt (%rax)", { 0x0f, 0xae, 0x30 }, 3, INSN_NONE },
	{ "clflushopt (%rdi)", { 0x66, 0x0f, 0xae, 0x3f }, 4,
		INSN_CLFLUSHOPT },
	{ "clflush (%rax)", { 0x0f, 0xae, 0x38 }, 3, INSN_CLFLUSH },
	{ "sfence", { 0x0f, 0xae, 0xf8 }, 3, INSN_SFENCE },
	{ "lfence", { 0x0f, 0xae, 0xe8 }, 3, INSN_NONE },
	{ "mfence", { 0x0f, 0xae, 0xf0 }, 3, INSN_MFENCE },
	{ "tpause %eax", { 0x66, 0x0f, 0xae, 0xf0 }, 4, INSN_NONE },
	{ "umonitor %rax", { 0xf3, 0x0f, 0xae, 0xf0 }, 4, INSN_NONE },
	{ "umwait %eax", { 0xf2, 0x0f, 0xae, 0xf0 }, 4, INSN_NONE },
	{ "clrssbsy (%rax)", { 0xf3, 0x0f, 0xae, 0x30 }, 4, INSN_NONE },
	{ "xsave (%rax)", { 0x0f, 0xae, 0x20 }, 3, INSN_NONE },
	{ "ldmxcsr (%rax)", { 0x0f, 0xae, 0x10 }, 3, INSN_NONE },
	{ "sfence (rm 1)", { 0x0f, 0xae, 0xf9 }, 3, INSN_SFENCE },
	{ "movnti %rax,(%rdi)", { 0x48, 0x0f, 0xc3, 0x07 }, 4, INSN_NT_GPR },
	{ "movnti %eax,8(%rdi,%rsi,4)", { 0x0f, 0xc3, 0x44, 0xb7, 0x08 }, 5,
		INSN_NT_GPR },
	{ "mov %rax,(%rdi)", { 0x48, 0x89, 0x07 }, 3, INSN_NONE },
	{ "movntdq %xmm9,(%r8)", { 0x66, 0x45, 0x0f, 0xe7, 0x08 }, 5,
		INSN_NT_VEC },
	{ "movntdqa (%rdi),%xmm0", { 0x66, 0x0f, 0x38, 0x2a, 0x07 }, 5,
		INSN_NONE },
	{ "movntps %xmm0,(%rdi)", { 0x0f, 0x2b, 0x07 }, 3, INSN_NT_VEC },
	{ "movntpd %xmm0,(%rdi)", { 0x66, 0x0f, 0x2b, 0x07 }, 4, INSN_NT_VEC },
	{ "vmovntdq %ymm1,(%rdi)", { 0xc5, 0xfd, 0xe7, 0x0f }, 4,
		INSN_NT_VEC },
	{ "vmovntdq %zmm0,0x40(%rax)",
		{ 0x62, 0xf1, 0x7d, 0x48, 0xe7, 0x40, 0x01 }, 7, INSN_NT_VEC },
	{ "movntq %mm0,(%rdi)", { 0x0f, 0xe7, 0x07 }, 3, INSN_NT_MMX },
	{ "movdir64b (%rsi),%rdi", { 0x66, 0x0f, 0x38, 0xf8, 0x3e }, 5,
		INSN_MOVDIR64B },
	{ "enqcmd (%rsi),%rdi", { 0xf2, 0x0f, 0x38, 0xf8, 0x3e }, 5,
		INSN_NONE },
	{ "movdiri %rax,(%rdi)", { 0x48, 0x0f, 0x38, 0xf9, 0x07 }, 5,
		INSN_MOVDIRI },
	{ "lock addl $1,(%rdi)", { 0xf0, 0x83, 0x07, 0x01 }, 4, INSN_LOCKED },
	{ "xchg %rax,(%rdi)", { 0x48, 0x87, 0x07 }, 3, INSN_LOCKED },
	{ "xchg %rax,%rdx", { 0x48, 0x87, 0xd0 }, 3, INSN_NONE },
	{ "maskmovdqu %xmm1,%xmm0", { 0x66, 0x0f, 0xf7, 0xc1 }, 4,
		INSN_UNPATCHABLE },
	{ "endbr64", { 0xf3, 0x0f, 0x1e, 0xfa }, 4, INSN_NONE },
	{ "nopl 0(%rax,%rax,1)", { 0x0f, 0x1f, 0x44, 0x00, 0x00 }, 5,
		INSN_NONE },
	{ "clwb 0x10(%rip)", { 0x66, 0x0f, 0xae, 0x35, 0x10, 0, 0, 0 }, 8,
		INSN_CLWB },
};
#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

static struct insn_scanner *sc;

static int
setup(void **state)
{
	(void)state;
	sc = insn_scanner_new();
	return sc == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	insn_scanner_delete(sc);
	return 0;
}

struct found {
	struct insn_site s[NSAMPLES + 4];
	size_t n;
};

static int
collect(void *ctx, const struct insn_site *s)
{
	struct found *f = ctx;
	assert_true(f->n < NSAMPLES + 4);
	f->s[f->n++] = *s;
	return 0;
}

/* test_each_sample -- alone, each sample decodes to its kind and length */
static void
test_each_sample(void **state)
{
	(void)state;
	for (size_t i = 0; i < NSAMPLES; i++) {
		struct insn_site s;
		int r = insn_decode_one(sc, samples[i].bytes, samples[i].len,
				BASE, &s);
		if (r != 0 || s.len != samples[i].len ||
				s.kind != samples[i].kind)
			fail_msg("%s: r %d len %u kind %s", samples[i].text, r,
					s.len, insn_kind_name(s.kind));
	}
}

/* test_buffer_sites -- in one buffer, exactly the right sites, in order */
static void
test_buffer_sites(void **state)
{
	(void)state;
	uint8_t code[NSAMPLES * 15];
	uint64_t at[NSAMPLES];
	size_t len = 0;
	for (size_t i = 0; i < NSAMPLES; i++) {
		at[i] = BASE + len;
		memcpy(code + len, samples[i].bytes, samples[i].len);
		len += samples[i].len;
	}
	struct found f = { .n = 0 };
	assert_int_equal(insn_scan(sc, code, len, BASE, collect, &f), 0);
	size_t k = 0;
	for (size_t i = 0; i < NSAMPLES; i++) {
		if (samples[i].kind == INSN_NONE)
			continue;
		assert_true(k < f.n);
		if (f.s[k].addr != at[i] || f.s[k].kind != samples[i].kind)
			fail_msg("site %zu: expected %s at %#lx, got %s at %#lx",
					k, samples[i].text, (unsigned long)at[i],
					insn_kind_name(f.s[k].kind),
					(unsigned long)f.s[k].addr);
		assert_int_equal(f.s[k].orig, samples[i].bytes[0]);
		k++;
	}
	assert_int_equal(f.n, k);
}

/* decode -- the site of one sample, by its text */
static struct insn_site
decode(const char *text)
{
	for (size_t i = 0; i < NSAMPLES; i++) {
		if (strcmp(samples[i].text, text) != 0)
			continue;
		struct insn_site s;
		assert_int_equal(insn_decode_one(sc, samples[i].bytes,
				samples[i].len, BASE, &s), 0);
		return s;
	}
	fail_msg("no sample %s", text);
	abort();
}

/* test_operands -- memory operands and source registers, decoded */
static void
test_operands(void **state)
{
	(void)state;
	struct insn_site s = decode("movnti %eax,8(%rdi,%rsi,4)");
	assert_int_equal(s.base, REG_RDI);
	assert_int_equal(s.index, REG_RSI);
	assert_int_equal(s.scale, 4);
	assert_int_equal(s.disp, 8);
	assert_int_equal(s.regfile, INSN_RF_GPR);
	assert_int_equal(s.src, REG_RAX);
	assert_int_equal(s.width, 4);

	s = decode("movntdq %xmm9,(%r8)");
	assert_int_equal(s.base, REG_R8);
	assert_int_equal(s.index, INSN_REG_NONE);
	assert_int_equal(s.regfile, INSN_RF_XMM);
	assert_int_equal(s.src, 9);
	assert_int_equal(s.width, 16);

	s = decode("vmovntdq %zmm0,0x40(%rax)"); /* EVEX disp8*N: 1 * 64 */
	assert_int_equal(s.disp, 0x40);
	assert_int_equal(s.width, 64);

	s = decode("movdir64b (%rsi),%rdi");
	assert_int_equal(s.base, REG_RSI);
	assert_int_equal(s.src, REG_RDI);
	assert_int_equal(s.width, 64);

	s = decode("clwb 0x10(%rip)");
	assert_int_equal(s.base, INSN_REG_RIP);
	assert_int_equal(s.disp, 0x10);

	s = decode("movntq %mm0,(%rdi)");
	assert_int_equal(s.regfile, INSN_RF_MMX);
	assert_int_equal(s.width, 8);
}

/* test_truncated -- a site cut by the end of the buffer is not reported */
static void
test_truncated(void **state)
{
	(void)state;
	const uint8_t clwb_cut[] = { 0x90, 0x66, 0x0f, 0xae };
	struct found f = { .n = 0 };
	insn_scan(sc, clwb_cut, sizeof(clwb_cut), BASE, collect, &f);
	assert_int_equal(f.n, 0);
}

/* test_prefilter -- every target's bytes pass; plain code does not */
static void
test_prefilter(void **state)
{
	(void)state;
	for (size_t i = 0; i < NSAMPLES; i++) {
		enum insn_kind k = samples[i].kind;
		if (k != INSN_NONE && k != INSN_LOCKED &&
				!insn_may_have_targets(samples[i].bytes,
				samples[i].len))
			fail_msg("prefilter drops %s", samples[i].text);
	}
	/* mov, lfence, ldmxcsr, movntdqa, pshufb, endbr64, nop, ret */
	const uint8_t plain[] = { 0x48, 0x89, 0x07, 0x0f, 0xae, 0xe8, 0x0f,
		0xae, 0x10, 0x66, 0x0f, 0x38, 0x2a, 0x07, 0x66, 0x0f, 0x38,
		0x00, 0xc1, 0xf3, 0x0f, 0x1e, 0xfa, 0x0f, 0x1f, 0x44, 0x00,
		0x00, 0xc3 };
	assert_false(insn_may_have_targets(plain, sizeof(plain)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_sample),
		cmocka_unit_test(test_buffer_sites),
		cmocka_unit_test(test_operands),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_prefilter),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
