/*
 * insn_xstate.h -- reading registers out of an XSAVE image (insn_xstate.c):
 * a signal frame's (standard format) or a trampoline's (compacted format,
 * XSAVEC), honouring XSTATE_BV: a component the image does not hold is in
 * its initial state and reads as zero
 */
#ifndef PMEMU_SHIM_INSN_XSTATE_H
#define PMEMU_SHIM_INSN_XSTATE_H 1

#include <stdbool.h>
#include <stdint.h>

#define XFEATURE_X87 0           /* x87 registers, mm0-7 */
#define XFEATURE_SSE 1           /* xmm0-15 */
#define XFEATURE_YMM 2           /* upper 128 bits of ymm0-15 */
#define XFEATURE_ZMM_HI256 6     /* upper 256 bits of zmm0-15 */
#define XFEATURE_HI16_ZMM 7      /* zmm16-31 */
#define XSTATE_COMPACTED (1ull << 63) /* XCOMP_BV: the format is compacted */

/* true when XCR0 enables component bit and CPUID describes it */
bool insn_xstate_enabled(unsigned bit);
/*
 * the bytes a compacted image (XSAVEC) of the components mask takes,
 * legacy area and header included; 0 when this CPU has no XSAVEC
 */
uint32_t insn_xstate_compacted_len(uint64_t mask);
/*
 * the low width bytes of xmm/ymm/zmm n (0-31) of the image fp (a frame's
 * fpregs: its software bytes at 464 give the features and size) into
 * out; -1 when the image lacks a component it needs
 */
int insn_xstate_vector(const uint8_t *fp, unsigned n, unsigned width,
		uint8_t *out);
/* the 8 bytes of mm n (0-7) of the image fp into out */
void insn_xstate_mmx(const uint8_t *fp, unsigned n, uint8_t *out);

#endif
