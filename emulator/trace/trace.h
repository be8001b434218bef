/*
 * trace.h -- the pmemu trace: a versioned header, then append-only records
 *
 * Layout and rationale: docs/trace-format.md. The writer appends into a
 * shared file mapping, so records written before a SIGKILL survive and a
 * forked child appends to the same trace; reservations are atomic, so many
 * threads (and processes) write without losing order within a thread.
 * The reader accepts a trace cut off at any byte up to its last whole
 * record, and rejects a corrupt or foreign file naming the offset.
 */
#ifndef PMEMU_TRACE_H
#define PMEMU_TRACE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TRACE_MAGIC "PMEMUTRC"
#define TRACE_VERSION 2u      /* written by default; 1 still read */
#define TRACE_HEADER_LEN 128u
#define TRACE_REC_HDR_LEN 24u

/* record types: 1..MODEL_EV_MAX-1 are model events (enum model_ev) */
enum trace_rec_type {
	TRACE_REC_REGION = 32,  /* u32 region, u32 domain, u64 len, u32 line,
	                           u32 pad, path\0 */
	TRACE_REC_RESIZE = 33,  /* u32 region, u32 pad, u64 len */
	TRACE_REC_MARKER = 34,  /* name\0 (a pmemu_crash_point) */
	TRACE_REC_SITE = 35,    /* u32 site, u32 nframes, nframes x
	                           {u32 module, u32 pad, u64 module offset} */
	TRACE_REC_SITE_SRC = 36,/* u32 site, u32 line, file\0 func\0 (plugin) */
	TRACE_REC_MODULE = 37,  /* u32 module, u32 pad, u64 base, path\0 */
	TRACE_REC_NOTE = 38,    /* text\0: something a report must say */
	TRACE_REC_PROCESS = 39, /* u32 pid, u32 ppid: a process joined;
	                           + u32 instance: a new image (exec) */
	TRACE_REC_END = 40,     /* i32 exit status, u32 pad: a clean end */
	TRACE_REC_FINDING = 41, /* struct trace_finding_body: the in-process
	                           model's verdict (pmemu run), after a
	                           MARKER when taken at a crash point */
	TRACE_REC_BASE = 42,    /* u32 region, u32 pad, u64 off, u64 len, len
	                           bytes: the media's content there before
	                           the program first changed it */
};

struct trace_finding_body {
	uint32_t cls;           /* enum model_finding_class */
	uint32_t site;
	uint64_t count;
	uint64_t lines;
	uint32_t region;
	uint32_t related;       /* TX_ADD_LATE: the add's site; else 0 */
	uint64_t off;
	uint32_t when;          /* enum trace_finding_when */
	uint32_t flags;         /* TRACE_FINDING_F_* */
};
#define TRACE_FINDING_F_GUESSED 1u /* model_finding.guessed */
/* a FINDING body written before `when` existed ends at `when`: at exit */
#define TRACE_FINDING_BODY_MIN 40u

/* where the in-process model took a finding */
enum trace_finding_when {
	TRACE_FINDING_AT_EXIT = 0,   /* a clean shutdown (exit, exec) */
	TRACE_FINDING_AT_MARKER = 1, /* the crash point of the last MARKER
	                                record of the same thread */
};

/* The file header; all fields little endian, as written by x86-64. */
struct trace_header {
	char magic[8];          /* TRACE_MAGIC */
	uint32_t version;       /* TRACE_VERSION */
	uint32_t header_len;    /* TRACE_HEADER_LEN */
	uint32_t domain;        /* enum model_domain, the default one */
	uint32_t line_len;
	uint32_t sector_len;
	uint32_t flags;         /* TRACE_F_* */
	uint64_t data_end;      /* writer's reservation cursor (bytes used) */
	uint64_t created_ns;    /* CLOCK_REALTIME at open */
	uint32_t pid;           /* process that opened it */
	uint32_t slots;         /* version 2: thread slots handed out */
	char program[80];       /* basename of the traced program */
};
#define TRACE_F_CLFLUSH_WEAK 1u
#define TRACE_F_INCOMPLETE 2u   /* the writer ran out of space: records
                                   stop early (docs/trace-format.md) */

/* Version 1: every record starts with this; len covers header + body,
 * 8-aligned. (Version 2: docs/trace-format.md, compact.h.) */
struct trace_rec_hdr {
	uint32_t len;
	uint16_t type;
	uint16_t flags;
	uint32_t tid;
	uint32_t site;
	uint32_t crc;           /* crc32c of the record with crc = 0 */
	uint32_t seal;          /* TRACE_SEAL once the record is complete */
};
#define TRACE_SEAL 0x5245434du /* "MCER" */

/* body of an event record (types 1..14), followed by data bytes if any */
struct trace_ev_body {
	uint32_t region;
	uint32_t reserved;
	uint64_t off;
	uint64_t len;
};

/* ---- writer ---- */
struct trace_writer;
struct trace_writer_info {
	enum model_domain domain;
	uint32_t line_len;
	uint32_t sector_len;
	bool clflush_weak;
	const char *program;
	uint32_t version;       /* 1 or 2; 0: TRACE_VERSION */
};
/* opens (creates, truncates) path; 0 or -errno */
int trace_writer_open(const char *path, const struct trace_writer_info *info,
		struct trace_writer **w);
/* joins the trace at path that another process image opened (an image
 * started by exec under the shim) and appends to it; closing it writes
 * END and trims only for the owner (the opener's process after exec);
 * 0 or -errno */
int trace_writer_join(const char *path, bool owner, struct trace_writer **w);
/* a writer for a forked child: same mapping, nothing to do but keep it */
/* appends one record: body is the concatenation of b1 (l1) and b2 (l2);
 * thread- and fork-safe, async-signal-safe; 0 or -ENOSPC/-EIO */
int trace_append(struct trace_writer *w, uint16_t type, uint32_t tid,
		uint32_t site, const void *b1, size_t l1, const void *b2,
		size_t l2);
int trace_append_event(struct trace_writer *w, const struct model_event *ev);
/* writes END, trims the file to its used length, unmaps; 0 or -errno */
int trace_writer_close(struct trace_writer *w, int exit_status);
/* used bytes of a trace file left by a killed writer: trims it */
int trace_file_trim(const char *path);
/* the writer of path ran out of space (TRACE_F_INCOMPLETE) */
bool trace_file_incomplete(const char *path);

/* ---- reader ---- */

/* a meta record of a trace being written: trace_scan_meta calls seen
 * for each sealed one (types TRACE_REC_REGION and up) of the records at
 * base up to data_end (the header's, mapped by the caller) */
struct trace_scan_rec {
	bool sealed;
	uint16_t type;
	const uint8_t *body;
	uint32_t body_len;
};
void trace_scan_meta(const uint8_t *base, uint64_t data_end,
		uint32_t version,
		void (*seen)(void *ctx, const struct trace_scan_rec *sr),
		void *ctx);

/*
 * Limits the reader enforces (docs/trace-format.md, "Validation"): a
 * record naming more is invalid, whatever its checksum says.
 */
#define TRACE_REGION_MAX_LEN (1ull << 38) /* 256 GiB: a region's length */
#define TRACE_REGIONS_MAX 4096u          /* distinct regions in a trace */
#define TRACE_ID_LIMIT (1u << 24)        /* region, site and module ids */
#define TRACE_SITE_FRAMES_MAX 64u        /* frames of a SITE record */
#define TRACE_BASE_PAGE 4096u            /* a BASE record's page */
#define TRACE_UNTRACED_MAX_LEN (1u << 20) /* a store without data bytes
                                            (the shim: one line) */

/* The decoded body of a meta record (types 32..42); strings and frames
 * point into the record, NUL-terminated, valid until the reader closes. */
struct trace_region_info {      /* REGION, RESIZE (path NULL) */
	uint32_t region;
	uint32_t domain;        /* enum model_domain */
	uint64_t len;
	uint32_t line_len;      /* 0: the domain's default */
	const char *path;
};
struct trace_site_info {        /* SITE (frames), SITE_SRC (file, func) */
	uint32_t site;
	uint32_t nframes;       /* read each with trace_site_frame() */
	const uint8_t *frames;
	uint32_t line;
	const char *file, *func;
};
struct trace_module_info {
	uint32_t module;
	uint64_t base;
	const char *path;
};
struct trace_process_info {
	uint32_t pid, ppid;
	uint32_t instance;      /* 0: a fork, no new image */
};
struct trace_base_info {
	uint32_t region;
	uint64_t off, len;
	const uint8_t *data;
};

struct trace_reader;
struct trace_rec {
	uint16_t type;
	uint16_t flags;
	uint32_t tid;
	uint32_t site;
	uint64_t file_off;      /* where the record starts */
	const uint8_t *body;    /* valid until the reader is closed; an
	                           event's data (version 2): until the
	                           next record is read */
	uint32_t body_len;
	struct model_event ev;  /* decoded when type < MODEL_EV_MAX */
	union {                 /* decoded by type, validated (decode.c) */
		struct trace_region_info region;   /* REGION, RESIZE */
		struct trace_site_info site;       /* SITE, SITE_SRC */
		struct trace_module_info module;   /* MODULE */
		const char *text;                  /* MARKER, NOTE */
		struct trace_process_info process; /* PROCESS */
		int32_t exit_status;               /* END */
		struct trace_finding_body finding; /* FINDING */
		struct trace_base_info base;       /* BASE */
	} u;
};
/* decodes and checks the body of a record made elsewhere (the reader does
 * it for every record it returns), without the regions of a trace: any
 * region exists; 0 or -EINVAL */
int trace_rec_decode(struct trace_rec *rec);
/* frame i (< rec->u.site.nframes) of a SITE record */
void trace_site_frame(const struct trace_rec *rec, uint32_t i,
		uint32_t *module, uint64_t *off);
/* 0, or -1 with a one-line message in err (naming the offset) */
int trace_reader_open(const char *path, struct trace_reader **r, char *err,
		size_t errlen);
const struct trace_header *trace_reader_header(const struct trace_reader *r);
/* 1 a record (checked and decoded), 0 the end, -1 corrupt or invalid
 * (message in trace_reader_error, naming the file and the offset) */
int trace_next(struct trace_reader *r, struct trace_rec *rec);
/* rewinds to the first record */
void trace_rewind(struct trace_reader *r);
/* true when the trace ended without an END record (program killed) */
bool trace_reader_truncated(const struct trace_reader *r);
/* offset of the last whole record's end */
uint64_t trace_reader_good_end(const struct trace_reader *r);
const char *trace_reader_error(const struct trace_reader *r);
void trace_reader_close(struct trace_reader *r);

const char *trace_rec_name(uint16_t type);
uint32_t trace_crc32c(uint32_t crc, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* PMEMU_TRACE_H */
