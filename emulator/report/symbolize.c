/*
 * symbolize.c -- call sites to function and file:line with libdw
 *
 * Each module gets a Dwfl of its own, with the ELF file reported at bias
 * 0: the trace's offsets are ELF virtual addresses (pc minus the load
 * bias, site_write.c), so they are looked up as they are, and modules of
 * different processes of one trace never overlap.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_util.h"
#include "symbolize.h"
#include "trace.h"

#define SYM_INLINE_MAX 32u      /* frames one pc may expand into */

static const char sym_unknown[] = "???";
static const char sym_no_module[] = "[unknown]";

struct sym_module {
	char *path;         /* NULL: no MODULE record for this id */
	uint64_t base;
	int state;          /* 0 not opened, 1 open, -1 cannot be opened */
	Dwfl *dwfl;
	Dwfl_Module *mod;
	bool has_dwarf;
	char **names;       /* unversioned symbol names (unversioned()) */
	size_t nnames;
};

struct sym_site {
	bool known;
	bool resolved;
	char *src_file, *src_func; /* a plugin source site (SITE_SRC) */
	uint32_t src_line;
	uint32_t nraw;
	struct sym_raw_frame *raw;
	size_t nframes;
	struct sym_frame *frames;
};

struct symbolizer {
	struct sym_module *mod;
	size_t nmod;
	struct sym_site *site;
	size_t nsite;
};

static const Dwfl_Callbacks sym_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

struct symbolizer *
symbolizer_new(void)
{
	return calloc(1, sizeof(struct symbolizer));
}

void
symbolizer_delete(struct symbolizer *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nmod; i++) {
		free(s->mod[i].path);
		for (size_t j = 0; j < s->mod[i].nnames; j++)
			free(s->mod[i].names[j]);
		free(s->mod[i].names);
		if (s->mod[i].dwfl != NULL)
			dwfl_end(s->mod[i].dwfl);
	}
	for (size_t i = 0; i < s->nsite; i++) {
		free(s->site[i].src_file);
		free(s->site[i].src_func);
		free(s->site[i].raw);
		free(s->site[i].frames);
	}
	free(s->mod);
	free(s->site);
	free(s);
}

int
symbolizer_add_module(struct symbolizer *s, uint32_t id, const char *path,
		uint64_t base)
{
	int ret = report_grow((void **)&s->mod, &s->nmod, sizeof(*s->mod), id);
	if (ret < 0)
		return ret;
	struct sym_module *m = &s->mod[id];
	if (m->path != NULL)
		return 0; /* the first record of an id wins */
	if ((m->path = strdup(path)) == NULL)
		return -ENOMEM;
	m->base = base;
	return 0;
}

/* new_site -- the empty entry for a site id not seen before, or NULL */
static struct sym_site *
new_site(struct symbolizer *s, uint32_t site, int *ret)
{
	*ret = report_grow((void **)&s->site, &s->nsite, sizeof(*s->site), site);
	if (*ret < 0 || s->site[site].known)
		return NULL;
	return &s->site[site];
}

int
symbolizer_add_site(struct symbolizer *s, uint32_t site,
		const struct sym_raw_frame *frames, uint32_t nframes)
{
	int ret;
	struct sym_site *st = new_site(s, site, &ret);
	if (st == NULL)
		return ret;
	st->raw = malloc((nframes ? nframes : 1) * sizeof(*frames));
	if (st->raw == NULL)
		return -ENOMEM;
	memcpy(st->raw, frames, nframes * sizeof(*frames));
	st->nraw = nframes;
	st->known = true;
	return 0;
}

int
symbolizer_add_site_src(struct symbolizer *s, uint32_t site,
		const char *file, const char *func, uint32_t line)
{
	int ret;
	struct sym_site *st = new_site(s, site, &ret);
	if (st == NULL)
		return ret;
	st->src_file = strdup(file);
	st->src_func = strdup(func);
	if (st->src_file == NULL || st->src_func == NULL)
		return -ENOMEM; /* freed with the symbolizer */
	st->src_line = line;
	st->known = true;
	return 0;
}

/* symbolizer_add_record -- a decoded record (trace.h): the reader
 * checked its body once, for every consumer */
int
symbolizer_add_record(struct symbolizer *s, const struct trace_rec *rec)
{
	const struct trace_site_info *si = &rec->u.site;
	int ret;
	switch (rec->type) {
	case TRACE_REC_MODULE:
		ret = symbolizer_add_module(s, rec->u.module.module,
				rec->u.module.path, rec->u.module.base);
		break;
	case TRACE_REC_SITE: {
		struct sym_raw_frame fr[TRACE_SITE_FRAMES_MAX];
		for (uint32_t i = 0; i < si->nframes; i++)
			trace_site_frame(rec, i, &fr[i].module, &fr[i].off);
		ret = symbolizer_add_site(s, si->site, fr, si->nframes);
		break;
	}
	case TRACE_REC_SITE_SRC:
		ret = symbolizer_add_site_src(s, si->site, si->file, si->func,
				si->line);
		break;
	default:
		return 0;
	}
	return ret < 0 ? ret : 1;
}

/* module_open -- the module's Dwfl, opened on first use; NULL if none */
static struct sym_module *
module_open(struct symbolizer *s, uint32_t id)
{
	if (id >= s->nmod || s->mod[id].path == NULL)
		return NULL;
	struct sym_module *m = &s->mod[id];
	if (m->state == 0) {
		m->state = -1;
		m->dwfl = dwfl_begin(&sym_callbacks);
		if (m->dwfl == NULL)
			return m;
		dwfl_report_begin(m->dwfl);
		/* ET_DYN at bias 0 (add_p_vaddr), ET_EXEC where it says */
		m->mod = dwfl_report_elf(m->dwfl, m->path, m->path, -1, 0,
				true);
		dwfl_report_end(m->dwfl, NULL, NULL);
		if (m->mod != NULL) {
			Dwarf_Addr bias;
			m->has_dwarf = dwfl_module_getdwarf(m->mod, &bias) !=
				NULL;
			m->state = 1;
		}
	}
	return m;
}

static const char *
die_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	const char *name = dwarf_formstring(dwarf_attr_integrate(die,
			DW_AT_name, &a));
	return name;
}

/* call_site -- where an inlined subroutine was called: its caller's line */
static void
call_site(Dwarf_Die *cu, Dwarf_Die *inl, const char **file, int *line)
{
	Dwarf_Attribute a;
	Dwarf_Word idx = 0, ln = 0;
	Dwarf_Files *files;
	size_t nfiles;
	*file = NULL;
	*line = 0;
	if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_line, &a), &ln) == 0)
		*line = (int)ln;
	if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_file, &a), &idx) == 0
			&& dwarf_getsrcfiles(cu, &files, &nfiles) == 0 &&
			idx < nfiles)
		*file = dwarf_filesrc(files, idx, NULL, NULL);
}

static void
frame_set(struct sym_frame *f, const struct sym_module *m, uint64_t off,
		const char *func, const char *file, int line)
{
	f->func = func ? func : sym_unknown;
	f->file = file;
	f->line = file && line > 0 ? (uint32_t)line : 0;
	f->module = m && m->path ? m->path : sym_no_module;
	f->module_off = off;
	f->debug_info = m && m->has_dwarf;
	f->inlined = false;
	f->by_function = false;
}

/*
 * unversioned -- "__libc_start_main" for "__libc_start_main@@GLIBC_2.34":
 * the symbol table spells the version, people do not; copies are kept in
 * the module so they live as long as its other strings
 */
static const char *
unversioned(struct sym_module *m, const char *name)
{
	const char *at = name ? strchr(name, '@') : NULL;
	if (at == NULL || at == name)
		return name;
	for (size_t i = 0; i < m->nnames; i++)
		if (strncmp(m->names[i], name, at - name) == 0 &&
				m->names[i][at - name] == '\0')
			return m->names[i];
	char **grown = realloc(m->names, (m->nnames + 1) * sizeof(*grown));
	if (grown == NULL)
		return name;
	m->names = grown;
	char *copy = strndup(name, at - name);
	if (copy == NULL)
		return name;
	return m->names[m->nnames++] = copy;
}

/*
 * inline_chain -- the DIEs holding pc, innermost first, by nesting: past
 * an inlined subroutine, dwarf_getscopes goes on with the scopes of its
 * abstract definition (so the caller's subprogram would be missing);
 * dwarf_getscopes_die on the innermost scope walks the tree instead
 * (what eu-addr2line -i does)
 */
static int
inline_chain(Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die **chain)
{
	Dwarf_Die *scopes = NULL;
	*chain = NULL;
	if (cu == NULL || dwarf_getscopes(cu, pc, &scopes) <= 0) {
		free(scopes);
		return 0;
	}
	Dwarf_Die innermost = scopes[0];
	free(scopes);
	return dwarf_getscopes_die(&innermost, chain);
}

/*
 * resolve_dwarf -- the scopes holding addr, innermost first: each inlined
 * subroutine is a frame at the current line, whose caller's line is the
 * inlined subroutine's DW_AT_call_file:DW_AT_call_line; the subprogram
 * ends the walk (what eu-addr2line -i prints).
 */
static size_t
resolve_dwarf(struct sym_module *m, uint64_t addr, struct sym_frame *out,
		size_t max)
{
	Dwarf_Addr bias = 0;
	Dwarf_Die *cu = dwfl_module_addrdie(m->mod, addr, &bias);
	Dwfl_Line *ln = dwfl_module_getsrc(m->mod, addr);
	const char *file = NULL, *symname = dwfl_module_addrname(m->mod,
			addr);
	int line = 0;
	if (ln != NULL)
		file = dwfl_lineinfo(ln, NULL, &line, NULL, NULL, NULL);
	Dwarf_Die *scopes = NULL;
	int nscopes = inline_chain(cu, addr - bias, &scopes);
	size_t n = 0;
	for (int i = 0; i < nscopes; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag != DW_TAG_inlined_subroutine &&
				tag != DW_TAG_subprogram)
			continue;
		const char *name = die_name(&scopes[i]);
		/* the source's name, not a clone's ("f.constprop.0") */
		if (name == NULL)
			name = symname;
		name = unversioned(m, name);
		if (n < max) {
			frame_set(&out[n], m, addr, name, file, line);
			out[n].inlined = tag == DW_TAG_inlined_subroutine;
		}
		n++;
		if (tag == DW_TAG_subprogram)
			break;
		call_site(cu, &scopes[i], &file, &line);
	}
	free(scopes);
	if (n == 0) {
		if (max > 0)
			frame_set(&out[0], m, addr, unversioned(m, symname),
					file, line);
		n = 1;
	}
	return n;
}

size_t
symbolizer_resolve(struct symbolizer *s, uint32_t module, uint64_t off,
		struct sym_frame *out, size_t max)
{
	struct sym_module *m = module == SYM_NO_MODULE ? NULL :
		module_open(s, module);
	if (m == NULL || m->state != 1) {
		if (max > 0)
			frame_set(&out[0], m, off, NULL, NULL, 0);
		return 1;
	}
	if (m->has_dwarf)
		return resolve_dwarf(m, off, out, max);
	if (max > 0)
		frame_set(&out[0], m, off, unversioned(m,
				dwfl_module_addrname(m->mod, off)), NULL, 0);
	return 1;
}

/* the C runtime's frames under main and under a thread's start routine */
static const char *const below_main[] = {
	"_start", "__libc_start_main", "__libc_start_call_main",
	"start_thread", "clone", "clone3", "__clone", "__clone3",
};

static bool
is_below_main(const char *func)
{
	for (size_t i = 0; i < sizeof(below_main) / sizeof(below_main[0]);
			i++)
		if (strcmp(func, below_main[i]) == 0)
			return true;
	return false;
}

/*
 * below_main_cut -- how many frames to keep: up to main, and without the
 * runtime's frames at the bottom (Valgrind's --show-below-main=no)
 */
static size_t
below_main_cut(const struct sym_frame *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!f[i].inlined && strcmp(f[i].func, "main") == 0)
			return i + 1;
	while (n > 1 && is_below_main(f[n - 1].func))
		n--;
	return n;
}

/* site_resolve -- fills st->frames once: every raw frame, expanded */
static int
site_resolve(struct symbolizer *s, struct sym_site *st)
{
	if (st->src_func != NULL) {
		st->frames = calloc(1, sizeof(*st->frames));
		if (st->frames == NULL)
			return -ENOMEM;
		struct sym_frame *f = st->frames;
		f->func = st->src_func[0] ? st->src_func : sym_unknown;
		f->file = st->src_file[0] ? st->src_file : NULL;
		f->line = st->src_line;
		f->debug_info = true;
		st->nframes = 1;
		st->resolved = true;
		return 0;
	}
	st->frames = calloc(st->nraw * SYM_INLINE_MAX + 1,
			sizeof(*st->frames));
	if (st->frames == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < st->nraw; i++) {
		size_t n = symbolizer_resolve(s, st->raw[i].module,
				st->raw[i].off, st->frames + st->nframes,
				SYM_INLINE_MAX);
		st->nframes += n < SYM_INLINE_MAX ? n : SYM_INLINE_MAX;
	}
	st->nframes = below_main_cut(st->frames, st->nframes);
	st->resolved = true;
	return 0;
}

size_t
symbolizer_frames(struct symbolizer *s, uint32_t site,
		struct sym_frame *out, size_t max)
{
	if (site >= s->nsite || !s->site[site].known)
		return 0;
	struct sym_site *st = &s->site[site];
	if (!st->resolved && site_resolve(s, st) < 0)
		return 0;
	for (size_t i = 0; i < st->nframes && i < max; i++)
		out[i] = st->frames[i];
	return st->nframes;
}

int
sym_frame_format(const struct sym_frame *f, char *buf, size_t len)
{
	if (f->by_function && (f->file != NULL || f->module != NULL))
		return snprintf(buf, len, "%s (%s)", f->func, report_basename(
				f->file != NULL ? f->file : f->module));
	if (f->file != NULL && f->line > 0)
		return snprintf(buf, len, "%s (%s:%" PRIu32 ")", f->func,
				report_basename(f->file), f->line);
	if (f->module == NULL)
		return snprintf(buf, len, "%s", f->func);
	return snprintf(buf, len, "%s (%s+0x%" PRIx64 "%s)", f->func,
			report_basename(f->module), f->module_off,
			f->debug_info ? "" : ", no debug info");
}

static void
json_string_or_null(FILE *out, const char *s)
{
	if (s != NULL)
		report_json_string(out, s);
	else
		fputs("null", out);
}

void
sym_frame_json(const struct sym_frame *f, FILE *out)
{
	fputs("{\"function\": ", out);
	json_string_or_null(out, f->func);
	fputs(", \"file\": ", out);
	json_string_or_null(out, f->file);
	if (f->line > 0)
		fprintf(out, ", \"line\": %" PRIu32, f->line);
	else
		fputs(", \"line\": null", out);
	fputs(", \"module\": ", out);
	json_string_or_null(out, f->module);
	if (f->module != NULL)
		fprintf(out, ", \"offset\": \"0x%" PRIx64 "\"", f->module_off);
	else
		fputs(", \"offset\": null", out);
	fprintf(out, ", \"inlined\": %s, \"debug_info\": %s}",
			f->inlined ? "true" : "false",
			f->debug_info ? "true" : "false");
}
