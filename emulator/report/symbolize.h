/*
 * symbolize.h -- call sites to function and file:line
 *
 * Fed the MODULE and SITE/SITE_SRC records of a trace (in any order: a
 * site may come before its module), a symbolizer resolves each frame,
 * {module, offset in module}, with the module's debug info (libdw), and
 * expands inlined calls into frames of their own, as Valgrind prints
 * them. A module without debug info still gives the function name from
 * its symbol table when it has one. Results are cached per site, and each
 * module's ELF and DWARF are opened once.
 */
#ifndef PMEMU_SYMBOLIZE_H
#define PMEMU_SYMBOLIZE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct symbolizer;
struct trace_rec;

#define SYM_NO_MODULE UINT32_MAX /* a frame in no module (off = address) */

/* one frame of a site as the trace stores it (TRACE_REC_SITE) */
struct sym_raw_frame {
	uint32_t module;
	uint64_t off;    /* inside the instruction of interest (site.c) */
};

/* one resolved frame; strings live as long as the symbolizer */
struct sym_frame {
	const char *func;    /* "???" when unknown */
	const char *file;    /* source path as the debug info says; NULL */
	uint32_t line;       /* 0 when unknown */
	const char *module;  /* module path; NULL for a plugin source site */
	uint64_t module_off;
	bool debug_info;     /* the module had DWARF (or: a plugin site) */
	bool inlined;        /* an inlined call, inside the next frame */
	bool by_function;    /* printed as its function and file alone, no
	                        line (findings_report.c: a C library store) */
};

struct symbolizer *symbolizer_new(void);
void symbolizer_delete(struct symbolizer *s);

/* module ids and site ids are the trace's; 0 or -EINVAL/-ENOMEM */
int symbolizer_add_module(struct symbolizer *s, uint32_t id,
		const char *path, uint64_t base);
int symbolizer_add_site(struct symbolizer *s, uint32_t site,
		const struct sym_raw_frame *frames, uint32_t nframes);
int symbolizer_add_site_src(struct symbolizer *s, uint32_t site,
		const char *file, const char *func, uint32_t line);
/* takes a MODULE, SITE or SITE_SRC record as the trace reader returns it
 * (decoded and checked; a record made elsewhere: trace_rec_decode first):
 * 1 taken, 0 another type, -EINVAL/-ENOMEM */
int symbolizer_add_record(struct symbolizer *s, const struct trace_rec *rec);

/* the frames of a site, innermost first, ending at main (the C runtime's
 * frames below main or a thread's start routine are dropped, as Valgrind
 * does); returns how many there are (may exceed max: call again with a
 * bigger array); 0 for an unknown site */
size_t symbolizer_frames(struct symbolizer *s, uint32_t site,
		struct sym_frame *out, size_t max);
/* one raw frame (with its inlined calls), innermost first, as above */
size_t symbolizer_resolve(struct symbolizer *s, uint32_t module,
		uint64_t off, struct sym_frame *out, size_t max);

/* "func (file.c:41)", "func (prog+0x1234, no debug info)": the text of a
 * frame in reports (file and module by basename); returns snprintf's */
int sym_frame_format(const struct sym_frame *f, char *buf, size_t len);

/* the JSON of a frame, as docs/report-json.md's `site.frames` entries:
 * {"function", "file", "line", "module", "offset": "0x..", "inlined",
 * "debug_info"}, null where unknown */
void sym_frame_json(const struct sym_frame *f, FILE *out);

#ifdef __cplusplus
}
#endif
#endif /* PMEMU_SYMBOLIZE_H */
