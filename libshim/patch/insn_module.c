/*
 * insn_module.c -- the patch sites of one loaded object: taken from the
 * scan cache (insn_cache.c), or decoded (insn_scan.c) from its executable
 * sections, restarting at every function symbol of its file
 * (insn_elf.c), or, when the file is unreadable, from its executable
 * segments; client requests that need no trap are left out
 * (insn_request.c)
 */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_request.h"
#include "insn.h"
#include "insn_module.h"
#include "insn_trap.h"
#include "shim_events.h"
#include "shim_fatal.h"
#include "shim_intercept.h"

/* a module is scanned with its file when the file matches its segments */
struct scan {
	struct module *m;
	const struct loaded *l;
	const struct insn_elf *elf;  /* NULL: segments only */
	struct insn_scanner *sc;
	bool prefilter;              /* is_system: decode candidates only */
	bool pmdk;                   /* RUNNING_ON_VALGRIND answers 1 here */
};

const char *
insn_module_path(const struct loaded *l)
{
	return l->name[0] != '\0' ? l->name : "/proc/self/exe";
}

const ElfW(Phdr) *
insn_exec_segment(const struct loaded *l, uint64_t lo, uint64_t hi)
{
	for (int i = 0; i < l->phnum; i++) {
		const ElfW(Phdr) *p = &l->phdr[i];
		if (p->p_type == PT_LOAD && (p->p_flags & PF_X) &&
				lo >= p->p_vaddr && hi <= p->p_vaddr + p->p_filesz)
			return p;
	}
	return NULL;
}

const char *
insn_plugin_path(void)
{
	static char path[PATH_MAX + 16];
	Dl_info info;
	if (dladdr((void *)insn_plugin_path, &info) == 0 ||
			info.dli_fname == NULL)
		return "pmemu-gcc.so";
	if (REAL(realpath)(info.dli_fname, path) == NULL)
		snprintf(path, sizeof(path), "%s", info.dli_fname);
	snprintf(path + strlen(dirname(path)), sizeof(path) - strlen(path),
			"/pmemu-gcc.so");
	return path;
}

/* die_unpatchable -- stop, naming the function and the module */
static void __attribute__((noreturn))
die_unpatchable(const struct scan *c, const struct insn_site *s)
{
	uint64_t vaddr = s->addr - c->l->base;
	const struct insn_func *f =
		c->elf != NULL ? insn_elf_func(c->elf, vaddr) : NULL;
	Dl_info info;
	const char *func = f != NULL ? f->name :
		dladdr((void *)s->addr, &info) && info.dli_sname != NULL ?
		info.dli_sname : "an unnamed function";
	char exe[4096];
	const char *module = c->l->name;
	if (module[0] == '\0') {
		ssize_t n = REAL(readlink)("/proc/self/exe", exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = '\0';
		module = exe;
	}
	shim_fatal("cannot emulate %s in %s (%s+%#lx); rebuild it "
			"with the GCC plugin (-fplugin=%s)", s->why, func,
			module, (unsigned long)vaddr, insn_plugin_path());
}

/* on_site -- insn_scan's callback: keep, count or refuse a site */
static int
on_site(void *ctx, const struct insn_site *s)
{
	struct scan *c = ctx;
	struct module *m = c->m;
	if (s->kind == INSN_LOCKED) {
		m->locked += !c->prefilter;
		return 0;
	}
	if (s->kind == INSN_UNPATCHABLE)
		die_unpatchable(c, s);
	struct insn_site kept = *s;
	if (s->kind == INSN_CLIENT_REQ)
		kept.vg_answer = c->pmdk;
	if (m->nsites == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 16;
		struct insn_site *n = realloc(m->sites, cap * sizeof(*n));
		if (n == NULL)
			shim_fatal("out of memory scanning %s",
					c->l->name);
		m->sites = n;
		m->cap = cap;
	}
	m->sites[m->nsites++] = kept;
	return 0;
}

/* sweep -- decode link-time [lo, hi) of the module from its memory */
static void
sweep(struct scan *c, uint64_t lo, uint64_t hi)
{
	const uint8_t *code = (const uint8_t *)(c->l->base + lo);
	if (hi > lo && (!c->prefilter ||
			insn_may_have_targets(code, hi - lo)))
		insn_scan(c->sc, code, hi - lo, c->l->base + lo, on_site, c);
}

/*
 * scan_range -- decode [lo, hi), restarting at each function start so
 * that bytes between functions (padding, data) cannot shift the decoding
 * of the code after them
 */
static void
scan_range(struct scan *c, uint64_t lo, uint64_t hi)
{
	uint64_t cur = lo;
	const struct insn_elf *e = c->elf;
	for (size_t i = 0; e != NULL && i < e->nfuncs; i++) {
		const struct insn_func *f = &e->funcs[i];
		if (f->hi <= cur || f->lo < lo)
			continue;
		if (f->lo >= hi)
			break;
		if (f->lo > cur)
			sweep(c, cur, f->lo);
		uint64_t start = f->lo > cur ? f->lo : cur;
		uint64_t end = f->hi < hi ? f->hi : hi;
		sweep(c, start, end);
		cur = end;
	}
	sweep(c, cur, hi);
}

/* elf_matches -- every executable section lies in an executable segment */
static bool
elf_matches(const struct insn_elf *e, const struct loaded *l)
{
	for (size_t i = 0; i < e->nexec; i++)
		if (insn_exec_segment(l, e->exec[i].lo, e->exec[i].hi) == NULL)
			return false;
	return e->nexec > 0;
}

int
insn_site_cmp(const void *a, const void *b)
{
	const struct insn_site *x = a, *y = b;
	return (x->addr > y->addr) - (x->addr < y->addr);
}

/*
 * is_system -- a library of the distribution. Decoding costs ~70 ms per
 * MiB of code (libstdc++: 1 MiB), so in these only the functions whose
 * bytes hold the opcode of a target are decoded, and their locked
 * instructions, which guard their own data, are not counted
 * (docs/raw-instructions.md).
 */
static bool
is_system(const struct loaded *l)
{
	static const char *const dirs[] = { "/lib/", "/lib64/", "/usr/lib/",
		"/usr/lib64/" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++)
		if (strncmp(l->name, dirs[i], strlen(dirs[i])) == 0)
			return true;
	return false;
}

/* scanner -- the disassembler, made on the first cache miss */
static struct insn_scanner *
scanner(struct insn_scanner **sc)
{
	if (*sc == NULL && (*sc = insn_scanner_new()) == NULL)
		shim_fatal("cannot start the disassembler (capstone)");
	return *sc;
}

/*
 * elide_and_plan -- drop the client requests that need no trap, sort the
 * sites and plan their jumps (insn_jump.c); branches into either are
 * looked for in every executable segment
 */
static void
elide_and_plan(struct module *m, const struct loaded *l,
		struct insn_scanner *sc)
{
	struct insn_range code[16];
	size_t n = 0;
	for (int i = 0; i < l->phnum && n < 16; i++)
		if (l->phdr[i].p_type == PT_LOAD && (l->phdr[i].p_flags & PF_X))
			code[n++] = (struct insn_range){
				l->base + l->phdr[i].p_vaddr,
				l->base + l->phdr[i].p_vaddr +
				l->phdr[i].p_filesz };
	m->nsites = insn_requests_elide(sc, m->sites, m->nsites, code, n,
			client_request_ignored);
	qsort(m->sites, m->nsites, sizeof(*m->sites), insn_site_cmp);
	insn_jumps_plan(sc, m->sites, m->nsites, code, n);
}

/* module_decode -- the sites and locked count of one loaded object */
static void
module_decode(struct module *m, const struct loaded *l, bool prefilter,
		struct insn_scanner **sc)
{
	struct insn_elf elf;
	bool have_elf = insn_elf_open(insn_module_path(l), &elf) == 0;
	struct scan c = { m, l, NULL, NULL, prefilter,
		client_request_module_is_pmdk(l->name) };
	if (have_elf && elf_matches(&elf, l))
		c.elf = &elf;
	if (c.elf != NULL && elf.plugin_built)
		goto out; /* the plugin's hooks report its flushes and fences */
	c.sc = scanner(sc);
	if (c.elf != NULL) {
		for (size_t i = 0; i < elf.nexec; i++)
			scan_range(&c, elf.exec[i].lo, elf.exec[i].hi);
	} else {
		for (int i = 0; i < l->phnum; i++)
			if (l->phdr[i].p_type == PT_LOAD &&
					(l->phdr[i].p_flags & PF_X))
				scan_range(&c, l->phdr[i].p_vaddr,
						l->phdr[i].p_vaddr +
						l->phdr[i].p_filesz);
	}
	elide_and_plan(m, l, c.sc);
out:
	if (have_elf)
		insn_elf_close(&elf);
}

/*
 * cache_take -- the cached sites of the module, when each lies in an
 * executable segment and its first byte is still the one recorded
 */
static bool
cache_take(struct module *m, const struct loaded *l,
		struct insn_cache_entry *e)
{
	for (size_t i = 0; i < e->nsites; i++) {
		struct insn_site *s = &e->sites[i];
		if (insn_exec_segment(l, s->addr, s->addr + s->len) == NULL ||
				(s->jmp_len != 0 && insn_exec_segment(l,
				s->addr - s->jmp_back, s->addr - s->jmp_back +
				s->jmp_len) == NULL) ||
				*(const uint8_t *)(l->base + s->addr) !=
				s->orig) {
			free(e->sites);
			return false;
		}
		s->addr += l->base;
	}
	m->sites = e->sites;
	m->nsites = m->cap = e->nsites;
	m->locked = e->locked;
	return true;
}

/* cache_put -- the module's sites, as offsets, into the cache */
static void
cache_put(const struct module *m, const struct loaded *l, const char *dir,
		const char *key)
{
	struct insn_cache_entry e = { malloc((m->nsites + 1) *
			sizeof(*e.sites)), m->nsites, m->locked };
	if (e.sites == NULL)
		return;
	for (size_t i = 0; i < m->nsites; i++) {
		e.sites[i] = m->sites[i];
		e.sites[i].addr -= l->base;
	}
	insn_cache_store(dir, key, &e);
	free(e.sites);
}

/* keep_emulable -- drop the sites this CPU cannot run: natively they
 * raise #UD, as they do unpatched */
static void
keep_emulable(struct module *m)
{
	size_t kept = 0;
	for (size_t i = 0; i < m->nsites; i++)
		if (insn_site_emulable(&m->sites[i]))
			m->sites[kept++] = m->sites[i];
	m->nsites = kept;
}

/* cache_dir -- insn_cache_dir(), asked once (under patch_lock) */
static const char *
cache_dir(void)
{
	static bool asked;
	static const char *dir;
	if (!asked)
		dir = insn_cache_dir();
	asked = true;
	return dir;
}

void
insn_module_scan(struct module *m, const struct loaded *l,
		struct insn_scanner **sc)
{
	bool prefilter = is_system(l);
	bool pmdk = client_request_module_is_pmdk(l->name);
	struct insn_cache_module cm = { l->base, l->phdr, l->phnum,
		insn_module_path(l), (prefilter ? 1u : 0u) | (pmdk ? 2u : 0u) };
	struct insn_cache_entry e;
	char key[PATH_MAX + 512];
	const char *dir = cache_dir();
	bool keyed = dir != NULL && insn_cache_key(&cm, key, sizeof(key)) == 0;
	if (!keyed || insn_cache_load(dir, key, &e) != 0 ||
			!cache_take(m, l, &e)) {
		module_decode(m, l, prefilter, sc);
		if (keyed)
			cache_put(m, l, dir, key);
	}
	keep_emulable(m);
}

