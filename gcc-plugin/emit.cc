/* emit.cc -- the runtime's declarations and the guarded hook calls */
#include "pmemu_plugin.h"
#include "gimple-fold.h"
#include "output.h"

/* Trees kept across functions; a GGC root so collections keep them. */
enum pm_tree {
	PM_T_SLOT,          /* the module's hidden COMDAT __pmemu_slot_alias */
	PM_T_SLOT_LO, PM_T_SLOT_LEN, PM_T_SLOT_DELTA,
	PM_T_LOC_TYPE,      /* struct pmemu_srcloc */
	PM_T_LOC_FILE, PM_T_LOC_FUNC, PM_T_LOC_LINE, PM_T_LOC_COLUMN,
	PM_T_STORE, PM_T_STORE_RUN, PM_T_STORE_NT, PM_T_MOVDIR64B, PM_T_FLUSH,
	PM_T_FENCE,
	PM_T_REGISTER, PM_T_REGISTER_ALIAS,
	PM_T_COUNT
};
static tree pm_trees[PM_T_COUNT];

const struct ggc_root_tab pm_emit_roots[] = {
	{ &pm_trees[0], PM_T_COUNT, sizeof(pm_trees[0]), &gt_ggc_mx_tree_node,
	  &gt_pch_nx_tree_node },
	LAST_GGC_ROOT_TAB
};

/* source locations of the current function, one static struct each */
static hash_map<int_hash<location_t, 0, UINT_MAX>, tree> *pm_locs;
static unsigned pm_loc_count;

/* pm_hook_decl -- an external weak function: without libpmemu it is 0
   and never called (the slot stays empty) */
static tree
pm_hook_decl(const char *name, tree ret, tree a1, tree a2, tree a3,
	     tree a4 = NULL_TREE)
{
	tree type = build_function_type_list(ret, a1, a2, a3, a4, NULL_TREE);
	tree decl = build_fn_decl(name, type);
	SET_DECL_ASSEMBLER_NAME(decl, get_identifier(name)); /* no C++ mangling */
	TREE_NOTHROW(decl) = 1;
	declare_weak(decl); /* DECL_WEAK and the "weak" attribute: .weak */
	return decl;
}

/* pm_field -- a FIELD_DECL for a builtin struct */
static tree
pm_field(const char *name, tree type, tree chain)
{
	tree f = build_decl(BUILTINS_LOCATION, FIELD_DECL, get_identifier(name),
			    type);
	DECL_CHAIN(f) = chain;
	return f;
}

/* pm_declare_slot -- struct pmemu_slot_alias __pmemu_slot_alias, hidden,
   one per module (not __pmemu_slot: a module that links objects of an
   older plugin keeps a two-word slot of that name beside it) */
static void
pm_declare_slot(void)
{
	tree vword = build_qualified_type(pointer_sized_int_node,
					  TYPE_QUAL_VOLATILE);
	tree type = make_node(RECORD_TYPE);
	/* finish_builtin_struct reverses the chain: last field first */
	tree lo = pm_field("lo", vword, NULL_TREE);
	tree len = pm_field("len", vword, lo);
	tree delta = pm_field("delta", vword, len);
	finish_builtin_struct(type, "pmemu_slot_alias", delta, NULL_TREE);
	pm_trees[PM_T_SLOT_LO] = lo;
	pm_trees[PM_T_SLOT_LEN] = len;
	pm_trees[PM_T_SLOT_DELTA] = delta;

	tree var = build_decl(BUILTINS_LOCATION, VAR_DECL,
			      get_identifier("__pmemu_slot_alias"), type);
	SET_DECL_ASSEMBLER_NAME(var, get_identifier("__pmemu_slot_alias"));
	TREE_PUBLIC(var) = 1;
	TREE_STATIC(var) = 1;
	TREE_ADDRESSABLE(var) = 1;
	TREE_USED(var) = 1;
	DECL_ARTIFICIAL(var) = 1;
	DECL_IGNORED_P(var) = 1;
	DECL_VISIBILITY(var) = VISIBILITY_HIDDEN;
	DECL_VISIBILITY_SPECIFIED(var) = 1;
	TREE_THIS_VOLATILE(var) = 0;
	make_decl_one_only(var, DECL_ASSEMBLER_NAME(var));
	varpool_node::finalize_decl(var);
	pm_trees[PM_T_SLOT] = var;
}

/* pm_declare_runtime -- once per TU: the slot, srcloc type and hooks */
static void
pm_declare_runtime(void)
{
	if (pm_trees[PM_T_SLOT] != NULL_TREE)
		return;
	pm_declare_slot();

	tree cstr = build_pointer_type(
		build_qualified_type(char_type_node, TYPE_QUAL_CONST));
	tree type = make_node(RECORD_TYPE);
	tree file = pm_field("file", cstr, NULL_TREE);
	tree func = pm_field("func", cstr, file);
	tree line = pm_field("line", uint32_type_node, func);
	tree column = pm_field("column", uint32_type_node, line);
	finish_builtin_struct(type, "pmemu_srcloc", column, NULL_TREE);
	pm_trees[PM_T_LOC_TYPE] = type;
	pm_trees[PM_T_LOC_FILE] = file;
	pm_trees[PM_T_LOC_FUNC] = func;
	pm_trees[PM_T_LOC_LINE] = line;
	pm_trees[PM_T_LOC_COLUMN] = column;

	tree v = void_type_node, p = ptr_type_node, cp = const_ptr_type_node;
	tree sz = size_type_node, i = integer_type_node;
	pm_trees[PM_T_STORE] = pm_hook_decl("__pmemu_store", v, p, sz, cp);
	pm_trees[PM_T_STORE_RUN] = pm_hook_decl("__pmemu_store_run", v, p, sz,
						sz, cp);
	pm_trees[PM_T_STORE_NT] = pm_hook_decl("__pmemu_store_nt", v, p, sz,
					       cp);
	pm_trees[PM_T_MOVDIR64B] = pm_hook_decl("__pmemu_movdir64b", v, p, cp,
						NULL_TREE);
	pm_trees[PM_T_FLUSH] = pm_hook_decl("__pmemu_flush", v, cp, i, cp);
	pm_trees[PM_T_FENCE] = pm_hook_decl("__pmemu_fence", v, i, cp,
					    NULL_TREE);
	pm_trees[PM_T_REGISTER] = pm_hook_decl("__pmemu_register_slot", i, p,
					       NULL_TREE, NULL_TREE);
	pm_trees[PM_T_REGISTER_ALIAS] = pm_hook_decl(
		"__pmemu_register_slot_alias", i, p, NULL_TREE, NULL_TREE);
}

bool
pm_emit_used(void)
{
	return pm_trees[PM_T_SLOT] != NULL_TREE;
}

void
pm_emit_begin_function(void)
{
	delete pm_locs;
	pm_locs = new hash_map<int_hash<location_t, 0, UINT_MAX>, tree>;
}

/* pm_hook_present -- &HOOK != 0: the runtime defines it */
static tree
pm_hook_present(enum pm_tree hook)
{
	return build2(NE_EXPR, boolean_type_node,
		      build_fold_addr_expr(pm_trees[hook]), null_pointer_node);
}

/* pm_emit_constructor -- if (&__pmemu_register_slot_alias)
   register_alias(&slot); else if (&__pmemu_register_slot &&
   &__pmemu_store_run) register(&slot): a weak reference rather than
   dlsym, so the TU needs no libdl, works in PIE, non-PIE and shared
   objects, and is 0 without libpmemu; a runtime older than the run hook
   registers no slot, so no hook is ever called through a null weak
   reference, and one older than the delta sets only the slot's first
   two words (its delta stays 0: stores go to their own address) */
void
pm_emit_constructor(void)
{
	tree reg = pm_trees[PM_T_REGISTER];
	tree reg_alias = pm_trees[PM_T_REGISTER_ALIAS];
	tree slot = build_fold_addr_expr(pm_trees[PM_T_SLOT]);
	tree call = build_call_expr(reg, 1, slot);
	tree present = build2(TRUTH_ANDIF_EXPR, boolean_type_node,
			      pm_hook_present(PM_T_REGISTER),
			      pm_hook_present(PM_T_STORE_RUN));
	tree old = build3(COND_EXPR, void_type_node, present, call,
			  build_empty_stmt(BUILTINS_LOCATION));
	tree body = build3(COND_EXPR, void_type_node,
			   pm_hook_present(PM_T_REGISTER_ALIAS),
			   build_call_expr(reg_alias, 1, slot), old);
	/* early, so stores made by other constructors are already checked */
	cgraph_build_static_cdtor('I', body, MAX_RESERVED_INIT_PRIORITY + 1);
	/* PLUGIN_FINISH_UNIT runs after weak_finish() wrote the .weak
	   directives, so this late reference needs its own */
	ASM_WEAKEN_LABEL(asm_out_file,
			 IDENTIFIER_POINTER(DECL_ASSEMBLER_NAME(reg)));
	ASM_WEAKEN_LABEL(asm_out_file,
			 IDENTIFIER_POINTER(DECL_ASSEMBLER_NAME(reg_alias)));
	ASM_WEAKEN_LABEL(asm_out_file, IDENTIFIER_POINTER(DECL_ASSEMBLER_NAME(
		pm_trees[PM_T_STORE_RUN])));
}

/* pm_site_location -- where a site is in the source: the statement, or
   the call of the intrinsic (<immintrin.h>, artificial) or system-header
   function (std::atomic<T>::store) it was inlined from; *FUNC is the
   (maybe inlined) function holding that place */
static location_t
pm_site_location(gimple *stmt, tree *func)
{
	location_t loc = gimple_location(stmt);
	*func = current_function_decl;
	for (tree b = gimple_block(stmt); b != NULL_TREE &&
	     TREE_CODE(b) == BLOCK; b = BLOCK_SUPERCONTEXT(b)) {
		if (!inlined_function_outer_scope_p(b))
			continue;
		tree origin = block_ultimate_origin(b);
		if (origin == NULL_TREE || TREE_CODE(origin) != FUNCTION_DECL)
			break;
		if (!lookup_attribute("artificial", DECL_ATTRIBUTES(origin)) &&
		    !in_system_header_at(DECL_SOURCE_LOCATION(origin))) {
			*func = origin;
			break;
		}
		loc = BLOCK_SOURCE_LOCATION(b);
	}
	return loc;
}

/* pm_string -- a const char * initialiser */
static tree
pm_string(const char *s, tree type)
{
	return fold_convert(type, build_string_literal(strlen(s) + 1, s));
}

/* pm_srcloc -- the static const struct pmemu_srcloc of STMT's site */
static tree
pm_srcloc(gimple *stmt)
{
	tree func;
	location_t loc = pm_site_location(stmt, &func);
	bool existed;
	tree &slot = pm_locs->get_or_insert(loc + 1, &existed);
	if (existed)
		return slot;

	expanded_location x = expand_location(loc);
	tree type = pm_trees[PM_T_LOC_TYPE];
	tree cstr = TREE_TYPE(pm_trees[PM_T_LOC_FILE]);
	tree init = build_constructor_va(type, 4,
		pm_trees[PM_T_LOC_FILE], pm_string(x.file ? x.file : "?", cstr),
		pm_trees[PM_T_LOC_FUNC],
		/* the name DWARF gives it (DW_AT_name), as the report prints
		   every other frame: "main", not "int main(int, char**)" */
		pm_string(lang_hooks.dwarf_name(func, 0), cstr),
		pm_trees[PM_T_LOC_LINE], build_int_cst(uint32_type_node, x.line),
		pm_trees[PM_T_LOC_COLUMN],
		build_int_cst(uint32_type_node, x.column));
	TREE_CONSTANT(init) = 1;
	TREE_STATIC(init) = 1;

	char name[32];
	ASM_GENERATE_INTERNAL_LABEL(name, "Lpmemu_loc", pm_loc_count++);
	tree var = build_decl(loc, VAR_DECL, get_identifier(name),
			      build_qualified_type(type, TYPE_QUAL_CONST));
	TREE_STATIC(var) = 1;
	TREE_PUBLIC(var) = 0;
	TREE_READONLY(var) = 1;
	TREE_ADDRESSABLE(var) = 1;
	DECL_ARTIFICIAL(var) = 1;
	DECL_IGNORED_P(var) = 1;
	DECL_INITIAL(var) = init;
	varpool_node::finalize_decl(var);
	slot = var;
	return var;
}

/* pm_slot_value -- the slot's lo, len or delta (PM_SLOT_*): the value
   CACHE holds, else a volatile load (kept where it is: never hoisted or
   merged by GCC) */
tree
pm_slot_value(gimple_seq *seq, enum pm_slot_word word, pm_slot_cache *cache)
{
	static const enum pm_tree fields[] = {
		PM_T_SLOT_LO, PM_T_SLOT_LEN, PM_T_SLOT_DELTA
	};
	enum pm_tree which = fields[word];
	tree *known = word == PM_SLOT_LO ? &cache->lo
		      : word == PM_SLOT_LEN ? &cache->len : &cache->delta;
	if (*known != NULL_TREE)
		return *known;
	tree field = pm_trees[which];
	tree ref = build3(COMPONENT_REF, TREE_TYPE(field), pm_trees[PM_T_SLOT],
			  field, NULL_TREE);
	TREE_THIS_VOLATILE(ref) = 1;
	TREE_SIDE_EFFECTS(ref) = 1;
	tree val = make_ssa_name(pointer_sized_int_node);
	gimple_seq_add_stmt(seq, gimple_build_assign(val, ref));
	*known = val;
	return val;
}

/* pm_value -- EXPR converted to TYPE as a GIMPLE value, its computation
   appended to SEQ (force_gimple_operand would replace SEQ) */
tree
pm_value(tree expr, tree type, gimple_seq *seq)
{
	gimple_seq stmts = NULL;
	tree val = force_gimple_operand(fold_convert(type, unshare_expr(expr)),
					&stmts, true, NULL_TREE);
	gimple_seq_add_seq(seq, stmts);
	return val;
}

/* pm_in_slot -- (ADDR + SPAN - lo) < (len + SPAN): some byte of
   [ADDR, ADDR + SPAN] is in the slot's range (SPAN 0: ADDR is) */
static tree
pm_in_slot(gimple_seq *seq, tree addr, HOST_WIDE_INT span,
	   pm_slot_cache *cache)
{
	tree word = pointer_sized_int_node;
	tree lo = pm_slot_value(seq, PM_SLOT_LO, cache);
	tree len = pm_slot_value(seq, PM_SLOT_LEN, cache);
	tree last = gimple_convert(seq, word, addr);
	if (span != 0) {
		tree w = build_int_cst(word, span);
		last = gimple_build(seq, PLUS_EXPR, word, last, w);
		len = gimple_build(seq, PLUS_EXPR, word, len, w);
	}
	tree off = gimple_build(seq, MINUS_EXPR, word, last, lo);
	return gimple_build(seq, LT_EXPR, boolean_type_node, off, len);
}

/* pm_build_gate -- the boolean under which a site calls its hook; sets
   *PTR to the site's address as a void * value.  A fence's gate is a
   non-empty slot: with no emulated region there is no write-back for it
   to order (MODEL.md), so DRAM-only phases pay no call. */
tree
pm_build_gate(const pm_site &site, gimple_seq *seq, tree *ptr,
	      pm_slot_cache *cache)
{
	if (site.ev == PM_EV_FENCE) {
		tree len = pm_slot_value(seq, PM_SLOT_LEN, cache);
		return gimple_build(seq, NE_EXPR, boolean_type_node, len,
				    build_zero_cst(pointer_sized_int_node));
	}
	*ptr = pm_value(site.addr, ptr_type_node, seq);
	tree in = pm_in_slot(seq, *ptr, 0, cache);
	if (site.success != NULL_TREE) {
		tree ok = pm_value(site.success, boolean_type_node, seq);
		in = gimple_build(seq, BIT_AND_EXPR, boolean_type_node, in, ok);
	}
	return in;
}

/* pm_call_value -- emit LHS = FN (ARG) and return LHS */
static tree
pm_call_value(gimple_seq *seq, enum built_in_function fn, tree a0, tree a1)
{
	tree decl = builtin_decl_explicit(fn);
	gcall *call = a1 ? gimple_build_call(decl, 2, a0, a1)
			 : gimple_build_call(decl, 1, a0);
	tree lhs = make_ssa_name(size_type_node);
	gimple_call_set_lhs(call, lhs);
	gimple_seq_add_stmt(seq, call);
	return lhs;
}

/* pm_build_extent -- where the store of SITE began and how long it was,
   computed after it happened */
static tree
pm_build_extent(const pm_site &site, gimple_seq *seq, tree *start)
{
	tree one = size_one_node;
	switch (site.len_kind) {
	case PM_LEN_TREE:
		return pm_value(site.len, size_type_node, seq);
	case PM_LEN_STPCPY:
		if (site.aux != NULL_TREE) {
			tree end = gimple_convert(seq, ptr_type_node, site.aux);
			tree d = gimple_build(seq, POINTER_DIFF_EXPR, ssizetype,
					      end, *start);
			return gimple_build(seq, PLUS_EXPR, size_type_node,
					    gimple_convert(seq, size_type_node,
							   d), one);
		}
		/* FALLTHRU */
	case PM_LEN_STRCPY:
		return gimple_build(seq, PLUS_EXPR, size_type_node,
				    pm_call_value(seq, BUILT_IN_STRLEN, *start,
						  NULL_TREE), one);
	case PM_LEN_STRCAT:
	case PM_LEN_STRNCAT: {
		tree total = pm_call_value(seq, BUILT_IN_STRLEN, *start,
					   NULL_TREE);
		tree added = site.len_kind == PM_LEN_STRCAT
			? pm_call_value(seq, BUILT_IN_STRLEN, site.aux, NULL)
			: pm_call_value(seq, BUILT_IN_STRNLEN, site.aux,
					gimple_convert(seq, size_type_node,
						       site.aux2));
		tree skip = gimple_build(seq, MINUS_EXPR, size_type_node,
					 total, added);
		*start = gimple_build(seq, POINTER_PLUS_EXPR, ptr_type_node,
				      *start, gimple_convert(seq, sizetype,
							     skip));
		return gimple_build(seq, PLUS_EXPR, size_type_node, added, one);
	}
	}
	gcc_unreachable();
}

/* pm_build_hook_call -- the call of SITE's hook */
void
pm_build_hook_call(const pm_site &site, tree ptr, tree locvar,
		   gimple_seq *seq)
{
	tree loc = build_fold_addr_expr(locvar);
	tree kind = build_int_cst(integer_type_node, site.hook_kind);
	gcall *call;
	switch (site.ev) {
	case PM_EV_STORE:
	case PM_EV_STORE_NT: {
		tree start = ptr;
		tree len = pm_build_extent(site, seq, &start);
		call = gimple_build_call(pm_trees[site.ev == PM_EV_STORE
						  ? PM_T_STORE
						  : PM_T_STORE_NT],
					 3, start, len, loc);
		break;
	}
	case PM_EV_MOVDIR64B:
		call = gimple_build_call(pm_trees[PM_T_MOVDIR64B], 2, ptr, loc);
		break;
	case PM_EV_FLUSH:
		call = gimple_build_call(pm_trees[PM_T_FLUSH], 3, ptr, kind,
					 loc);
		break;
	case PM_EV_FENCE:
		call = gimple_build_call(pm_trees[PM_T_FENCE], 2, kind, loc);
		break;
	default:
		gcc_unreachable();
	}
	gimple_seq_add_stmt(seq, call);
}

/* pm_emit_instead -- STMT, a flush builtin, becomes
   if (gate) hook (...); else STMT;  as the runtime's trampolines do for
   prebuilt code: the line of emulated pmem stays in the cache for the
   hook (which reads it, and whose model says what is durable) instead of
   being written back and evicted first; natively (an empty slot) the
   instruction runs. False when STMT cannot be split from its block. */
static bool
pm_emit_instead(gimple *stmt, const pm_site &site, tree locvar,
		pm_slot_cache *cache)
{
	if (stmt_ends_bb_p(stmt) || gimple_call_lhs(stmt) != NULL_TREE)
		return false;
	tree ptr;
	basic_block arm = pm_branch_around(stmt, site, cache, &ptr);
	gimple_seq hook = NULL;
	pm_build_hook_call(site, ptr, locvar, &hook);
	gimple_seq_set_location(hook, gimple_location(stmt));
	gimple_stmt_iterator gsi = gsi_start_bb(arm);
	gsi_insert_seq_after(&gsi, hook, GSI_CONTINUE_LINKING);
	return true;
}

/* pm_emit_sites -- after STMT, for each site: if (gate) hook (...); a
   flush builtin's hook instead of it (pm_emit_instead) */
void
pm_emit_sites(gimple *stmt, const vec<pm_site> &sites, pm_slot_cache *cache)
{
	basic_block check, rest;
	location_t loc = gimple_location(stmt);
	pm_declare_runtime();
	tree locvar = pm_srcloc(stmt);
	if (sites.length() == 1 && sites[0].ev == PM_EV_FLUSH &&
	    is_gimple_call(stmt) && pm_emit_instead(stmt, sites[0], locvar,
						    cache))
		return;
	if (sites.length() == 1 && pm_alias_instead(stmt, sites[0], locvar,
						    cache))
		return;
	/* a tail call would jump away before our hooks: make it a call */
	if (gcall *call = dyn_cast<gcall *>(stmt))
		gimple_call_set_tail(call, false);
	if (!pm_split_after(stmt, &check, &rest))
		return; /* it never completes normally: nothing happened */
	for (unsigned i = 0; i < sites.length(); i++) {
		gimple_seq gate = NULL, hook = NULL;
		tree ptr = NULL_TREE;
		tree cond = pm_build_gate(sites[i], &gate, &ptr, cache);
		pm_build_hook_call(sites[i], ptr, locvar, &hook);
		gimple_seq_set_location(gate, loc);
		gimple_seq_set_location(hook, loc);
		check = pm_emit_check(check, rest, gate, cond, hook);
		if (i + 1 < sites.length())
			rest = split_block_after_labels(check)->dest;
	}
}

/* pm_run_length -- how many members from GROUP[I] on form a run: stores
   of one size at one source location, each where the one before it (in
   program order) ended; one __pmemu_store_run reports them all, as the
   runtime would have received them one by one */
static unsigned
pm_run_length(const vec<pm_member> &group, unsigned i, const vec<tree> &locs)
{
	unsigned n = 1;
	while (i + n < group.length() &&
	       group[i + n].len == group[i].len &&
	       group[i + n].off == group[i + n - 1].off + group[i].len &&
	       locs[i + n] == locs[i])
		n++;
	return n;
}

/* pm_build_run_call -- __pmemu_store_run (addr, size, count, &loc) */
static void
pm_build_run_call(const pm_member &first, unsigned count, tree locvar,
		  gimple_seq *seq)
{
	tree ptr = pm_value(first.site.addr, ptr_type_node, seq);
	gimple_seq_add_stmt(seq, gimple_build_call(pm_trees[PM_T_STORE_RUN], 4,
		ptr, build_int_cst(size_type_node, first.len),
		build_int_cst(size_type_node, count),
		build_fold_addr_expr(locvar)));
}

/* pm_emit_group -- after GROUP's last store, one check of the bytes all
   its stores wrote; if it holds, each store's hook, in program order (a
   run of them in one call) */
void
pm_emit_group(const vec<pm_member> &group, pm_slot_cache *cache)
{
	basic_block check, rest;
	const pm_member *first = &group[0];
	HOST_WIDE_INT end = 0;
	for (const pm_member &m : group) {
		if (m.off < first->off)
			first = &m;
		end = MAX(end, m.off + m.len);
	}
	gimple *last = group[group.length() - 1].stmt;
	pm_declare_runtime();
	pm_alias_group(group, *first, end - 1 - first->off, cache);
	if (!pm_split_after(last, &check, &rest))
		return;
	gimple_seq gate = NULL, hooks = NULL;
	tree start = pm_value(first->site.addr, ptr_type_node, &gate);
	tree cond = pm_in_slot(&gate, start, end - 1 - first->off, cache);
	gimple_seq_set_location(gate, gimple_location(last));
	auto_vec<tree> locs;
	for (const pm_member &m : group)
		locs.safe_push(pm_srcloc(m.stmt));
	for (unsigned i = 0, n; i < group.length(); i += n) {
		const pm_member &m = group[i];
		gimple_seq hook = NULL;
		n = pm_run_length(group, i, locs);
		if (n > 1) {
			pm_build_run_call(m, n, locs[i], &hook);
		} else {
			tree ptr = pm_value(m.site.addr, ptr_type_node, &hook);
			pm_build_hook_call(m.site, ptr, locs[i], &hook);
		}
		gimple_seq_set_location(hook, gimple_location(m.stmt));
		gimple_seq_add_seq(&hooks, hook);
	}
	pm_emit_check(check, rest, gate, cond, hooks);
}
