/* classify.cc -- which statements touch maybe-pmem memory, and how */
#include "pmemu_plugin.h"

/* How a call's store, if any, and its fence are found. */
enum pm_success {
	PM_OK_ALWAYS,   /* the store always happens */
	PM_OK_LHS,      /* the call returns true when it stored (CAS) */
	PM_OK_LHS_EQ1,  /* it stored when its result equals argument 1 */
	PM_OK_IMAG,     /* IFN_ATOMIC_COMPARE_EXCHANGE: imagpart of the lhs */
};
enum pm_fence_rule {
	PM_FENCE_NONE,
	PM_FENCE_ALWAYS, /* a locked RMW or xchg: every order */
	PM_FENCE_SEQCST, /* a store: a fence only when seq_cst (x86 mfence) */
};

/* One builtin's effect, as tsan_atomic_table pairs builtins and actions. */
struct pm_call_rule {
	enum pm_event ev;
	signed char addr_arg;  /* -1: no store (a pure fence) */
	signed char len_arg;   /* -1: size or len_kind gives the length */
	signed char size;      /* fixed bytes, 0 if not fixed */
	enum pm_len len_kind;
	enum pm_fence_rule fence;
	signed char order_arg; /* PM_FENCE_SEQCST: the memory order */
	enum pm_success success;
	int hook_kind;         /* fence kind or flush kind */
};

/* memcpy & co.: the length is an argument, or the string they wrote */
#define PM_MEM(code, addr, len) { code, { PM_EV_STORE, addr, len, 0, \
	PM_LEN_TREE, PM_FENCE_NONE, -1, PM_OK_ALWAYS, 0 } }
#define PM_STR(code, kind) { code, { PM_EV_STORE, 0, -1, 0, kind, \
	PM_FENCE_NONE, -1, PM_OK_ALWAYS, 0 } }
#define PM_BARE_FENCE(code, kind, order) { code, { PM_EV_FENCE, -1, -1, 0, \
	PM_LEN_TREE, order < 0 ? PM_FENCE_ALWAYS : PM_FENCE_SEQCST, order, \
	PM_OK_ALWAYS, kind } }

static const struct {
	enum built_in_function code;
	struct pm_call_rule rule;
} pm_fixed_rules[] = {
	PM_MEM(BUILT_IN_MEMCPY, 0, 2), PM_MEM(BUILT_IN_MEMMOVE, 0, 2),
	PM_MEM(BUILT_IN_MEMSET, 0, 2), PM_MEM(BUILT_IN_MEMPCPY, 0, 2),
	PM_MEM(BUILT_IN_BZERO, 0, 1), PM_MEM(BUILT_IN_BCOPY, 1, 2),
	PM_MEM(BUILT_IN_STRNCPY, 0, 2), PM_MEM(BUILT_IN_STPNCPY, 0, 2),
	PM_MEM(BUILT_IN_MEMCPY_CHK, 0, 2), PM_MEM(BUILT_IN_MEMMOVE_CHK, 0, 2),
	PM_MEM(BUILT_IN_MEMSET_CHK, 0, 2), PM_MEM(BUILT_IN_MEMPCPY_CHK, 0, 2),
	PM_MEM(BUILT_IN_STRNCPY_CHK, 0, 2), PM_MEM(BUILT_IN_STPNCPY_CHK, 0, 2),
	PM_STR(BUILT_IN_STRCPY, PM_LEN_STRCPY),
	PM_STR(BUILT_IN_STRCPY_CHK, PM_LEN_STRCPY),
	PM_STR(BUILT_IN_STPCPY, PM_LEN_STPCPY),
	PM_STR(BUILT_IN_STPCPY_CHK, PM_LEN_STPCPY),
	PM_STR(BUILT_IN_STRCAT, PM_LEN_STRCAT),
	PM_STR(BUILT_IN_STRCAT_CHK, PM_LEN_STRCAT),
	PM_STR(BUILT_IN_STRNCAT, PM_LEN_STRNCAT),
	PM_STR(BUILT_IN_STRNCAT_CHK, PM_LEN_STRNCAT),
	PM_BARE_FENCE(BUILT_IN_SYNC_SYNCHRONIZE, PM_MFENCE, -1),
	PM_BARE_FENCE(BUILT_IN_ATOMIC_THREAD_FENCE, PM_MFENCE, 0),
	/* libatomic's generic forms: (size, ptr, ...) */
	{ BUILT_IN_ATOMIC_STORE, { PM_EV_STORE, 1, 0, 0, PM_LEN_TREE,
		PM_FENCE_SEQCST, 3, PM_OK_ALWAYS, PM_LOCKED } },
	{ BUILT_IN_ATOMIC_EXCHANGE, { PM_EV_STORE, 1, 0, 0, PM_LEN_TREE,
		PM_FENCE_ALWAYS, -1, PM_OK_ALWAYS, PM_LOCKED } },
	{ BUILT_IN_ATOMIC_COMPARE_EXCHANGE, { PM_EV_STORE, 1, 0, 0,
		PM_LEN_TREE, PM_FENCE_ALWAYS, -1, PM_OK_LHS, PM_LOCKED } },
	{ BUILT_IN_ATOMIC_TEST_AND_SET, { PM_EV_STORE, 0, -1, 1, PM_LEN_TREE,
		PM_FENCE_ALWAYS, -1, PM_OK_ALWAYS, PM_LOCKED } },
	{ BUILT_IN_ATOMIC_CLEAR, { PM_EV_STORE, 0, -1, 1, PM_LEN_TREE,
		PM_FENCE_SEQCST, 1, PM_OK_ALWAYS, PM_LOCKED } },
};

/* The sized atomic families: CODE_1 .. CODE_16 follow one another. */
static const struct {
	enum built_in_function code_1;
	enum pm_fence_rule fence;
	signed char order_arg;
	enum pm_success success;
} pm_atomic_families[] = {
	{ BUILT_IN_ATOMIC_STORE_1, PM_FENCE_SEQCST, 2, PM_OK_ALWAYS },
	{ BUILT_IN_SYNC_LOCK_RELEASE_1, PM_FENCE_NONE, -1, PM_OK_ALWAYS },
	{ BUILT_IN_ATOMIC_EXCHANGE_1, PM_FENCE_ALWAYS, -1, PM_OK_ALWAYS },
	{ BUILT_IN_SYNC_LOCK_TEST_AND_SET_1, PM_FENCE_ALWAYS, -1, PM_OK_ALWAYS },
	{ BUILT_IN_ATOMIC_COMPARE_EXCHANGE_1, PM_FENCE_ALWAYS, -1, PM_OK_LHS },
	{ BUILT_IN_SYNC_BOOL_COMPARE_AND_SWAP_1, PM_FENCE_ALWAYS, -1, PM_OK_LHS },
	{ BUILT_IN_SYNC_VAL_COMPARE_AND_SWAP_1, PM_FENCE_ALWAYS, -1,
	  PM_OK_LHS_EQ1 },
#define PM_RMW(c) { c, PM_FENCE_ALWAYS, -1, PM_OK_ALWAYS }
	PM_RMW(BUILT_IN_ATOMIC_ADD_FETCH_1), PM_RMW(BUILT_IN_ATOMIC_SUB_FETCH_1),
	PM_RMW(BUILT_IN_ATOMIC_AND_FETCH_1), PM_RMW(BUILT_IN_ATOMIC_NAND_FETCH_1),
	PM_RMW(BUILT_IN_ATOMIC_XOR_FETCH_1), PM_RMW(BUILT_IN_ATOMIC_OR_FETCH_1),
	PM_RMW(BUILT_IN_ATOMIC_FETCH_ADD_1), PM_RMW(BUILT_IN_ATOMIC_FETCH_SUB_1),
	PM_RMW(BUILT_IN_ATOMIC_FETCH_AND_1), PM_RMW(BUILT_IN_ATOMIC_FETCH_NAND_1),
	PM_RMW(BUILT_IN_ATOMIC_FETCH_XOR_1), PM_RMW(BUILT_IN_ATOMIC_FETCH_OR_1),
	PM_RMW(BUILT_IN_SYNC_FETCH_AND_ADD_1), PM_RMW(BUILT_IN_SYNC_FETCH_AND_SUB_1),
	PM_RMW(BUILT_IN_SYNC_FETCH_AND_OR_1), PM_RMW(BUILT_IN_SYNC_FETCH_AND_AND_1),
	PM_RMW(BUILT_IN_SYNC_FETCH_AND_XOR_1),
	PM_RMW(BUILT_IN_SYNC_FETCH_AND_NAND_1),
	PM_RMW(BUILT_IN_SYNC_ADD_AND_FETCH_1), PM_RMW(BUILT_IN_SYNC_SUB_AND_FETCH_1),
	PM_RMW(BUILT_IN_SYNC_OR_AND_FETCH_1), PM_RMW(BUILT_IN_SYNC_AND_AND_FETCH_1),
	PM_RMW(BUILT_IN_SYNC_XOR_AND_FETCH_1),
	PM_RMW(BUILT_IN_SYNC_NAND_AND_FETCH_1),
#undef PM_RMW
};

/* x86 machine builtins behind the intrinsics, by name (size 0: the type
   of argument 1, the value stored, gives it) */
static const struct {
	const char *name;
	struct pm_call_rule rule;
} pm_md_rules[] = {
#define PM_MD_FLUSH(n, k) { n, { PM_EV_FLUSH, 0, -1, 0, PM_LEN_TREE, \
	PM_FENCE_NONE, -1, PM_OK_ALWAYS, k } }
#define PM_MD_NT(n, addr, size) { n, { PM_EV_STORE_NT, addr, -1, size, \
	PM_LEN_TREE, PM_FENCE_NONE, -1, PM_OK_ALWAYS, 0 } }
	PM_MD_FLUSH("__builtin_ia32_clflush", PM_CLFLUSH),
	PM_MD_FLUSH("__builtin_ia32_clflushopt", PM_CLFLUSHOPT),
	PM_MD_FLUSH("__builtin_ia32_clwb", PM_CLWB),
	PM_BARE_FENCE("__builtin_ia32_sfence", PM_SFENCE, -1),
	PM_BARE_FENCE("__builtin_ia32_mfence", PM_MFENCE, -1),
	PM_MD_NT("__builtin_ia32_movnti", 0, 0),
	PM_MD_NT("__builtin_ia32_movnti64", 0, 0),
	PM_MD_NT("__builtin_ia32_movntq", 0, 0),
	PM_MD_NT("__builtin_ia32_movntdq", 0, 0),
	PM_MD_NT("__builtin_ia32_movntps", 0, 0),
	PM_MD_NT("__builtin_ia32_movntpd", 0, 0),
	PM_MD_NT("__builtin_ia32_movntss", 0, 4),
	PM_MD_NT("__builtin_ia32_movntsd", 0, 8),
	PM_MD_NT("__builtin_ia32_movntdq256", 0, 0),
	PM_MD_NT("__builtin_ia32_movntps256", 0, 0),
	PM_MD_NT("__builtin_ia32_movntpd256", 0, 0),
	PM_MD_NT("__builtin_ia32_movntdq512", 0, 0),
	PM_MD_NT("__builtin_ia32_movntps512", 0, 0),
	PM_MD_NT("__builtin_ia32_movntpd512", 0, 0),
	PM_MD_NT("__builtin_ia32_maskmovdqu", 2, 16),
	PM_MD_NT("__builtin_ia32_maskmovq", 2, 8),
	PM_MD_NT("__builtin_ia32_directstoreu_u32", 0, 4),
	PM_MD_NT("__builtin_ia32_directstoreu_u64", 0, 8),
	{ "__builtin_ia32_movdir64b", { PM_EV_MOVDIR64B, 0, -1, 64,
		PM_LEN_TREE, PM_FENCE_NONE, -1, PM_OK_ALWAYS, 0 } },
#undef PM_MD_FLUSH
#undef PM_MD_NT
};

static const pm_call_rule *pm_builtin_rules[END_BUILTINS];
static pm_call_rule pm_family_rules[ARRAY_SIZE(pm_atomic_families)][5];

/* pm_classify_init -- index the tables by builtin code */
void
pm_classify_init(void)
{
	for (const auto &f : pm_fixed_rules)
		pm_builtin_rules[f.code] = &f.rule;
	for (size_t i = 0; i < ARRAY_SIZE(pm_atomic_families); i++)
		for (int lg = 0; lg < 5; lg++) {
			pm_call_rule *r = &pm_family_rules[i][lg];
			*r = { PM_EV_STORE, 0, -1, (signed char)(1 << lg),
			       PM_LEN_TREE, pm_atomic_families[i].fence,
			       pm_atomic_families[i].order_arg,
			       pm_atomic_families[i].success, PM_LOCKED };
			pm_builtin_rules[pm_atomic_families[i].code_1 + lg] = r;
		}
}

/* pm_md_rule -- the rule of an x86 builtin, by name */
static const pm_call_rule *
pm_md_rule(tree fndecl)
{
	const char *name = IDENTIFIER_POINTER(DECL_NAME(fndecl));
	for (const auto &m : pm_md_rules)
		if (strcmp(name, m.name) == 0)
			return &m.rule;
	return NULL;
}

/* pm_is_seq_cst -- a memory-order argument that may be seq_cst */
static bool
pm_is_seq_cst(tree order)
{
	if (!tree_fits_uhwi_p(order))
		return true; /* GCC treats an unknown order as seq_cst */
	return memmodel_base(tree_to_uhwi(order)) == MEMMODEL_SEQ_CST;
}

/* pm_call_success -- when the store of a CAS happened, as a tree */
static tree
pm_call_success(gcall *call, enum pm_success how)
{
	if (how == PM_OK_ALWAYS)
		return NULL_TREE;
	tree lhs = gimple_call_lhs(call);
	if (lhs == NULL_TREE) {
		if (how == PM_OK_IMAG)
			return NULL_TREE; /* GCC folds to it only with a lhs */
		/* the program ignores the result; we need it */
		lhs = make_ssa_name(gimple_call_return_type(call));
		gimple_call_set_lhs(call, lhs);
		update_stmt(call);
	}
	switch (how) {
	case PM_OK_LHS:
		return lhs;
	case PM_OK_LHS_EQ1:
		return build2(EQ_EXPR, boolean_type_node, lhs,
			      fold_convert(TREE_TYPE(lhs),
					   gimple_call_arg(call, 1)));
	case PM_OK_IMAG:
		return build1(IMAGPART_EXPR, TREE_TYPE(TREE_TYPE(lhs)), lhs);
	default:
		gcc_unreachable();
	}
}

/* pm_site_store -- a store (or NT store) of LEN bytes at ADDR */
void
pm_site_store(vec<pm_site> *sites, enum pm_event ev, tree addr, tree len,
	      tree success)
{
	pm_site s = { ev, addr, len, PM_LEN_TREE, NULL_TREE, NULL_TREE, 0,
		      success };
	sites->safe_push(s);
}

/* pm_site_fence -- a fence of KIND (enum pmemu_hook_fence) */
void
pm_site_fence(vec<pm_site> *sites, int kind)
{
	pm_site s = { PM_EV_FENCE, NULL_TREE, NULL_TREE, PM_LEN_TREE,
		      NULL_TREE, NULL_TREE, kind, NULL_TREE };
	sites->safe_push(s);
}

/* pm_apply_rule -- the sites of a builtin call, store first, then fence */
static void
pm_apply_rule(gcall *call, const pm_call_rule *r, vec<pm_site> *sites)
{
	if (r->addr_arg >= 0) {
		pm_site s = { r->ev, gimple_call_arg(call, r->addr_arg),
			      NULL_TREE, r->len_kind, NULL_TREE, NULL_TREE,
			      r->hook_kind, NULL_TREE };
		if (r->len_arg >= 0)
			s.len = gimple_call_arg(call, r->len_arg);
		else if (r->size != 0)
			s.len = size_int(r->size);
		else if (r->ev == PM_EV_STORE_NT) /* the vector stored */
			s.len = TYPE_SIZE_UNIT(
				TREE_TYPE(gimple_call_arg(call, 1)));
		if (r->len_kind == PM_LEN_STPCPY)
			s.aux = gimple_call_lhs(call);
		if (r->len_kind == PM_LEN_STRCAT ||
		    r->len_kind == PM_LEN_STRNCAT)
			s.aux = gimple_call_arg(call, 1);
		if (r->len_kind == PM_LEN_STRNCAT)
			s.aux2 = gimple_call_arg(call, 2);
		s.success = pm_call_success(call, r->success);
		sites->safe_push(s);
	}
	if (r->fence == PM_FENCE_ALWAYS ||
	    (r->fence == PM_FENCE_SEQCST &&
	     pm_is_seq_cst(gimple_call_arg(call, r->order_arg))))
		pm_site_fence(sites, r->hook_kind);
}

/* pm_type_size -- bytes of the value an internal atomic works on */
static tree
pm_type_size(tree value)
{
	tree size = TYPE_SIZE_UNIT(TREE_TYPE(value));
	return size != NULL_TREE ? size : size_int(8);
}

/* pm_classify_ifn -- internal functions the optimisers made of builtins */
static void
pm_classify_ifn(gcall *call, vec<pm_site> *sites)
{
	switch (gimple_call_internal_fn(call)) {
	case IFN_MASK_STORE: /* (ptr, align, mask, value): the whole hull */
		pm_site_store(sites, PM_EV_STORE, gimple_call_arg(call, 0),
			      pm_type_size(gimple_call_arg(call, 3)), NULL);
		return;
	case IFN_ATOMIC_COMPARE_EXCHANGE: /* (ptr, exp, des, size|w<<8, ..) */
		pm_site_store(sites, PM_EV_STORE, gimple_call_arg(call, 0),
			      size_int(tree_to_uhwi(gimple_call_arg(call, 3))
				       & 255),
			      pm_call_success(call, PM_OK_IMAG));
		break;
	case IFN_ATOMIC_BIT_TEST_AND_SET:
	case IFN_ATOMIC_BIT_TEST_AND_COMPLEMENT:
	case IFN_ATOMIC_BIT_TEST_AND_RESET: /* (ptr, bit, flag, order) */
		pm_site_store(sites, PM_EV_STORE, gimple_call_arg(call, 0),
			      pm_type_size(gimple_call_arg(call, 1)), NULL);
		break;
	case IFN_ATOMIC_ADD_FETCH_CMP_0:
	case IFN_ATOMIC_SUB_FETCH_CMP_0:
	case IFN_ATOMIC_AND_FETCH_CMP_0:
	case IFN_ATOMIC_OR_FETCH_CMP_0:
	case IFN_ATOMIC_XOR_FETCH_CMP_0: /* (cmp, ptr, value, flag, order) */
		pm_site_store(sites, PM_EV_STORE, gimple_call_arg(call, 1),
			      pm_type_size(gimple_call_arg(call, 2)), NULL);
		break;
	default: /* x86 scatters are MD builtins: pm_md_unknown_store */
		return;
	}
	pm_site_fence(sites, PM_LOCKED); /* the RMWs above are lock-prefixed */
}

/* Points-to uids (DECL_PT_UID) of memory that is never pmem, for the
   function being instrumented: its automatic variables and the heap
   objects points-to made for the C library's allocators (GCC built-ins).
   Points-to also makes a heap object for any user function declared
   __attribute__((malloc)), but a pmem pool or arena allocator is often
   declared so: those objects are left out, and a store through them is
   instrumented. */
static bitmap_obstack pm_dram_obstack;
static bitmap pm_dram_uids;

/* pm_add_heap_of -- add the heap object(s) CALL returns: the points-to
   set of its result, less what its pointer argument (realloc) reaches */
static void
pm_add_heap_of(gcall *call, bool moves_arg0)
{
	tree lhs = gimple_call_lhs(call);
	if (lhs == NULL_TREE || TREE_CODE(lhs) != SSA_NAME ||
	    SSA_NAME_PTR_INFO(lhs) == NULL ||
	    SSA_NAME_PTR_INFO(lhs)->pt.vars == NULL)
		return;
	bitmap from = NULL; /* what realloc's argument reaches */
	if (moves_arg0) {
		tree arg = gimple_call_arg(call, 0);
		struct ptr_info_def *pi = TREE_CODE(arg) == SSA_NAME
			? SSA_NAME_PTR_INFO(arg) : NULL;
		if (!integer_zerop(arg)) { /* realloc(NULL, n) is malloc(n) */
			if (pi == NULL || pi->pt.anything)
				return; /* it may reach anything: add nothing */
			from = pi->pt.vars;
		}
	}
	bitmap_head heap;
	bitmap_initialize(&heap, &pm_dram_obstack);
	bitmap_copy(&heap, SSA_NAME_PTR_INFO(lhs)->pt.vars);
	if (from != NULL)
		bitmap_and_compl_into(&heap, from);
	bitmap_ior_into(pm_dram_uids, &heap);
	bitmap_clear(&heap);
}

/* pm_classify_begin_function -- collect FN's never-pmem decl uids */
void
pm_classify_begin_function(function *fn)
{
	if (pm_dram_uids == NULL) {
		bitmap_obstack_initialize(&pm_dram_obstack);
		pm_dram_uids = BITMAP_ALLOC(&pm_dram_obstack);
	}
	bitmap_clear(pm_dram_uids);
	unsigned ix;
	tree var;
	FOR_EACH_LOCAL_DECL(fn, ix, var)
		if (auto_var_in_fn_p(var, fn->decl))
			bitmap_set_bit(pm_dram_uids, DECL_PT_UID(var));
	for (var = DECL_ARGUMENTS(fn->decl); var; var = DECL_CHAIN(var))
		bitmap_set_bit(pm_dram_uids, DECL_PT_UID(var));
	if (DECL_RESULT(fn->decl) != NULL_TREE)
		bitmap_set_bit(pm_dram_uids,
			       DECL_PT_UID(DECL_RESULT(fn->decl)));
	basic_block bb;
	FOR_EACH_BB_FN(bb, fn)
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb);
		     !gsi_end_p(gsi); gsi_next(&gsi)) {
			gcall *call = dyn_cast<gcall *>(gsi_stmt(gsi));
			if (call == NULL ||
			    !gimple_call_builtin_p(call, BUILT_IN_NORMAL))
				continue;
			switch (DECL_FUNCTION_CODE(gimple_call_fndecl(call))) {
			case BUILT_IN_MALLOC:
			case BUILT_IN_CALLOC:
			case BUILT_IN_ALIGNED_ALLOC:
			case BUILT_IN_STRDUP:
			case BUILT_IN_STRNDUP:
			CASE_BUILT_IN_ALLOCA: /* alloca and VLAs */
				pm_add_heap_of(call, false);
				break;
			case BUILT_IN_REALLOC:
				pm_add_heap_of(call, true);
				break;
			default:
				break;
			}
		}
}

/* pm_pointer_only_to_locals -- points-to says PTR reaches only this
   function's stack or its C-library heap objects (never pmem) */
static bool
pm_pointer_only_to_locals(tree ptr)
{
	if (TREE_CODE(ptr) != SSA_NAME || !POINTER_TYPE_P(TREE_TYPE(ptr)))
		return false;
	struct ptr_info_def *pi = SSA_NAME_PTR_INFO(ptr);
	if (pi == NULL || pm_dram_uids == NULL)
		return false;
	const struct pt_solution *pt = &pi->pt;
	if (pt->anything || pt->nonlocal || pt->escaped || pt->ipa_escaped ||
	    pt->vars_contains_nonlocal || pt->vars_contains_escaped_heap)
		return false;
	return pt->vars != NULL && !bitmap_empty_p(pt->vars) &&
	       !bitmap_intersect_compl_p(pt->vars, pm_dram_uids);
}

/* pm_store_is_local -- LHS is provably on this function's stack: an auto
   variable (address-taken or not: the stack is never pmem) or memory that
   points-to proves is one */
bool
pm_store_is_local(tree lhs)
{
	tree base = get_base_address(lhs);
	if (base == NULL_TREE)
		return false;
	if (DECL_P(base))
		return auto_var_in_fn_p(base, current_function_decl) ||
		       DECL_THREAD_LOCAL_P(base) ||
		       (VAR_P(base) && DECL_HARD_REGISTER(base));
	if (TREE_CODE(base) == MEM_REF || TREE_CODE(base) == TARGET_MEM_REF)
		return pm_pointer_only_to_locals(TREE_OPERAND(base, 0));
	return false;
}

/* pm_bitfield_site -- a bit-field (or part-of-value) store: the bytes
   that contain its bits */
static void
pm_bitfield_site(tree lhs, vec<pm_site> *sites)
{
	poly_int64 bitsize, bitpos;
	tree offset;
	machine_mode mode;
	int unsignedp, reversep, volatilep = 0;
	tree base = get_inner_reference(lhs, &bitsize, &bitpos, &offset,
					&mode, &unsignedp, &reversep,
					&volatilep);
	HOST_WIDE_INT bits, pos;
	if (!bitsize.is_constant(&bits) || !bitpos.is_constant(&pos) ||
	    bits <= 0)
		return;
	tree addr = build_fold_addr_expr(unshare_expr(base));
	if (offset != NULL_TREE)
		addr = fold_build_pointer_plus(addr, unshare_expr(offset));
	addr = fold_build_pointer_plus_hwi(addr, pos / BITS_PER_UNIT);
	HOST_WIDE_INT bytes = (pos % BITS_PER_UNIT + bits + BITS_PER_UNIT - 1)
			      / BITS_PER_UNIT;
	pm_site_store(sites, PM_EV_STORE, addr, size_int(bytes), NULL);
}

/* pm_classify_store -- a store to memory that is not provably stack */
static void
pm_classify_store(tree lhs, vec<pm_site> *sites)
{
	if (TREE_CODE(lhs) == SSA_NAME || pm_store_is_local(lhs))
		return;
	bool partial = TREE_CODE(lhs) == BIT_FIELD_REF ||
		       TREE_CODE(lhs) == REALPART_EXPR ||
		       TREE_CODE(lhs) == IMAGPART_EXPR ||
		       TREE_CODE(lhs) == VIEW_CONVERT_EXPR ||
		       (TREE_CODE(lhs) == COMPONENT_REF &&
			DECL_BIT_FIELD_TYPE(TREE_OPERAND(lhs, 1)));
	if (partial) {
		pm_bitfield_site(lhs, sites);
		return;
	}
	/* a variable size (GIMPLE makes such copies memcpy calls, so this is
	   rare) is an expression of the function's values: gimplified later */
	tree size = TYPE_SIZE_UNIT(TREE_TYPE(lhs));
	if (size == NULL_TREE)
		return; /* an incomplete type cannot be stored */
	pm_site_store(sites, PM_EV_STORE,
		      build_fold_addr_expr(unshare_expr(lhs)), size, NULL);
}

/* pm_md_unknown_store -- x86 builtins that write memory in a shape we do
   not model (scatters, masked and compress stores): say so */
static void
pm_md_unknown_store(gcall *call, tree fndecl)
{
	const char *name = IDENTIFIER_POINTER(DECL_NAME(fndecl));
	if (strstr(name, "scatter") != NULL || strstr(name, "store") != NULL)
		warning_at(gimple_location(call), 0,
			   "pmemu: %qs writes memory and is not instrumented "
			   "(a vectorised loop: build this file with "
			   "%<-fno-tree-vectorize%>)", name);
}

/* pm_classify -- the sites of STMT (not an asm), in the order they happen */
void
pm_classify(gimple *stmt, vec<pm_site> *sites)
{
	if (gcall *call = dyn_cast<gcall *>(stmt)) {
		const pm_call_rule *r = NULL;
		tree fndecl = gimple_call_fndecl(call);
		if (gimple_call_internal_p(call))
			pm_classify_ifn(call, sites);
		else if (gimple_call_builtin_p(call, BUILT_IN_NORMAL))
			r = pm_builtin_rules[DECL_FUNCTION_CODE(fndecl)];
		else if (gimple_call_builtin_p(call, BUILT_IN_MD) &&
			 (r = pm_md_rule(fndecl)) == NULL)
			pm_md_unknown_store(call, fndecl);
		if (r != NULL)
			pm_apply_rule(call, r, sites);
	}
	if (gimple_store_p(stmt))
		pm_classify_store(gimple_get_lhs(stmt), sites);
}
