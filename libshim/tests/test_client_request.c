/*
 * test_client_request.c -- Valgrind client requests: the scanner finds
 * them, a patched one traps, and client_request.c answers it and drives
 * the transaction and clean-range doors (doubles here)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "client_request.h"
#include "insn.h"
#include "insn_trap.h"
#include "shim_fatal.h"
#include "shim_region.h"
#include "shim_tx.h"

__thread int shim_depth;
volatile bool shim_active = true;
atomic_uint shim_tx_open_count;

static uint8_t pmem[4096] __attribute__((aligned(4096)));
static struct shim_mapping fake_mapping;

/* what the doors were asked */
static char calls[256];

static void
called(const char *what)
{
	strncat(calls, what, sizeof(calls) - strlen(calls) - 1);
}

void shim_tx_start(void) { called("start "); }
void shim_tx_end(void) { called("end "); }
void shim_tx_add(const void *a, size_t l, const ucontext_t *uc)
{
	(void)a; (void)l; (void)uc;
	called("add ");
}
void shim_tx_ignore(const void *a, size_t l) { (void)a; (void)l;
	called("ignore "); }
void shim_pmem_remove(const void *a, size_t l) { (void)a; (void)l;
	called("remove "); }
void shim_ev_set_clean(const void *a, size_t l, uint32_t site)
{
	(void)site;
	assert_ptr_equal(a, pmem + 64);
	assert_int_equal(l, 8);
	called("clean ");
}
void shim_tx_event_slow(const struct model_event *ev) { (void)ev; }
void shim_ev_flush(const void *a, size_t l, enum model_ev k, uint32_t s)
{ (void)a; (void)l; (void)k; (void)s; called("flush "); }
void shim_ev_fence(enum model_ev k, uint32_t s) { (void)k; (void)s;
	called("fence "); }
void shim_ev_nt_store(void *a, size_t l, uint32_t s) { (void)a; (void)l;
	(void)s; }
void shim_ev_movdir64b(void *a, uint32_t s) { (void)a; (void)s; }
uint32_t shim_site_ucontext(const ucontext_t *uc) { (void)uc; return 1; }

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

/* request -- a client request as valgrind.h's amd64 macro emits it */
__attribute__((noinline, aligned(64))) static uint64_t
request(uint64_t dflt, uint64_t req, uint64_t a1, uint64_t a2)
{
	volatile uint64_t args[6] = { req, a1, a2, 0, 0, 0 };
	uint64_t res;
	__asm__ volatile("rolq $3, %%rdi\n\trolq $13, %%rdi\n\t"
			"rolq $61, %%rdi\n\trolq $51, %%rdi\n\t"
			"xchgq %%rbx, %%rbx"
			: "=d"(res) : "a"(&args[0]), "0"(dflt)
			: "cc", "memory", "rdi");
	return res;
}

#define PMC(n) (CLIENT_REQ_PMC_BASE + (n))

static int
collect(void *ctx, const struct insn_site *s)
{
	struct insn_table *t = ctx;
	if (s->kind == INSN_CLIENT_REQ)
		t->sites[t->n++] = *s;
	return 0;
}

/* patch -- scan request(), publish its site (vg_answer), int3 on it */
static void
patch(uint8_t vg_answer)
{
	static struct insn_table *t;
	struct insn_scanner *sc = insn_scanner_new();
	size_t len = 256;
	uint8_t code[256];
	memcpy(code, (const void *)request, len);
	if (t == NULL) {
		t = calloc(1, sizeof(*t) + 8 * sizeof(t->sites[0]));
		insn_scan(sc, code, len, (uintptr_t)request, collect, t);
		assert_int_equal(t->n, 1);
	}
	insn_scanner_delete(sc);
	t->sites[0].vg_answer = vg_answer;
	insn_table_publish(t);
	uintptr_t page = t->sites[0].addr & ~4095ul;
	assert_int_equal(mprotect((void *)page, 8192,
			PROT_READ | PROT_WRITE | PROT_EXEC), 0);
	*(volatile uint8_t *)t->sites[0].addr = 0xcc;
	mprotect((void *)page, 8192, PROT_READ | PROT_EXEC);
}

static void
test_scanner_finds_the_request(void **state)
{
	(void)state;
	static const uint8_t bytes[] = { 0x90,
		0x48, 0xc1, 0xc7, 0x03, 0x48, 0xc1, 0xc7, 0x0d,
		0x48, 0xc1, 0xc7, 0x3d, 0x48, 0xc1, 0xc7, 0x33,
		0x48, 0x87, 0xdb, 0xc3 };
	struct insn_table *t = calloc(1, sizeof(*t) + 4 * sizeof(t->sites[0]));
	struct insn_scanner *sc = insn_scanner_new();
	insn_scan(sc, bytes, sizeof(bytes), 0x1000, collect, t);
	insn_scanner_delete(sc);
	assert_int_equal(t->n, 1);
	assert_int_equal(t->sites[0].addr, 0x1000 + 1 + 16);
	assert_int_equal(t->sites[0].len, 3);
	assert_int_equal(t->sites[0].orig, 0x48);
	assert_true(insn_may_have_targets(bytes, sizeof(bytes)));
	/* a plain xchg %rbx,%rbx or a cut preamble is no request */
	assert_false(insn_may_have_targets(bytes + 2, sizeof(bytes) - 2));
	assert_false(insn_client_request_at(bytes + 1, sizeof(bytes) - 3));
	free(t);
}

static void
test_unpatched_request_gives_default(void **state)
{
	(void)state;
	assert_int_equal(request(7, CLIENT_REQ_RUNNING_ON_VALGRIND, 0, 0), 7);
}

static void
test_running_on_valgrind_per_module(void **state)
{
	(void)state;
	patch(0);
	assert_int_equal(request(7, CLIENT_REQ_RUNNING_ON_VALGRIND, 0, 0), 0);
	patch(1);
	assert_int_equal(request(7, CLIENT_REQ_RUNNING_ON_VALGRIND, 0, 0), 1);
	/* memcheck's VALGRIND_GET_VBITS and others: their default */
	assert_int_equal(request(5, 0x4d430008, 0, 0), 5);
	assert_int_equal(request(9, 0x1801, 1, 0), 9);
}

static void
test_pmem_mapping_registry(void **state)
{
	(void)state;
	static unsigned probe;
	patch(1);
	uint64_t a = (uintptr_t)&probe;
	assert_int_equal(request(0, PMC(PMC_CHECK_IS_PMEM_MAPPING), a, 4), 0);
	request(0, PMC(PMC_REGISTER_PMEM_MAPPING), a, 4);
	assert_int_equal(request(0, PMC(PMC_CHECK_IS_PMEM_MAPPING), a, 4), 1);
	calls[0] = '\0';
	request(0, PMC(PMC_REMOVE_PMEM_MAPPING), a, 4);
	assert_string_equal(calls, "remove ");
	assert_int_equal(request(0, PMC(PMC_CHECK_IS_PMEM_MAPPING), a, 4), 0);
	/* emulated memory is pmem */
	assert_int_equal(request(0, PMC(PMC_CHECK_IS_PMEM_MAPPING),
			(uintptr_t)pmem, 8), 1);
}

static void
test_pmemcheck_requests_drive_the_doors(void **state)
{
	(void)state;
	patch(1);
	calls[0] = '\0';
	request(0, PMC(PMC_START_TX), 0, 0);
	request(0, PMC(PMC_ADD_TO_TX), (uintptr_t)pmem, 16);
	request(0, PMC(PMC_REMOVE_FROM_TX), (uintptr_t)pmem, 16);
	request(0, PMC(PMC_ADD_TO_GLOBAL_TX_IGNORE), (uintptr_t)pmem, 16);
	request(0, PMC(PMC_SET_CLEAN), (uintptr_t)pmem + 64, 8);
	/* declared flushes and fences: seen where they happen, not here */
	request(0, PMC(PMC_DO_FLUSH), (uintptr_t)pmem, 64);
	request(0, PMC(PMC_DO_FENCE), 0, 0);
	request(0, PMC(PMC_END_TX), 0, 0);
	assert_string_equal(calls, "start add ignore clean end ");
}

static void
test_nothing_while_inactive_or_nested(void **state)
{
	(void)state;
	patch(1);
	calls[0] = '\0';
	shim_active = false;
	request(0, PMC(PMC_START_TX), 0, 0);
	shim_active = true;
	shim_depth = 1;
	request(0, PMC(PMC_START_TX), 0, 0);
	/* answers are given all the same */
	assert_int_equal(request(7, CLIENT_REQ_RUNNING_ON_VALGRIND, 0, 0), 1);
	shim_depth = 0;
	assert_string_equal(calls, "");
}

static void
test_pmdk_modules(void **state)
{
	(void)state;
	assert_true(client_request_module_is_pmdk(
			"/usr/lib/x86_64-linux-gnu/libpmemobj.so.1"));
	assert_true(client_request_module_is_pmdk("libpmemblk.so.1"));
	assert_false(client_request_module_is_pmdk("/usr/lib/libpmem.so.1"));
	assert_false(client_request_module_is_pmdk(""));
}

int
main(void)
{
	if (insn_trap_install() != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scanner_finds_the_request),
		cmocka_unit_test(test_unpatched_request_gives_default),
		cmocka_unit_test(test_running_on_valgrind_per_module),
		cmocka_unit_test(test_pmem_mapping_registry),
		cmocka_unit_test(test_pmemcheck_requests_drive_the_doors),
		cmocka_unit_test(test_nothing_while_inactive_or_nested),
		cmocka_unit_test(test_pmdk_modules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
