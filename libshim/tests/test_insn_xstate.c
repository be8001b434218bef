/*
 * test_insn_xstate.c -- insn_xstate.c reads zmm3 and zmm20 out of an image
 * this thread wrote with xsave64 (standard format) and xsavec64
 * (compacted), full and with their upper components in the initial state,
 * in an area filled with 0xff first: an unwritten component must read as
 * zero, not as what the area held
 */
#include <cpuid.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "insn_xstate.h"

#define AREA_LEN 8192
#define XMASK 0xe7u /* as the trampolines: x87 ... Hi16_ZMM */

static uint8_t area[AREA_LEN] __attribute__((aligned(64)));
static uint8_t init_area[AREA_LEN] __attribute__((aligned(64)));

/* image -- zmm3 = a, zmm20 = b (clean: xmm3 = a's first 16 bytes, the
 * rest in its initial state), saved into area, standard or compacted */
static __attribute__((target("avx512f"), noinline)) void
image(const uint8_t *a, const uint8_t *b, int clean, int compacted,
		uint32_t mask)
{
	memset(area, 0xff, sizeof(area));
	memset(area + 512, 0, 64);  /* the header xrstor and xsave want */
	memset(init_area, 0, sizeof(init_area));
	__asm__ volatile(
		"test %[clean], %[clean]\n\tjnz 1f\n\t"
		"vmovdqu64 (%[a]), %%zmm3\n\t"
		"vmovdqu64 (%[b]), %%zmm20\n\tjmp 2f\n"
		"1:\n\tvmovdqu (%[a]), %%xmm3\n\tvzeroupper\n\t"
		"mov $0x80, %%eax\n\txor %%edx, %%edx\n\t"
		"xrstor64 (%[init])\n"   /* Hi16_ZMM: its initial state */
		"2:\n\tmov %[mask], %%eax\n\txor %%edx, %%edx\n\t"
		"test %[compacted], %[compacted]\n\tjnz 3f\n\t"
		"xsave64 (%[area])\n\tjmp 4f\n"
		"3:\n\txsavec64 (%[area])\n"
		"4:\n\tvzeroupper"
		:: [a] "r"(a), [b] "r"(b), [clean] "r"(clean),
		[compacted] "r"(compacted), [mask] "r"(mask),
		[init] "r"(init_area), [area] "r"(area)
		: "rax", "rdx", "xmm3", "xmm20", "memory", "cc");
	/* the software bytes a signal frame has (the trampolines write
	 * them too): magic, size, features */
	uint32_t magic = 0x46505853u, size = AREA_LEN;
	uint64_t features = mask;
	memcpy(area + 464, &magic, 4);
	memcpy(area + 468, &size, 4);
	memcpy(area + 472, &features, 8);
	memcpy(area + 480, &size, 4);
}

/* xcr0_mask -- the trampolines' components this CPU enables; 0: not all
 * of AVX-512 (the test is skipped) */
static uint32_t
xcr0_mask(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27)) ||
			!__builtin_cpu_supports("avx512f"))
		return 0;
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & XMASK) == XMASK ? XMASK : 0;
}

static void
check(int compacted)
{
	uint32_t mask = xcr0_mask();
	if (mask == 0 || (compacted && !insn_xstate_compacted_len(mask)))
		skip();
	uint8_t a[64], b[64], out[64], want[64];
	for (int i = 0; i < 64; i++) {
		a[i] = (uint8_t)(i * 7 + 1);
		b[i] = (uint8_t)(i * 13 + 5);
	}
	image(a, b, 0, compacted, mask);
	assert_int_equal(insn_xstate_vector(area, 3, 64, out), 0);
	assert_memory_equal(out, a, 64);
	assert_int_equal(insn_xstate_vector(area, 20, 64, out), 0);
	assert_memory_equal(out, b, 64);
	assert_int_equal(insn_xstate_vector(area, 3, 32, out), 0);
	assert_memory_equal(out, a, 32);

	image(a, b, 1, compacted, mask);
	memset(want, 0, sizeof(want));
	memcpy(want, a, 16);
	assert_int_equal(insn_xstate_vector(area, 3, 64, out), 0);
	assert_memory_equal(out, want, 64);
	memset(want, 0, sizeof(want));
	assert_int_equal(insn_xstate_vector(area, 20, 64, out), 0);
	assert_memory_equal(out, want, 64);
}

static void
test_standard(void **state)
{
	(void)state;
	check(0);
}

static void
test_compacted(void **state)
{
	(void)state;
	check(1);
}

/* a frame without a component (features) cannot give its register */
static void
test_missing_component(void **state)
{
	(void)state;
	uint32_t mask = xcr0_mask();
	if (mask == 0)
		skip();
	uint8_t a[64] = { 1 }, out[64];
	image(a, a, 0, 0, mask);
	uint64_t features = 0x3; /* x87 and SSE only */
	memcpy(area + 472, &features, 8);
	assert_int_equal(insn_xstate_vector(area, 3, 16, out), 0);
	assert_int_equal(insn_xstate_vector(area, 3, 32, out), -1);
	assert_int_equal(insn_xstate_vector(area, 20, 16, out), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_standard),
		cmocka_unit_test(test_compacted),
		cmocka_unit_test(test_missing_component),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
