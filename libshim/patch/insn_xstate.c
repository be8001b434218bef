/*
 * insn_xstate.c -- registers out of an XSAVE image (SDM vol. 1, 13.4-13.8)
 *
 * xmm0-15 and mm0-7 live in the legacy (FXSAVE) area, the upper halves of
 * ymm and zmm and zmm16-31 in components behind the 64-byte header. In
 * the standard format (a signal frame's) component i is at the offset
 * CPUID leaf 0xD sub-leaf i gives; in the compacted one (XSAVEC, the
 * trampolines': XCOMP_BV bit 63) the components of XCOMP_BV follow each
 * other from byte 576, each aligned to 64 when sub-leaf i says so. The
 * header's XSTATE_BV says which components were written: XSAVEC (and
 * XSAVE's init optimization) leave a component in its initial state,
 * all zero, unwritten.
 */
#include <cpuid.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>

#include "insn_xstate.h"

#define FXSAVE_SW_BYTES_OFF 464  /* struct _fpx_sw_bytes of the frame */
#define XSAVE_HEADER_OFF 512     /* XSTATE_BV, then XCOMP_BV */
#define XSAVE_COMPONENTS_OFF 576 /* the first extended component */
#define FP_XSTATE_MAGIC 0x46505853u
#define XSTATE_MAX 8             /* x87 ... Hi16_ZMM */

/* where this CPU puts each component */
static struct {
	bool ready, compacted;        /* probed; XSAVEC runs */
	uint64_t xcr0;
	uint32_t off[XSTATE_MAX];     /* standard format offset */
	uint32_t len[XSTATE_MAX];
	bool align[XSTATE_MAX];       /* compacted: aligned to 64 */
} xs;

/* probe -- CPUID leaf 0xD and XCR0; once, before any image is read */
static void
probe(void)
{
	unsigned a, b, c, d;
	if (xs.ready)
		return;
	if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 27))) { /* OSXSAVE */
		uint32_t lo, hi;
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		xs.xcr0 = ((uint64_t)hi << 32) | lo;
		for (unsigned i = 2; i < XSTATE_MAX; i++)
			if (__get_cpuid_count(0xd, i, &a, &b, &c, &d)) {
				xs.len[i] = a;
				xs.off[i] = b;
				xs.align[i] = c & 2;
			}
		xs.compacted = __get_cpuid_count(0xd, 1, &a, &b, &c, &d) &&
				(a & 2);
	}
	xs.ready = true;
}

bool
insn_xstate_enabled(unsigned bit)
{
	probe();
	return bit < XSTATE_MAX && (xs.xcr0 & (1ull << bit)) &&
			(bit < 2 || xs.off[bit] != 0);
}

/* compacted_off -- where component bit starts in a compacted image of
 * the components xcomp, or 0 when it has none */
static uint32_t
compacted_off(uint64_t xcomp, unsigned bit)
{
	uint32_t off = XSAVE_COMPONENTS_OFF;
	for (unsigned i = 2; i < XSTATE_MAX; i++) {
		if (!(xcomp & (1ull << i)))
			continue;
		if (xs.align[i])
			off = (off + 63) & ~63u;
		if (i == bit)
			return off;
		off += xs.len[i];
	}
	return 0;
}

uint32_t
insn_xstate_compacted_len(uint64_t mask)
{
	probe();
	if (!xs.compacted)
		return 0;
	uint32_t end = XSAVE_COMPONENTS_OFF;
	for (unsigned i = 2; i < XSTATE_MAX; i++)
		if (mask & (1ull << i)) {
			uint32_t off = compacted_off(mask, i);
			if (off + xs.len[i] > end)
				end = off + xs.len[i];
		}
	return end;
}

/* header -- the image's features (0: an FXSAVE image only), size,
 * XSTATE_BV and XCOMP_BV */
struct header {
	uint64_t features, present, xcomp;
	uint32_t size;
};

static struct header
header_of(const uint8_t *fp)
{
	struct header h = { 0 };
	uint32_t magic;
	memcpy(&magic, fp + FXSAVE_SW_BYTES_OFF, 4);
	if (magic != FP_XSTATE_MAGIC)
		return h;
	memcpy(&h.features, fp + FXSAVE_SW_BYTES_OFF + 8, 8);
	memcpy(&h.size, fp + FXSAVE_SW_BYTES_OFF + 16, 4);
	memcpy(&h.present, fp + XSAVE_HEADER_OFF, 8);
	memcpy(&h.xcomp, fp + XSAVE_HEADER_OFF + 8, 8);
	return h;
}

/* legacy_init -- the legacy component bit (x87, SSE) is in its initial
 * state and the image did not write it */
static bool
legacy_init(const uint8_t *fp, unsigned bit)
{
	struct header h = header_of(fp);
	return h.features != 0 && !(h.present & (1ull << bit));
}

/* copy_xstate -- len bytes at off of extended component bit into out
 * (zero when in its initial state); -1 if the image has no such one */
static int
copy_xstate(const uint8_t *fp, unsigned bit, uint32_t off, uint32_t len,
		uint8_t *out)
{
	probe();
	struct header h = header_of(fp);
	if (!(h.features & (1ull << bit)))
		return -1;
	uint32_t at = h.xcomp & XSTATE_COMPACTED ? compacted_off(h.xcomp, bit)
			: xs.off[bit];
	if (at == 0 || at + off + len > h.size)
		return -1;
	if (h.present & (1ull << bit))
		memcpy(out, fp + at + off, len);
	else
		memset(out, 0, len);
	return 0;
}

int
insn_xstate_vector(const uint8_t *fp, unsigned n, unsigned width,
		uint8_t *out)
{
	const struct _libc_fpstate *fx = (const struct _libc_fpstate *)fp;
	if (fp == NULL)
		return -1;
	if (n >= 16) /* zmm16-31 live whole in Hi16_ZMM */
		return copy_xstate(fp, XFEATURE_HI16_ZMM, (n - 16) * 64, width,
				out);
	unsigned low = width < 16 ? width : 16;
	if (legacy_init(fp, XFEATURE_SSE))
		memset(out, 0, low);
	else
		memcpy(out, &fx->_xmm[n], low);
	if (width > 16 && copy_xstate(fp, XFEATURE_YMM, n * 16, 16,
			out + 16) < 0)
		return -1;
	if (width > 32 && copy_xstate(fp, XFEATURE_ZMM_HI256, n * 32, 32,
			out + 32) < 0)
		return -1;
	return 0;
}

void
insn_xstate_mmx(const uint8_t *fp, unsigned n, uint8_t *out)
{
	const struct _libc_fpstate *fx = (const struct _libc_fpstate *)fp;
	if (legacy_init(fp, XFEATURE_X87)) {
		memset(out, 0, 8);
		return;
	}
	/* mmN is physical x87 register N; FXSAVE keeps ST(i) order,
	 * ST(i) = R[(TOP + i) mod 8] (SDM vol. 1, 9.5.1) */
	unsigned top = (fx->swd >> 11) & 7;
	memcpy(out, fx->_st[(n - top) & 7].significand, 8);
}
