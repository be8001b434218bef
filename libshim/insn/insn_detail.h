/*
 * insn_detail.h -- capstone (loaded on demand) and the scanner's handle
 * with operand details, for the request analysis (insn_request.c);
 * private to insn_*.c
 */
#ifndef PMEMU_INSN_DETAIL_H
#define PMEMU_INSN_DETAIL_H 1

#include <capstone/capstone.h>

#include "insn.h"

/* capstone's functions, set by insn_capstone_load (insn_capstone.c) */
struct insn_capstone {
	__typeof__(&cs_open) cs_open;
	__typeof__(&cs_option) cs_option;
	__typeof__(&cs_malloc) cs_malloc;
	__typeof__(&cs_free) cs_free;
	__typeof__(&cs_close) cs_close;
	__typeof__(&cs_disasm_iter) cs_disasm_iter;
	__typeof__(&cs_reg_name) cs_reg_name;
	__typeof__(&cs_insn_group) cs_insn_group;
	__typeof__(&cs_regs_access) cs_regs_access;
};
extern struct insn_capstone insn_cs;
/* loads capstone once; false when it cannot. Not in a signal handler:
 * it loads a library. A handle (csh) exists only after it returned true */
bool insn_capstone_load(void);

#define INSN_MAX_LEN 15 /* SDM 2.3.11 */

/* the legacy prefixes and REX in front of an opcode */
struct insn_prefixes {
	size_t len;      /* prefix bytes, REX included */
	bool opsize;     /* 66 */
	bool addr32;     /* 67 */
	bool lock;       /* F0 */
	uint8_t rep;     /* the last F2/F3, or 0 */
	uint8_t seg;     /* 64 (fs) / 65 (gs), or 0 */
	uint8_t rex;     /* 0x40..0x4f, or 0 */
};
/* the prefixes at code (avail bytes); a REX counts only when last */
void insn_prefixes_read(const uint8_t *code, size_t avail,
		struct insn_prefixes *p);
/*
 * decodes the ModRM operand at code (SDM 2.1.5, 2.2.1) with the REX bits
 * rex: its memory operand into s (base, index, scale, disp), the reg
 * field into *reg, the mod field into *mod; the bytes it used, or 0 when
 * code ends first
 */
size_t insn_modrm_read(const uint8_t *code, size_t avail, uint8_t rex,
		struct insn_site *s, int *reg, int *mod);
/* ucontext gregs index of general register number 0..15 (ModRM order) */
extern const int8_t insn_greg_of_num[16];

/* one instruction at code decoded with details, or NULL (valid until
 * the next call) */
const cs_insn *insn_detail(struct insn_scanner *sc, const uint8_t *code,
		size_t avail, uint64_t addr);
csh insn_detail_handle(struct insn_scanner *sc);
/* 0..15 (ModRM order) for a general register of any width, or -1 */
int insn_gpr_family(const char *name);

/*
 * a range no branch may enter, [lo, hi] (inclusive), in the linear sweep
 * [sweep_lo, sweep_hi) that decoded it (insn_request.c)
 */
struct insn_window {
	uint64_t lo, hi;
	uint64_t sweep_lo, sweep_hi;
	size_t site;          /* the caller's */
	bool entered;         /* out: a direct branch may land in it */
};
/*
 * sets entered of the n windows (not overlapping; sorted here): every
 * byte of code[] that could start a direct jcc/jmp/call/loop/jrcxz
 * aiming into a window counts, unless the window's sweep decodes that
 * byte as no instruction start (a superset of the real branches)
 */
void insn_windows_check(struct insn_scanner *sc, struct insn_window *w,
		size_t n, const struct insn_range *code, size_t ncode);

#endif
