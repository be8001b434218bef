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

/* pm_collect -- the statements of FN with sites, before any is changed */
void
pm_collect(function *fn, vec<gimple *> *stmts)
{
	basic_block bb;
	FOR_EACH_BB_FN(bb, fn)
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb);
		     !gsi_end_p(gsi); gsi_next(&gsi)) {
			gimple *stmt = gsi_stmt(gsi);
			if (is_gimple_debug(stmt) || gimple_clobber_p(stmt))
				continue;
			location_t loc = gimple_location(stmt);
			if (loc != UNKNOWN_LOCATION &&
			    pm_exclude_file(LOCATION_FILE(loc)))
				continue;
			if (gimple_code(stmt) == GIMPLE_ASSIGN ||
			    gimple_code(stmt) == GIMPLE_CALL ||
			    gimple_code(stmt) == GIMPLE_ASM)
				stmts->safe_push(stmt);
		}
}

/* pm_instrument -- classify every collected statement and insert hooks */
unsigned
pm_instrument(function *fn)
{
	auto_vec<gimple *> stmts;
	auto_vec<pm_site> sites;
	unsigned n_sites = 0;

	pm_collect(fn, &stmts);
	pm_emit_begin_function();
	free_dominance_info(CDI_DOMINATORS);
	free_dominance_info(CDI_POST_DOMINATORS);
	for (gimple *stmt : stmts) {
		sites.truncate(0);
		if (gasm *as = dyn_cast<gasm *>(stmt))
			pm_classify_asm(as, &sites);
		else
			pm_classify(stmt, &sites);
		if (sites.is_empty())
			continue;
		pm_emit_sites(fn, stmt, sites);
		n_sites += sites.length();
	}
	if (n_sites != 0) {
		mark_virtual_operands_for_renaming(fn);
		if (current_loops)
			loops_state_set(LOOPS_NEED_FIXUP);
	}
	if (pm_opt_stats)
		inform(DECL_SOURCE_LOCATION(fn->decl),
		       "pmemu: %u sites instrumented in %qs", n_sites,
		       function_name(fn));
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
