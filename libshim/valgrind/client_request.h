/*
 * client_request.h -- Valgrind client requests in uninstrumented code:
 * found by the scanner (insn_scan.c), patched to trap like a flush
 * (insn_patch.c), answered here. pmemcheck's requests (libpmemobj's
 * run-time state, transactions) become model events; the others get
 * their default answer, as natively. docs/client-requests.md.
 */
#ifndef PMEMU_CLIENT_REQUEST_H
#define PMEMU_CLIENT_REQUEST_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

#include "insn.h"

/* valgrind.h: VG_USERREQ__RUNNING_ON_VALGRIND */
#define CLIENT_REQ_RUNNING_ON_VALGRIND 0x1001u
/* pmemcheck.h: VG_USERREQ_TOOL_BASE('P','C') */
#define CLIENT_REQ_PMC_BASE 0x50430000u

/* pmemcheck's requests, numbered from CLIENT_REQ_PMC_BASE (pmemcheck.h
 * fixes this order as an ABI) */
enum client_req_pmc {
	PMC_REGISTER_PMEM_MAPPING = 0,
	PMC_REGISTER_PMEM_FILE = 1,
	PMC_REMOVE_PMEM_MAPPING = 2,
	PMC_CHECK_IS_PMEM_MAPPING = 3,
	PMC_PRINT_PMEM_MAPPINGS = 4,
	PMC_DO_FLUSH = 5,
	PMC_DO_FENCE = 6,
	PMC_WRITE_STATS = 8,
	PMC_LOG_STORES = 9,
	PMC_NO_LOG_STORES = 10,
	PMC_ADD_LOG_REGION = 11,
	PMC_REMOVE_LOG_REGION = 12,
	PMC_SET_CLEAN = 17,
	PMC_START_TX = 18,
	PMC_START_TX_N = 19,
	PMC_END_TX = 20,
	PMC_END_TX_N = 21,
	PMC_ADD_TO_TX = 22,
	PMC_ADD_TO_TX_N = 23,
	PMC_REMOVE_FROM_TX = 24,
	PMC_REMOVE_FROM_TX_N = 25,
	PMC_ADD_THREAD_TO_TX_N = 26,
	PMC_REMOVE_THREAD_FROM_TX_N = 27,
	PMC_ADD_TO_GLOBAL_TX_IGNORE = 28,
	PMC_EMIT_LOG = 30,
};

/*
 * the answer to request args[0] with arguments args[1..5], given the
 * default the program put in %rdx; acts on the shim when `act` (the shim
 * is active and not running on this thread)
 */
uint64_t client_request_answer(const uint64_t args[6], uint64_t dflt,
		uint8_t vg_answer, bool act);
/*
 * true when request word gets the program's default answer and changes
 * nothing (DO_FLUSH, DO_FENCE, REMOVE_FROM_TX, memcheck's...): a request
 * whose word is this constant needs no trap (insn_request.c)
 */
bool client_request_ignored(uint64_t word);
/* the trap at the xchg of site s: answer into %rdx of uc */
void client_request_trap(const struct insn_site *s, ucontext_t *uc);

/* true for PMDK's libraries: RUNNING_ON_VALGRIND answers 1 there */
bool client_request_module_is_pmdk(const char *path);
/*
 * A library's constructor ran before libpmemu patched it (ld.so runs the
 * program's libraries' constructors before a preloaded one's), so PMDK's
 * util_init() asked RUNNING_ON_VALGRIND natively and turned pmemcheck
 * support off. After patching a PMDK module, this calls again the
 * function that holds its RUNNING_ON_VALGRIND request (util_init: it only
 * sets flags), found through the unwind tables.
 */
void client_request_reprobe(const struct insn_site *sites, size_t n,
		uintptr_t text_lo);

/* the ranges REGISTER_PMEM_MAPPING declared, for CHECK_IS_PMEM_MAPPING */
bool client_request_is_registered(uintptr_t addr, size_t len);

#endif
