/* branch.cc -- the blocks a check makes: the statement split from what
   follows it, and if (gate) ARM on the way (emit.cc, alias.cc) */
#include "pmemu_plugin.h"

/* pm_split_after -- blocks CHECK (ending with STMT, or empty after it) and
   REST (empty, no PHIs) with one fallthrough edge CHECK -> REST */
bool
pm_split_after(gimple *stmt, basic_block *check, basic_block *rest)
{
	basic_block bb = gimple_bb(stmt);
	if (stmt_ends_bb_p(stmt)) {
		/* a call that may throw: the hooks go on the normal edge */
		edge e = find_fallthru_edge(bb->succs);
		if (e == NULL || (e->flags & EDGE_ABNORMAL))
			return false;
		*check = split_edge(e);
		*rest = split_edge(single_succ_edge(*check));
		return true;
	}
	*check = bb;
	*rest = split_block(bb, stmt)->dest;
	return true;
}

/* pm_make_then -- turn CHECK's edge to REST into the false arm of its new
   final condition and add the (unlikely) true arm, which is returned */
static basic_block
pm_make_then(basic_block check, basic_block rest)
{
	edge no = single_succ_edge(check);
	no->flags = (no->flags & ~EDGE_FALLTHRU) | EDGE_FALSE_VALUE;
	basic_block then_bb = create_empty_bb(check);
	edge yes = make_edge(check, then_bb, EDGE_TRUE_VALUE);
	yes->probability = profile_probability::never();
	no->probability = yes->probability.invert();
	then_bb->count = check->count.apply_probability(yes->probability);
	make_single_succ_edge(then_bb, rest, EDGE_FALLTHRU);
	if (current_loops != NULL)
		add_bb_to_loop(then_bb, check->loop_father);
	return then_bb;
}

/* pm_emit_check -- at the end of CHECK: if (GATE) { HOOKS } and then
   REST; returns the block after, where the next check may go */
basic_block
pm_emit_check(basic_block check, basic_block rest, gimple_seq gate,
	      tree cond, gimple_seq hooks)
{
	gimple_seq_add_stmt(&gate, gimple_build_cond(NE_EXPR, cond,
		boolean_false_node, NULL_TREE, NULL_TREE));
	gimple_stmt_iterator gsi = gsi_last_bb(check);
	gsi_insert_seq_after(&gsi, gate, GSI_CONTINUE_LINKING);
	basic_block then_bb = pm_make_then(check, rest);
	gsi = gsi_start_bb(then_bb);
	gsi_insert_seq_after(&gsi, hooks, GSI_CONTINUE_LINKING);
	return rest;
}

/* pm_branch_around -- STMT alone in its block, and before it
   if (gate) ARM else STMT;  with SITE's gate (*PTR: the pointer it
   checked); returns ARM's block, empty, which joins after STMT */
basic_block
pm_branch_around(gimple *stmt, const pm_site &site, pm_slot_cache *cache,
		 tree *ptr)
{
	basic_block bb = gimple_bb(stmt);
	gimple_stmt_iterator gsi = gsi_for_stmt(stmt);
	gsi_prev(&gsi);
	edge e = gsi_end_p(gsi) ? split_block_after_labels(bb)
				: split_block(bb, gsi_stmt(gsi));
	basic_block check = e->src, inst = e->dest;
	basic_block rest = split_block(inst, stmt)->dest;
	gimple_seq gate = NULL;
	*ptr = NULL_TREE;
	tree cond = pm_build_gate(site, &gate, ptr, cache);
	gimple_seq_set_location(gate, gimple_location(stmt));
	pm_emit_check(check, inst, gate, cond, NULL);
	basic_block arm = EDGE_SUCC(check, 0)->dest == inst
		? EDGE_SUCC(check, 1)->dest : EDGE_SUCC(check, 0)->dest;
	redirect_edge_succ(single_succ_edge(arm), rest);
	return arm;
}
