/*
 * insn_tramp.h -- the trampolines at run time (insn_tramp.c)
 */
#ifndef PMEMU_SHIM_INSN_TRAMP_H
#define PMEMU_SHIM_INSN_TRAMP_H 1

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <ucontext.h>

#include "insn.h"

/* true when this CPU and kernel let trampolines save the whole register
 * state (xsave); false: every site traps */
bool insn_tramp_ready(void);
/*
 * the trampolines of the planned sites of sites[0, n) (one module,
 * sorted), mapped within reach of a rel32; sets their tramp, returns how
 * many were made
 */
size_t insn_tramp_module(struct insn_site *sites, size_t n);

#endif
