/* test_findings_print.c -- the text and JSON of findings
 * (report/findings_print.c, findings_report.c) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings_print.h"
#include "trace.h"

/* a report with two regions, and sites whose text does not depend on
 * any binary: plugin source sites and a module that is not there */
static struct findings_report *
report_new(void)
{
	struct findings_report *rep = findings_report_new(NULL);
	struct symbolizer *s = findings_report_symbolizer(rep);
	assert_int_equal(findings_report_add_region(rep, 0, "/tmp/x/pool.img"),
			0);
	assert_int_equal(findings_report_add_region(rep, 1, "/tmp/x/log.img"),
			0);
	assert_int_equal(symbolizer_add_site_src(s, 1, "/src/list.c",
			"list_insert", 41), 0);
	/* another instruction of the same line: one entry with site 1 */
	assert_int_equal(symbolizer_add_site_src(s, 2, "/src/list.c",
			"list_insert", 41), 0);
	assert_int_equal(symbolizer_add_site_src(s, 3, "/src/main.c", "main",
			17), 0);
	struct sym_raw_frame fr[2] = { { 0, 0x10 }, { 0, 0x2f } };
	assert_int_equal(symbolizer_add_site(s, 4, fr, 2), 0);
	assert_int_equal(symbolizer_add_module(s, 0, "/opt/lib/libgone.so",
			0x7f0000000000), 0);
	return rep;
}

static void
add(struct findings_report *rep, enum model_finding_class cls,
		uint32_t site, uint64_t count, uint64_t lines, uint32_t region,
		uint64_t off)
{
	struct model_finding f = { .cls = cls, .site = site, .count = count,
		.lines = lines, .region = region, .off = off };
	assert_int_equal(findings_report_add(rep, &f), 0);
}

static void
add_all(struct findings_report *rep)
{
	add(rep, MODEL_FIND_UNPERSISTED, 1, 2, 1, 0, 0x1040);
	add(rep, MODEL_FIND_UNPERSISTED, 2, 1, 1, 0, 0x1080);
	add(rep, MODEL_FIND_UNPERSISTED, 3, 5, 3, 1, 0x0);
	add(rep, MODEL_FIND_NO_FENCE, 4, 1, 1, 0, 0x40);
	add(rep, MODEL_FIND_REDUNDANT, 99, 4, 0, 7, 0x80);
	add(rep, MODEL_FIND_OUTSIDE, 3, 1, 0, 0, 0);
}

/* the printer's output as a string (freed by the caller) */
static char *
print(struct findings_report *rep, const struct findings_print_opts *o,
		int json, int *entries)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	*entries = json ? findings_print_json(rep, o, m) :
		findings_print_text(rep, o, m);
	fclose(m);
	return text;
}

static const char want_text[] =
"pmemu: unpersisted stores: 8 stores from 2 sites not durable at exit\n"
"[0] 5 stores, 3 lines, first at log.img+0x0\n"
"      at main (main.c:17)\n"
"[1] 3 stores, 2 lines, first at pool.img+0x1040\n"
"      at list_insert (list.c:41)\n"
"pmemu: missing fence: 1 flush from 1 site with no later fence in their"
" thread at exit\n"
"[2] 1 flush, 1 line, first at pool.img+0x40\n"
"      at ??? (libgone.so+0x10, no debug info)\n"
"      by ??? (libgone.so+0x2f, no debug info)\n"
"pmemu: redundant flush: 4 flushes from 1 site of lines that were not"
" dirty\n"
"[3] 4 flushes, first at region 7+0x80\n"
"      (no call site recorded)\n"
"pmemu: flush outside pmem: 1 flush from 1 site of addresses in no"
" emulated region\n"
"[4] 1 flush\n"
"      at main (main.c:17)\n"
"pmemu: 5 findings in 4 classes; exit 1 (--error-exitcode=1)\n";

static void
test_text_exact(void **state)
{
	(void)state;
	struct findings_report *rep = report_new();
	add_all(rep);
	assert_int_equal(findings_report_count(rep), 6);
	struct findings_print_opts o = { .when = NULL, .error_exitcode = 1 };
	int n;
	char *text = print(rep, &o, 0, &n);
	assert_int_equal(n, 5);
	assert_string_equal(text, want_text);
	free(text);
	/* printing again gives the same text */
	text = print(rep, &o, 0, &n);
	assert_string_equal(text, want_text);
	free(text);
	findings_report_delete(rep);
}

static const char want_json[] =
"{\"report\": \"pmemu-run\", \"schema_version\": 1,"
" \"when\": \"at crash point 'commit'\",\n"
"  \"findings\": [\n"
"    {\"index\": 0, \"class\": \"unpersisted\", \"count\": 3, \"lines\": 2,"
" \"region\": \"/tmp/x/pool.img\", \"offset\": \"0x1040\", \"sites\": [1, 2],\n"
"     \"frames\": [{\"function\": \"list_insert\", \"file\": \"/src/list.c\","
" \"line\": 41, \"module\": null, \"offset\": null, \"inlined\": false,"
" \"debug_info\": true}]},\n"
"    {\"index\": 1, \"class\": \"no_fence\", \"count\": 1, \"lines\": 1,"
" \"region\": \"/tmp/x/pool.img\", \"offset\": \"0x40\", \"sites\": [4],\n"
"     \"frames\": [{\"function\": \"???\", \"file\": null, \"line\": null,"
" \"module\": \"/opt/lib/libgone.so\", \"offset\": \"0x10\","
" \"inlined\": false, \"debug_info\": false},\n"
"                {\"function\": \"???\", \"file\": null, \"line\": null,"
" \"module\": \"/opt/lib/libgone.so\", \"offset\": \"0x2f\","
" \"inlined\": false, \"debug_info\": false}]},\n"
"    {\"index\": 2, \"class\": \"flush_outside\", \"count\": 1,"
" \"lines\": 0, \"region\": null, \"offset\": null, \"sites\": [3],\n"
"     \"frames\": [{\"function\": \"main\", \"file\": \"/src/main.c\","
" \"line\": 17, \"module\": null, \"offset\": null, \"inlined\": false,"
" \"debug_info\": true}]}\n"
"  ],\n"
"  \"summary\": {\"findings\": 3, \"classes\": 3, \"by_class\":"
" {\"unpersisted\": {\"findings\": 1, \"count\": 3}, \"no_fence\":"
" {\"findings\": 1, \"count\": 1}, \"flush_outside\": {\"findings\": 1,"
" \"count\": 1}}, \"error_exitcode\": 0}}\n";

static void
test_json_exact(void **state)
{
	(void)state;
	struct findings_report *rep = report_new();
	add(rep, MODEL_FIND_NO_FENCE, 4, 1, 1, 0, 0x40);
	add(rep, MODEL_FIND_UNPERSISTED, 2, 1, 1, 0, 0x1080);
	add(rep, MODEL_FIND_UNPERSISTED, 1, 2, 1, 0, 0x1040);
	add(rep, MODEL_FIND_OUTSIDE, 3, 1, 0, 0, 0);
	struct findings_print_opts o = { .when = "at crash point 'commit'" };
	int n;
	char *json = print(rep, &o, 1, &n);
	assert_int_equal(n, 3);
	assert_string_equal(json, want_json);
	free(json);
	findings_report_delete(rep);
}

static void
test_no_findings(void **state)
{
	(void)state;
	struct findings_report *rep = report_new();
	struct findings_print_opts o = { .error_exitcode = 3 };
	int n;
	char *text = print(rep, &o, 0, &n);
	assert_int_equal(n, 0);
	assert_string_equal(text, "pmemu: no findings at exit\n");
	free(text);
	char *json = print(rep, &o, 1, &n);
	assert_string_equal(json, "{\"report\": \"pmemu-run\", "
			"\"schema_version\": 1, \"when\": \"at exit\",\n"
			"  \"findings\": [],\n"
			"  \"summary\": {\"findings\": 0, \"classes\": 0, "
			"\"by_class\": {}, \"error_exitcode\": 3}}\n");
	free(json);
	/* a batch cleared: the next one starts empty, sites stay known */
	add_all(rep);
	findings_report_clear(rep);
	assert_int_equal(findings_report_count(rep), 0);
	add(rep, MODEL_FIND_UNPERSISTED, 3, 1, 1, 1, 0x8);
	text = print(rep, &o, 0, &n);
	assert_string_equal(text,
		"pmemu: unpersisted stores: 1 store from 1 site not durable at"
		" exit\n"
		"[0] 1 store, 1 line, first at log.img+0x8\n"
		"      at main (main.c:17)\n"
		"pmemu: 1 finding in 1 class; exit 3 (--error-exitcode=3)\n");
	free(text);
	findings_report_delete(rep);
}

/* add_decoded -- a record made here, decoded as the reader does */
static int
add_decoded(struct findings_report *rep, struct trace_rec *r)
{
	assert_int_equal(trace_rec_decode(r), 0);
	return findings_report_add_record(rep, r);
}

/* the records pmemu run reads from the trace: REGION, sites, FINDING */
static void
test_from_trace_records(void **state)
{
	(void)state;
	struct findings_report *rep = findings_report_new(NULL);
	uint8_t region[24 + 16] = { 0 };
	uint32_t rid = 2;
	memcpy(region, &rid, 4);
	memcpy(region + 24, "/p/data.img", 12);
	struct trace_rec r = { .type = TRACE_REC_REGION, .body = region,
		.body_len = 24 + 12 };
	assert_int_equal(add_decoded(rep, &r), 1);
	uint8_t src[32] = { 0 };
	uint32_t sid = 9, line = 12;
	memcpy(src, &sid, 4);
	memcpy(src + 4, &line, 4);
	memcpy(src + 8, "buggy.c\0main", 13);
	r = (struct trace_rec){ .type = TRACE_REC_SITE_SRC, .body = src,
		.body_len = 8 + 13 };
	assert_int_equal(add_decoded(rep, &r), 1);
	struct trace_finding_body fb = { .cls = MODEL_FIND_UNPERSISTED,
		.site = 9, .count = 1, .lines = 1, .region = 2, .off = 0x40 };
	r = (struct trace_rec){ .type = TRACE_REC_FINDING, .body =
		(const uint8_t *)&fb, .body_len = sizeof(fb) };
	assert_int_equal(add_decoded(rep, &r), 1);
	r.body_len = 8; /* too short: the decoder refuses it */
	assert_int_equal(trace_rec_decode(&r), -EINVAL);
	r = (struct trace_rec){ .type = TRACE_REC_MARKER, .body =
		(const uint8_t *)"x", .body_len = 2 };
	assert_int_equal(add_decoded(rep, &r), 0);
	int n;
	char *text = print(rep, NULL, 0, &n);
	assert_string_equal(text,
		"pmemu: unpersisted stores: 1 store from 1 site not durable at"
		" exit\n"
		"[0] 1 store, 1 line, first at data.img+0x40\n"
		"      at main (buggy.c:12)\n"
		"pmemu: 1 finding in 1 class\n");
	free(text);
	findings_report_delete(rep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_exact),
		cmocka_unit_test(test_json_exact),
		cmocka_unit_test(test_no_findings),
		cmocka_unit_test(test_from_trace_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
