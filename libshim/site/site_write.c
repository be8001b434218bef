/*
 * site_write.c -- writing pending sites, and the modules their frames
 * point into, through the sink the shim core set (contract: site.c)
 */
#include <limits.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#include "real.h"
#include "site_impl.h"
#include "trace.h"

static _Atomic(shim_site_sink_fn) site_sink;

void
shim_site_set_sink(shim_site_sink_fn sink)
{
	atomic_store(&site_sink, sink);
}

struct module_find {
	uintptr_t pc;
	struct site_module found;
	char path[PATH_MAX];
};

/* module_find_cb -- the loaded object whose PT_LOAD segments hold pc */
static int
module_find_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct module_find *f = data;
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	int hit = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t s = info->dlpi_addr + ph->p_vaddr;
		if (f->pc >= s && f->pc < s + ph->p_memsz)
			hit = 1;
		if (s < lo)
			lo = s;
		if (s + ph->p_memsz > hi)
			hi = s + ph->p_memsz;
	}
	if (!hit)
		return 0;
	f->found.lo = lo;
	f->found.hi = hi;
	f->found.bias = info->dlpi_addr;
	const char *name = info->dlpi_name;
	if (name == NULL || name[0] == '\0') {
		/* the main program is listed without a name */
		ssize_t n = REAL(readlink)("/proc/self/exe", f->path,
				sizeof(f->path) - 1);
		f->path[n > 0 ? n : 0] = '\0';
	} else {
		strncpy(f->path, name, sizeof(f->path) - 1);
		f->path[sizeof(f->path) - 1] = '\0';
	}
	return 1;
}

static void
write_module(const struct site_module *m, const char *path,
		shim_site_sink_fn sink)
{
	uint8_t body[16 + PATH_MAX];
	uint32_t id = shim_site_module_base() + m->id, pad = 0;
	uint64_t base = m->bias;
	size_t plen = strlen(path) + 1;
	memcpy(body, &id, 4);
	memcpy(body + 4, &pad, 4);
	memcpy(body + 8, &base, 8);
	memcpy(body + 16, path, plen);
	sink(TRACE_REC_MODULE, body, 16 + plen);
}

/* module_of -- the module of pc, looked up (and written) on first sight */
static const struct site_module *
module_of(struct site_tables *t, uintptr_t pc, shim_site_sink_fn sink)
{
	for (uint32_t i = 0; i < t->nmodules; i++)
		if (pc >= t->module[i].lo && pc < t->module[i].hi)
			return &t->module[i];
	if (t->nmodules == SITE_MODULE_MAX)
		return NULL;
	static struct module_find f; /* PATH_MAX: off the stack; write_lock */
	memset(&f.found, 0, sizeof(f.found));
	f.pc = pc;
	if (dl_iterate_phdr(module_find_cb, &f) == 0)
		return NULL;
	struct site_module *m = &t->module[t->nmodules];
	*m = f.found;
	m->id = t->nmodules++;
	write_module(m, f.path, sink);
	return m;
}

static void
write_site_src(uint32_t id, const struct pmemu_srcloc *loc,
		shim_site_sink_fn sink)
{
	const char *file = loc->file ? loc->file : "";
	const char *func = loc->func ? loc->func : "";
	size_t flen = strnlen(file, 1024), fnlen = strnlen(func, 1024);
	uint8_t body[8 + 1024 + 1 + 1024 + 1];
	memcpy(body, &id, 4);
	memcpy(body + 4, &loc->line, 4);
	memcpy(body + 8, file, flen);
	body[8 + flen] = '\0';
	memcpy(body + 9 + flen, func, fnlen);
	body[9 + flen + fnlen] = '\0';
	sink(TRACE_REC_SITE_SRC, body, 10 + flen + fnlen);
}

static void
write_site(struct site_tables *t, uint32_t local, uint32_t id,
		shim_site_sink_fn sink)
{
	const struct site_rec *r = &t->rec[local];
	if (r->loc != NULL) {
		write_site_src(id, r->loc, sink);
		return;
	}
	uint8_t body[8 + SHIM_SITE_FRAMES * 16];
	memcpy(body, &id, 4);
	memcpy(body + 4, &r->nframes, 4);
	for (uint32_t i = 0; i < r->nframes; i++) {
		const struct site_module *m = module_of(t, r->pc[i], sink);
		uint32_t mod = m ? shim_site_module_base() + m->id :
			SHIM_SITE_NO_MODULE, pad = 0;
		uint64_t off = m ? r->pc[i] - m->bias : r->pc[i];
		memcpy(body + 8 + 16 * i, &mod, 4);
		memcpy(body + 12 + 16 * i, &pad, 4);
		memcpy(body + 16 + 16 * i, &off, 8);
	}
	sink(TRACE_REC_SITE, body, 8 + 16 * (size_t)r->nframes);
}

static uint32_t
ids_end(struct site_tables *t)
{
	uint32_t end = atomic_load(&t->next_id);
	return end < SITE_MAX ? end : SITE_MAX;
}

/* write_pending -- one pass under write_lock over ids not yet settled */
static void
write_pending(struct site_tables *t, shim_site_sink_fn sink)
{
	uint32_t end = ids_end(t), low = atomic_load(&t->written_below);
	int settled = 1;
	for (uint32_t id = low; id < end; id++) {
		uint32_t st = atomic_load(&t->rec[id].state);
		if (st == SITE_PENDING) {
			write_site(t, id, shim_site_id_of_local(id), sink);
			atomic_store(&t->rec[id].state, SITE_WRITTEN);
		} else if (st == SITE_FREE) {
			settled = 0; /* still being filled by its thread */
		}
		if (settled)
			low = id + 1;
	}
	atomic_store(&t->written_below, low);
}

/*
 * flush_pending -- only one writer at a time; a caller that
 * finds the lock taken leaves its sites to the holder, which looks again
 * after letting go (all seq_cst: a site interned before a failed try is
 * seen by the holder's look after its release).
 */
static __attribute__((noinline)) void
flush_pending(struct site_tables *t)
{
	shim_site_sink_fn sink = atomic_load(&site_sink);
	if (sink == NULL)
		return;
	while (atomic_load(&t->written_below) < ids_end(t)) {
		if (atomic_flag_test_and_set(&t->write_lock))
			return;
		write_pending(t, sink);
		atomic_flag_clear(&t->write_lock);
		if (atomic_load(&t->written_below) < ids_end(t) &&
				!atomic_load(&t->rec[atomic_load(
				&t->written_below)].state))
			return; /* its thread is still filling it: later */
	}
}

/* shim_site_flush_pending -- at every take and release of shim_lock:
 * mostly nothing new, which one look at the ids tells (no call) */
void
shim_site_flush_pending(void)
{
	struct site_tables *t = site_tables_get();
	if (t != NULL && atomic_load(&t->written_below) < ids_end(t))
		flush_pending(t);
}
