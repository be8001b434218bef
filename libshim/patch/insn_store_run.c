/*
 * insn_store_run.c -- the store that faulted on a view page, run by the
 * write-fault handler itself instead of single-stepping it
 * (shim_dirty_fault.c calls it through the hook main.c registers)
 *
 * A step costs the handler's return, the instruction's second run, a
 * debug trap, a second signal and an mprotect each way (~10-19 us on
 * the project's VM, docs/performance.md "Single-stepping a faulting
 * store"); running the store here costs its decoding (insn_store.c) and
 * the write. The write is the instruction's: the same bytes at the same
 * offsets of the page, through the writable alias the caller names (the
 * page itself stays read-only), a general register or immediate in one
 * access of its width, a vector register read out of the signal frame's
 * XSAVE image (insn_xstate.c). A form not decoded, 32-bit code (a
 * compatibility-mode code segment: other encodings), a store that
 * leaves the page or misses the faulting address, a misaligned movaps
 * (a #GP natively), a register the frame lacks: not run, stepped as
 * before. Async-signal-safe, no allocation, no lock.
 */
#include <string.h>
#include <ucontext.h>

#include "insn.h"
#include "insn_store_run.h"
#include "insn_xstate.h"
#include "shim_dirty.h"

#define CODE_MAX 15 /* the longest instruction (SDM vol. 2, 2.3.11) */
#define USER_CS_64 0x33 /* Linux's 64-bit user code segment */
#define CHUNK 64 /* a next store must stay in one: its line is one line */

/* decode_at -- the store at pc: its bytes up to the end of pc's page
 * first, the next page's only when the instruction goes on there (the
 * CPU fetched them: mapped) */
static bool
decode_at(uintptr_t pc, struct insn_store *st)
{
	size_t avail = SHIM_PAGE_LEN - pc % SHIM_PAGE_LEN;
	if (avail > CODE_MAX)
		avail = CODE_MAX;
	int r = insn_store_decode((const uint8_t *)pc, avail, pc, st);
	if (r < 0 && avail < CODE_MAX)
		r = insn_store_decode((const uint8_t *)pc, CODE_MAX, pc, st);
	return r > 0;
}

/* source_bytes -- the bytes st stores, from uc's registers; false when
 * the frame lacks the vector register */
static bool
source_bytes(const struct insn_store *st, const ucontext_t *uc,
		uint8_t *out)
{
	uint64_t v;
	switch (st->site.regfile) {
	case INSN_RF_GPR:
		v = (uint64_t)uc->uc_mcontext.gregs[st->site.src] >> st->shift;
		memcpy(out, &v, 8);
		return true;
	case INSN_RF_NONE:
		memcpy(out, &st->imm, 8);
		return true;
	default:
		return insn_xstate_vector((const uint8_t *)
			uc->uc_mcontext.fpregs, (unsigned)st->site.src,
			st->site.width, out) == 0;
	}
}

/* store_bytes -- width bytes of src at ea; up to 8 in one access, as
 * the instruction makes it (volatile: not split) */
static void
store_bytes(uintptr_t ea, const uint8_t *src, unsigned width)
{
	uint16_t v2;
	uint32_t v4;
	uint64_t v8;
	switch (width) {
	case 1:
		*(volatile uint8_t *)ea = src[0];
		break;
	case 2:
		memcpy(&v2, src, 2);
		*(volatile uint16_t *)ea = v2;
		break;
	case 4:
		memcpy(&v4, src, 4);
		*(volatile uint32_t *)ea = v4;
		break;
	case 8:
		memcpy(&v8, src, 8);
		*(volatile uint64_t *)ea = v8;
		break;
	default:
		memcpy((void *)ea, src, width);
		break;
	}
}

bool
insn_store_run(ucontext_t *uc, uintptr_t addr, uintptr_t page, uintptr_t to)
{
	greg_t *g = uc->uc_mcontext.gregs;
	struct insn_store st;
	uint8_t src[64] __attribute__((aligned(64)));
	if ((g[REG_CSGSFS] & 0xffff) != USER_CS_64 ||
			!decode_at((uintptr_t)g[REG_RIP], &st))
		return false;
	uintptr_t ea = insn_effective_addr(&st.site, uc);
	unsigned width = st.site.width;
	if (ea < page || ea - page > SHIM_PAGE_LEN - width || addr < ea ||
			addr - ea >= width || ea % st.align != 0 ||
			!source_bytes(&st, uc, src))
		return false;
	store_bytes(to + (ea - page), src, width);
	g[REG_RIP] += st.site.len;
	return true;
}

bool
insn_store_next(const ucontext_t *uc, uintptr_t from_pc, uintptr_t *ea)
{
	const greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t pc = (uintptr_t)g[REG_RIP];
	size_t avail = SHIM_PAGE_LEN - pc % SHIM_PAGE_LEN;
	struct insn_store st;
	/* only bytes of the page the store run just came from: mapped */
	if ((g[REG_CSGSFS] & 0xffff) != USER_CS_64 || pc < from_pc ||
			pc / SHIM_PAGE_LEN != from_pc / SHIM_PAGE_LEN ||
			insn_store_decode((const uint8_t *)pc,
				avail < CODE_MAX ? avail : CODE_MAX, pc, &st) <= 0)
		return false;
	uintptr_t a = insn_effective_addr(&st.site, uc);
	/* a misaligned movaps raises #GP, not a page fault */
	if (a % st.align != 0 || a % CHUNK + st.site.width > CHUNK)
		return false;
	*ea = a;
	return true;
}
