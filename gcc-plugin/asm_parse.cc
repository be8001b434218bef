/* asm_parse.cc -- inline asm: read the template for pmem instructions
 *
 * The template is split into instructions (';' and newlines). Understood:
 * clflush, clflushopt, clwb, sfence, mfence, lock-prefixed instructions,
 * xchg with memory, movnt* (movntdqa is a load), movdir64b, the old
 * encodings ".byte 0x66; xsaveopt" (clwb) and ".byte 0x66; clflush"
 * (clflushopt), raw ".byte 0x66, 0x0f, 0xae, 0x30"-style 0F AE opcodes,
 * plain stores and read-modify-writes to a memory destination, and
 * instructions that touch no memory. Anything else, in an asm that may
 * write memory ("memory" clobber or memory output), gets a warning and
 * its memory outputs are reported as stores.
 */
#include "pmemu_plugin.h"

/* What an operand's text names. */
enum pm_opnd {
	PM_OPND_NONE,    /* immediate or register: not memory */
	PM_OPND_MEM,     /* memory at a known address */
	PM_OPND_MEM_UNK, /* memory at an address we cannot tell */
};

struct pm_asm {
	gasm *stmt;
	vec<pm_site> *sites;
	bool writes_memory; /* "memory" clobber or a memory output */
	bool not_understood;
};

/* pm_asm_op -- operand I: outputs first, then inputs (GCC's %N order) */
static tree
pm_asm_op(gasm *stmt, unsigned i)
{
	unsigned nout = gimple_asm_noutputs(stmt);
	if (i < nout)
		return gimple_asm_output_op(stmt, i);
	if (i - nout < gimple_asm_ninputs(stmt))
		return gimple_asm_input_op(stmt, i - nout);
	return NULL_TREE;
}

static const char *
pm_op_constraint(tree op)
{
	return TREE_STRING_POINTER(TREE_VALUE(TREE_PURPOSE(op)));
}

static bool
pm_constraint_is_mem(const char *c)
{
	return strpbrk(c, "moV") != NULL;
}

/* pm_op_by_ref -- the operand "%N", "%qN" or "%[name]" at S names */
static tree
pm_op_by_ref(gasm *stmt, const char *s)
{
	if (*s == '%')
		s++;
	if (ISALPHA(*s) && (ISDIGIT(s[1]) || s[1] == '['))
		s++; /* an operand modifier: %q0, %k1, %a2 */
	if (ISDIGIT(*s))
		return pm_asm_op(stmt, atoi(s));
	if (*s != '[')
		return NULL_TREE;
	const char *end = strchr(s, ']');
	if (end == NULL)
		return NULL_TREE;
	size_t len = end - s - 1;
	unsigned n = gimple_asm_noutputs(stmt) + gimple_asm_ninputs(stmt);
	for (unsigned i = 0; i < n; i++) {
		tree name = TREE_PURPOSE(TREE_PURPOSE(pm_asm_op(stmt, i)));
		if (name != NULL_TREE && TREE_CODE(name) == STRING_CST &&
		    strlen(TREE_STRING_POINTER(name)) == len &&
		    strncmp(TREE_STRING_POINTER(name), s + 1, len) == 0)
			return pm_asm_op(stmt, i);
	}
	return NULL_TREE;
}

/* pm_hard_reg_op -- the input bound to a named register ("a" for %rax) */
static tree
pm_hard_reg_op(gasm *stmt, const char *reg)
{
	static const char *const regs[][2] = {
		{ "rax", "a" }, { "eax", "a" }, { "rbx", "b" }, { "ebx", "b" },
		{ "rcx", "c" }, { "ecx", "c" }, { "rdx", "d" }, { "edx", "d" },
		{ "rsi", "S" }, { "esi", "S" }, { "rdi", "D" }, { "edi", "D" },
	};
	for (const auto &r : regs)
		if (strncmp(reg, r[0], 3) == 0 && !ISALNUM(reg[3]))
			for (unsigned i = 0; i < gimple_asm_ninputs(stmt); i++) {
				tree op = gimple_asm_input_op(stmt, i);
				if (strcmp(pm_op_constraint(op), r[1]) == 0)
					return op;
			}
	return NULL_TREE;
}

/* pm_type_bytes -- the size of a value's type, 0 if not constant */
static unsigned
pm_type_bytes(tree type)
{
	tree size = type ? TYPE_SIZE_UNIT(type) : NULL_TREE;
	return size && tree_fits_uhwi_p(size) ? tree_to_uhwi(size) : 0;
}

/* pm_register_base -- the pointer in the base register "%0", "%%rdi" */
static tree
pm_register_base(gasm *stmt, const char *s)
{
	bool basic = gimple_asm_input_p(stmt); /* basic asm: %rax */
	if (s[0] == '%' && s[1] == '%')
		return pm_hard_reg_op(stmt, s + 2);
	if (s[0] == '%' && basic)
		return pm_hard_reg_op(stmt, s + 1);
	return pm_op_by_ref(stmt, s);
}

/* pm_operand -- what the operand text S refers to; *ADDR and *BYTES for
   memory (BYTES 0 when its type does not say) */
static enum pm_opnd
pm_operand(gasm *stmt, const char *s, tree *addr, unsigned *bytes)
{
	*bytes = 0;
	const char *paren = strchr(s, '(');
	if (paren != NULL) { /* disp(base): the base register holds it */
		char *end;
		long disp = strtol(s, &end, 0);
		if (end != paren)
			return PM_OPND_MEM_UNK; /* sym(%rip), %fs:... */
		tree op = pm_register_base(stmt, paren + 1);
		if (op == NULL_TREE ||
		    !POINTER_TYPE_P(TREE_TYPE(TREE_VALUE(op))))
			return PM_OPND_MEM_UNK;
		tree val = TREE_VALUE(op);
		*addr = fold_build_pointer_plus_hwi(val, disp);
		*bytes = pm_type_bytes(TREE_TYPE(TREE_TYPE(val)));
		return PM_OPND_MEM;
	}
	if (*s != '%' || (s[1] == '%') || gimple_asm_input_p(stmt))
		return PM_OPND_NONE; /* $imm or a register */
	tree op = pm_op_by_ref(stmt, s);
	if (op == NULL_TREE)
		return PM_OPND_MEM_UNK;
	if (!pm_constraint_is_mem(pm_op_constraint(op)))
		return PM_OPND_NONE;
	*addr = build_fold_addr_expr(unshare_expr(TREE_VALUE(op)));
	*bytes = pm_type_bytes(TREE_TYPE(TREE_VALUE(op)));
	return PM_OPND_MEM;
}

/* One instruction of the template, split into mnemonic and operands. */
struct pm_insn {
	const char *text;   /* the whole instruction, for warnings */
	char mnem[32];
	char *ops[4];
	int nops;
	bool lock;          /* a lock prefix came before */
	bool opsize66;      /* a ".byte 0x66" came before */
};

/* pm_warn_unknown -- an instruction we cannot model in an asm that may
   write memory: say so, never ignore it silently */
static void
pm_warn_unknown(pm_asm *a, const pm_insn *in)
{
	a->not_understood = true;
	warning_at(gimple_location(a->stmt), 0,
		   "pmemu: %<asm%> instruction %qs may write memory and is "
		   "not understood; its memory outputs are reported as stores, "
		   "nothing else", in->text);
}

/* pm_warn_address -- a pmem instruction whose memory we cannot locate */
static void
pm_warn_address(pm_asm *a, const pm_insn *in)
{
	warning_at(gimple_location(a->stmt), 0,
		   "pmemu: cannot tell the address used by %<asm%> "
		   "instruction %qs; use an %<\"m\"%> operand or a pointer "
		   "operand as base register; not instrumented", in->text);
}

/* pm_reg_bytes -- the width of a register operand ("%%xmm1", "%1") */
static unsigned
pm_reg_bytes(gasm *stmt, const char *s)
{
	const char *r = s[1] == '%' ? s + 2 : s + 1;
	if (*s != '%')
		return 0;
	if (s[1] != '%' && !gimple_asm_input_p(stmt)) {
		tree op = pm_op_by_ref(stmt, s);
		return op ? pm_type_bytes(TREE_TYPE(TREE_VALUE(op))) : 0;
	}
	switch (r[0]) {
	case 'x': return 16;
	case 'y': return 32;
	case 'z': return 64;
	case 'r': return 8;
	case 'e': return 4;
	default: return 0;
	}
}

/* pm_dest -- the memory destination (last operand) of IN: its address
   and width, from its type, the mnemonic's suffix or the source register */
static enum pm_opnd
pm_dest(pm_asm *a, const pm_insn *in, size_t base_len, tree *addr,
	unsigned *bytes)
{
	if (in->nops == 0)
		return PM_OPND_MEM_UNK;
	enum pm_opnd k = pm_operand(a->stmt, in->ops[in->nops - 1], addr,
				    bytes);
	if (k != PM_OPND_MEM || *bytes != 0)
		return k;
	static const char suffix[] = "bwlq";
	const char *sfx = strlen(in->mnem) == base_len + 1
		? strchr(suffix, in->mnem[base_len]) : NULL;
	if (sfx != NULL)
		*bytes = 1u << (sfx - suffix);
	else if (in->nops > 1)
		*bytes = pm_reg_bytes(a->stmt, in->ops[0]);
	if (*bytes == 0)
		*bytes = 8;
	return k;
}

/* pm_store_dest -- IN stores (EV) to its memory destination, if any */
static bool
pm_store_dest(pm_asm *a, const pm_insn *in, size_t base_len,
	      enum pm_event ev)
{
	tree addr;
	unsigned bytes;
	enum pm_opnd k = pm_dest(a, in, base_len, &addr, &bytes);
	if (k == PM_OPND_MEM)
		pm_site_store(a->sites, ev, addr, size_int(bytes), NULL);
	else if (k == PM_OPND_MEM_UNK)
		pm_warn_address(a, in);
	return k != PM_OPND_NONE;
}

/* pm_flush -- clflush/clflushopt/clwb of the line OPERAND is in */
static void
pm_flush(pm_asm *a, const pm_insn *in, int kind)
{
	tree addr;
	unsigned bytes;
	if (in->nops == 1 &&
	    pm_operand(a->stmt, in->ops[0], &addr, &bytes) == PM_OPND_MEM) {
		pm_site s = { PM_EV_FLUSH, addr, NULL_TREE, PM_LEN_TREE,
			      NULL_TREE, NULL_TREE, kind, NULL_TREE };
		a->sites->safe_push(s);
	} else {
		pm_warn_address(a, in);
	}
}

/* pm_rmw_base -- length of the read-modify-write or mov mnemonic base IN
   starts with ("addl" -> 3), followed by nothing or a size suffix; 0 if
   it is none of them */
static size_t
pm_rmw_base(const char *m)
{
	static const char *const bases[] = {
		"add", "sub", "and", "or", "xor", "adc", "sbb", "inc", "dec",
		"not", "neg", "xadd", "cmpxchg", "bts", "btr", "btc", "shl",
		"shr", "sal", "sar", "rol", "ror", "xchg", "mov",
	};
	for (const char *b : bases) {
		size_t n = strlen(b);
		if (strncmp(m, b, n) == 0 &&
		    (m[n] == '\0' || (m[n + 1] == '\0' && strchr("bwlq", m[n]))))
			return n;
	}
	return 0;
}

/* pm_harmless -- instructions that write no memory (or only the stack) */
static bool
pm_harmless(const char *m)
{
	static const char *const names[] = {
		"nop", "pause", "lfence", "rdtsc", "rdtscp", "cpuid", "ud2",
		"int3", "cmp", "test", "lea", "bt", "push", "pop", "pushf",
		"popf", "pushfq", "popfq", "rdrand", "rdseed", "xgetbv",
	};
	for (const char *n : names)
		if (strcmp(m, n) == 0)
			return true;
	return startswith(m, "prefetch") || startswith(m, "cmp") ||
	       startswith(m, "test") || startswith(m, "lea");
}

/* pm_xchg -- xchg with a memory operand is implicitly locked */
static void
pm_xchg(pm_asm *a, const pm_insn *in, size_t base_len)
{
	tree addr;
	unsigned bytes;
	for (int i = 0; i < in->nops; i++)
		if (pm_operand(a->stmt, in->ops[i], &addr, &bytes) !=
		    PM_OPND_NONE) {
			pm_insn one = *in;
			one.ops[0] = in->ops[1 - i]; /* register, for the width */
			one.ops[1] = in->ops[i];
			pm_store_dest(a, &one, base_len, PM_EV_STORE);
			pm_site_fence(a->sites, PM_LOCKED);
			return;
		}
}

/* pm_movdir64b -- movdir64b src, dst: the register dst holds the address */
static void
pm_movdir64b(pm_asm *a, const pm_insn *in)
{
	tree op = in->nops == 2 ? pm_register_base(a->stmt, in->ops[1]) : NULL;
	if (op == NULL_TREE || !POINTER_TYPE_P(TREE_TYPE(TREE_VALUE(op)))) {
		pm_warn_address(a, in);
		return;
	}
	pm_site s = { PM_EV_MOVDIR64B, TREE_VALUE(op), NULL_TREE, PM_LEN_TREE,
		      NULL_TREE, NULL_TREE, 0, NULL_TREE };
	a->sites->safe_push(s);
}

/* pm_insn_sites -- the sites of one decoded instruction */
static void
pm_insn_sites(pm_asm *a, const pm_insn *in)
{
	const char *m = in->mnem;
	size_t rmw = pm_rmw_base(m);
	if (in->opsize66 && strcmp(m, "xsaveopt") == 0)
		pm_flush(a, in, PM_CLWB); /* 66 0F AE /6 */
	else if (in->opsize66 && strcmp(m, "clflush") == 0)
		pm_flush(a, in, PM_CLFLUSHOPT); /* 66 0F AE /7 */
	else if (strcmp(m, "clflush") == 0)
		pm_flush(a, in, PM_CLFLUSH);
	else if (strcmp(m, "clflushopt") == 0)
		pm_flush(a, in, PM_CLFLUSHOPT);
	else if (strcmp(m, "clwb") == 0)
		pm_flush(a, in, PM_CLWB);
	else if (strcmp(m, "sfence") == 0)
		pm_site_fence(a->sites, PM_SFENCE);
	else if (strcmp(m, "mfence") == 0)
		pm_site_fence(a->sites, PM_MFENCE);
	else if (in->lock) {
		pm_store_dest(a, in, rmw ? rmw : strlen(m), PM_EV_STORE);
		pm_site_fence(a->sites, PM_LOCKED);
	} else if (startswith(m, "movnt") || startswith(m, "vmovnt")) {
		if (strstr(m, "dqa") == NULL) /* movntdqa is a load */
			pm_store_dest(a, in, startswith(m, "movnti") ? 6
					     : strlen(m), PM_EV_STORE_NT);
	} else if (strcmp(m, "movdir64b") == 0)
		pm_movdir64b(a, in);
	else if (rmw != 0 && startswith(m, "xchg"))
		pm_xchg(a, in, rmw);
	else if ((rmw != 0 || startswith(m, "mov") || startswith(m, "vmov")) &&
		 in->nops >= 1)
		pm_store_dest(a, in, rmw ? rmw : strlen(m), PM_EV_STORE);
	else if (!pm_harmless(m) && a->writes_memory)
		pm_warn_unknown(a, in);
}

/* pm_raw_0fae -- ".byte [0x66,] 0x0f, 0xae, MODRM": clflush, clflushopt,
   clwb with the address in the register MODRM names, sfence, mfence;
   returns false for any other bytes */
static bool
pm_raw_0fae(pm_asm *a, const pm_insn *in, const unsigned *b, int n)
{
	bool p66 = in->opsize66;
	if (n > 0 && b[0] == 0x66) {
		p66 = true;
		b++, n--;
	}
	if (n != 3 || b[0] != 0x0f || b[1] != 0xae)
		return false;
	unsigned mod = b[2] >> 6, reg = (b[2] >> 3) & 7, rm = b[2] & 7;
	if (mod == 3) {
		if (reg == 7 || reg == 6)
			pm_site_fence(a->sites, reg == 7 ? PM_SFENCE : PM_MFENCE);
		return reg >= 5; /* lfence is 0xe8: harmless */
	}
	if (mod != 0 || (reg != 7 && !(reg == 6 && p66)))
		return false; /* xsave & co., or a displacement */
	static const char *const base[8] = { "%%rax", "%%rcx", "%%rdx",
		"%%rbx", NULL, NULL, "%%rsi", "%%rdi" };
	pm_insn flush = *in;
	char text[16];
	if (base[rm] == NULL)
		return false;
	snprintf(text, sizeof text, "(%s)", base[rm]);
	flush.ops[0] = text;
	flush.nops = 1;
	pm_flush(a, &flush, reg == 6 ? PM_CLWB
				     : p66 ? PM_CLFLUSHOPT : PM_CLFLUSH);
	return true;
}

/* pm_directive -- ".byte 0x66" (a prefix for the next instruction), raw
   0F AE encodings, and directives that emit no code; sets *PREFIX66 */
static void
pm_directive(pm_asm *a, pm_insn *in, bool *prefix66)
{
	static const char *const quiet[] = {
		".p2align", ".align", ".balign", ".section", ".pushsection",
		".popsection", ".previous", ".text", ".globl", ".type", ".size",
	};
	for (const char *q : quiet)
		if (strcmp(in->mnem, q) == 0)
			return;
	unsigned bytes[8];
	int n = 0;
	bool ok = strcmp(in->mnem, ".byte") == 0;
	for (int i = 0; ok && i < in->nops && n < 8; i++) {
		char *end;
		bytes[n++] = strtoul(in->ops[i], &end, 0);
		ok = *end == '\0' && end != in->ops[i];
	}
	if (ok && n == 1 && bytes[0] == 0x66) {
		*prefix66 = true;
		return;
	}
	if (ok && pm_raw_0fae(a, in, bytes, n))
		return;
	if (a->writes_memory)
		pm_warn_unknown(a, in);
}

/* pm_split_insn -- "  lock; addl %1, %0" pieces into mnemonic and operands */
static void
pm_split_insn(char *s, pm_insn *in)
{
	size_t n = strcspn(s, " \t");
	snprintf(in->mnem, sizeof in->mnem, "%.*s", (int)n, s);
	for (char *c = in->mnem; *c; c++)
		*c = TOLOWER(*c);
	s += n;
	in->nops = 0;
	int depth = 0;
	for (char *tok = s + strspn(s, " \t"); *tok && in->nops < 4;) {
		char *c = tok;
		for (; *c && (depth > 0 || *c != ','); c++)
			depth += (*c == '(') - (*c == ')');
		char *next = *c ? c + 1 : c;
		*c = '\0';
		while (c > tok && ISSPACE(c[-1]))
			*--c = '\0';
		in->ops[in->nops++] = tok;
		tok = next + strspn(next, " \t");
	}
}

/* pm_asm_writes_memory -- a "memory" clobber or a memory output */
static bool
pm_asm_writes_memory(gasm *stmt)
{
	for (unsigned i = 0; i < gimple_asm_nclobbers(stmt); i++)
		if (strcmp(TREE_STRING_POINTER(TREE_VALUE(
			   gimple_asm_clobber_op(stmt, i))), "memory") == 0)
			return true;
	for (unsigned i = 0; i < gimple_asm_noutputs(stmt); i++)
		if (pm_constraint_is_mem(pm_op_constraint(
			    gimple_asm_output_op(stmt, i))))
			return true;
	return false;
}

/* pm_report_outputs -- an asm we did not understand: its memory outputs
   are what it says it writes */
static void
pm_report_outputs(pm_asm *a)
{
	for (unsigned i = 0; i < gimple_asm_noutputs(a->stmt); i++) {
		tree op = gimple_asm_output_op(a->stmt, i);
		tree val = TREE_VALUE(op);
		unsigned bytes = pm_type_bytes(TREE_TYPE(val));
		if (pm_constraint_is_mem(pm_op_constraint(op)) && bytes != 0 &&
		    !pm_store_is_local(val))
			pm_site_store(a->sites, PM_EV_STORE,
				      build_fold_addr_expr(unshare_expr(val)),
				      size_int(bytes), NULL);
	}
}

/* pm_classify_asm -- the sites of an inline asm, instruction by instruction */
void
pm_classify_asm(gasm *stmt, vec<pm_site> *sites)
{
	pm_asm a = { stmt, sites, pm_asm_writes_memory(stmt), false };
	char *buf = xstrdup(gimple_asm_string(stmt));
	bool lock = false, prefix66 = false, rep = false;
	char *save = NULL;
	for (char *s = strtok_r(buf, ";\n", &save); s != NULL;
	     s = strtok_r(NULL, ";\n", &save)) {
		char *hash = strchr(s, '#');
		if (hash != NULL)
			*hash = '\0';
		s += strspn(s, " \t");
		size_t len = strlen(s);
		while (len > 0 && ISSPACE(s[len - 1]))
			s[--len] = '\0';
		if (len == 0 || s[len - 1] == ':')
			continue; /* empty, or a label */
		char text[128], rest[128];
		snprintf(text, sizeof text, "%s", s);
		snprintf(rest, sizeof rest, "%s", s);
		pm_insn in = { text, "", { NULL }, 0, lock, prefix66 };
		pm_split_insn(s, &in);
		lock = prefix66 = false;
		if (strcmp(in.mnem, "lock") == 0 || startswith(in.mnem, "rep")) {
			bool is_lock = in.mnem[0] == 'l';
			lock |= is_lock;
			rep |= !is_lock;
			if (in.nops == 0)
				continue; /* "lock;" alone: prefixes the next */
			/* "lock addl ..." on one line: parse the rest */
			char *tail = rest + strlen(in.mnem);
			in.lock = lock;
			pm_split_insn(tail + strspn(tail, " \t"), &in);
			lock = false;
		}
		if (in.mnem[0] == '.')
			pm_directive(&a, &in, &prefix66);
		else if (rep && strcmp(in.mnem, "nop") != 0 && a.writes_memory)
			pm_warn_unknown(&a, &in); /* rep movs, rep stos */
		else if (!rep)
			pm_insn_sites(&a, &in);
		rep = false;
	}
	free(buf);
	if (a.not_understood)
		pm_report_outputs(&a);
}
