/*
 * dimm.h -- the emulated DIMM of a pmem dir: its unsafe shutdown count and
 * unique id, kept in DIR/.pmemu-dimm beside the media files (docs/model.md,
 * "Unsafe shutdown count"). Parsing and formatting only: the shim and the
 * CLI do their own I/O.
 */
#ifndef PMEMU_TRACE_DIMM_H
#define PMEMU_TRACE_DIMM_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_DIMM_FILE ".pmemu-dimm"
#define TRACE_DIMM_ID_MAX 40        /* bytes of unique_id, without NUL */
#define TRACE_DIMM_TEXT_MAX 256     /* a formatted file fits */
/* the id of a DIMM without a file: ndctl's "vendor-mfg-date-serial" */
#define TRACE_DIMM_DEFAULT_ID "8086-00-0000-00000001"

struct trace_dimm {
	uint64_t shutdown_count;       /* below UINT64_MAX: a crash adds 1 */
	char unique_id[TRACE_DIMM_ID_MAX + 1];
};

/* the DIMM of a pmem dir without a .pmemu-dimm file */
void trace_dimm_default(struct trace_dimm *d);
/* name is .pmemu-dimm: pmemu's own file, not a namespace */
bool trace_dimm_is_file(const char *name);
/*
 * text (len bytes, not NUL-terminated) as written by trace_dimm_format;
 * keys left out keep their defaults. 0, or -1 with one line in err
 * ("line 2: shutdown_count 'x': ...")
 */
int trace_dimm_parse(const char *text, size_t len, struct trace_dimm *d,
		char *err, size_t errlen);
/* the file's text into buf (TRACE_DIMM_TEXT_MAX); its length */
size_t trace_dimm_format(const struct trace_dimm *d, char *buf, size_t len);

#endif
