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
#include "insn_text.h"
#include "insn_tramp.h"
#include "insn_trap.h"
#include "shim_core.h"
#include "shim_events.h"
#include "shim_intercept.h"

#define INT3 0xcc
#define JMP_REL32 0xe9


static pthread_mutex_t patch_lock = PTHREAD_MUTEX_INITIALIZER;
static struct module *modules;
static atomic_uint locked_total;
static atomic_uint trapping_total;  /* jump mode: sites left with int3 */

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
shim_insn_trapping_sites(void)
{
	return atomic_load(&trapping_total);
}

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

/* text_write -- bytes over code at `at`, in w's window (insn_text.c):
 * the pages kept executable while written (other threads may run them);
 * a write-only window, when the system refuses W+X, is closed at once */
static void
text_write(struct text_window *w, const struct loaded *l,
		const struct insn_site *s, uintptr_t at, const uint8_t *bytes,
		size_t n)
{
	int err = text_window_cover(w, at, n, prot_of(l, at - l->base));
	if (err < 0)
		shim_fatal("cannot patch the %s at %s+%#lx: "
				"mprotect: %s; rebuild it with the GCC "
				"plugin (-fplugin=%s)",
				insn_kind_name(s->kind),
				insn_module_path(l),
				(unsigned long)(s->addr - l->base),
				strerror(-err), insn_plugin_path());
	for (size_t i = 0; i < n; i++) {
		((volatile uint8_t *)at)[i] = bytes[i];
		atomic_thread_fence(memory_order_seq_cst);
	}
	if (!w->exec)
		text_window_close(w);
}

/*
 * write_jump -- jmp rel32 to s's trampoline over the first 5 bytes of
 * its range: an int3 first (a thread arriving meanwhile traps, and the
 * handler sends it to the trampoline, insn_trap.c), then the rel32, then
 * the opcode over the int3
 */
static void
write_jump(struct text_window *w, const struct loaded *l,
		const struct insn_site *s)
{
	uintptr_t at = s->addr - s->jmp_back;
	uint8_t jmp[INSN_JMP_LEN] = { JMP_REL32 };
	int32_t rel = (int32_t)(s->tramp - (at + INSN_JMP_LEN));
	memcpy(jmp + 1, &rel, 4);
	static const uint8_t int3 = INT3;
	text_write(w, l, s, at, &int3, 1);
	text_write(w, l, s, at + 1, jmp + 1, 4);
	text_write(w, l, s, at, jmp, 1);
}

/* in_jump -- sites[i] lies in the range of another site's jump (ranges
 * hold their site and span less than 64 bytes) */
static bool
in_jump(const struct insn_site *sites, size_t n, size_t i)
{
	uint64_t at = sites[i].addr;
	for (size_t j = i; j-- > 0 && sites[j].addr + 64 > at;)
		if (sites[j].tramp != 0 && sites[j].addr - sites[j].jmp_back +
				sites[j].jmp_len > at)
			return true;
	for (size_t j = i + 1; j < n && sites[j].addr < at + 64; j++)
		if (sites[j].tramp != 0 && sites[j].addr - sites[j].jmp_back <=
				at)
			return true;
	return false;
}

/*
 * patch_module -- a jmp to its trampoline for each site that has one (the
 * sites inside its range are done there), an int3 over the first byte of
 * every other; the sites left trapping in jump mode are counted. One
 * window (insn_text.c) is open over the pages written, closed before the
 * object's code is run by us (reprobe) or the caller returns.
 */
static void
patch_module(struct module *m, const struct loaded *l, bool jump)
{
	static const uint8_t int3 = INT3;
	struct text_window w = { 0 };
	for (size_t i = 0; i < m->nsites; i++) {
		const struct insn_site *s = &m->sites[i];
		uintptr_t at = s->addr - (s->tramp != 0 ? s->jmp_back : 0);
		if (s->tramp != 0) {
			write_jump(&w, l, s);
		} else if (!in_jump(m->sites, m->nsites, i)) {
			text_write(&w, l, s, s->addr, &int3, 1);
			m->trapping += jump;
		} else {
			continue;
		}
		if (m->probe == 0 || at < m->probe)
			m->probe = at;
	}
	text_window_close(&w);
	if (m->probe != 0)
		m->probe_byte = *(const uint8_t *)m->probe;
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
	return m->probe == 0 || *(const uint8_t *)m->probe == m->probe_byte;
}

/* modules_prune -- forget the objects the last walk did not see */
static bool
modules_prune(void)
{
	bool changed = false;
	unsigned locked = 0, trapping = 0;
	for (struct module **p = &modules; *p != NULL;) {
		struct module *m = *p;
		if (m->present) {
			locked += m->locked;
			trapping += m->trapping;
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
	atomic_store(&trapping_total, trapping);
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
		shim_fatal("out of memory for %zu patch sites", n);
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
		shim_fatal("out of memory scanning %s", l->name);
	m->base = l->base;
	m->present = true;
	if (!skipped(l))
		insn_module_scan(m, l, sc);
	m->next = modules;
	modules = m;
	return m;
}

/* patch_mode_jump -- trampolines, unless PMEMU_PATCH=int3 or the CPU
 * cannot save the whole register state */
static bool
patch_mode_jump(void)
{
	return !shim_opts()->patch_int3 && insn_tramp_ready();
}

/* rescan -- bring the modules, the table and the patches up to date */
static void
rescan(void)
{
	struct { struct loaded *v; size_t n, cap; } all = { 0 };
	if (dl_iterate_phdr(collect, &all) != 0)
		shim_fatal("out of memory listing the loaded objects");
	for (struct module *m = modules; m != NULL; m = m->next)
		m->present = false;
	struct module **fresh = calloc(all.n + 1, sizeof(*fresh));
	const struct loaded **fresh_l = calloc(all.n + 1, sizeof(*fresh_l));
	struct insn_scanner *sc = NULL; /* made on the first cache miss */
	if (fresh == NULL || fresh_l == NULL)
		shim_fatal("out of memory listing the loaded objects");
	size_t nfresh = 0;
	bool jump = patch_mode_jump();
	for (size_t i = 0; i < all.n; i++) {
		struct module *m = module_find(all.v[i].base, all.v[i].name);
		if (m != NULL && still_patched(m)) {
			m->present = true;
			continue;
		}
		fresh_l[nfresh] = &all.v[i];
		fresh[nfresh] = module_add(&all.v[i], &sc);
		if (jump) /* sets the sites' tramp, before the table copies */
			insn_tramp_module(fresh[nfresh]->sites,
					fresh[nfresh]->nsites);
		nfresh++;
	}
	if (modules_prune() || nfresh > 0)
		table_rebuild(); /* published before any byte is written */
	for (size_t j = 0; j < nfresh; j++) {
		patch_module(fresh[j], fresh_l[j], jump);
		reprobe(fresh[j], fresh_l[j]);
	}
	modules_prune(); /* the trapping total, now counted */
	insn_scanner_delete(sc);
	free(fresh);
	free(fresh_l);
	for (size_t i = 0; i < all.n; i++)
		free(all.v[i].name);
	free(all.v);
}

int
shim_insn_init(void)
{
	int err = insn_trap_install();
	if (err < 0)
		shim_fatal("cannot install the SIGTRAP handler of "
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
