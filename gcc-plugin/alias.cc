/* alias.cc -- plain stores made through the views' writable alias
 *
 * A store to a protected view page would fault: a signal, a twin copy, a
 * diff at the next fence, an mprotect to open the page and one to close
 * it. The runtime keeps a writable alias of the views at one distance
 * from them, which it publishes as the slot's delta while that is sound
 * (libshim/api/hooks.c, "Stores through the alias"); a plain store whose
 * bytes all lie in the slot's range adds it to its address, so the view
 * page is never written through the view and never faults. The store's
 * hook still reports it, reading the bytes in the view (the same pages).
 * Without libpmemu, or with a runtime older than the delta, the delta is
 * 0 and the store is made where it always was.
 */
#include "pmemu_plugin.h"
#include "gimple-fold.h"
#include "tree-eh.h"

/* pm_alias_fits -- STMT, whose one site is SITE, is a plain store of a
   register type (no bit-field, no part of a value, no aggregate copy, no
   call) through a pointer (a declaration is never pmem), that cannot
   throw: it can be made at another address */
static bool
pm_alias_fits(gimple *stmt, const pm_site &site)
{
	if (!is_gimple_assign(stmt) || !gimple_store_p(stmt) ||
	    gimple_clobber_p(stmt) || stmt_could_throw_p(cfun, stmt) ||
	    site.ev != PM_EV_STORE || site.len_kind != PM_LEN_TREE ||
	    site.success != NULL_TREE || !tree_fits_uhwi_p(site.len))
		return false;
	tree lhs = gimple_assign_lhs(stmt);
	tree type = TREE_TYPE(lhs);
	if (!is_gimple_reg_type(type) ||
	    !tree_fits_uhwi_p(TYPE_SIZE_UNIT(type)) ||
	    tree_to_uhwi(TYPE_SIZE_UNIT(type)) != tree_to_uhwi(site.len) ||
	    tree_to_uhwi(site.len) == 0)
		return false;
	/* the partial stores of pm_classify_store: their site is the bytes
	   around the bits, not the reference */
	if (TREE_CODE(lhs) == BIT_FIELD_REF || TREE_CODE(lhs) == REALPART_EXPR ||
	    TREE_CODE(lhs) == IMAGPART_EXPR ||
	    TREE_CODE(lhs) == VIEW_CONVERT_EXPR ||
	    (TREE_CODE(lhs) == COMPONENT_REF &&
	     DECL_BIT_FIELD_TYPE(TREE_OPERAND(lhs, 1))))
		return false;
	poly_int64 bitsize, bitpos;
	tree offset;
	machine_mode mode;
	int unsignedp, reversep = 0, volatilep = 0;
	tree base = get_inner_reference(lhs, &bitsize, &bitpos, &offset, &mode,
					&unsignedp, &reversep, &volatilep);
	HOST_WIDE_INT pos;
	if (reversep || !bitpos.is_constant(&pos) || pos % BITS_PER_UNIT != 0)
		return false;
	if (TREE_CODE(base) != MEM_REF && TREE_CODE(base) != TARGET_MEM_REF)
		return false;
	/* MEM[&decl + 8]: a declaration too */
	return TREE_CODE(TREE_OPERAND(base, 0)) == SSA_NAME;
}

/* pm_alias_delta -- inserted before STMT: the slot's delta when every
   byte of [START, START + LAST] lies in the slot's range, else 0 (the
   alias is one distance from every view only while the range is made of
   views alone, so both ends in it is all of it). The test is
   START - lo < len - LAST: when len < LAST it is wrong, but then the
   delta is 0 (a runtime sets one only for a range of PMEMU_ALIAS_MIN
   bytes or more, PM_ALIAS_MIN, more than any LAST). */
static tree
pm_alias_delta(gimple *stmt, tree start, HOST_WIDE_INT last,
	       pm_slot_cache *cache)
{
	tree word = pointer_sized_int_node;
	gimple_seq seq = NULL;
	tree lo = pm_slot_value(&seq, PM_SLOT_LO, cache);
	tree len = pm_slot_value(&seq, PM_SLOT_LEN, cache);
	/* after len: a runtime changing the slot sets len to 0 first, then
	   the delta, then len (hooks.c, set_slot) */
	tree delta = pm_slot_value(&seq, PM_SLOT_DELTA, cache);
	tree first = gimple_convert(&seq, word, pm_value(start, ptr_type_node,
							 &seq));
	tree off = gimple_build(&seq, MINUS_EXPR, word, first, lo);
	tree room = gimple_build(&seq, MINUS_EXPR, word, len,
				 build_int_cst(word, last));
	tree in = gimple_build(&seq, LT_EXPR, boolean_type_node, off, room);
	/* delta & -(word) in: no branch */
	tree mask = gimple_build(&seq, NEGATE_EXPR, word,
				 gimple_convert(&seq, word, in));
	tree d = gimple_build(&seq, BIT_AND_EXPR, word, delta, mask);
	gimple_seq_set_location(seq, gimple_location(stmt));
	gimple_stmt_iterator gsi = gsi_for_stmt(stmt);
	gsi_insert_seq_before(&gsi, seq, GSI_SAME_STMT);
	return d;
}

/* pm_alias_redirect -- STMT (pm_alias_fits), whose store is at ADDR,
   stores at ADDR + DELTA: the same type, volatility, alignment and alias
   set, only the address changes */
static void
pm_alias_redirect(gimple *stmt, tree addr, tree delta)
{
	tree lhs = gimple_assign_lhs(stmt);
	gimple_seq seq = NULL;
	tree ptr = pm_value(addr, ptr_type_node, &seq);
	tree to = gimple_build(&seq, POINTER_PLUS_EXPR, ptr_type_node, ptr,
			       gimple_convert(&seq, sizetype, delta));
	gimple_seq_set_location(seq, gimple_location(stmt));
	gimple_stmt_iterator gsi = gsi_for_stmt(stmt);
	gsi_insert_seq_before(&gsi, seq, GSI_SAME_STMT);

	tree type = TREE_TYPE(lhs);
	unsigned align = get_object_alignment(lhs);
	if (align < TYPE_ALIGN(type))
		type = build_aligned_type(type, align);
	tree ref = build2(MEM_REF, type, to,
			  build_int_cst(reference_alias_ptr_type(lhs), 0));
	TREE_THIS_VOLATILE(ref) = TREE_THIS_VOLATILE(lhs);
	TREE_SIDE_EFFECTS(ref) = TREE_SIDE_EFFECTS(lhs);
	gimple_assign_set_lhs(stmt, ref);
	update_stmt(stmt);
}

/* pm_alias_instead -- STMT, a store with the one site SITE, becomes
   if (gate) { MEM[addr + d] = value; hook (...); } else STMT;
   with d the delta when all its bytes lie in the slot's range: code that
   stores to DRAM pays the check it paid before, no more. The delta is
   loaded in the arm, and not kept in CACHE (the arm does not dominate
   what follows). False when STMT does not fit: its caller emits it as
   any other site. */
bool
pm_alias_instead(gimple *stmt, const pm_site &site, tree locvar,
		 pm_slot_cache *cache)
{
	if (!pm_alias_fits(stmt, site) || tree_to_uhwi(site.len) > PM_ALIAS_MIN)
		return false;
	tree ptr;
	basic_block then_bb = pm_branch_around(stmt, site, cache, &ptr);
	gimple_seq arm = NULL;

	/* the arm: the store through the alias, then its hook */
	gimple *copy = gimple_copy(stmt);
	gimple_set_vuse(copy, NULL_TREE);
	gimple_set_vdef(copy, NULL_TREE);
	gimple_stmt_iterator gsi = gsi_start_bb(then_bb);
	gsi_insert_after(&gsi, copy, GSI_NEW_STMT);
	pm_slot_cache arm_cache = *cache;
	arm_cache.delta = NULL_TREE;
	HOST_WIDE_INT last = tree_to_uhwi(site.len) - 1;
	pm_alias_redirect(copy, site.addr,
			  pm_alias_delta(copy, site.addr, last, &arm_cache));
	pm_build_hook_call(site, ptr, locvar, &arm);
	gimple_seq_set_location(arm, gimple_location(stmt));
	gsi = gsi_last_bb(then_bb);
	gsi_insert_seq_after(&gsi, arm, GSI_CONTINUE_LINKING);
	return true;
}

/* pm_alias_group -- the stores of GROUP that fit made through the alias
   when all the bytes from FIRST's to LAST past them lie in the slot's
   range: one delta, computed before the group's first store */
void
pm_alias_group(const vec<pm_member> &group, const pm_member &first,
	       HOST_WIDE_INT last, pm_slot_cache *cache)
{
	tree delta = NULL_TREE;
	if (last >= PM_ALIAS_MIN)
		return;
	for (const pm_member &m : group) {
		if (!pm_alias_fits(m.stmt, m.site))
			continue;
		if (delta == NULL_TREE)
			delta = pm_alias_delta(group[0].stmt, first.site.addr,
					       last, cache);
		pm_alias_redirect(m.stmt, m.site.addr, delta);
	}
}
