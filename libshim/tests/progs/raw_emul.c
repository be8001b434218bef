/*
 * raw_emul.c -- every form of raw flush, fence and non-temporal store that
 * pmemu patches, with awkward operands (SIB, rip-relative, fs:, r8-r15,
 * xmm8-15, zmm16-31, mm registers), to pmem and to DRAM. Its output must
 * be the same natively and under pmemu: the emulation is exact. It says
 * on stderr how many of its instructions were patched (read back from its
 * own code: an int3 in their first byte, or a jmp over them into code of
 * no loaded object, a trampoline).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <cpuid.h>
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void *raw_map(int argc, char **argv, size_t len);
void raw_digest(const char *label, const void *p, size_t len);
int raw_patched(const uint8_t *site);

/* a global label on the instruction, so main can read its first byte */
#define SITE(name, insn) ".globl " #name "\n" #name ":\n\t" insn "\n"
#define NOINLINE __attribute__((noinline))

static uint8_t dram[4096] __attribute__((aligned(64)));
uint8_t raw_emul_rip_buf[256] __attribute__((aligned(64)));
static __thread uint64_t tls_word[8] __attribute__((aligned(64)));

static NOINLINE void
nt_gpr(uint8_t *dst, long idx, uint64_t v)
{
	__asm__ volatile(
		"mov %2, %%r12\n"
		SITE(site_movnti32, "movnti %%r12d, 12(%0,%1,4)")
		SITE(site_movnti64, "movnti %%r12, 64(%0)")
		:: "r"(dst), "r"(idx), "r"(v) : "r12", "memory");
}

static NOINLINE void
nt_xmm(uint8_t *dst, const uint8_t *src)
{
	__asm__ volatile(
		"movdqu (%1), %%xmm13\n"
		SITE(site_movntdq, "movntdq %%xmm13, 128(%0)")
		"movdqu 16(%1), %%xmm2\n"
		SITE(site_movntps, "movntps %%xmm2, raw_emul_rip_buf+32(%%rip)")
		"movdqu 32(%1), %%xmm3\n"
		SITE(site_movntpd, "movntpd %%xmm3, 144(%0)")
		:: "r"(dst), "r"(src) : "xmm13", "xmm2", "xmm3", "memory");
}

static NOINLINE void
nt_ymm(uint8_t *dst, const uint8_t *src)
{
	__asm__ volatile(
		"vmovdqu (%1), %%ymm11\n"
		SITE(site_vmovntdq_ymm, "vmovntdq %%ymm11, 192(%0)")
		"vzeroupper\n"
		:: "r"(dst), "r"(src) : "xmm11", "memory");
}

static NOINLINE __attribute__((target("avx512f"))) void
nt_zmm(uint8_t *dst, const uint8_t *src)
{
	__asm__ volatile(
		"vmovdqu64 (%1), %%zmm25\n"
		SITE(site_vmovntdq_zmm25, "vmovntdq %%zmm25, 256(%0)")
		"vmovdqu64 64(%1), %%zmm3\n"
		SITE(site_vmovntpd_zmm3, "vmovntpd %%zmm3, 320(%0)")
		"vmovdqu64 (%1), %%xmm20\n"
		SITE(site_vmovntdq_xmm20, "vmovntdq %%xmm20, 384(%0)")
		"vzeroupper\n"
		:: "r"(dst), "r"(src) : "xmm25", "xmm3", "xmm20", "memory");
}

static NOINLINE void
nt_mmx(uint8_t *dst, uint64_t v)
{
	__asm__ volatile(
		"movq %1, %%mm3\n"
		SITE(site_movntq, "movntq %%mm3, 400(%0)")
		"emms\n"
		:: "r"(dst), "r"(v) : "mm3", "memory");
}

static NOINLINE void
direct(uint8_t *dst, const uint8_t *src, uint32_t v)
{
	__asm__ volatile(
		"lea 448(%0), %%r9\n"
		SITE(site_movdir64b, "movdir64b (%1), %%r9")
		SITE(site_movdiri, "movdiri %2, 416(%0)")
		:: "r"(dst), "r"(src), "r"(v) : "r9", "memory");
}

static NOINLINE void
flushes(uint8_t *dst, long idx)
{
	__asm__ volatile(
		SITE(site_clwb_rip, "clwb raw_emul_rip_buf+64(%%rip)")
		SITE(site_clflushopt, "clflushopt (%0,%1,8)")
		SITE(site_clflush, "clflush 64(%0)")
		SITE(site_sfence, "sfence")
		SITE(site_mfence, "mfence")
		:: "r"(dst), "r"(idx) : "memory");
}

/* fs_store -- movnti through the fs segment into this thread's TLS */
static NOINLINE void
fs_store(uint64_t v)
{
	uintptr_t fs_base;
	__asm__("mov %%fs:0, %0" : "=r"(fs_base));
	uintptr_t off = (uintptr_t)&tls_word[1] - fs_base;
	__asm__ volatile(SITE(site_movnti_fs, "movnti %1, %%fs:(%0)")
			:: "r"(off), "r"(v) : "memory");
}

static int
cpu_has7(int ecx, unsigned bit)
{
	unsigned a, b, c, d;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return ((ecx ? c : b) >> bit) & 1;
}

/* supported -- which of the optional forms this CPU executes */
static struct {
	int avx, avx512, direct, flushes;
} cpu;

/* run -- every form this CPU has, once, into dst */
static void
run(uint8_t *dst, const uint8_t *src)
{
	nt_gpr(dst, 5, 0x0123456789abcdefull);
	nt_xmm(dst, src);
	if (cpu.avx)
		nt_ymm(dst, src);
	if (cpu.avx512)
		nt_zmm(dst, src);
	nt_mmx(dst, 0xfeedfacecafebeefull);
	if (cpu.direct)
		direct(dst, src, 0x77665544u);
	if (cpu.flushes)
		flushes(dst, 3);
}

extern const uint8_t site_movnti32[], site_movnti64[], site_movntdq[],
	site_movntps[], site_movntpd[], site_vmovntdq_ymm[],
	site_vmovntdq_zmm25[], site_vmovntpd_zmm3[], site_vmovntdq_xmm20[],
	site_movntq[], site_movdir64b[], site_movdiri[], site_clwb_rip[],
	site_clflushopt[], site_clflush[], site_sfence[], site_mfence[],
	site_movnti_fs[];

/* patched_sites -- how many of the sites this CPU executes are patched
 * (a site the CPU lacks stays as it is, but a neighbour's jmp can sit
 * within 24 bytes before it: it is not counted either way) */
static unsigned
patched_sites(void)
{
	const struct {
		const uint8_t *at;
		int runs;
	} sites[] = {
		{ site_movnti32, 1 }, { site_movnti64, 1 }, { site_movntdq, 1 },
		{ site_movntps, 1 }, { site_movntpd, 1 },
		{ site_vmovntdq_ymm, cpu.avx },
		{ site_vmovntdq_zmm25, cpu.avx512 },
		{ site_vmovntpd_zmm3, cpu.avx512 },
		{ site_vmovntdq_xmm20, cpu.avx512 }, { site_movntq, 1 },
		{ site_movdir64b, cpu.direct }, { site_movdiri, cpu.direct },
		{ site_clwb_rip, cpu.flushes }, { site_clflushopt, cpu.flushes },
		{ site_clflush, cpu.flushes }, { site_sfence, cpu.flushes },
		{ site_mfence, cpu.flushes }, { site_movnti_fs, 1 },
	};
	unsigned n = 0;
	for (size_t i = 0; i < sizeof(sites) / sizeof(sites[0]); i++)
		n += sites[i].runs && raw_patched(sites[i].at);
	return n;
}

int
main(int argc, char **argv)
{
	uint8_t *pm = raw_map(argc, argv, 4096);
	/* the sources: 128 bytes from src (pmem) and from src + 7 (dram) */
	uint8_t src[192];
	for (int i = 0; i < (int)sizeof(src); i++)
		src[i] = (uint8_t)(i * 37 + 11);
	cpu.avx = !!__builtin_cpu_supports("avx");
	cpu.avx512 = !!__builtin_cpu_supports("avx512f");
	cpu.direct = cpu_has7(1, 28) && cpu_has7(1, 27); /* movdir64b, movdiri */
	cpu.flushes = cpu_has7(0, 24) && cpu_has7(0, 23); /* clwb, clflushopt */
	/* sites: movnti x3 (fs: too), xmm x3, mm x1, and the optional ones */
	unsigned sites = 7 + cpu.avx + 3 * cpu.avx512 + 2 * cpu.direct +
		5 * cpu.flushes;
	run(pm, src);
	run(dram, src + 7);
	fs_store(0x1111222233334444ull);
	raw_digest("pmem", pm, 4096);
	raw_digest("dram", dram, sizeof(dram));
	raw_digest("rip", raw_emul_rip_buf, sizeof(raw_emul_rip_buf));
	raw_digest("tls", tls_word, sizeof(tls_word));
	fprintf(stderr, "raw_emul: patched %u of %u\n", patched_sites(),
			sites);
	return 0;
}
