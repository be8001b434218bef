/* cmd_trace_dump.c -- `pmemu trace-dump TRACE`: one record a line */
#include <inttypes.h>
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

/* body_str -- the NUL-terminated string at body + off, or "" */
static const char *
body_str(const struct trace_rec *rec, uint32_t off)
{
	if (off >= rec->body_len || memchr(rec->body + off, 0,
				rec->body_len - off) == NULL)
		return "";
	return (const char *)rec->body + off;
}

static void
print_meta(const struct trace_rec *rec)
{
	uint32_t u[4] = { 0 };
	uint64_t q[2] = { 0 };
	memcpy(u, rec->body, rec->body_len < 16 ? rec->body_len : 16);
	if (rec->body_len >= 16)
		memcpy(q, rec->body + 8, 8);
	switch (rec->type) {
	case TRACE_REC_REGION:
		printf(" region=%u domain=%s len=%" PRIu64 " line=%u path=%s",
				u[0], model_domain_name((enum model_domain)u[1]),
				q[0], rec->body_len >= 24 ? *(const uint32_t *)
				(rec->body + 16) : 0, body_str(rec, 24));
		break;
	case TRACE_REC_RESIZE:
		printf(" region=%u len=%" PRIu64, u[0], q[0]);
		break;
	case TRACE_REC_BASE: {
		uint64_t bl = 0;
		if (rec->body_len >= 24)
			memcpy(&bl, rec->body + 16, 8);
		printf(" region=%u off=0x%" PRIx64 " len=%" PRIu64, u[0], q[0], bl);
		break;
	}
	case TRACE_REC_MARKER:
	case TRACE_REC_NOTE:
		printf(" \"%s\"", body_str(rec, 0));
		break;
	case TRACE_REC_SITE:
		printf(" site=%u frames=%u", u[0], u[1]);
		break;
	case TRACE_REC_SITE_SRC:
		printf(" site=%u %s:%u %s", u[0], body_str(rec, 8), u[1],
				body_str(rec, 8 + (uint32_t)strlen(body_str(rec, 8)) + 1));
		break;
	case TRACE_REC_MODULE:
		printf(" module=%u base=0x%" PRIx64 " path=%s", u[0], q[0],
				body_str(rec, 16));
		break;
	case TRACE_REC_PROCESS:
		printf(" pid=%u ppid=%u", u[0], u[1]);
		break;
	case TRACE_REC_END:
		printf(" status=%d", (int)u[0]);
		break;
	case TRACE_REC_FINDING: {
		struct trace_finding_body f;
		memset(&f, 0, sizeof(f));
		memcpy(&f, rec->body, rec->body_len < sizeof(f) ?
				rec->body_len : sizeof(f));
		printf(" class=\"%s\" site=%u count=%" PRIu64 " lines=%" PRIu64
				" region=%u off=0x%" PRIx64 " related=%u when=%s",
				model_finding_name((enum model_finding_class)f.cls),
				f.site, f.count, f.lines, f.region, f.off,
				f.related, f.when == TRACE_FINDING_AT_MARKER ?
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
	printf("# pmemu trace v%u program=%.80s pid=%u domain=%s line=%u "
			"sector=%u clflush=%s\n", h->version, h->program, h->pid,
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
