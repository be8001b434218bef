/*
 * pmemu_plugin.h -- what the files of the pmemu GCC plugin share
 *
 * The plugin finds, in each function after the optimisers ran, the sites
 * that touch memory which may be persistent (stores, string/memory
 * builtins, atomics, flush/fence/non-temporal intrinsics, inline asm) and
 * inserts after each one a range check against the module's slot and a
 * call of the matching __pmemu_* hook (libshim/core/pmemu_hooks.h); a
 * flush builtin's hook replaces it when the check holds, a run of
 * stores to one line is one call (__pmemu_store_run), and a plain store
 * whose bytes all lie in the slot's range is made through the views'
 * writable alias (alias.cc).
 */
#ifndef PMEMU_PLUGIN_H
#define PMEMU_PLUGIN_H 1

#include "gcc-plugin.h"
#include "plugin-version.h"
#include "tree.h"
#include "tree-pass.h"
#include "context.h"
#include "function.h"
#include "basic-block.h"
#include "cfghooks.h"
#include "cfgloop.h"
#include "gimple.h"
#include "gimple-iterator.h"
#include "ssa.h"
#include "gimplify.h"
#include "gimplify-me.h"
#include "tree-cfg.h"
#include "tree-into-ssa.h"
#include "varasm.h"
#include "cgraph.h"
#include "attribs.h"
#include "diagnostic-core.h"
#include "langhooks.h"
#include "builtins.h"
#include "internal-fn.h"
#include "fold-const.h"
#include "stor-layout.h"
#include "memmodel.h"
#include "ggc.h"

/* What a site does; each maps to one hook of pmemu_hooks.h. */
enum pm_event {
	PM_EV_STORE,     /* __pmemu_store */
	PM_EV_STORE_NT,  /* __pmemu_store_nt */
	PM_EV_MOVDIR64B, /* __pmemu_movdir64b */
	PM_EV_FLUSH,     /* __pmemu_flush */
	PM_EV_FENCE,     /* __pmemu_fence, gated on the slot being non-empty */
};

/* How the length of a store is known after the call that did it. */
enum pm_len {
	PM_LEN_TREE,    /* len is a tree (constant or SSA value) */
	PM_LEN_STRCPY,  /* strlen(dest) + 1 */
	PM_LEN_STPCPY,  /* lhs - dest + 1, or strlen(dest) + 1 without lhs */
	PM_LEN_STRCAT,  /* strlen(src) + 1 bytes at dest + strlen(dest) - strlen(src) */
	PM_LEN_STRNCAT, /* as STRCAT with strnlen(src, aux2) */
};

/* One hook call to insert after a statement. */
struct pm_site {
	enum pm_event ev;
	tree addr;       /* pointer expression, not yet gimplified */
	tree len;        /* size_t expression (PM_LEN_TREE) */
	enum pm_len len_kind;
	tree aux;        /* src (STRCAT/STRNCAT) or lhs (STPCPY) */
	tree aux2;       /* n (STRNCAT) */
	int hook_kind;   /* enum pmemu_hook_flush / pmemu_hook_fence */
	tree success;    /* boolean gimple value: the store happened; or NULL */
};

/* The slot's two words as loaded by an earlier check of the same run of
   statements (NULL_TREE: not loaded yet). A run ends where the slot may
   have changed for this thread: at a block boundary (so every loop
   iteration loads it again) and after a call, an asm or a volatile
   access (mmap/munmap are calls; a mapping made by another thread can
   only be learnt of through one of these). */
struct pm_slot_cache {
	tree lo;
	tree len;
	tree delta;
};

/* the slot's words (pmemu_hooks.h, struct pmemu_slot_alias) */
enum pm_slot_word { PM_SLOT_LO, PM_SLOT_LEN, PM_SLOT_DELTA };

/* A plain store of a run of stores through one base: one check covers
   the run, whose hooks are called in order after its last store. */
struct pm_member {
	gimple *stmt;
	pm_site site;
	tree key;             /* the base: an SSA pointer or a declaration */
	HOST_WIDE_INT off;    /* byte offset from the base */
	HOST_WIDE_INT len;    /* bytes stored */
};

/* PMEMU_ALIAS_MIN of pmemu_hooks.h: a slot with a delta is at least this
   long, so a store or run of up to this many bytes may go through it */
#define PM_ALIAS_MIN 4096

/* PMEMU_HOOK_* values of pmemu_hooks.h (the plugin cannot include it) */
enum { PM_CLWB = 0, PM_CLFLUSHOPT = 1, PM_CLFLUSH = 2 };
enum { PM_SFENCE = 0, PM_MFENCE = 1, PM_LOCKED = 2 };

/* options (plugin.cc) */
extern bool pm_opt_stats;

/* classify.cc: the sites of one statement, in the order they happen */
void pm_classify_init(void);
void pm_classify_begin_function(function *fn);
void pm_classify(gimple *stmt, vec<pm_site> *sites);
void pm_site_store(vec<pm_site> *sites, enum pm_event ev, tree addr,
		   tree len, tree success);
void pm_site_fence(vec<pm_site> *sites, int kind);
bool pm_store_is_local(tree lhs);

/* asm_parse.cc: the sites of an inline asm, warning on what it cannot read */
void pm_classify_asm(gasm *stmt, vec<pm_site> *sites);

/* group.cc: which stores share one check */
bool pm_member_of(gimple *stmt, const vec<pm_site> &sites, pm_member *m);
bool pm_group_accepts(const vec<pm_member> &group, const pm_member &m);
bool pm_breaks_group(gimple *stmt);
bool pm_reloads_slot(gimple *stmt);

/* emit.cc: runtime declarations and the guarded hook calls */
void pm_emit_sites(gimple *stmt, const vec<pm_site> &sites,
		   pm_slot_cache *cache);
void pm_emit_group(const vec<pm_member> &group, pm_slot_cache *cache);
void pm_emit_begin_function(void);
bool pm_emit_used(void);
void pm_emit_constructor(void);
tree pm_slot_value(gimple_seq *seq, enum pm_slot_word word,
		   pm_slot_cache *cache);
tree pm_value(tree expr, tree type, gimple_seq *seq);
tree pm_build_gate(const pm_site &site, gimple_seq *seq, tree *ptr,
		   pm_slot_cache *cache);
void pm_build_hook_call(const pm_site &site, tree ptr, tree locvar,
			gimple_seq *seq);
/* branch.cc */
bool pm_split_after(gimple *stmt, basic_block *check, basic_block *rest);
basic_block pm_emit_check(basic_block check, basic_block rest,
			  gimple_seq gate, tree cond, gimple_seq hooks);
/* STMT alone in its block with if (gate) ARM else STMT before it; ARM's
   block returned, empty, joining after STMT (*PTR: the gate's pointer) */
basic_block pm_branch_around(gimple *stmt, const pm_site &site,
			     pm_slot_cache *cache, tree *ptr);

/* alias.cc: plain stores made through the views' writable alias */
bool pm_alias_instead(gimple *stmt, const pm_site &site, tree locvar,
		      pm_slot_cache *cache);
void pm_alias_group(const vec<pm_member> &group, const pm_member &first,
		    HOST_WIDE_INT last, pm_slot_cache *cache);
extern const struct ggc_root_tab pm_emit_roots[];

/* exclude.cc: code the user trusts */
bool pm_exclude_load(const char *path);
bool pm_exclude_function(tree fndecl);
bool pm_exclude_file(const char *file);

/* pass.cc */
opt_pass *pm_make_pass(gcc::context *ctxt);

#endif
