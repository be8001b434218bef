/* pass.cc -- the pmemu pass: walk blocks x statements, classify, insert */
#include "pmemu_plugin.h"

namespace {

const pass_data pm_pass_data = {
	GIMPLE_PASS,
	"pmemu",                /* name, for -fdump-tree-pmemu */
	OPTGROUP_NONE,
	TV_NONE,
	PROP_ssa | PROP_cfg,    /* properties_required */
	0, 0, 0,
	TODO_update_ssa,        /* the hook calls get virtual operands */
};

/* A statement that may have sites, and the block it was in before any
   was split. */
struct pm_item {
	gimple *stmt;
	int block;
};

/* pm_collect -- the statements of FN that may have sites or end a run,
   before any is changed; EXCLUDED ones only end runs */
void
pm_collect(function *fn, vec<pm_item> *items)
{
	basic_block bb;
	FOR_EACH_BB_FN(bb, fn)
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb);
		     !gsi_end_p(gsi); gsi_next(&gsi)) {
			gimple *stmt = gsi_stmt(gsi);
			if (is_gimple_debug(stmt) || gimple_clobber_p(stmt))
				continue;
			if (gimple_code(stmt) == GIMPLE_ASSIGN ||
			    gimple_code(stmt) == GIMPLE_CALL ||
			    gimple_code(stmt) == GIMPLE_ASM) {
				pm_item item = { stmt, bb->index };
				items->safe_push(item);
			}
		}
}

/* pm_excluded -- STMT comes from a file the user trusts */
bool
pm_excluded(gimple *stmt)
{
	location_t loc = gimple_location(stmt);
	return loc != UNKNOWN_LOCATION && pm_exclude_file(LOCATION_FILE(loc));
}

/* pm_sites_of -- the sites of STMT, in the order they happen */
void
pm_sites_of(gimple *stmt, vec<pm_site> *sites)
{
	sites->truncate(0);
	if (pm_excluded(stmt))
		return;
	if (gasm *as = dyn_cast<gasm *>(stmt))
		pm_classify_asm(as, sites);
	else
		pm_classify(stmt, sites);
}

/* pm_flush -- emit GROUP's check (its own site's if it has one member);
   returns the checks emitted */
unsigned
pm_flush(vec<pm_member> *group, pm_slot_cache *cache)
{
	unsigned n = group->is_empty() ? 0 : 1;
	if (group->length() == 1) {
		auto_vec<pm_site, 1> one;
		one.quick_push((*group)[0].site);
		pm_emit_sites((*group)[0].stmt, one, cache);
	} else if (group->length() > 1) {
		pm_emit_group(*group, cache);
	}
	group->truncate(0);
	return n;
}

/* pm_instrument -- classify every collected statement and insert hooks:
   within a block, the slot is loaded once per run between calls, and
   plain stores through one base that follow one another share a check */
unsigned
pm_instrument(function *fn)
{
	auto_vec<pm_item> items;
	auto_vec<pm_site> sites;
	auto_vec<pm_member> group;
	pm_slot_cache cache = { NULL_TREE, NULL_TREE, NULL_TREE };
	int block = -1;
	unsigned n_sites = 0, n_checks = 0;

	pm_collect(fn, &items);
	pm_classify_begin_function(fn);
	pm_emit_begin_function();
	free_dominance_info(CDI_DOMINATORS);
	free_dominance_info(CDI_POST_DOMINATORS);
	for (const pm_item &item : items) {
		gimple *stmt = item.stmt;
		pm_member m;
		pm_sites_of(stmt, &sites);
		bool member = pm_member_of(stmt, sites, &m);
		if (item.block != block ||
		    (member && !pm_group_accepts(group, m)) ||
		    (!member && (!sites.is_empty() ||
				 pm_breaks_group(stmt))))
			n_checks += pm_flush(&group, &cache);
		if (item.block != block || pm_reloads_slot(stmt))
			cache.lo = cache.len = cache.delta = NULL_TREE;
		block = item.block;
		n_sites += sites.length();
		if (member)
			group.safe_push(m);
		else if (!sites.is_empty())
			pm_emit_sites(stmt, sites, &cache);
		if (!member)
			n_checks += sites.length();
	}
	n_checks += pm_flush(&group, &cache);
	if (n_sites != 0) {
		mark_virtual_operands_for_renaming(fn);
		if (current_loops)
			loops_state_set(LOOPS_NEED_FIXUP);
	}
	if (pm_opt_stats)
		inform(DECL_SOURCE_LOCATION(fn->decl),
		       "pmemu: %u sites instrumented in %qs, %u checks",
		       n_sites, function_name(fn), n_checks);
	return 0;
}

class pm_pass : public gimple_opt_pass {
public:
	pm_pass(gcc::context *ctxt) : gimple_opt_pass(pm_pass_data, ctxt) {}
	bool gate(function *fn) final override
	{
		return !pm_exclude_function(fn->decl);
	}
	unsigned execute(function *fn) final override
	{
		return pm_instrument(fn);
	}
};

} /* namespace */

opt_pass *
pm_make_pass(gcc::context *ctxt)
{
	return new pm_pass(ctxt);
}
