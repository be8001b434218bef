/* test_lazy_emul.c -- each instruction form libpmemu-lazy runs in its
 * fault handler (libshim/lazy/lazy_emul.c) leaves the registers, the
 * arithmetic flags and memory as the instruction itself does: every
 * sample runs natively on a buffer, then emulated on the same start
 * (registers, flags, memory), and the two ends are compared */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <cmocka.h>

#include <capstone/capstone.h>

#include "lazy_emul.h"

#define ARITH_FLAGS 0x8d5ull /* CF PF AF ZF SF OF */
#define DF 0x400ull
#define BUF_OFF 512          /* the data buffer in the test page */
#define BUF_LEN 256
#define ROUNDS 64            /* random starts per sample */

/* one hand-assembled instruction (GNU as, Intel syntax) */
struct sample {
	const char *text;
	uint8_t bytes[15];
	uint8_t len;
};

/* the emulated forms: each against the instruction */
static const struct sample forms[] = {
	{ "mov al, [rdi+3]", { 0x8a, 0x47, 0x03 }, 3 },
	{ "mov ah, [rdi+1]", { 0x8a, 0x67, 0x01 }, 3 },
	{ "mov r9w, [rdi+6]", { 0x66, 0x44, 0x8b, 0x4f, 0x06 }, 5 },
	{ "mov esi, [rdi+rcx*4+8]", { 0x8b, 0x74, 0x8f, 0x08 }, 4 },
	{ "mov rdx, [rdi+8]", { 0x48, 0x8b, 0x57, 0x08 }, 4 },
	{ "mov r15, [rdi]", { 0x4c, 0x8b, 0x3f }, 3 },
	{ "movzx eax, byte ptr [rdi+1]", { 0x0f, 0xb6, 0x47, 0x01 }, 4 },
	{ "movzx r8, word ptr [rdi+2]", { 0x4c, 0x0f, 0xb7, 0x47, 0x02 }, 5 },
	{ "movzx cx, byte ptr [rdi]", { 0x66, 0x0f, 0xb6, 0x0f }, 4 },
	{ "movsx rax, byte ptr [rdi+5]", { 0x48, 0x0f, 0xbe, 0x47, 0x05 }, 5 },
	{ "movsx edx, word ptr [rdi+6]", { 0x0f, 0xbf, 0x57, 0x06 }, 4 },
	{ "movsxd rbx, dword ptr [rdi+4]", { 0x48, 0x63, 0x5f, 0x04 }, 4 },
	{ "movsx bx, byte ptr [rdi]", { 0x66, 0x0f, 0xbe, 0x1f }, 4 },
	{ "mov [rdi+1], bl", { 0x88, 0x5f, 0x01 }, 3 },
	{ "mov [rdi+2], ah", { 0x88, 0x67, 0x02 }, 3 },
	{ "mov [rdi+2], r10w", { 0x66, 0x44, 0x89, 0x57, 0x02 }, 5 },
	{ "mov [rdi+4], eax", { 0x89, 0x47, 0x04 }, 3 },
	{ "mov [rdi+8], r11", { 0x4c, 0x89, 0x5f, 0x08 }, 4 },
	{ "mov byte ptr [rdi], 0x85", { 0xc6, 0x07, 0x85 }, 3 },
	{ "mov word ptr [rdi+2], 0x1234", { 0x66, 0xc7, 0x47, 0x02, 0x34, 0x12 }, 6 },
	{ "mov dword ptr [rdi+4], -2", { 0xc7, 0x47, 0x04, 0xfe, 0xff, 0xff, 0xff }, 7 },
	{ "mov qword ptr [rdi+8], -5", { 0x48, 0xc7, 0x47, 0x08, 0xfb, 0xff, 0xff, 0xff }, 8 },
	{ "mov qword ptr [rdi], 0x7fffffff", { 0x48, 0xc7, 0x07, 0xff, 0xff, 0xff, 0x7f }, 7 },
	{ "add r8d, [rdi]", { 0x44, 0x03, 0x07 }, 3 },
	{ "add [rdi+8], rax", { 0x48, 0x01, 0x47, 0x08 }, 4 },
	{ "add byte ptr [rdi], 0x80", { 0x80, 0x07, 0x80 }, 3 },
	{ "add qword ptr [rdi], -1", { 0x48, 0x83, 0x07, 0xff }, 4 },
	{ "sub ax, [rdi]", { 0x66, 0x2b, 0x07 }, 3 },
	{ "sub dword ptr [rdi+4], 0x12345678", { 0x81, 0x6f, 0x04, 0x78, 0x56, 0x34, 0x12 }, 7 },
	{ "and rax, [rdi]", { 0x48, 0x23, 0x07 }, 3 },
	{ "and [rdi], cl", { 0x20, 0x0f }, 2 },
	{ "and word ptr [rdi], 0xff00", { 0x66, 0x81, 0x27, 0x00, 0xff }, 5 },
	{ "or [rdi+8], rax", { 0x48, 0x09, 0x47, 0x08 }, 4 },
	{ "or ecx, [rdi]", { 0x0b, 0x0f }, 2 },
	{ "xor dl, [rdi]", { 0x32, 0x17 }, 2 },
	{ "xor qword ptr [rdi], 1", { 0x48, 0x83, 0x37, 0x01 }, 4 },
	{ "cmp qword ptr [r15], 0", { 0x49, 0x83, 0x3f, 0x00 }, 4 },
	{ "cmp rbx, [rbp+0x10]", { 0x48, 0x3b, 0x5d, 0x10 }, 4 },
	{ "cmp [rbx+8], rax", { 0x48, 0x39, 0x43, 0x08 }, 4 },
	{ "cmp byte ptr [rdi], 0x7f", { 0x80, 0x3f, 0x7f }, 3 },
	{ "cmp dword ptr [rdi], -1", { 0x83, 0x3f, 0xff }, 3 },
	{ "cmp ax, [rdi]", { 0x66, 0x3b, 0x07 }, 3 },
	{ "test [rdi], al", { 0x84, 0x07 }, 2 },
	{ "test dword ptr [rdi+4], 0x80000000", { 0xf7, 0x47, 0x04, 0x00, 0x00, 0x00, 0x80 }, 7 },
	{ "test qword ptr [rdi], -2", { 0x48, 0xf7, 0x07, 0xfe, 0xff, 0xff, 0xff }, 7 },
	{ "test byte ptr [rdi], 1", { 0xf6, 0x07, 0x01 }, 3 },
	{ "test [rdi], r9w", { 0x66, 0x44, 0x85, 0x0f }, 4 },
	{ "cmp rax, [rip+0x100]", { 0x48, 0x3b, 0x05, 0x00, 0x01, 0x00, 0x00 }, 7 },
};

/* forms lw_emul_access leaves to the trap flag */
static const struct sample rejected[] = {
	{ "lock add [rdi], eax", { 0xf0, 0x01, 0x07 }, 3 },
	{ "mov eax, [edi]", { 0x67, 0x8b, 0x07 }, 3 },
	{ "movups xmm0, [rdi]", { 0x0f, 0x10, 0x07 }, 3 },
	{ "adc rax, [rdi]", { 0x48, 0x13, 0x07 }, 3 },
	{ "xchg [rdi], rax", { 0x48, 0x87, 0x07 }, 3 },
	{ "inc dword ptr [rdi]", { 0xff, 0x07 }, 2 },
	{ "mov eax, fs:[rdi]", { 0x64, 0x8b, 0x07 }, 3 },
	{ "rep movsw", { 0x66, 0xf3, 0xa5 }, 3 },
	{ "rep cmpsb", { 0xf3, 0xa6 }, 2 },
	{ "rep lodsb", { 0xf3, 0xac }, 2 },
};

/* the rep string forms lw_emul_rep runs */
static const struct sample reps[] = {
	{ "rep movsb", { 0xf3, 0xa4 }, 2 },
	{ "rep movsd", { 0xf3, 0xa5 }, 2 },
	{ "rep movsq", { 0xf3, 0x48, 0xa5 }, 3 },
	{ "rep stosb", { 0xf3, 0xaa }, 2 },
	{ "rep stosd", { 0xf3, 0xab }, 2 },
	{ "rep stosq", { 0xf3, 0x48, 0xab }, 3 },
};

/* general registers in encoding order: rax rcx rdx rbx rsp rbp rsi rdi
 * r8..r15, then rflags (offsets used by run_native) */
struct regs {
	uint64_t g[16];
	uint64_t flags;
};

static const int greg_of[16] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

/* run_native(struct regs *r, void *code) -- the code (an instruction and
 * a ret) with r's registers (but rsp) and flags; r gets them after */
void run_native(struct regs *r, void *code);
__asm__(
	".text\n"
	".type run_native, @function\n"
	"run_native:\n"
	"	push %rbx\n push %rbp\n push %r12\n push %r13\n"
	"	push %r14\n push %r15\n push %rdi\n"
	"	mov %rsi, native_code(%rip)\n"
	"	pushq 128(%rdi)\n popfq\n"
	"	mov 0(%rdi), %rax\n mov 8(%rdi), %rcx\n mov 16(%rdi), %rdx\n"
	"	mov 24(%rdi), %rbx\n mov 40(%rdi), %rbp\n mov 48(%rdi), %rsi\n"
	"	mov 64(%rdi), %r8\n mov 72(%rdi), %r9\n mov 80(%rdi), %r10\n"
	"	mov 88(%rdi), %r11\n mov 96(%rdi), %r12\n mov 104(%rdi), %r13\n"
	"	mov 112(%rdi), %r14\n mov 120(%rdi), %r15\n mov 56(%rdi), %rdi\n"
	"	call *native_code(%rip)\n"
	"	pushfq\n push %rdi\n mov 16(%rsp), %rdi\n"
	"	mov %rax, 0(%rdi)\n mov %rcx, 8(%rdi)\n mov %rdx, 16(%rdi)\n"
	"	mov %rbx, 24(%rdi)\n mov %rbp, 40(%rdi)\n mov %rsi, 48(%rdi)\n"
	"	mov %r8, 64(%rdi)\n mov %r9, 72(%rdi)\n mov %r10, 80(%rdi)\n"
	"	mov %r11, 88(%rdi)\n mov %r12, 96(%rdi)\n mov %r13, 104(%rdi)\n"
	"	mov %r14, 112(%rdi)\n mov %r15, 120(%rdi)\n"
	"	pop %rax\n mov %rax, 56(%rdi)\n pop %rax\n mov %rax, 128(%rdi)\n"
	"	pop %rdi\n cld\n"
	"	pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
	"	ret\n"
	".size run_native, .-run_native\n"
	".local native_code\n"
	".comm native_code, 8, 8\n");

/* capstone's names of the registers of struct regs */
static const unsigned cs_reg[16] = {
	X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX, X86_REG_RSP,
	X86_REG_RBP, X86_REG_RSI, X86_REG_RDI, X86_REG_R8, X86_REG_R9,
	X86_REG_R10, X86_REG_R11, X86_REG_R12, X86_REG_R13, X86_REG_R14,
	X86_REG_R15,
};

static uint8_t *page; /* rwx: code below BUF_OFF, data from it */
static csh cs;

static int
setup(void **state)
{
	(void)state;
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED || cs_open(CS_ARCH_X86, CS_MODE_64, &cs) !=
			CS_ERR_OK)
		return -1;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	srandom(7);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cs_close(&cs);
	munmap(page, 4096);
	return 0;
}

static uint64_t
rand64(void)
{
	return ((uint64_t)random() << 42) ^ ((uint64_t)random() << 21) ^
		(uint64_t)random();
}

/* place -- s's code at where, a ret after it; decoded */
static cs_insn *
place(const struct sample *s, uint8_t *where)
{
	cs_insn *insn;
	memcpy(where, s->bytes, s->len);
	where[s->len] = 0xc3;
	size_t n = cs_disasm(cs, where, s->len, (uint64_t)(uintptr_t)where, 1,
			&insn);
	assert_int_equal(n, 1);
	return insn;
}

/* mem_operand -- the instruction's memory operand */
static const cs_x86_op *
mem_operand(const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	for (uint8_t i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM)
			return &x->operands[i];
	fail_msg("%s %s: no memory operand", insn->mnemonic, insn->op_str);
	return NULL;
}

/* random_start -- registers, flags and the buffer at random; a memory
 * operand's base register on the buffer, its index a small one; some
 * buffers with the values that make flags interesting (0, -1) */
static void
random_start(struct regs *r, const cs_x86_op *m, uint64_t flags_more)
{
	r->flags = 2 | (rand64() & ARITH_FLAGS) | flags_more;
	for (int i = 0; i < 16; i++) {
		r->g[i] = rand64();
		if (m && cs_reg[i] == m->mem.base)
			r->g[i] = (uint64_t)(uintptr_t)(page + BUF_OFF + 64);
		else if (m && cs_reg[i] == m->mem.index)
			r->g[i] = rand64() % 4;
	}
	for (int i = 0; i < BUF_LEN; i++)
		page[BUF_OFF + i] = (uint8_t)random();
	if (random() % 4 == 0)
		memset(page + BUF_OFF + 64, random() % 2 ? 0 : 0xff, 32);
}

static void
uc_of(ucontext_t *uc, const struct regs *r, uintptr_t pc)
{
	memset(uc, 0, sizeof(*uc));
	for (int i = 0; i < 16; i++)
		uc->uc_mcontext.gregs[greg_of[i]] = (greg_t)r->g[i];
	uc->uc_mcontext.gregs[REG_EFL] = (greg_t)r->flags;
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)pc;
}

/* ea_of -- the memory operand's address with registers r */
static uintptr_t
ea_of(const cs_insn *insn, const cs_x86_op *m, const struct regs *r)
{
	uint64_t ea = (uint64_t)m->mem.disp;
	if (m->mem.base == X86_REG_RIP)
		ea += insn->address + insn->size;
	for (int i = 0; i < 16; i++) {
		if (cs_reg[i] == m->mem.base)
			ea += r->g[i];
		if (cs_reg[i] == m->mem.index)
			ea += r->g[i] * (uint64_t)m->mem.scale;
	}
	return (uintptr_t)ea;
}

/* native_end -- s run natively from r (the buffer as it is): the end
 * registers into *native, the end buffer into buf; the buffer restored */
static void
native_end(const struct regs *r, uint8_t *where, struct regs *native,
		uint8_t *buf)
{
	uint8_t start[BUF_LEN];
	memcpy(start, page + BUF_OFF, BUF_LEN);
	*native = *r;
	native->g[4] = 0;
	run_native(native, where);
	memcpy(buf, page + BUF_OFF, BUF_LEN);
	memcpy(page + BUF_OFF, start, BUF_LEN);
}

/* same_end -- the emulated end (uc, the buffer) is the native one: every
 * register but rsp, the arithmetic flags, the buffer */
static void
same_end(const char *text, const ucontext_t *uc, const struct regs *native,
		const uint8_t *native_buf)
{
	for (int i = 0; i < 16; i++) {
		uint64_t v = (uint64_t)uc->uc_mcontext.gregs[greg_of[i]];
		if (i != 4 && v != native->g[i])
			fail_msg("%s: register %d is %#llx, natively %#llx",
				text, i, (unsigned long long)v,
				(unsigned long long)native->g[i]);
	}
	uint64_t f = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
	if ((f & ARITH_FLAGS) != (native->flags & ARITH_FLAGS))
		fail_msg("%s: flags %#llx, natively %#llx", text,
			(unsigned long long)f, (unsigned long long)native->flags);
	if (memcmp(page + BUF_OFF, native_buf, BUF_LEN) != 0)
		fail_msg("%s: memory differs", text);
}

/* code_at -- where s runs: the page's start, or (rip-relative) where
 * its operand lands in the buffer */
static uint8_t *
code_at(const struct sample *s)
{
	cs_insn *insn = place(s, page);
	const cs_x86_op *m = mem_operand(insn);
	uint8_t *where = page;
	if (m->mem.base == X86_REG_RIP)
		where = page + BUF_OFF + 64 - s->len - m->mem.disp;
	cs_free(insn, 1);
	return where;
}

static void
test_each_form_ends_as_the_instruction(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
		const struct sample *s = &forms[k];
		uint8_t *where = code_at(s);
		cs_insn *insn = place(s, where);
		const cs_x86_op *m = mem_operand(insn);
		for (int round = 0; round < ROUNDS; round++) {
			struct regs r, native;
			uint8_t native_buf[BUF_LEN];
			ucontext_t uc;
			random_start(&r, m, 0);
			native_end(&r, where, &native, native_buf);
			uc_of(&uc, &r, (uintptr_t)where);
			if (!lw_emul_access(&uc, insn, ea_of(insn, m, &r),
					PROT_READ | PROT_WRITE))
				fail_msg("%s: not emulated", s->text);
			same_end(s->text, &uc, &native, native_buf);
			assert_int_equal(uc.uc_mcontext.gregs[REG_RIP],
					(uintptr_t)where + s->len);
		}
		cs_free(insn, 1);
	}
}

/* a form with a prefix or operand it cannot follow exactly is left to
 * the trap flag, its registers untouched */
static void
test_other_forms_are_left_to_the_trap(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(rejected) / sizeof(rejected[0]); k++) {
		const struct sample *s = &rejected[k];
		cs_insn *insn = place(s, page);
		struct regs r;
		ucontext_t uc, before;
		random_start(&r, NULL, 0);
		uc_of(&uc, &r, (uintptr_t)page);
		before = uc;
		if (lw_emul_access(&uc, insn, (uintptr_t)(page + BUF_OFF),
				PROT_READ | PROT_WRITE))
			fail_msg("%s: emulated", s->text);
		assert_memory_equal(&uc.uc_mcontext, &before.uc_mcontext,
				sizeof(uc.uc_mcontext));
		assert_int_equal(lw_emul_rep_size(insn), 0);
		cs_free(insn, 1);
	}
}

/* a load needs PROT_READ, a store or read-modify-write PROT_WRITE too:
 * without, the instruction faults again as the check's own fault */
static void
test_the_page_protection_is_kept(void **state)
{
	(void)state;
	static const struct { size_t form; int prot; } no[] = {
		{ 0, PROT_NONE },            /* mov al, [rdi+3] */
		{ 13, PROT_READ },           /* mov [rdi+1], bl */
		{ 24, PROT_READ },           /* add [rdi+8], rax */
		{ 6, PROT_EXEC },           /* movzx eax, byte [rdi+1] */
	};
	for (size_t k = 0; k < sizeof(no) / sizeof(no[0]); k++) {
		const struct sample *s = &forms[no[k].form];
		cs_insn *insn = place(s, page);
		struct regs r;
		ucontext_t uc;
		random_start(&r, mem_operand(insn), 0);
		uc_of(&uc, &r, (uintptr_t)page);
		if (lw_emul_access(&uc, insn, ea_of(insn, mem_operand(insn),
				&r), no[k].prot))
			fail_msg("%s: emulated with prot %d", s->text,
				no[k].prot);
		cs_free(insn, 1);
	}
}

static void
test_rep_forms_end_as_the_instruction(void **state)
{
	(void)state;
	static const unsigned size[] = { 1, 4, 8, 1, 4, 8 };
	for (size_t k = 0; k < sizeof(reps) / sizeof(reps[0]); k++) {
		const struct sample *s = &reps[k];
		cs_insn *insn = place(s, page);
		assert_int_equal(lw_emul_rep_size(insn), size[k]);
		assert_true(lw_emul_rep_at((uintptr_t)page, size[k]));
		assert_false(lw_emul_rep_at((uintptr_t)page, size[k] ^ 5));
		for (int round = 0; round < ROUNDS; round++) {
			struct regs r, native;
			uint8_t native_buf[BUF_LEN];
			ucontext_t uc;
			bool down = round % 2;
			random_start(&r, NULL, down ? DF : 0);
			uint8_t *src = page + BUF_OFF + (down ? 120 : 8);
			/* some overlap: a forward movsb copies a pattern */
			uint8_t *dst = round % 3 ? src + 128 : src + 3;
			r.g[6] = (uint64_t)(uintptr_t)src;
			r.g[7] = (uint64_t)(uintptr_t)dst;
			r.g[1] = rand64() % (100 / size[k] + 1);
			native_end(&r, page, &native, native_buf);
			uc_of(&uc, &r, (uintptr_t)page);
			lw_emul_rep(&uc, insn, size[k]);
			same_end(s->text, &uc, &native, native_buf);
			assert_int_equal(uc.uc_mcontext.gregs[REG_RIP],
					(uintptr_t)page);
		}
		cs_free(insn, 1);
	}
}

/* a string instruction's element size is its bytes', whatever the order
 * of its prefixes (capstone 4 reads 66 f3 ab as rep stosd) */
static void
test_string_sizes_come_from_the_bytes(void **state)
{
	(void)state;
	static const struct { uint8_t bytes[5]; uint8_t len; unsigned size;
			bool rep; } cases[] = {
		{ { 0x66, 0xf3, 0xab }, 3, 2, true },       /* rep stosw */
		{ { 0xf3, 0x66, 0xa5 }, 3, 2, true },       /* rep movsw */
		{ { 0xf3, 0x66, 0x48, 0xab }, 4, 8, true }, /* REX.W wins */
		{ { 0xf3, 0xa5 }, 2, 4, true },             /* rep movsd */
		{ { 0xa4 }, 1, 1, false },                  /* movsb */
		{ { 0x66, 0xf3, 0xaf }, 3, 2, true },       /* repe scasw */
		{ { 0xf2, 0xae }, 2, 1, true },             /* repne scasb */
		{ { 0x48, 0xad }, 2, 8, false },            /* lodsq */
		{ { 0xf2, 0xff, 0x20 }, 3, 0, true },       /* bnd jmp [rax] */
		{ { 0xa8, 0x01 }, 2, 0, false },            /* test al, 1 */
		{ { 0xf3, 0x0f, 0x6f, 0x07 }, 4, 0, true }, /* movdqu */
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		bool rep;
		unsigned size = lw_emul_string_size(cases[k].bytes,
				cases[k].len, &rep);
		assert_int_equal(size, cases[k].size);
		if (size != 0)
			assert_int_equal(rep, cases[k].rep);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_form_ends_as_the_instruction),
		cmocka_unit_test(test_other_forms_are_left_to_the_trap),
		cmocka_unit_test(test_the_page_protection_is_kept),
		cmocka_unit_test(test_rep_forms_end_as_the_instruction),
		cmocka_unit_test(test_string_sizes_come_from_the_bytes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
