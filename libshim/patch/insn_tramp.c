/*
 * insn_tramp.c -- the trampolines of jump-patched sites (insn_jump.c):
 * their memory near the module, the assembly entry they call and the C
 * side of it, which emulates a site as the SIGTRAP handler does
 *
 * A trampoline calls insn_tramp_entry with the site's pointer pushed,
 * after stepping over the red zone (ABI 3.2.2). The entry saves the
 * flags and every general register, then the whole extended state with
 * xsavec64 (x87, SSE, AVX, AVX-512: the shim's C code and libc clobber
 * vector registers, and a streaming store's source is read from there;
 * compacted, components in their initial state not written; xsave64
 * where the CPU has no XSAVEC; insn_xstate.c reads either),
 * aligns the stack and calls insn_tramp_event with a frame that looks
 * like a signal's: the same emulation (insn_emulate) and the same site
 * (the unwinder starts from the site's own registers) as a trap. Then it
 * restores everything but %rdx, which a client request answers.
 */
#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "insn.h"
#include "insn_module.h"
#include "insn_trap.h"
#include "insn_xstate.h"
#include "real.h"
#include "shim_core.h"
#include "shim_syscall.h"

#define FXSAVE_SW_BYTES_OFF 464  /* bytes the kernel's frame describes */
#define FP_XSTATE_MAGIC 0x46505853u
#define XSAVE_MASK 0xe7u         /* x87, SSE, AVX, opmask, ZMM_Hi256,
                                    Hi16_ZMM (SDM vol. 1, 13.1) */
#define REGION_LEN (1u << 20)    /* trampolines per mapping */
#define REACH (INT32_MAX - REGION_LEN) /* a rel32 from any site */
#define TRAMP_MAX 512            /* bytes of one trampoline, at most */

/* the entry's saved registers, lowest address first (pushed in reverse) */
struct tramp_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rdi, rsi, rbp, rbx, rdx, rcx, rax, rflags;
	uint64_t ret;                  /* into the trampoline */
	const struct insn_site *site;  /* pushed by the trampoline */
	uint8_t red_zone[128];         /* skipped, the program's */
};

/* read by the entry: the xsave mask and the area's size (with room to
 * align it to 64) */
uint64_t insn_tramp_xmask __attribute__((visibility("hidden")));
uint64_t insn_tramp_xlen __attribute__((visibility("hidden")));
void insn_tramp_entry(void) __attribute__((visibility("hidden")));
void insn_tramp_entry_c(void) __attribute__((visibility("hidden")));
void insn_tramp_entry_v(void) __attribute__((visibility("hidden")));
void insn_tramp_entry_va(void) __attribute__((visibility("hidden")));
/* the entries the trampolines call: insn_tramp_ready chooses; a site
 * that reads an mm register takes the xsave one (tramp_entry_mmx) */
static void (*tramp_entry)(void);
static void (*tramp_entry_mmx)(void);
void insn_tramp_event(const struct insn_site *s, struct tramp_frame *f,
		uint8_t *xsave) __attribute__((visibility("hidden")));

/* the entry around SAVE and RESTORE, the extended state's: the flags
 * come back with sahf and an add that sets OF, not popfq (microcoded,
 * ~6 ns more): the C side changes only the arithmetic flags, and the
 * entry DF, so popfq only when DF was set (TF, AC, ID... stay as they
 * are). SAVE runs with %rsp the image (aligned to 64), %r12 free (the
 * C side keeps it) and %eax zero */
#define TRAMP_ENTRY(name, SAVE, RESTORE) \
	".globl " name "\n" \
	".hidden " name "\n" \
	".type " name ", @function\n" \
	name ":\n" \
	"	.cfi_startproc\n" \
	"	pushfq\n" \
	"	cld\n"                       /* the ABI's direction flag */ \
	"	push %rax\n	push %rcx\n	push %rdx\n	push %rbx\n" \
	"	push %rbp\n	push %rsi\n	push %rdi\n	push %r8\n" \
	"	push %r9\n	push %r10\n	push %r11\n	push %r12\n" \
	"	push %r13\n	push %r14\n	push %r15\n" \
	"	mov %rsp, %rbx\n" \
	"	.cfi_def_cfa %rbx, 136\n"  /* the return address: 128(%rbx) */ \
	"	sub insn_tramp_xlen(%rip), %rsp\n" \
	"	and $-64, %rsp\n" \
	"	xor %eax, %eax\n" \
	SAVE \
	"	mov 136(%rbx), %rdi\n"      /* tramp_frame.site */ \
	"	mov %rbx, %rsi\n" \
	"	mov %rsp, %rdx\n" \
	"	call insn_tramp_event\n" \
	RESTORE \
	"	mov %rbx, %rsp\n" \
	"	.cfi_def_cfa %rsp, 136\n" \
	"	pop %r15\n	pop %r14\n	pop %r13\n	pop %r12\n" \
	"	pop %r11\n	pop %r10\n	pop %r9\n	pop %r8\n" \
	"	pop %rdi\n	pop %rsi\n	pop %rbp\n	pop %rbx\n" \
	"	pop %rdx\n	pop %rcx\n" \
	"	testl $0x400, 8(%rsp)\n"     /* DF: popfq puts it back */ \
	"	jnz 1f\n" \
	"	movzbl 9(%rsp), %eax\n"      /* OF: bit 3 of the second byte */ \
	"	shr $3, %eax\n	and $1, %eax\n" \
	"	add $0x7f, %al\n"            /* 1 + 0x7f overflows: OF */ \
	"	mov 8(%rsp), %ah\n"          /* SF ZF AF PF CF */ \
	"	sahf\n" \
	"	pop %rax\n" \
	"	lea 8(%rsp), %rsp\n" \
	"	ret\n" \
	"1:	pop %rax\n" \
	"	popfq\n" \
	"	ret\n" \
	"	.cfi_endproc\n" \
	"	.size " name ", .-" name "\n"

/* the whole extended state with save: xsave64 (standard format) or
 * xsavec64 (compacted: components in their initial state are not
 * written, XSTATE_BV says which were); xrstor wants a zero header */
#define XSAVE(save) \
	"	mov %rax, 512(%rsp)\n	mov %rax, 520(%rsp)\n" \
	"	mov %rax, 528(%rsp)\n	mov %rax, 536(%rsp)\n" \
	"	mov %rax, 544(%rsp)\n	mov %rax, 552(%rsp)\n" \
	"	mov %rax, 560(%rsp)\n	mov %rax, 568(%rsp)\n" \
	"	mov insn_tramp_xmask(%rip), %eax\n" \
	"	xor %edx, %edx\n" \
	"	" save " (%rsp)\n"
#define XRSTOR \
	"	mov insn_tramp_xmask(%rip), %eax\n" \
	"	xor %edx, %edx\n" \
	"	xrstor64 (%rsp)\n"

/*
 * The vector registers moved by hand (AVX-512 CPUs whose standard
 * format has one of the two layouts below: insn_tramp_ready checks),
 * into an image of the standard format as xsave64 writes it, so that
 * insn_xstate.c reads a streaming store's source from it unchanged:
 * xmm0-15 and MXCSR in the legacy area, the upper halves of ymm0-15 in
 * AVX, of zmm0-15 in ZMM_Hi256, zmm16-31 in Hi16_ZMM, k0-7 in opmask;
 * XSTATE_BV says all but x87. On the project's machine (a virtual AMD
 * EPYC) an xsavec64/xrstor64 pair alone costs ~140 ns, and a whole
 * trampoline call went from 222 to 104 ns (tramp_bench.py, docs/
 * performance.md). What it does
 * not save is the x87 state (st0-7 = mm0-7, its control and status
 * words): libpmemu.so has no x87 or MMX instruction, nor do the parts of
 * libc (string functions) and libunwind (stepping; only its fp register
 * access and setcontext have some) the C side calls, so it leaves that
 * state as it is (the register test of scripts/tests/test_insn_jump.py
 * checks mm0-7 across the sites); a site that reads an mm register
 * (movntq) takes the xsave entry. The loads make the upper state of
 * ymm0-15 in use; when bits 128-511 of zmm0-15 were all zero (in %r12
 * across the call) vzeroupper gives that state back (the same values),
 * so the program's SSE code pays no transition. That is tested on the
 * registers, not asked of xgetbv 1 (XINUSE): ~11 ns a call on the
 * project's machine, 4 % of a raw clwb loop (docs/performance.md).
 * zmm16-31 and k0-7 are left in use (values kept; glibc's evex
 * functions leave them so anyway).
 */
#define VEC_AVX 576             /* the same on every CPU */
#define S_(x) #x
#define S(x) S_(x)
#define IRP_LO(insn) "	.irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n" \
	"	" insn "\n	.endr\n"
#define IRP_HI(insn) "	.irp r,16,17,18,19,20,21,22,23,24,25,26,27,28," \
	"29,30,31\n	" insn "\n	.endr\n"
#define IRP_K(insn) "	.irp r,0,1,2,3,4,5,6,7\n	" insn "\n	.endr\n"
/* the offsets of opmask, ZMM_Hi256 and Hi16_ZMM (CPUID 0xD, sub-leaves
 * 5-7), as strings. zmm16-31 and k0-7 first: UPPER_ZERO uses some as
 * scratch. The upper halves of zmm0-15 are stored only when one of them
 * is not zero (XSTATE_BV then says AVX and ZMM_Hi256 are there, else
 * that they are in their initial state, zero, as insn_xstate.c reads
 * it): a program whose code is SSE, or AVX that ends in vzeroupper as
 * compilers emit it, has them zero at every site, and their 32 stores
 * and 32 loads (768 of the 2,112 bytes the entry moves each way) made
 * a call 55 ns, 43 without them (tramp_bench.py, docs/performance.md) */
#define VSAVE(K, HI256, HI16) \
	"	stmxcsr 24(%rsp)\n" \
	IRP_LO("vmovdqu %xmm\\r, 160+16*\\r(%rsp)") \
	IRP_HI("vmovdqu64 %zmm\\r, " HI16 "+64*(\\r-16)(%rsp)") \
	IRP_K("kmovq %k\\r, " K "+8*\\r(%rsp)") \
	UPPER_ZERO \
	"	movq $0, 520(%rsp)\n"      /* XCOMP_BV: standard format */ \
	"	movq $0xa2, 512(%rsp)\n"   /* XSTATE_BV: SSE, opmask, Hi16_ZMM */ \
	"	test %r12d, %r12d\n" \
	"	jnz 3f\n" \
	"	movq $0xe6, 512(%rsp)\n"   /* ... and AVX, ZMM_Hi256 */ \
	IRP_LO("vextracti128 $1, %ymm\\r, " S(VEC_AVX) "+16*\\r(%rsp)") \
	IRP_LO("vextracti64x4 $1, %zmm\\r, " HI256 "+32*\\r(%rsp)") \
	"3:\n"
/* %r12d = 1 when bits 128-511 of zmm0-15 are all zero (saved: free to
 * clobber), from the registers, without a load that would wait for the
 * program's stores ahead of it; zmm16-20, k0 and k1 (saved) are the
 * scratch, zmm0-15 are left as they are */
#define UPPER_ZERO \
	"	vmovdqa64 %zmm0, %zmm16\n" \
	"	vpternlogq $0xfe, %zmm2, %zmm1, %zmm16\n" /* 16 = 0 | 1 | 2 */ \
	"	vmovdqa64 %zmm3, %zmm17\n" \
	"	vpternlogq $0xfe, %zmm5, %zmm4, %zmm17\n" \
	"	vmovdqa64 %zmm6, %zmm18\n" \
	"	vpternlogq $0xfe, %zmm8, %zmm7, %zmm18\n" \
	"	vmovdqa64 %zmm9, %zmm19\n" \
	"	vpternlogq $0xfe, %zmm11, %zmm10, %zmm19\n" \
	"	vmovdqa64 %zmm12, %zmm20\n" \
	"	vpternlogq $0xfe, %zmm14, %zmm13, %zmm20\n" \
	"	vpternlogq $0xfe, %zmm18, %zmm17, %zmm16\n" \
	"	vpternlogq $0xfe, %zmm15, %zmm20, %zmm19\n" \
	"	vporq %zmm19, %zmm16, %zmm16\n" \
	"	mov $0xfc, %eax\n	kmovw %eax, %k1\n" /* qwords 2-7 */ \
	"	vptestmq %zmm16, %zmm16, %k0{%k1}\n" \
	"	xor %r12d, %r12d\n" \
	"	kortestw %k0, %k0\n	sete %r12b\n"
/* the VEX loads of xmm0-15 zero bits 128-511: all the upper halves
 * there are when they were zero; else they are put back from the image.
 * vzeroupper then gives the upper state of ymm0-15 back its initial
 * state (the same values), so the program's SSE code pays no transition */
#define VRESTORE(K, HI256, HI16) \
	"	ldmxcsr 24(%rsp)\n" \
	IRP_LO("vmovdqu 160+16*\\r(%rsp), %xmm\\r") \
	"	test %r12d, %r12d\n" \
	"	jnz 2f\n" \
	IRP_LO("vinserti128 $1, " S(VEC_AVX) "+16*\\r(%rsp), %ymm\\r, %ymm\\r") \
	IRP_LO("vinserti64x4 $1, " HI256 "+32*\\r(%rsp), %zmm\\r, %zmm\\r") \
	"2:\n" \
	IRP_HI("vmovdqu64 " HI16 "+64*(\\r-16)(%rsp), %zmm\\r") \
	IRP_K("kmovq " K "+8*\\r(%rsp), %k\\r") \
	"	test %r12d, %r12d\n"        /* upper halves not all zero */ \
	"	jz 4f\n" \
	"	vzeroupper\n" \
	"4:\n"
#define VEC_ENTRY_(name, K, HI256, HI16) \
	TRAMP_ENTRY(name, VSAVE(#K, #HI256, #HI16), VRESTORE(#K, #HI256, #HI16))
#define VEC_ENTRY(name, ...) VEC_ENTRY_(name, __VA_ARGS__)
/* the two layouts: opmask, ZMM_Hi256, Hi16_ZMM (AVX is at 576 on both) */
#define VEC_INTEL 1088, 1152, 1664
#define VEC_AMD 832, 896, 1408

__asm__(".text\n"
	TRAMP_ENTRY("insn_tramp_entry", XSAVE("xsave64"), XRSTOR)
	TRAMP_ENTRY("insn_tramp_entry_c", XSAVE("xsavec64"), XRSTOR)
	VEC_ENTRY("insn_tramp_entry_v", VEC_INTEL)
	VEC_ENTRY("insn_tramp_entry_va", VEC_AMD));

/* the registers of the frame, in a context as a signal gives it */
static void
context_of(ucontext_t *uc, const struct tramp_frame *f, uint8_t *xsave)
{
	greg_t *g = uc->uc_mcontext.gregs;
	g[REG_R8] = (greg_t)f->r8;    g[REG_R9] = (greg_t)f->r9;
	g[REG_R10] = (greg_t)f->r10;  g[REG_R11] = (greg_t)f->r11;
	g[REG_R12] = (greg_t)f->r12;  g[REG_R13] = (greg_t)f->r13;
	g[REG_R14] = (greg_t)f->r14;  g[REG_R15] = (greg_t)f->r15;
	g[REG_RDI] = (greg_t)f->rdi;  g[REG_RSI] = (greg_t)f->rsi;
	g[REG_RBP] = (greg_t)f->rbp;  g[REG_RBX] = (greg_t)f->rbx;
	g[REG_RDX] = (greg_t)f->rdx;  g[REG_RAX] = (greg_t)f->rax;
	g[REG_RCX] = (greg_t)f->rcx;  g[REG_EFL] = (greg_t)f->rflags;
	g[REG_RSP] = (greg_t)(uintptr_t)(f + 1); /* the program's %rsp */
	g[REG_RIP] = (greg_t)f->site->addr;
	/* describe the xsave image as the kernel describes a frame's
	 * (bytes 464-511 of the legacy area are software's, SDM 10.5.1) */
	uint32_t magic = FP_XSTATE_MAGIC, size = (uint32_t)insn_tramp_xlen;
	uint64_t features = insn_tramp_xmask;
	memcpy(xsave + FXSAVE_SW_BYTES_OFF, &magic, 4);
	memcpy(xsave + FXSAVE_SW_BYTES_OFF + 4, &size, 4);
	memcpy(xsave + FXSAVE_SW_BYTES_OFF + 8, &features, 8);
	memcpy(xsave + FXSAVE_SW_BYTES_OFF + 16, &size, 4);
	uc->uc_mcontext.fpregs = (struct _libc_fpstate *)xsave;
}

void
insn_tramp_event(const struct insn_site *s, struct tramp_frame *f,
		uint8_t *xsave)
{
	ucontext_t uc;
	greg_t *g = uc.uc_mcontext.gregs;
	g[REG_ERR] = g[REG_TRAPNO] = g[REG_OLDMASK] = g[REG_CR2] = 0;
	g[REG_CSGSFS] = 0; /* context_of sets the others */
	context_of(&uc, f, xsave);
	insn_emulate(s, &uc);
	f->rdx = (uint64_t)uc.uc_mcontext.gregs[REG_RDX];
}

/* the layouts an entry that moves registers knows, and the image's
 * length (Hi16_ZMM's end) */
static const struct vec_layout {
	uint32_t off[3], end;
	void (*entry)(void);
} vec_layouts[] = {
	{ { VEC_INTEL }, 1664 + 1024, insn_tramp_entry_v },
	{ { VEC_AMD }, 1408 + 1024, insn_tramp_entry_va },
};

/* vectors_by_hand -- the entry that moves the vector registers by hand
 * for this CPU, NULL if none: the components of mask are x87 to
 * Hi16_ZMM, all of them, at a known layout; AVX2 and AVX512F */
static const struct vec_layout *
vectors_by_hand(uint64_t mask)
{
	static const unsigned bits[3] = { 5, 6, 7 }, lens[3] = { 64, 512, 1024 };
	unsigned a, b, c, d;
	if (mask != XSAVE_MASK || shim_opts()->tramp_xsave)
		return NULL;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) ||
			!(b & (1u << 5)) || !(b & (1u << 16))) /* AVX2, AVX512F */
		return NULL;
	if (!__get_cpuid_count(0xd, 2, &a, &b, &c, &d) || b != VEC_AVX ||
			a != 256)
		return NULL;
	for (size_t l = 0; l < sizeof(vec_layouts) / sizeof(vec_layouts[0]);
			l++) {
		bool same = true;
		for (unsigned i = 0; i < 3; i++)
			same = same && __get_cpuid_count(0xd, bits[i], &a, &b,
					&c, &d) && b == vec_layouts[l].off[i] &&
				a == lens[i];
		if (same)
			return &vec_layouts[l];
	}
	return NULL;
}

bool
insn_tramp_ready(void)
{
	static int ready = -1;
	unsigned a, b, c, d;
	if (ready >= 0)
		return ready;
	ready = 0;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27)))
		return false; /* no OSXSAVE: traps only */
	if (!__get_cpuid(0x80000001, &a, &b, &c, &d) || !(c & 1))
		return false; /* no LAHF/SAHF in 64-bit mode (the entry's) */
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	uint64_t mask = lo & XSAVE_MASK, end = 576; /* legacy + header */
	for (unsigned i = 2; i < 8; i++)
		if ((mask & (1u << i)) && __get_cpuid_count(0xd, i, &a, &b,
				&c, &d) && b + a > end)
			end = b + a;
	tramp_entry = insn_tramp_entry;
	uint32_t compacted = insn_xstate_compacted_len(mask);
	if (compacted != 0) {
		tramp_entry = insn_tramp_entry_c;
		end = compacted;
	}
	tramp_entry_mmx = tramp_entry;
	const struct vec_layout *v = vectors_by_hand(mask);
	if (v != NULL) {
		tramp_entry = v->entry;
		end = end > v->end ? end : v->end;
	}
	insn_tramp_xmask = mask;
	insn_tramp_xlen = end + 64;
	ready = 1;
	return true;
}

/* region -- len bytes, read-write, within REACH of [lo, hi), or NULL */
static uint8_t *
region(uintptr_t lo, uintptr_t hi, size_t len)
{
	const uintptr_t step = 1u << 26; /* 64 MiB apart: skip neighbours */
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t top = (hi + pg - 1) & ~(pg - 1);
	uintptr_t bottom = (lo & ~(pg - 1)) - len;
	for (uintptr_t d = 0; d + len < REACH; d += step) {
		uintptr_t hint[2] = { top + d, bottom > d ? bottom - d : 0 };
		for (int i = 0; i < 2; i++) {
			if (hint[i] < 0x10000)
				continue;
			void *p = REAL(mmap)((void *)hint[i], len, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS |
					MAP_FIXED_NOREPLACE, -1, 0);
			if (p == MAP_FAILED)
				continue;
			uintptr_t at = (uintptr_t)p;
			if ((at < lo ? hi - at : at + len - lo) < REACH)
				return p;
			REAL(munmap)(p, len); /* an old kernel took it as a hint */
		}
	}
	return NULL;
}

/* site_at -- the site of sites[0, n) (sorted) at addr, or NULL */
static const struct insn_site *
site_at(const struct insn_site *sites, size_t n, uint64_t addr)
{
	struct insn_site key = { .addr = addr };
	return bsearch(&key, sites, n, sizeof(*sites), insn_site_cmp);
}

/* one_tramp -- the trampoline of head at buf; its bytes, or 0 */
static size_t
one_tramp(struct insn_site *head, const struct insn_site *sites, size_t n,
		uint8_t *buf, size_t cap)
{
	const struct insn_site *calls[INSN_TR_MAX];
	uint64_t at = head->addr - head->jmp_back;
	for (unsigned i = 0; i < head->tr_n; i++) {
		calls[i] = site_at(sites, n, at);
		at += head->tr_len[i];
	}
	void (*entry)(void) = tramp_entry;
	for (unsigned i = 0; i < head->tr_n; i++)
		if (calls[i] != NULL && calls[i]->regfile == INSN_RF_MMX)
			entry = tramp_entry_mmx;
	size_t code_off;
	size_t used = insn_tramp_write(buf, cap, (uintptr_t)buf, head, calls,
			(uintptr_t)entry, &code_off);
	if (used != 0)
		head->tramp = (uintptr_t)buf + code_off;
	return (used + 15) & ~(size_t)15;
}

size_t
insn_tramp_module(struct insn_site *sites, size_t n)
{
	size_t want = 0, made = 0;
	for (size_t i = 0; i < n; i++)
		want += sites[i].jmp_len != 0;
	if (want == 0 || n == 0 || !insn_tramp_ready())
		return 0;
	uintptr_t lo = sites[0].addr - sites[0].jmp_back;
	uintptr_t hi = sites[n - 1].addr + sites[n - 1].jmp_len;
	size_t len = (want * TRAMP_MAX + REGION_LEN - 1) & ~(REGION_LEN - 1);
	uint8_t *buf = region(lo, hi, len), *p = buf;
	if (buf == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		struct insn_site *s = &sites[i];
		s->tramp = 0;
		if (s->jmp_len == 0) /* planned not to overlap (insn_jump.c) */
			continue;
		size_t used = one_tramp(s, sites, n, p, TRAMP_MAX);
		p += used;
		made += used != 0;
	}
	if (shim_syscall(SYS_mprotect, buf, len, PROT_READ | PROT_EXEC) != 0)
		for (size_t i = 0; i < n; i++)
			sites[i].tramp = 0; /* cannot run them: traps */
	return made;
}
