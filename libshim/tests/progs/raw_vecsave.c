/*
 * raw_vecsave.c -- the registers a program holds across a patched site
 * come back unchanged, and a streaming store reads its source from the
 * right place: every vector register (zmm0-31 and k1-7 with AVX-512,
 * else ymm0-15), mm0-7 and MXCSR are loaded with a pattern, a client
 * request, a clwb and an sfence run (each jumps to a trampoline under
 * pmemu: the shim's C code and libc clobber vector registers and flags)
 * and the registers are read back, the flags too (three patterns, one
 * with DF set). Then vmovntdq from zmm5 and zmm21 twice at
 * the same stack depth: once full, once with their upper state in its
 * initial state (vzeroupper, xrstor of Hi16_ZMM's init), which an
 * XSAVEC image does not write: the second must store zeros, not what the
 * first left in the save area. And a clwb site leaves the upper state
 * of ymm0-15 in its initial state (XINUSE) when it found it there. And
 * with every upper half of zmm0-15 zero, or all but one byte of one
 * register (each register, at bits 128-255 and 256-511), every register
 * survives the sites (the entry's vzeroupper, and whether it moves those
 * halves at all, are decided on them).
 * Exit 1 with a line per difference.
 *   raw_vecsave FILE [avx]   (avx: the AVX round trip, as without AVX-512)
 */
#include <cpuid.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void *raw_map(int argc, char **argv, size_t len);
void raw_digest(const char *label, const void *p, size_t len);
int raw_patched(const uint8_t *site);

#define SITE(name, insn) ".globl " #name "\n" #name ":\n\t" insn "\n"
#define NOINLINE __attribute__((noinline))
#define MXCSR_ODD 0xff80u /* round toward zero, flush to zero, masked */
#define MXCSR_DEFAULT 0x1f80u
#define FLAGS_KEPT 0xcd5u /* CF PF AF ZF SF DF OF */
/* the flags across the sites: all arithmetic ones set, none, DF and CF */
static const uint64_t flag_sets[] = { 0x8d7, 0x002, 0x403 };

struct regs {
	uint8_t vec[32][64] __attribute__((aligned(64)));
	uint64_t k[8];
	uint64_t mm[8];
	uint32_t mxcsr, mxcsr_after;  /* loaded across the sites, then */
	uint64_t flags;               /* across the clwb and the sfence */
};

/* the client request's arguments: RUNNING_ON_VALGRIND, from a register
 * (not a constant: pmemu answers those without a trampoline) */
static uint64_t request_args[6];

#define REQUEST "rolq $3, %%rdi\n\trolq $13, %%rdi\n\t" \
	"rolq $61, %%rdi\n\trolq $51, %%rdi\n\t"
#define IRP(insn) ".irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t" \
	insn "\n\t.endr\n\t"
#define IRP_HI(insn) ".irp r,16,17,18,19,20,21,22,23,24,25,26,27,28," \
	"29,30,31\n\t" insn "\n\t.endr\n\t"
#define LOAD_MISC "ldmxcsr %c[mx](%[in])\n\t" \
	".irp r,0,1,2,3,4,5,6,7\n\tmovq 8*\\r+%c[mm](%[in]), %%mm\\r\n\t.endr\n\t"
#define STORE_MISC "stmxcsr %c[mx](%[out])\n\t" \
	".irp r,0,1,2,3,4,5,6,7\n\tmovq %%mm\\r, 8*\\r+%c[mm](%[out])\n\t.endr\n\t" \
	"emms\n\tldmxcsr 4+%c[mx](%[in])\n\t"
#define OPERANDS [in] "r"(in), [out] "r"(out), [line] "r"(line), \
	"a"(request_args), [mx] "i"(offsetof(struct regs, mxcsr)), \
	[mm] "i"(offsetof(struct regs, mm)), \
	[fl] "i"(offsetof(struct regs, flags))
#define CLOBBER_XMM "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", \
	"xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", \
	"xmm14", "xmm15", "mm0", "mm1", "mm2", "mm3", "mm4", "mm5", "mm6", \
	"mm7", "rdi", "rdx", "memory", "cc"
#define CLOBBER_ZMM CLOBBER_XMM, "xmm16", "xmm17", "xmm18", "xmm19", \
	"xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", \
	"xmm27", "xmm28", "xmm29", "xmm30", "xmm31", "k1", "k2", "k3", \
	"k4", "k5", "k6", "k7"

/* the three patched sites between a load and a store of the registers
 * (the request first: a jump from the sfence would displace its rolq;
 * the flags around the sfence: the rolq change them; a nop after it: a
 * jump does not displace pushf), the red zone stepped over */
#define SITES(tag) \
	REQUEST SITE(vecsave_request_##tag, "xchgq %%rbx, %%rbx") \
	SITE(vecsave_clwb_##tag, "clwb (%[line])") \
	"lea -128(%%rsp), %%rsp\n\tpushq %c[fl](%[in])\n\tpopfq\n\t" \
	SITE(vecsave_sfence_##tag, "sfence") "nopl 0(%%rax, %%rax)\n\t" \
	"pushfq\n\tpopq %c[fl](%[out])\n\tlea 128(%%rsp), %%rsp\n\tcld\n\t"

static NOINLINE __attribute__((target("avx512f,avx512bw,clwb"))) void
across_zmm(const struct regs *in, struct regs *out, uint8_t *line)
{
	__asm__ volatile(
		IRP("vmovdqu64 64*\\r(%[in]), %%zmm\\r")
		IRP_HI("vmovdqu64 64*\\r(%[in]), %%zmm\\r")
		".irp r,0,1,2,3,4,5,6,7\n\t"
		"kmovq 2048+8*\\r(%[in]), %%k\\r\n\t.endr\n\t"
		LOAD_MISC SITES(zmm) STORE_MISC
		IRP("vmovdqu64 %%zmm\\r, 64*\\r(%[out])")
		IRP_HI("vmovdqu64 %%zmm\\r, 64*\\r(%[out])")
		".irp r,0,1,2,3,4,5,6,7\n\t"
		"kmovq %%k\\r, 2048+8*\\r(%[out])\n\t.endr\n\tvzeroupper"
		:: OPERANDS : CLOBBER_ZMM);
}

static NOINLINE __attribute__((target("avx,clwb"))) void
across_ymm(const struct regs *in, struct regs *out, uint8_t *line)
{
	__asm__ volatile(
		IRP("vmovdqu 64*\\r(%[in]), %%ymm\\r")
		LOAD_MISC SITES(ymm) STORE_MISC
		IRP("vmovdqu %%ymm\\r, 64*\\r(%[out])") "vzeroupper"
		:: OPERANDS : CLOBBER_XMM);
}

/* the streaming stores from zmm5 and zmm21: full (clean = 0) or with
 * their upper components in the initial state (clean = 1) */
static NOINLINE __attribute__((target("avx512f"))) void
nt_from(uint8_t *dst, const uint8_t *src, int clean, uint8_t *xarea)
{
	__asm__ volatile(
		"test %[clean], %[clean]\n\tjnz 1f\n\t"
		"vmovdqu64 (%[src]), %%zmm5\n\t"
		"vmovdqu64 64(%[src]), %%zmm21\n\tjmp 2f\n"
		"1:\n\tvmovdqu (%[src]), %%xmm5\n\tvzeroupper\n\t"
		"xrstor64 (%[xarea])\n"      /* Hi16_ZMM: its initial state */
		"2:\n\t"
		SITE(vecsave_nt_zmm5, "vmovntdq %%zmm5, (%[dst])")
		SITE(vecsave_nt_zmm21, "vmovntdq %%zmm21, 64(%[dst])")
		"sfence\n\tvzeroupper"
		:: [dst] "r"(dst), [src] "r"(src), [clean] "r"(clean),
		[xarea] "r"(xarea), "a"(0x80), "d"(0)
		: "xmm5", "xmm21", "memory", "cc");
}

/* the upper state of ymm0-15 (XINUSE bit 2, xgetbv 1) after vzeroupper,
 * before and after a clwb site: in its initial state both times (a
 * trampoline that loads the registers back must put it back there) */
static NOINLINE __attribute__((target("avx,clwb"))) void
upper_across(uint8_t *line, uint32_t *before, uint32_t *after)
{
	__asm__ volatile(
		"vzeroupper\n\tmov $1, %%ecx\n\txgetbv\n\tmov %%eax, %[b]\n\tnop\n\t"
		SITE(vecsave_clwb_upper, "clwb (%[line])") "nopl 0(%%rax, %%rax)\n\t"
		"mov $1, %%ecx\n\txgetbv\n\tmov %%eax, %[a]"
		: [b] "=m"(*before), [a] "=m"(*after) : [line] "r"(line)
		: "rax", "rcx", "rdx", "memory");
}

extern const uint8_t vecsave_clwb_zmm[], vecsave_sfence_zmm[],
	vecsave_request_zmm[], vecsave_clwb_ymm[], vecsave_sfence_ymm[],
	vecsave_request_ymm[], vecsave_nt_zmm5[], vecsave_nt_zmm21[],
	vecsave_clwb_upper[];

/* differ -- says where got and want differ; the count of differences */
static int
differ(const char *what, const void *got, const void *want, size_t len)
{
	if (memcmp(got, want, len) == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (((const uint8_t *)got)[i] != ((const uint8_t *)want)[i]) {
			printf("%s: byte %zu differs\n", what, i);
			break;
		}
	return 1;
}

/* registers -- the round trip across the sites with these flags;
 * differences (sites: how many were patched, when not NULL) */
static int
registers(uint8_t *line, int avx512, uint64_t flags, unsigned *sites)
{
	static struct regs in, out;
	for (size_t i = 0; i < sizeof(in.vec); i++)
		((uint8_t *)in.vec)[i] = (uint8_t)(i * 131 + 7);
	for (int i = 0; i < 8; i++) {
		in.k[i] = 0x0123456789abcdefull * (uint64_t)(i + 3);
		in.mm[i] = 0xfedcba9876543210ull ^ (uint64_t)i << 40;
	}
	in.mxcsr = MXCSR_ODD;
	in.mxcsr_after = MXCSR_DEFAULT;
	in.flags = flags;
	request_args[0] = 0x1001; /* RUNNING_ON_VALGRIND */
	line[0] = 1; /* the clwb's line is dirty */
	if (avx512)
		across_zmm(&in, &out, line);
	else
		across_ymm(&in, &out, line);
	if (sites != NULL && avx512)
		*sites += raw_patched(vecsave_clwb_zmm) +
			raw_patched(vecsave_sfence_zmm) +
			raw_patched(vecsave_request_zmm);
	else if (sites != NULL)
		*sites += raw_patched(vecsave_clwb_ymm) +
			raw_patched(vecsave_sfence_ymm) +
			raw_patched(vecsave_request_ymm);
	int bad = 0;
	char what[32];
	for (int r = 0; r < (avx512 ? 32 : 16); r++) {
		snprintf(what, sizeof(what), "%cmm%d", avx512 ? 'z' : 'y', r);
		bad += differ(what, out.vec[r], in.vec[r], avx512 ? 64 : 32);
	}
	for (int r = 1; r < (avx512 ? 8 : 1); r++) {
		snprintf(what, sizeof(what), "k%d", r);
		bad += differ(what, &out.k[r], &in.k[r], 8);
	}
	for (int r = 0; r < 8; r++) {
		snprintf(what, sizeof(what), "mm%d", r);
		bad += differ(what, &out.mm[r], &in.mm[r], 8);
	}
	bad += differ("mxcsr", &out.mxcsr, &in.mxcsr, 4);
	uint64_t got = out.flags & FLAGS_KEPT, want = in.flags & FLAGS_KEPT;
	return bad + differ("flags", &got, &want, 8);
}

/* one_upper -- the round trip with the upper halves of zmm0-15 all zero
 * (r = -1: the entry stores and loads none of them) or all zero but one
 * byte of one register, for each register and both halves, the other
 * registers (xmm0-15, zmm16-31, k1-7) holding a pattern: differences */
static int
one_upper(uint8_t *line)
{
	static struct regs in, out;
	static const size_t at[] = { 16, 63 }; /* in ZMM_Hi256's: 32..63 */
	int bad = 0;
	char what[32];
	for (int r = -1; r < 16; r++)
		for (size_t h = 0; h < (r < 0 ? 1 : 2); h++) {
			for (size_t i = 0; i < sizeof(in.vec); i++)
				((uint8_t *)in.vec)[i] = i % 64 < 16 ||
					i >= 16 * 64 ? (uint8_t)(i * 7 + 1) : 0;
			for (int k = 0; k < 8; k++)
				in.k[k] = 0x0f1e2d3c4b5a6978ull * (uint64_t)(k + 1);
			if (r >= 0)
				in.vec[r][h == 0 ? at[0] : at[1]] = 0x5a;
			in.mxcsr = in.mxcsr_after = MXCSR_DEFAULT;
			in.flags = flag_sets[1];
			request_args[0] = 0x1001;
			line[0] = 1;
			across_zmm(&in, &out, line);
			snprintf(what, sizeof(what), "one upper, zmm%d", r);
			bad += differ(what, out.vec, in.vec, sizeof(in.vec));
			snprintf(what, sizeof(what), "one upper %d, k1-7", r);
			bad += differ(what, &out.k[1], &in.k[1], 7 * 8);
		}
	return bad;
}

/* upper -- a clwb site leaves the upper state of ymm0-15 in its initial
 * state when it found it so (where the CPU says: XINUSE) */
static int
upper(uint8_t *line, unsigned *sites)
{
	unsigned a, b, c, d;
	uint32_t before, after;
	if (!__get_cpuid_count(0xd, 1, &a, &b, &c, &d) || !(a & (1u << 2))) {
		*sites += 1; /* no XINUSE: nothing to look at */
		return 0;
	}
	upper_across(line, &before, &after);
	*sites += raw_patched(vecsave_clwb_upper);
	if (!(before & 4) && (after & 4)) {
		printf("ymm upper state: in use after the clwb\n");
		return 1;
	}
	return 0;
}

/* streams -- the stores from full and from initial components */
static int
streams(uint8_t *pm, unsigned *sites)
{
	static uint8_t xarea[4096] __attribute__((aligned(64)));
	uint8_t src[128], want[128];
	for (int i = 0; i < 128; i++)
		src[i] = (uint8_t)(i * 29 + 3);
	nt_from(pm, src, 0, xarea);
	int bad = differ("full zmm5, zmm21", pm, src, 128);
	nt_from(pm + 128, src, 1, xarea);
	memset(want, 0, sizeof(want));
	memcpy(want, src, 16);
	*sites += raw_patched(vecsave_nt_zmm5) +
		raw_patched(vecsave_nt_zmm21);
	return bad + differ("initial zmm5, zmm21", pm + 128, want, 128);
}

int
main(int argc, char **argv)
{
	uint8_t *pm = raw_map(argc, argv, 4096);
	int avx512 = __builtin_cpu_supports("avx512f") &&
		__builtin_cpu_supports("avx512bw") &&
		!(argc > 2 && strcmp(argv[2], "avx") == 0);
	if (!__builtin_cpu_supports("avx") || !__builtin_cpu_supports("clwb")) {
		printf("skip: no avx or clwb\n");
		return 77;
	}
	unsigned sites = 0;
	int bad = 0;
	for (size_t i = 0; i < sizeof(flag_sets) / sizeof(flag_sets[0]); i++)
		bad += registers(pm + 1024, avx512, flag_sets[i],
				i == 0 ? &sites : NULL);
	bad += upper(pm + 1024, &sites);
	if (avx512)
		bad += streams(pm, &sites) + one_upper(pm + 1024);
	raw_digest("pmem", pm, 4096);
	printf("%s\n", avx512 ? "avx512" : "avx");
	fprintf(stderr, "raw_vecsave: patched %u of %u\n", sites,
			avx512 ? 6 : 4);
	return bad ? 1 : 0;
}
