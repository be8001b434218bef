/*
 * insn_detail.h -- the scanner's capstone handle with operand details,
 * for the request analysis (insn_request.c); private to insn_*.c
 */
#ifndef PMEMU_INSN_DETAIL_H
#define PMEMU_INSN_DETAIL_H 1

#include <capstone/capstone.h>

#include "insn.h"

/* one instruction at code decoded with details, or NULL (valid until
 * the next call) */
const cs_insn *insn_detail(struct insn_scanner *sc, const uint8_t *code,
		size_t avail, uint64_t addr);
csh insn_detail_handle(struct insn_scanner *sc);
/* 0..15 (ModRM order) for a general register of any width, or -1 */
int insn_gpr_family(const char *name);

#endif
