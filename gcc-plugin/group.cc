/* group.cc -- which stores of a block share one range check, and where
   the slot must be loaded again */
#include "pmemu_plugin.h"
#include "tree-dfa.h"
#include "tree-eh.h"

/* A run's stores lie within this many bytes of one another: its shared
   check holds when any of their bytes is in the slot's range, so the
   hooks of the stores beside a range's edge run too (the runtime drops
   stores outside pmem); with the slot {0, 0} it never holds. */
#define PM_GROUP_SPAN 512
#define PM_GROUP_MAX 16

/* pm_address_parts -- ADDR as KEY + OFF, KEY an SSA pointer or a
   declaration, OFF a constant */
static bool
pm_address_parts(tree addr, tree *key, HOST_WIDE_INT *off)
{
	HOST_WIDE_INT extra = 0;
	STRIP_NOPS(addr); /* (T *) p: the address p */
	while (TREE_CODE(addr) == POINTER_PLUS_EXPR &&
	       tree_fits_shwi_p(TREE_OPERAND(addr, 1))) {
		extra += tree_to_shwi(TREE_OPERAND(addr, 1));
		addr = TREE_OPERAND(addr, 0);
	}
	if (TREE_CODE(addr) == SSA_NAME) {
		*key = addr;
		*off = extra;
		return true;
	}
	if (TREE_CODE(addr) != ADDR_EXPR)
		return false;
	poly_int64 pos;
	HOST_WIDE_INT at;
	tree base = get_addr_base_and_unit_offset(TREE_OPERAND(addr, 0), &pos);
	if (base == NULL_TREE || !pos.is_constant(&at))
		return false;
	/* a TARGET_MEM_REF (after ivopts) without an index is base + offset */
	bool indexed = TREE_CODE(base) == TARGET_MEM_REF &&
		       (TMR_INDEX(base) != NULL_TREE ||
			TMR_INDEX2(base) != NULL_TREE);
	if ((TREE_CODE(base) == MEM_REF || TREE_CODE(base) == TARGET_MEM_REF) &&
	    !indexed && TREE_CODE(TREE_OPERAND(base, 0)) == SSA_NAME) {
		/* the MEM_REF's own offset is not in POS */
		*key = TREE_OPERAND(base, 0);
		at += mem_ref_offset(base).force_shwi().to_constant();
	} else if (DECL_P(base)) {
		*key = base;
	} else {
		return false;
	}
	*off = at + extra;
	return true;
}

/* pm_member_of -- STMT is a plain store of a constant size whose address
   is a base plus a constant: it may share a check (*M) */
bool
pm_member_of(gimple *stmt, const vec<pm_site> &sites, pm_member *m)
{
	if (!is_gimple_assign(stmt) || sites.length() != 1 ||
	    stmt_could_throw_p(cfun, stmt))
		return false;
	const pm_site &s = sites[0];
	if (s.ev != PM_EV_STORE || s.len_kind != PM_LEN_TREE ||
	    s.success != NULL_TREE || !tree_fits_shwi_p(s.len) ||
	    tree_to_shwi(s.len) <= 0 || tree_to_shwi(s.len) > PM_GROUP_SPAN)
		return false;
	m->stmt = stmt;
	m->site = s;
	m->len = tree_to_shwi(s.len);
	return pm_address_parts(s.addr, &m->key, &m->off);
}

/* pm_group_accepts -- M can join GROUP: the same base, bytes no member
   wrote (each hook reads what its own store left), within the span */
bool
pm_group_accepts(const vec<pm_member> &group, const pm_member &m)
{
	if (group.is_empty())
		return true;
	if (group.length() >= PM_GROUP_MAX ||
	    !operand_equal_p(group[0].key, m.key, 0))
		return false;
	HOST_WIDE_INT lo = m.off, hi = m.off + m.len;
	for (const pm_member &g : group) {
		if (m.off < g.off + g.len && g.off < m.off + m.len)
			return false;
		lo = MIN(lo, g.off);
		hi = MAX(hi, g.off + g.len);
	}
	return hi - lo <= PM_GROUP_SPAN;
}

/* pm_breaks_group -- STMT writes memory that is not provably the stack:
   a run's hooks, called after its last store, would read what STMT left */
bool
pm_breaks_group(gimple *stmt)
{
	if (gimple_vdef(stmt) == NULL_TREE)
		return false;
	return !(is_gimple_assign(stmt) && gimple_store_p(stmt) &&
		 pm_store_is_local(gimple_assign_lhs(stmt)));
}

/* pm_reloads_slot -- after STMT the slot may hold another range: a call
   (mmap, munmap, and every lock or atomic through which another thread
   can hand over a region it mapped), an asm, a volatile access */
bool
pm_reloads_slot(gimple *stmt)
{
	return is_gimple_call(stmt) || gimple_code(stmt) == GIMPLE_ASM ||
	       gimple_has_volatile_ops(stmt);
}
