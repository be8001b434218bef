/* test_site.c -- call sites: interning, the SIGSEGV path, the records
 * written for them (libshim/site/site.c, site_write.c) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shim_site.h"
#include "symbolize.h"
#include "trace.h"

#define RECS_MAX 512

/* what the sink was given, in order */
static struct {
	uint16_t type;
	size_t len;
	uint8_t body[4200];
} recs[RECS_MAX];
static size_t nrecs;

static void
sink(uint16_t type, const void *body, size_t len)
{
	assert_true(nrecs < RECS_MAX && len <= sizeof(recs[0].body));
	recs[nrecs].type = type;
	recs[nrecs].len = len;
	memcpy(recs[nrecs].body, body, len);
	nrecs++;
}

/* flushes, and feeds every record so far to a new symbolizer */
static struct symbolizer *
flush_and_symbolize(void)
{
	shim_site_set_sink(sink);
	shim_site_flush_pending();
	struct symbolizer *s = symbolizer_new();
	for (size_t i = 0; i < nrecs; i++) {
		struct trace_rec r = { .type = recs[i].type,
			.body = recs[i].body, .body_len = recs[i].len };
		assert_int_equal(trace_rec_decode(&r), 0);
		assert_int_equal(symbolizer_add_record(s, &r), 1);
	}
	return s;
}

/* index of the record that defines site id, or -1 */
static long
record_of(uint32_t id)
{
	for (size_t i = 0; i < nrecs; i++) {
		uint32_t rid;
		memcpy(&rid, recs[i].body, 4);
		if (recs[i].type != TRACE_REC_MODULE && rid == id)
			return (long)i;
	}
	return -1;
}

static void
test_same_stack_same_id(void **state)
{
	(void)state;
	uint32_t ids[3];
	/* volatile: a loop the compiler unrolls has a call site per copy */
	for (volatile int i = 0; i < 2; i++) ids[i] = shim_site_here();
	ids[2] = shim_site_here();
	assert_int_not_equal(ids[0], SHIM_SITE_UNKNOWN);
	assert_int_equal(ids[0], ids[1]);
	assert_int_not_equal(ids[0], ids[2]);
}

/* one helper, two callers: same innermost pc, same depth; the ids
 * must still differ (the capture cache validates the whole chain) */
__attribute__((noinline)) static uint32_t
site_via_helper(void)
{
	uint32_t id = shim_site_here();
	__asm__ volatile("" ::: "memory"); /* no tail call */
	return id;
}

__attribute__((noinline)) static void
two_callers(uint32_t *a, uint32_t *b)
{
	*a = site_via_helper();
	*b = site_via_helper();
}

static void
test_cached_site_tells_callers_apart(void **state)
{
	(void)state;
	uint32_t a[3], b[3];
	for (volatile int i = 0; i < 3; i++)
		two_callers(&a[i], &b[i]);
	assert_int_not_equal(a[0], SHIM_SITE_UNKNOWN);
	assert_int_not_equal(a[0], b[0]);
	for (int i = 1; i < 3; i++) {
		assert_int_equal(a[i], a[0]);
		assert_int_equal(b[i], b[0]);
	}
}

/* captures at many depths: more keys than the capture cache holds, so
 * entries are replaced while capture_last still points at them; each
 * depth keeps its id, and a replaced entry never answers for another
 * key */
__attribute__((noinline)) static uint32_t
site_at_depth(int depth)
{
	uint32_t id = depth == 0 ? shim_site_here() : site_at_depth(depth - 1);
	__asm__ volatile("" ::: "memory"); /* no tail call */
	return id;
}

#define DEPTHS 600

/* ids[d]: the site of a capture at depth d, every one from one call
 * site (a chain shorter than the frames a site keeps names its caller),
 * the depths walked upwards or downwards */
__attribute__((noinline)) static void
ids_at_depths(uint32_t *ids, int down)
{
	for (int i = 0; i < DEPTHS; i++) {
		int d = down ? DEPTHS - 1 - i : i;
		ids[d] = site_at_depth(d);
		__asm__ volatile("" ::: "memory");
	}
}

static void
test_replaced_entries_keep_ids(void **state)
{
	(void)state;
	static uint32_t first[DEPTHS], again[DEPTHS];
	for (volatile int round = 0; round < 5; round++) { /* one call site */
		ids_at_depths(round == 0 ? first : again, round % 2);
		if (round > 0)
			assert_memory_equal(again, first, sizeof(first));
	}
	assert_int_not_equal(first[0], SHIM_SITE_UNKNOWN);
	assert_int_not_equal(first[0], first[1]);
	assert_int_equal(first[DEPTHS - 1], first[DEPTHS - 2]); /* 16 kept */
}

static void
test_site_resolves_to_caller(void **state)
{
	(void)state;
	uint32_t id = shim_site_here(); const int line = __LINE__;
	uintptr_t pc[SHIM_SITE_FRAMES];
	assert_true(shim_site_frames(id, pc, SHIM_SITE_FRAMES) >= 2);
	struct symbolizer *s = flush_and_symbolize();
	long at = record_of(id);
	assert_true(at >= 0);
	assert_int_equal(recs[at].type, TRACE_REC_SITE);
	/* every module a frame names was written before the site */
	assert_int_equal(recs[0].type, TRACE_REC_MODULE);
	struct sym_frame f[64];
	size_t n = symbolizer_frames(s, id, f, 64);
	assert_true(n >= 2 && n <= 64);
	/* the frames of site.c's own module were dropped */
	assert_string_equal(f[0].func, "test_site_resolves_to_caller");
	assert_int_equal(f[0].line, line);
	/* and those below main */
	assert_string_equal(f[n - 1].func, "main");
	symbolizer_delete(s);

	/* written once */
	size_t before = nrecs;
	shim_site_flush_pending();
	assert_int_equal(nrecs, before);
}

static void
test_srcloc_by_pointer(void **state)
{
	(void)state;
	static const struct pmemu_srcloc a = { "list.c", "list_insert", 41, 3 };
	static const struct pmemu_srcloc b = { "list.c", "list_insert", 41, 3 };
	uint32_t ia = shim_site_srcloc(&a);
	assert_int_not_equal(ia, SHIM_SITE_UNKNOWN);
	assert_int_equal(shim_site_srcloc(&a), ia);
	assert_int_not_equal(shim_site_srcloc(&b), ia);
	assert_int_equal(shim_site_srcloc(NULL), SHIM_SITE_UNKNOWN);
	struct symbolizer *s = flush_and_symbolize();
	assert_int_equal(recs[record_of(ia)].type, TRACE_REC_SITE_SRC);
	struct sym_frame f[4];
	assert_int_equal(symbolizer_frames(s, ia, f, 4), 1);
	assert_string_equal(f[0].func, "list_insert");
	assert_string_equal(f[0].file, "list.c");
	assert_int_equal(f[0].line, 41);
	symbolizer_delete(s);
}

static char *fault_page;
static volatile uint32_t fault_site;

static void
on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	fault_site = shim_site_ucontext(uc);
	mprotect(fault_page, (size_t)sysconf(_SC_PAGESIZE), PROT_READ |
			PROT_WRITE);
}

static const int fault_line = __LINE__ + 4;
__attribute__((noinline)) static void
store_to(volatile int *p)
{
	*p = 42;
}

static void
test_ucontext_from_sigsegv(void **state)
{
	(void)state;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	fault_page = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	assert_true(fault_page != MAP_FAILED);
	struct sigaction sa = { .sa_sigaction = on_segv,
		.sa_flags = SA_SIGINFO }, old;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGSEGV, &sa, &old), 0);
	store_to((volatile int *)fault_page); const int call_line = __LINE__;
	sigaction(SIGSEGV, &old, NULL);
	assert_int_equal(*(int *)fault_page, 42); /* resumed, store done */
	assert_int_not_equal(fault_site, SHIM_SITE_UNKNOWN);

	struct symbolizer *s = flush_and_symbolize();
	struct sym_frame f[64];
	assert_true(symbolizer_frames(s, fault_site, f, 64) >= 2);
	assert_string_equal(f[0].func, "store_to"); /* the faulting store */
	assert_int_equal(f[0].line, fault_line);
	assert_string_equal(f[1].func, "test_ucontext_from_sigsegv");
	assert_int_equal(f[1].line, call_line);
	symbolizer_delete(s);
	munmap(fault_page, pg);
}

#define THREADS 4
#define CALLS 2000

static void *
intern_many(void *arg)
{
	uint32_t *id = arg, got[CALLS];
	for (volatile int i = 0; i < CALLS; i++)
		got[i] = shim_site_here(); /* one call site (volatile i) */
	*id = got[0];
	for (int i = 1; i < CALLS; i++)
		if (got[i] != got[0])
			*id = SHIM_SITE_UNKNOWN;
	return NULL;
}

static void
test_threads_agree(void **state)
{
	(void)state;
	pthread_t t[THREADS];
	uint32_t id[THREADS];
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, intern_many,
				&id[i]), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < THREADS; i++) {
		assert_int_not_equal(id[i], SHIM_SITE_UNKNOWN);
		assert_int_equal(id[i], id[0]);
	}
	shim_site_set_sink(sink);
	shim_site_flush_pending();
	size_t defs = 0;
	for (size_t i = 0; i < nrecs; i++) {
		uint32_t rid;
		memcpy(&rid, recs[i].body, 4);
		defs += recs[i].type == TRACE_REC_SITE && rid == id[0];
	}
	assert_int_equal(defs, 1);
	/* a thread's stack ends at its start routine, not in clone() */
	struct symbolizer *s = flush_and_symbolize();
	struct sym_frame f[64];
	size_t n = symbolizer_frames(s, id[0], f, 64);
	assert_true(n >= 1 && n <= 64);
	assert_string_equal(f[0].func, "intern_many");
	assert_string_equal(f[n - 1].func, "intern_many");
	symbolizer_delete(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_stack_same_id),
		cmocka_unit_test(test_cached_site_tells_callers_apart),
		cmocka_unit_test(test_replaced_entries_keep_ids),
		cmocka_unit_test(test_site_resolves_to_caller),
		cmocka_unit_test(test_srcloc_by_pointer),
		cmocka_unit_test(test_ucontext_from_sigsegv),
		cmocka_unit_test(test_threads_agree),
	};
	assert_int_equal(shim_site_init(), 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
