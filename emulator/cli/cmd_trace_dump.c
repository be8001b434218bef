/* cmd_trace_dump.c -- `pmemu trace-dump TRACE`: one record a line */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "trace.h"

static void
print_data(const uint8_t *p, uint64_t len)
{
	uint64_t shown = len > 16 ? 16 : len;
	for (uint64_t i = 0; i < shown; i++)
		printf("%02x", p[i]);
	if (shown < len)
		printf("...(%" PRIu64 " bytes)", len);
}

/* print_str -- the bytes of a string from the trace, at most max, with
 * every byte that is not printable ASCII (terminal escapes), a quote or a
 * backslash written as \xNN: a trace is input, never trusted */
static void
print_str(const char *s, size_t max)
{
	for (size_t i = 0; i < max && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

static void
print_named(const char *name, const char *s)
{
	printf(" %s=", name);
	print_str(s, SIZE_MAX);
}

/* print_meta -- the fields of a meta record, decoded by the reader */
static void
print_meta(const struct trace_rec *rec)
{
	const struct trace_region_info *g = &rec->u.region;
	const struct trace_site_info *si = &rec->u.site;
	switch (rec->type) {
	case TRACE_REC_REGION:
		printf(" region=%u domain=%s len=%" PRIu64 " line=%u",
				g->region, model_domain_name(
				(enum model_domain)g->domain), g->len,
				g->line_len);
		print_named("path", g->path);
		break;
	case TRACE_REC_RESIZE:
		printf(" region=%u len=%" PRIu64, g->region, g->len);
		break;
	case TRACE_REC_BASE:
		printf(" region=%u off=0x%" PRIx64 " len=%" PRIu64,
				rec->u.base.region, rec->u.base.off,
				rec->u.base.len);
		break;
	case TRACE_REC_MARKER:
	case TRACE_REC_NOTE:
		printf(" \"");
		print_str(rec->u.text, SIZE_MAX);
		putchar('"');
		break;
	case TRACE_REC_SITE:
		printf(" site=%u frames=%u", si->site, si->nframes);
		break;
	case TRACE_REC_SITE_SRC:
		printf(" site=%u ", si->site);
		print_str(si->file, SIZE_MAX);
		printf(":%u ", si->line);
		print_str(si->func, SIZE_MAX);
		break;
	case TRACE_REC_MODULE:
		printf(" module=%u base=0x%" PRIx64, rec->u.module.module,
				rec->u.module.base);
		print_named("path", rec->u.module.path);
		break;
	case TRACE_REC_PROCESS:
		printf(" pid=%u ppid=%u", rec->u.process.pid,
				rec->u.process.ppid);
		break;
	case TRACE_REC_END:
		printf(" status=%d", rec->u.exit_status);
		break;
	case TRACE_REC_FINDING: {
		const struct trace_finding_body *f = &rec->u.finding;
		printf(" class=\"%s\" site=%u count=%" PRIu64 " lines=%" PRIu64
				" region=%u off=0x%" PRIx64 " related=%u when=%s",
				model_finding_name((enum model_finding_class)f->cls),
				f->site, f->count, f->lines, f->region, f->off,
				f->related, f->when == TRACE_FINDING_AT_MARKER ?
				"marker" : "exit");
		break;
	}
	default:
		break;
	}
}

static void
print_record(const struct trace_rec *rec)
{
	printf("%08" PRIx64 " %-13s tid=%u site=%u", rec->file_off,
			trace_rec_name(rec->type), rec->tid, rec->site);
	if (rec->type < MODEL_EV_MAX) {
		const struct model_event *ev = &rec->ev;
		printf(" region=%u off=0x%" PRIx64 " len=%" PRIu64, ev->region,
				ev->off, ev->len);
		if (ev->kind == MODEL_EV_STORE && ev->data == NULL)
			printf(" untraced");
		if (ev->data) {
			printf(" data=");
			print_data(ev->data, ev->len);
		}
	} else {
		print_meta(rec);
	}
	putchar('\n');
}

int
cmd_trace_dump(int argc, char **argv)
{
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: pmemu trace-dump TRACE\n"
				"Prints the trace header, then one record a line:\n"
				"offset, kind, thread, site and the record's fields.\n");
			return CLI_EXIT_OK;
		}
		if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_error("trace-dump: unknown option '%s'", argv[i]);
		if (path)
			return cli_error("trace-dump: one trace at a time ('%s')",
					argv[i]);
		path = argv[i];
	}
	if (path == NULL)
		return cli_error("trace-dump: which trace? usage: pmemu trace-dump TRACE");
	char err[2048];
	struct trace_reader *r;
	if (trace_reader_open(path, &r, err, sizeof(err)) != 0)
		return cli_error("%s", err);
	const struct trace_header *h = trace_reader_header(r);
	printf("# pmemu trace v%u program=", h->version);
	print_str(h->program, sizeof(h->program));
	printf(" pid=%u domain=%s line=%u sector=%u clflush=%s\n", h->pid,
			model_domain_name((enum model_domain)h->domain),
			h->line_len, h->sector_len,
			h->flags & TRACE_F_CLFLUSH_WEAK ? "weak" : "strong");
	struct trace_rec rec;
	int rc;
	uint64_t n = 0;
	while ((rc = trace_next(r, &rec)) == 1) {
		print_record(&rec);
		n++;
	}
	int ret = CLI_EXIT_OK;
	if (rc < 0) {
		fflush(stdout);
		ret = cli_error("%s", trace_reader_error(r));
	} else if (trace_reader_truncated(r)) {
		fflush(stdout);
		cli_note("trace %s ends without an end record at offset %" PRIu64
				" (the program was killed?): %" PRIu64
				" whole records shown", path,
				trace_reader_good_end(r), n);
	}
	trace_reader_close(r);
	return ret;
}
