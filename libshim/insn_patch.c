/*
 * insn_patch.c -- the loaded objects: which are scanned, their sites, the
 * int3 that replaces the first byte of each site, and dlopen
 *
 * At start-up and after every dlopen, each loaded object not seen before
 * is decoded (insn_scan.c) from its executable sections, restarting at
 * every function symbol of its file (insn_elf.c), or, when the file is
 * unreadable, from its executable segments. Its sites join the sorted
 * table the trap handler searches (insn_trap.c); the table is published
 * before any byte is patched, so a thread that meets an int3 finds it.
 * Patching writes one byte, which keeps every instruction boundary, so
 * a jump into a patched instruction is impossible.
 */
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "client_request.h"
#include "insn.h"
#include "shim_events.h"
#include "shim_intercept.h"

#define PAGE_LEN 4096u
#define INT3 0xcc

/* a loaded object as dl_iterate_phdr shows it */
struct loaded {
	uintptr_t base;
	char *name;               /* "" for the main program */
	const ElfW(Phdr) *phdr;
	int phnum;
	bool self;                /* holds this code: libpmemu.so */
};

/* an object we looked at */
struct module {
	struct module *next;
	uintptr_t base;
	char *name;
	struct insn_site *sites;  /* patched to trap */
	size_t nsites, cap;
	unsigned locked;
	bool present;             /* seen by the last walk */
};

/* a module is scanned with its file when the file matches its segments */
struct scan {
	struct module *m;
	const struct loaded *l;
	const struct insn_elf *elf;  /* NULL: segments only */
	struct insn_scanner *sc;
	bool prefilter;              /* is_system: decode candidates only */
	bool pmdk;                   /* RUNNING_ON_VALGRIND answers 1 here */
};

static pthread_mutex_t patch_lock = PTHREAD_MUTEX_INITIALIZER;
static struct module *modules;
static atomic_uint locked_total;

/*
 * Objects never scanned. libpmem and libpmem2: their calls are interposed.
 * libc and ld.so: glibc's memcpy/memset use non-temporal stores for large
 * sizes by a threshold that depends on the cache size and tunables;
 * treating those as cached stores is what a portable program must assume
 * (docs/raw-instructions.md). The rest are the shim and its own helpers.
 */
static const char *const skipped_names[] = {
	"libpmemu.so", "libpmem.so", "libpmem2.so", "libc.so", "ld-linux",
	"libcapstone.so", "libunwind", "liblzma.so", "linux-vdso",
};

unsigned
shim_insn_locked_sites(void)
{
	return atomic_load(&locked_total);
}

size_t
shim_insn_locked_describe(char *buf, size_t len)
{
	size_t used = 0;
	if (len > 0)
		buf[0] = '\0';
	pthread_mutex_lock(&patch_lock);
	for (struct module *m = modules; m != NULL && used < len;
			m = m->next) {
		if (m->locked == 0)
			continue;
		const char *slash = strrchr(m->name, '/');
		int n = snprintf(buf + used, len - used, "%s%s (%u)",
				used ? ", " : "",
				m->name[0] ? (slash ? slash + 1 : m->name) :
				program_invocation_short_name, m->locked);
		used += n > 0 ? (size_t)n : 0;
	}
	pthread_mutex_unlock(&patch_lock);
	return used < len ? used : len;
}

/* module_path -- the file of a loaded object */
static const char *
module_path(const struct loaded *l)
{
	return l->name[0] != '\0' ? l->name : "/proc/self/exe";
}

/* skipped -- true for the objects named above and the vdso */
static bool
skipped(const struct loaded *l)
{
	if (l->self)
		return true;
	const char *slash = strrchr(l->name, '/');
	const char *base = slash != NULL ? slash + 1 : l->name;
	for (size_t i = 0; i < sizeof(skipped_names) / sizeof(*skipped_names);
			i++)
		if (strncmp(base, skipped_names[i],
				strlen(skipped_names[i])) == 0)
			return true;
	uintptr_t vdso = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
	for (int i = 0; i < l->phnum; i++)
		if (l->phdr[i].p_type == PT_LOAD &&
				l->base + l->phdr[i].p_vaddr == vdso)
			return true;
	return false;
}

/* exec_segment -- the executable PT_LOAD holding [lo, hi), or NULL */
static const ElfW(Phdr) *
exec_segment(const struct loaded *l, uint64_t lo, uint64_t hi)
{
	for (int i = 0; i < l->phnum; i++) {
		const ElfW(Phdr) *p = &l->phdr[i];
		if (p->p_type == PT_LOAD && (p->p_flags & PF_X) &&
				lo >= p->p_vaddr && hi <= p->p_vaddr + p->p_filesz)
			return p;
	}
	return NULL;
}

/* plugin_path -- pmemu-gcc.so next to libpmemu.so */
static const char *
plugin_path(void)
{
	static char path[PATH_MAX + 16];
	Dl_info info;
	if (dladdr((void *)plugin_path, &info) == 0 || info.dli_fname == NULL)
		return "pmemu-gcc.so";
	if (realpath(info.dli_fname, path) == NULL)
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
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = '\0';
		module = exe;
	}
	shim_fatal("error: cannot emulate %s in %s (%s+%#lx); rebuild it "
			"with the GCC plugin (-fplugin=%s)", s->why, func,
			module, (unsigned long)vaddr, plugin_path());
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
			shim_fatal("error: out of memory scanning %s",
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
		if (exec_segment(l, e->exec[i].lo, e->exec[i].hi) == NULL)
			return false;
	return e->nexec > 0;
}

static int
site_cmp(const void *a, const void *b)
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
		shim_fatal("error: cannot start the disassembler (capstone)");
	return *sc;
}

/* module_decode -- the sites and locked count of one loaded object */
static void
module_decode(struct module *m, const struct loaded *l, bool prefilter,
		struct insn_scanner **sc)
{
	struct insn_elf elf;
	bool have_elf = insn_elf_open(module_path(l), &elf) == 0;
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
	qsort(m->sites, m->nsites, sizeof(*m->sites), site_cmp);
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
		if (exec_segment(l, s->addr, s->addr + s->len) == NULL ||
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

/*
 * module_scan -- the sites and locked count of one loaded object: from
 * the cache (insn_cache.c) when it has them, else decoded and cached
 */
static void
module_scan(struct module *m, const struct loaded *l,
		struct insn_scanner **sc)
{
	bool prefilter = is_system(l);
	bool pmdk = client_request_module_is_pmdk(l->name);
	struct insn_cache_module cm = { l->base, l->phdr, l->phnum,
		module_path(l), (prefilter ? 1u : 0u) | (pmdk ? 2u : 0u) };
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

/* prot_of -- the protection the loader gave the segment holding vaddr */
static int
prot_of(const struct loaded *l, uint64_t vaddr)
{
	const ElfW(Phdr) *p = exec_segment(l, vaddr, vaddr + 1);
	if (p == NULL)
		return PROT_READ | PROT_EXEC;
	return ((p->p_flags & PF_R) ? PROT_READ : 0) |
		((p->p_flags & PF_W) ? PROT_WRITE : 0) | PROT_EXEC;
}

/* set_prot -- mprotect as a raw call, past any interposer */
static int
set_prot(uintptr_t page, int prot)
{
	return syscall(SYS_mprotect, page, PAGE_LEN, prot) == 0 ? 0 : -errno;
}

/*
 * patch_module -- int3 over the first byte of each site. The page stays
 * executable while it is written (other threads may run it); a system
 * that refuses W+X gets a write-only window instead.
 */
static void
patch_module(const struct module *m, const struct loaded *l)
{
	for (size_t i = 0; i < m->nsites; i++) {
		const struct insn_site *s = &m->sites[i];
		uintptr_t page = s->addr & ~(uintptr_t)(PAGE_LEN - 1);
		int prot = prot_of(l, s->addr - l->base);
		int err = set_prot(page, prot | PROT_WRITE);
		if (err < 0)
			err = set_prot(page, PROT_READ | PROT_WRITE);
		if (err < 0)
			shim_fatal("error: cannot patch the %s at %s+%#lx: "
					"mprotect: %s; rebuild it with the GCC "
					"plugin (-fplugin=%s)",
					insn_kind_name(s->kind),
					module_path(l),
					(unsigned long)(s->addr - l->base),
					strerror(-err), plugin_path());
		*(volatile uint8_t *)s->addr = INT3;
		set_prot(page, prot);
	}
}

/*
 * reprobe -- a PMDK library's constructor ran before it was patched:
 * its RUNNING_ON_VALGRIND probe is asked again (client_request.h)
 */
static void
reprobe(const struct module *m, const struct loaded *l)
{
	if (m->nsites == 0 || !client_request_module_is_pmdk(l->name))
		return;
	const ElfW(Phdr) *p = exec_segment(l, m->sites[0].addr - l->base,
			m->sites[0].addr - l->base + 1);
	if (p != NULL)
		client_request_reprobe(m->sites, m->nsites,
				l->base + p->p_vaddr);
}

/* collect -- dl_iterate_phdr's callback: one struct loaded per object */
static int
collect(struct dl_phdr_info *info, size_t size, void *ctx)
{
	(void)size;
	struct { struct loaded *v; size_t n, cap; } *all = ctx;
	if (all->n == all->cap) {
		size_t cap = all->cap ? 2 * all->cap : 32;
		struct loaded *v = realloc(all->v, cap * sizeof(*v));
		if (v == NULL)
			return 1;
		all->v = v;
		all->cap = cap;
	}
	struct loaded *l = &all->v[all->n];
	uintptr_t self = (uintptr_t)collect;
	*l = (struct loaded){ info->dlpi_addr,
		strdup(info->dlpi_name ? info->dlpi_name : ""),
		info->dlpi_phdr, info->dlpi_phnum, false };
	if (l->name == NULL)
		return 1;
	for (int i = 0; i < l->phnum; i++)
		if (l->phdr[i].p_type == PT_LOAD &&
				self >= l->base + l->phdr[i].p_vaddr &&
				self < l->base + l->phdr[i].p_vaddr +
				l->phdr[i].p_memsz)
			l->self = true;
	all->n++;
	return 0;
}

/* module_find -- the module at base named name, or NULL */
static struct module *
module_find(uintptr_t base, const char *name)
{
	for (struct module *m = modules; m != NULL; m = m->next)
		if (m->base == base && strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

/* still_patched -- false when the object was unloaded and loaded again */
static bool
still_patched(const struct module *m)
{
	return m->nsites == 0 || *(const uint8_t *)m->sites[0].addr == INT3;
}

/* modules_prune -- forget the objects the last walk did not see */
static bool
modules_prune(void)
{
	bool changed = false;
	unsigned locked = 0;
	for (struct module **p = &modules; *p != NULL;) {
		struct module *m = *p;
		if (m->present) {
			locked += m->locked;
			p = &m->next;
			continue;
		}
		*p = m->next;
		free(m->sites);
		free(m->name);
		free(m);
		changed = true;
	}
	atomic_store(&locked_total, locked);
	return changed;
}

/*
 * table_rebuild -- every module's sites in one sorted table. The old
 * table is never freed: a trap on another thread may still be reading it.
 */
static void
table_rebuild(void)
{
	size_t n = 0;
	for (struct module *m = modules; m != NULL; m = m->next)
		n += m->nsites;
	struct insn_table *t = malloc(sizeof(*t) + n * sizeof(t->sites[0]));
	if (t == NULL)
		shim_fatal("error: out of memory for %zu patch sites", n);
	t->n = 0;
	for (struct module *m = modules; m != NULL; m = m->next) {
		memcpy(&t->sites[t->n], m->sites,
				m->nsites * sizeof(t->sites[0]));
		t->n += m->nsites;
	}
	qsort(t->sites, t->n, sizeof(t->sites[0]), site_cmp);
	insn_table_publish(t);
}

/* module_add -- a new object: scanned, not yet patched */
static struct module *
module_add(const struct loaded *l, struct insn_scanner **sc)
{
	struct module *m = calloc(1, sizeof(*m));
	if (m == NULL || (m->name = strdup(l->name)) == NULL)
		shim_fatal("error: out of memory scanning %s", l->name);
	m->base = l->base;
	m->present = true;
	if (!skipped(l))
		module_scan(m, l, sc);
	m->next = modules;
	modules = m;
	return m;
}

/* rescan -- bring the modules, the table and the patches up to date */
static void
rescan(void)
{
	struct { struct loaded *v; size_t n, cap; } all = { 0 };
	if (dl_iterate_phdr(collect, &all) != 0)
		shim_fatal("error: out of memory listing the loaded objects");
	for (struct module *m = modules; m != NULL; m = m->next)
		m->present = false;
	struct module **fresh = calloc(all.n + 1, sizeof(*fresh));
	struct insn_scanner *sc = NULL; /* made on the first cache miss */
	if (fresh == NULL)
		shim_fatal("error: out of memory listing the loaded objects");
	size_t nfresh = 0;
	for (size_t i = 0; i < all.n; i++) {
		struct module *m = module_find(all.v[i].base, all.v[i].name);
		if (m != NULL && still_patched(m)) {
			m->present = true;
			continue;
		}
		fresh[nfresh++] = module_add(&all.v[i], &sc);
	}
	if (modules_prune() || nfresh > 0)
		table_rebuild(); /* published before any int3 is written */
	for (size_t i = 0, j = 0; i < all.n; i++)
		if (j < nfresh && fresh[j]->base == all.v[i].base &&
				strcmp(fresh[j]->name, all.v[i].name) == 0) {
			patch_module(fresh[j], &all.v[i]);
			reprobe(fresh[j++], &all.v[i]);
		}
	insn_scanner_delete(sc);
	free(fresh);
	for (size_t i = 0; i < all.n; i++)
		free(all.v[i].name);
	free(all.v);
}

int
shim_insn_init(void)
{
	int err = insn_trap_install();
	if (err < 0)
		shim_fatal("error: cannot install the SIGTRAP handler of "
				"patched instructions: %s", strerror(-err));
	pthread_mutex_lock(&patch_lock);
	rescan();
	pthread_mutex_unlock(&patch_lock);
	return 0;
}

void
shim_insn_on_dlopen(void *handle)
{
	(void)handle; /* its dependencies are new too: walk everything */
	pthread_mutex_lock(&patch_lock);
	rescan();
	pthread_mutex_unlock(&patch_lock);
}

/*
 * dlopen -- scan what the call loaded. The object's constructors have
 * run by then, unpatched (docs/raw-instructions.md, "Limits").
 */
SHIM_INTERCEPTOR(void *, dlopen, const char *file, int mode)
{
	SHIM_ENTER(dlopen, file, mode);
	void *handle = REAL(dlopen)(file, mode);
	SHIM_SAVE_ERRNO();
	if (handle != NULL)
		shim_insn_on_dlopen(handle);
	SHIM_LEAVE();
	return handle;
}
