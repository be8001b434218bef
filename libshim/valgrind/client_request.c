/*
 * client_request.c -- answers the Valgrind client requests of patched
 * code (valgrind.h, pmemcheck.h: %rax points to {request, arg1..arg5},
 * the answer goes to %rdx, which holds the default before)
 *
 * pmemcheck's requests are what libpmemobj tells pmemcheck about its
 * pool: run-time state that need not persist (SET_CLEAN), transactions
 * and the ranges added to them (shim_tx.c). Flushes and fences it
 * declares (DO_FLUSH, DO_FENCE) are only declarations: the flush itself
 * (an instruction, a libpmem call, msync) is what pmemu sees, so they
 * are not counted twice. Every other request (memcheck, helgrind, drd,
 * core) gets the default the program supplied, as without Valgrind.
 * docs/client-requests.md.
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <stdatomic.h>
#include <string.h>

#include "client_request.h"
#include "shim_intercept.h"
#include "shim_region.h"
#include "shim_tx.h"

#define REGISTERED_MAX 64
#define REPROBE_WINDOW 192   /* bytes before a request that build its array */

/* ranges declared by REGISTER_PMEM_MAPPING (lo 0: free) */
static struct {
	_Atomic uintptr_t lo;
	uintptr_t hi;
} registered[REGISTERED_MAX];

/* PMDK's libraries: libpmemobj, libpmemblk, libpmemlog, libpmempool */
static const char *const pmdk_names[] = {
	"libpmemobj.so", "libpmemblk.so", "libpmemlog.so", "libpmempool.so",
};

bool
client_request_module_is_pmdk(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	for (size_t i = 0; i < sizeof(pmdk_names) / sizeof(*pmdk_names); i++)
		if (strncmp(base, pmdk_names[i], strlen(pmdk_names[i])) == 0)
			return true;
	return false;
}

static void
register_range(uintptr_t lo, size_t len)
{
	for (size_t i = 0; i < REGISTERED_MAX && len > 0; i++) {
		uintptr_t expect = 0;
		registered[i].hi = lo + len;
		if (atomic_compare_exchange_strong(&registered[i].lo, &expect,
				lo))
			return;
	}
}

static void
unregister_range(uintptr_t lo, size_t len)
{
	for (size_t i = 0; i < REGISTERED_MAX; i++)
		if (atomic_load(&registered[i].lo) == lo &&
				registered[i].hi == lo + len)
			atomic_store(&registered[i].lo, 0);
}

bool
client_request_is_registered(uintptr_t addr, size_t len)
{
	for (size_t i = 0; i < REGISTERED_MAX; i++) {
		uintptr_t lo = atomic_load(&registered[i].lo);
		if (lo != 0 && addr >= lo && addr + len <= registered[i].hi)
			return true;
	}
	return false;
}

/* the trapped request's context, while it is answered (its site) */
static __thread const ucontext_t *request_uc
	__attribute__((tls_model("initial-exec")));

/* pmc_transaction -- START/END/ADD of pmemcheck's transactions. An
 * explicit (_N) transaction is the calling thread's: libpmemobj uses
 * only implicit ones. */
static void
pmc_transaction(unsigned req, const uint64_t a[6])
{
	switch (req) {
	case PMC_START_TX:
	case PMC_START_TX_N:
		shim_tx_start();
		break;
	case PMC_END_TX:
	case PMC_END_TX_N:
		shim_tx_end();
		break;
	case PMC_ADD_TO_TX:
		shim_tx_add((const void *)a[1], a[2], request_uc);
		break;
	case PMC_ADD_TO_TX_N:
		shim_tx_add((const void *)a[2], a[3], request_uc);
		break;
	case PMC_ADD_TO_GLOBAL_TX_IGNORE:
		shim_tx_ignore((const void *)a[1], a[2]);
		break;
	default: /* REMOVE_FROM_TX(_N), ADD/REMOVE_THREAD: shim_tx.h */
		break;
	}
}

bool
client_request_ignored(uint64_t word)
{
	if (word == CLIENT_REQ_RUNNING_ON_VALGRIND)
		return false;
	if (word < CLIENT_REQ_PMC_BASE || word > CLIENT_REQ_PMC_BASE + 0xff)
		return true;
	switch ((unsigned)(word - CLIENT_REQ_PMC_BASE)) {
	case PMC_REGISTER_PMEM_MAPPING: case PMC_REMOVE_PMEM_MAPPING:
	case PMC_CHECK_IS_PMEM_MAPPING: case PMC_SET_CLEAN:
	case PMC_START_TX: case PMC_START_TX_N: case PMC_END_TX:
	case PMC_END_TX_N: case PMC_ADD_TO_TX: case PMC_ADD_TO_TX_N:
	case PMC_ADD_TO_GLOBAL_TX_IGNORE:
		return false;
	default: /* DO_FLUSH, DO_FENCE, REMOVE_FROM_TX, logs, stats */
		return true;
	}
}

uint64_t
client_request_answer(const uint64_t a[6], uint64_t dflt, uint8_t vg_answer,
		bool act)
{
	if (a[0] == CLIENT_REQ_RUNNING_ON_VALGRIND)
		return vg_answer;
	if (client_request_ignored(a[0]))
		return dflt;
	unsigned req = (unsigned)(a[0] - CLIENT_REQ_PMC_BASE);
	switch (req) {
	case PMC_REGISTER_PMEM_MAPPING:
		register_range(a[1], a[2]);
		return 0;
	case PMC_REMOVE_PMEM_MAPPING:
		unregister_range(a[1], a[2]);
		if (act)
			shim_pmem_remove((const void *)a[1], a[2]);
		return 0;
	case PMC_CHECK_IS_PMEM_MAPPING:
		return client_request_is_registered(a[1], a[2]) ||
			shim_mapping_lookup((const void *)a[1]) != NULL;
	case PMC_SET_CLEAN:
		if (act)
			shim_ev_set_clean((const void *)a[1], a[2], 0);
		return 0;
	case PMC_START_TX: case PMC_START_TX_N: case PMC_END_TX:
	case PMC_END_TX_N: case PMC_ADD_TO_TX: case PMC_ADD_TO_TX_N:
	case PMC_ADD_TO_GLOBAL_TX_IGNORE:
		if (act)
			pmc_transaction(req, a);
		return 0;
	default: /* not reached: client_request_ignored */
		return dflt;
	}
}

void
client_request_trap(const struct insn_site *s, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	const uint64_t *args = (const uint64_t *)g[REG_RAX];
	/* as the plugin hooks: nothing while the shim is inactive or
	 * already running on this thread (answers are given all the same) */
	int saved;
	bool act = shim_enter(&saved);
	request_uc = uc;
	g[REG_RDX] = (greg_t)client_request_answer(args, (uint64_t)g[REG_RDX],
			s->vg_answer, act);
	request_uc = NULL;
	if (act)
		shim_leave(saved);
}

/*
 * builds_running_on_valgrind -- the bytes before the request at pre set
 * its request word to 0x1001: a movq $0x1001 (REX.W C7 /0, imm32) with
 * any memory operand
 */
static bool
builds_running_on_valgrind(const uint8_t *pre, size_t window)
{
	static const uint8_t imm[4] = { 0x01, 0x10, 0x00, 0x00 };
	for (size_t i = 4; i <= window; i++) {
		if (memcmp(pre - i, imm, 4) != 0)
			continue;
		for (size_t k = 2; k <= 7 && i + k + 1 <= window; k++)
			if (pre[-(ptrdiff_t)(i + k)] == 0xc7 &&
					(pre[-(ptrdiff_t)(i + k + 1)] & 0xf8) ==
					0x48)
				return true;
	}
	return false;
}

void
client_request_reprobe(const struct insn_site *sites, size_t n,
		uintptr_t text_lo)
{
	uintptr_t probe = 0;
	for (size_t i = 0; i < n; i++) {
		const struct insn_site *s = &sites[i];
		if (s->kind != INSN_CLIENT_REQ || s->vg_answer == 0)
			continue;
		uintptr_t pre = s->addr + INSN_XCHG_RBX_LEN - INSN_CLIENT_REQ_LEN;
		size_t window = pre - text_lo < REPROBE_WINDOW ?
			pre - text_lo : REPROBE_WINDOW;
		if (!builds_running_on_valgrind((const uint8_t *)pre, window))
			continue;
		unw_proc_info_t pi;
		if (unw_get_proc_info_by_ip(unw_local_addr_space, s->addr, &pi,
				NULL) < 0 || pi.start_ip == 0)
			return;
		if (probe != 0 && probe != pi.start_ip)
			return; /* two probe functions: not PMDK's util_init */
		probe = pi.start_ip;
	}
	if (probe != 0)
		((void (*)(void))probe)();
}

