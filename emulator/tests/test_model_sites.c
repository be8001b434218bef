/*
 * test_model_sites.c -- model_version_site: the store behind each history
 * version of a line (the explorer's explanation names it); the sites of
 * unpersisted-store findings, exact or guessed
 */
#include "model_scenario.h"

static void
sc_untraced(struct model *m, uint32_t site, uint64_t off, uint64_t len)
{
	struct model_event ev = { MODEL_EV_STORE, 1, site, 0, off, len, NULL };
	assert_int_equal(model_apply(m, &ev), 0);
}

static void
test_each_version_has_its_store_site(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, false, 512);
	sc_store_kind(m, MODEL_EV_STORE, 1, 11, 0, 8, 'A');
	sc_store_kind(m, MODEL_EV_STORE, 1, 12, 8, 8, 'B');
	sc_store_kind(m, MODEL_EV_STORE, 1, 13, 16, 16, 'C');
	assert_int_equal(model_version_site(m, 0, 0, 1), 11);
	assert_int_equal(model_version_site(m, 0, 0, 2), 12);
	assert_int_equal(model_version_site(m, 0, 40, 3), 13); /* in line */
	assert_int_equal(model_version_site(m, 0, 0, 0), 0);  /* durable */
	assert_int_equal(model_version_site(m, 0, 0, 4), 0);  /* none yet */
	assert_int_equal(model_version_site(m, 0, 64, 1), 0); /* untouched */
	assert_int_equal(model_version_site(m, 7, 0, 1), 0);  /* no region */
	model_delete(m);
}

static void
test_versions_count_from_the_durable_content(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, false, 512);
	sc_store(m, 1, 0, 8, 'A'); /* site 1 */
	sc_ev(m, MODEL_EV_CLWB, 1, 0, 64);
	sc_ev(m, MODEL_EV_SFENCE, 1, 0, 0);
	sc_store_kind(m, MODEL_EV_STORE, 1, 14, 8, 8, 'B');
	SC_EXPECT(m, 0, MODEL_STRAT_EVICTION, "A8.56", "A8B8.48");
	assert_int_equal(model_version_site(m, 0, 0, 1), 14);
	assert_int_equal(model_version_site(m, 0, 0, 2), 0);
	model_delete(m);
}

static void
test_untraced_store_and_snapshot_sites(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, false, 512);
	sc_untraced(m, 15, 64, 8);
	assert_int_equal(model_version_site(m, 0, 64, 1), 15);
	uint8_t view[64];
	memset(view, 'U', sizeof(view));
	struct model_event snap = { MODEL_EV_SNAPSHOT, 1, 16, 0, 64, 64, view };
	assert_int_equal(model_apply(m, &snap), 0);
	sc_store_kind(m, MODEL_EV_STORE, 1, 17, 64, 8, 'A');
	/* the snapshot, if it made a version, names no store */
	uint32_t n = 0;
	while (n < 8 && model_version_site(m, 0, 64, n + 1) != 17)
		n++;
	assert_true(n >= 1 && n < 8);
	assert_int_equal(model_version_site(m, 0, 64, 1), 15);
	for (uint32_t k = 2; k <= n; k++)
		assert_int_equal(model_version_site(m, 0, 64, k), 0);
	model_delete(m);
}

/* findings_model -- a model as the shim runs it (no contents), region 0 */
static struct model *
findings_model(uint64_t len)
{
	struct model_config *cfg = model_config_new();
	struct model *m = model_new(cfg, NULL, NULL);
	model_config_delete(cfg);
	assert_int_equal(model_region_add(m, 0, len, MODEL_DOMAIN_ADR), 0);
	return m;
}

static void
test_findings_mode_has_no_versions(void **state)
{
	(void)state;
	struct model *m = findings_model(256);
	sc_store_kind(m, MODEL_EV_STORE, 1, 11, 0, 8, 'A');
	assert_int_equal(model_version_site(m, 0, 0, 1), 0);
	model_delete(m);
}

struct seen {
	uint32_t site[4];
	bool guessed[4];
	uint64_t off[4];
	size_t n;
};

static void
seen_one(void *ctx, const struct model_finding *f)
{
	struct seen *s = ctx;
	if (f->cls == MODEL_FIND_UNPERSISTED && s->n < 4) {
		s->site[s->n] = f->site;
		s->guessed[s->n] = f->guessed;
		s->off[s->n++] = f->off;
	}
}

/* two lines stored untraced with one site: the one said exact and the
 * one left a guess are two findings, the exact first */
static void
test_exact_and_guessed_site_are_two_findings(void **state)
{
	(void)state;
	struct model *m = findings_model(4096);
	sc_untraced(m, 21, 512, 8);
	sc_untraced(m, 21, 256, 8);
	model_store_site_exact(m, 0, 256, 21);
	model_store_site_exact(m, 0, 512, 99); /* not its site: no change */
	model_store_site_exact(m, 5, 0, 21);   /* no region: ignored */
	sc_ev(m, MODEL_EV_SHUTDOWN, 1, 0, 4096);
	struct seen s = { 0 };
	assert_int_equal(model_findings(m, seen_one, &s), 2);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.site[0], 21);
	assert_false(s.guessed[0]);
	assert_int_equal(s.off[0], 256);
	assert_int_equal(s.site[1], 21);
	assert_true(s.guessed[1]);
	assert_int_equal(s.off[1], 512);
	model_delete(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_version_has_its_store_site),
		cmocka_unit_test(test_versions_count_from_the_durable_content),
		cmocka_unit_test(test_untraced_store_and_snapshot_sites),
		cmocka_unit_test(test_findings_mode_has_no_versions),
		cmocka_unit_test(test_exact_and_guessed_site_are_two_findings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
