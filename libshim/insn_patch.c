/*
 * insn_patch.c -- the loaded objects: which are scanned, their sites, the
 * int3 that replaces the first byte of each site, and dlopen
 *
 * At start-up and after every dlopen, each loaded object not seen before
 * gets its sites (insn_module.c: from the scan cache, else decoded).
 * They join the sorted table the trap handler searches (insn_trap.c); the
 * table is published before any byte is patched, so a thread that meets
 * an int3 finds it.
 * Patching writes one byte, which keeps every instruction boundary, so
 * a jump into a patched instruction is impossible.
 */
#include <dlfcn.h>
#include <errno.h>
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
#include "insn_module.h"
#include "shim_events.h"
#include "shim_intercept.h"

#define PAGE_LEN 4096u
#define INT3 0xcc


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
/* prot_of -- the protection the loader gave the segment holding vaddr */
static int
prot_of(const struct loaded *l, uint64_t vaddr)
{
	const ElfW(Phdr) *p = insn_exec_segment(l, vaddr, vaddr + 1);
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
					insn_module_path(l),
					(unsigned long)(s->addr - l->base),
					strerror(-err), insn_plugin_path());
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
	const ElfW(Phdr) *p = insn_exec_segment(l, m->sites[0].addr - l->base,
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
	qsort(t->sites, t->n, sizeof(t->sites[0]), insn_site_cmp);
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
		insn_module_scan(m, l, sc);
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
