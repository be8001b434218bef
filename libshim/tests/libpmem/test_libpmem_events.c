/*
 * test_libpmem_events.c -- the events each libpmem call emits on emulated
 * pmem (MODEL.md's pmem_* rows), against a double of the shim core
 *
 * The test binary does not load libpmem: ranges outside the fake mappings
 * take the native path (memmove + clflush + sfence) and emit only fences.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <libpmem.h>

#include "shim_fake.h"

#define PM_LEN (4 * 4096)
static char pm[PM_LEN] __attribute__((aligned(4096)));
static char dram[PM_LEN] __attribute__((aligned(4096)));

static const char src[] = "This is new data written to the file";

static int
setup_adr(void **state)
{
	(void)state;
	fake_reset();
	memset(pm, 0, sizeof(pm));
	fake_map(pm, sizeof(pm), MODEL_DOMAIN_ADR);
	return 0;
}

/* expect_events -- exactly these kinds, in order, all at the caller's site */
static void
expect_events(const enum model_ev *kinds, size_t n)
{
	for (size_t i = 0; i < fake_nevents && i < n; i++) {
		if (fake_events[i].kind != kinds[i])
			fail_msg("event %zu is %s, expected %s", i,
					model_ev_name(fake_events[i].kind),
					model_ev_name(kinds[i]));
		assert_int_equal(fake_events[i].site, FAKE_SITE);
	}
	assert_int_equal(fake_nevents, n);
	fake_nevents = 0;
}

#define EXPECT(...) do { \
	const enum model_ev k_[] = { __VA_ARGS__ }; \
	expect_events(k_, sizeof(k_) / sizeof(k_[0])); \
} while (0)
#define EXPECT_NONE() assert_int_equal(fake_nevents, 0)

/* expect_range -- event i covers exactly [addr, addr + len) */
static void
expect_range(size_t i, const void *addr, size_t len)
{
	assert_ptr_equal((void *)fake_events[i].addr, addr);
	assert_int_equal(fake_events[i].len, len);
}

static void
test_persist_is_flush_then_fence(void **state)
{
	(void)state;
	pmem_persist(pm + 10, 100);
	expect_range(0, pm + 10, 100);
	EXPECT(MODEL_EV_CLWB, MODEL_EV_SFENCE);
	pmem_flush(pm, 64);
	EXPECT(MODEL_EV_CLWB);
	pmem_drain();
	EXPECT(MODEL_EV_SFENCE);
	pmem_deep_flush(pm, 64);
	EXPECT(MODEL_EV_CLWB);
}

static void
test_memcpy_persist_and_nodrain(void **state)
{
	(void)state;
	assert_ptr_equal(pmem_memcpy_persist(pm, src, sizeof(src)), pm);
	assert_string_equal(pm, src);
	expect_range(0, pm, sizeof(src));
	expect_range(1, pm, sizeof(src));
	EXPECT(MODEL_EV_STORE, MODEL_EV_CLWB, MODEL_EV_SFENCE);
	pmem_memcpy_nodrain(pm + 64, src, sizeof(src));
	EXPECT(MODEL_EV_STORE, MODEL_EV_CLWB);
	pmem_memmove_persist(pm + 128, src, sizeof(src));
	EXPECT(MODEL_EV_STORE, MODEL_EV_CLWB, MODEL_EV_SFENCE);
	pmem_memmove_nodrain(pm + 192, src, sizeof(src));
	EXPECT(MODEL_EV_STORE, MODEL_EV_CLWB);
	assert_string_equal(pm + 192, src);
}

static void
test_flags_temporal(void **state)
{
	(void)state;
	const unsigned flags[] = { 0, PMEM_F_MEM_TEMPORAL, PMEM_F_MEM_WB };
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		pmem_memcpy(pm, src, sizeof(src), flags[i]);
		EXPECT(MODEL_EV_STORE, MODEL_EV_CLWB, MODEL_EV_SFENCE);
		pmem_memmove(pm, src, sizeof(src),
				flags[i] | PMEM_F_MEM_NODRAIN);
		EXPECT(MODEL_EV_STORE, MODEL_EV_CLWB);
	}
}

static void
test_flags_nontemporal(void **state)
{
	(void)state;
	const unsigned flags[] = { PMEM_F_MEM_NONTEMPORAL, PMEM_F_MEM_WC,
		PMEM_F_MEM_NONTEMPORAL | PMEM_F_MEM_TEMPORAL };
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		pmem_memcpy(pm, src, sizeof(src), flags[i]);
		expect_range(0, pm, sizeof(src));
		EXPECT(MODEL_EV_NT_STORE, MODEL_EV_SFENCE);
		pmem_memcpy(pm, src, sizeof(src),
				flags[i] | PMEM_F_MEM_NODRAIN);
		EXPECT(MODEL_EV_NT_STORE);
	}
	assert_string_equal(pm, src);
}

static void
test_flags_noflush(void **state)
{
	(void)state;
	/* NOFLUSH: neither flush nor drain, whatever else is set */
	const unsigned flags[] = { PMEM_F_MEM_NOFLUSH,
		PMEM_F_MEM_NOFLUSH | PMEM_F_MEM_NONTEMPORAL,
		PMEM_F_MEM_NOFLUSH | PMEM_F_MEM_NODRAIN };
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		pmem_memcpy(pm, src, sizeof(src), flags[i]);
		EXPECT(MODEL_EV_STORE);
	}
}

static void
test_memset_family(void **state)
{
	(void)state;
	pmem_memset_persist(pm, 'a', 200);
	assert_int_equal(pm[199], 'a');
	EXPECT(MODEL_EV_STORE, MODEL_EV_CLWB, MODEL_EV_SFENCE);
	pmem_memset_nodrain(pm, 'b', 200);
	EXPECT(MODEL_EV_STORE, MODEL_EV_CLWB);
	pmem_memset(pm, 'c', 200, PMEM_F_MEM_NONTEMPORAL);
	EXPECT(MODEL_EV_NT_STORE, MODEL_EV_SFENCE);
	pmem_memset(pm, 'd', 200, PMEM_F_MEM_NOFLUSH);
	EXPECT(MODEL_EV_STORE);
	assert_int_equal(pm[0], 'd');
}

static void
test_memmove_overlap(void **state)
{
	(void)state;
	memcpy(pm, "abcdefgh", 8);
	pmem_memmove(pm + 2, pm, 6, 0);
	assert_memory_equal(pm, "ababcdef", 8);
	EXPECT(MODEL_EV_STORE, MODEL_EV_CLWB, MODEL_EV_SFENCE);
}

static void
test_eadr_skips_flushes(void **state)
{
	(void)state;
	fake_reset();
	fake_map(pm, sizeof(pm), MODEL_DOMAIN_EADR);
	pmem_persist(pm, 64);
	EXPECT(MODEL_EV_SFENCE);
	pmem_memcpy_persist(pm, src, sizeof(src));
	EXPECT(MODEL_EV_STORE, MODEL_EV_SFENCE);
	pmem_flush(pm, 64);
	EXPECT_NONE();
}

static void
test_pagecache_flush_is_reported(void **state)
{
	(void)state;
	/* a CPU flush of a page-cache mapping is the model's to judge */
	fake_reset();
	fake_map(pm, sizeof(pm), MODEL_DOMAIN_PAGECACHE);
	pmem_persist(pm, 64);
	EXPECT(MODEL_EV_CLWB, MODEL_EV_SFENCE);
}

static void
test_is_pmem_per_domain(void **state)
{
	(void)state;
	static const struct {
		enum model_domain d;
		int is_pmem, auto_flush;
	} cases[] = {
		{ MODEL_DOMAIN_ADR, 1, 0 },
		{ MODEL_DOMAIN_EADR, 1, 1 },
		{ MODEL_DOMAIN_PAGECACHE, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fake_reset();
		fake_domain = cases[i].d;
		fake_map(pm, sizeof(pm), cases[i].d);
		assert_int_equal(pmem_is_pmem(pm, sizeof(pm)),
				cases[i].is_pmem);
		assert_int_equal(pmem_is_pmem(pm + 5, 0), cases[i].is_pmem);
		assert_int_equal(pmem_has_auto_flush(), cases[i].auto_flush);
		assert_int_equal(pmem_has_hw_drain(), 0);
	}
	/* a range that leaves the mapping is not all pmem */
	assert_int_equal(pmem_is_pmem(pm + PM_LEN - 8, 16), 0);
	/* DRAM, with no libpmem loaded to ask */
	assert_int_equal(pmem_is_pmem(dram, 64), 0);
	EXPECT_NONE();
}

static void
test_native_range_emits_only_fences(void **state)
{
	(void)state;
	/* no line of DRAM is the model's; its fences order pmem flushes */
	memset(dram, 0, sizeof(dram));
	assert_ptr_equal(pmem_memcpy_persist(dram, src, sizeof(src)), dram);
	assert_string_equal(dram, src);
	EXPECT(MODEL_EV_SFENCE);
	pmem_memset(dram + 100, 'x', 10, PMEM_F_MEM_NONTEMPORAL |
			PMEM_F_MEM_NODRAIN);
	assert_int_equal(dram[109], 'x');
	pmem_flush(dram, 64);
	EXPECT_NONE();
	pmem_persist(dram, 64);
	EXPECT(MODEL_EV_SFENCE);
}

static void
test_range_across_mapping_end(void **state)
{
	(void)state;
	/* pm is mapped only in its first page here; dram is never mapped */
	fake_reset();
	fake_map(pm, 4096, MODEL_DOMAIN_ADR);
	pmem_memset_persist(pm + 4096 - 100, 'z', 300);
	assert_int_equal(pm[4096 + 199], 'z');
	expect_range(0, pm + 4096 - 100, 100);
	expect_range(1, pm + 4096 - 100, 100);
	EXPECT(MODEL_EV_STORE, MODEL_EV_CLWB, MODEL_EV_SFENCE);
}

static void
test_inactive_or_nested_emits_nothing(void **state)
{
	(void)state;
	shim_active = false;
	pmem_memcpy_persist(pm, src, sizeof(src));
	pmem_persist(pm, 64);
	pmem_drain();
	assert_string_equal(pm, src);
	EXPECT_NONE();
	shim_active = true;
	shim_depth = 1; /* as if called from inside the shim */
	pmem_memset_persist(pm, 0, 64);
	pmem_persist(pm, 64);
	shim_depth = 0;
	EXPECT_NONE();
}

static void
test_draining_copy_takes_one_call(void **state)
{
	(void)state;
	/* all in one mapping: stores, flush and fence in one call */
	pmem_memcpy_persist(pm, src, sizeof(src));
	pmem_memset(pm + 64, 'n', 100, PMEM_F_MEM_NONTEMPORAL);
	assert_int_equal(fake_copy_persists, 2);
	expect_range(0, pm, sizeof(src));
	expect_range(1, pm, sizeof(src));
	expect_range(3, pm + 64, 100);
	EXPECT(MODEL_EV_STORE, MODEL_EV_CLWB, MODEL_EV_SFENCE,
			MODEL_EV_NT_STORE, MODEL_EV_SFENCE);
	/* no drain, a range past the mapping, eadr: one call an event */
	pmem_memcpy_nodrain(pm, src, sizeof(src));
	assert_int_equal(fake_copy_persists, 2);
	EXPECT(MODEL_EV_STORE, MODEL_EV_CLWB);
	fake_reset();
	fake_map(pm, 4096, MODEL_DOMAIN_ADR);
	pmem_memset_persist(pm + 4096 - 100, 'z', 300);
	fake_reset();
	fake_map(pm, sizeof(pm), MODEL_DOMAIN_EADR);
	pmem_memcpy_persist(pm, src, sizeof(src));
	assert_int_equal(fake_copy_persists, 0);
	EXPECT(MODEL_EV_STORE, MODEL_EV_SFENCE);
}

static void
test_zero_length(void **state)
{
	(void)state;
	pmem_memcpy_persist(pm, src, 0);
	pmem_memset(pm, 1, 0, 0);
	EXPECT_NONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_persist_is_flush_then_fence,
				setup_adr),
		cmocka_unit_test_setup(test_memcpy_persist_and_nodrain,
				setup_adr),
		cmocka_unit_test_setup(test_flags_temporal, setup_adr),
		cmocka_unit_test_setup(test_flags_nontemporal, setup_adr),
		cmocka_unit_test_setup(test_flags_noflush, setup_adr),
		cmocka_unit_test_setup(test_memset_family, setup_adr),
		cmocka_unit_test_setup(test_memmove_overlap, setup_adr),
		cmocka_unit_test_setup(test_eadr_skips_flushes, setup_adr),
		cmocka_unit_test_setup(test_pagecache_flush_is_reported,
				setup_adr),
		cmocka_unit_test_setup(test_is_pmem_per_domain, setup_adr),
		cmocka_unit_test_setup(test_native_range_emits_only_fences,
				setup_adr),
		cmocka_unit_test_setup(test_range_across_mapping_end,
				setup_adr),
		cmocka_unit_test_setup(test_inactive_or_nested_emits_nothing,
				setup_adr),
		cmocka_unit_test_setup(test_draining_copy_takes_one_call,
				setup_adr),
		cmocka_unit_test_setup(test_zero_length, setup_adr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
