/* report_xread.c -- the report's unpersisted reads (`--explore lazy`):
 * text warnings and the JSON "unpersisted_reads" (docs/report-json.md) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "report.h"

bool
xp_report_failed(const struct xp_report *rp)
{
	return rp->failing_states > 0 || (rp->xreads_fail && rp->nxreads > 0);
}

void
xp_rxread_free(struct xp_rxread *x)
{
	free(x->read_at);
	xp_rline_free(&x->line);
	memset(x, 0, sizeof(*x));
}

void
xp_rxread_copy(struct xp_rxread *dst, const struct xp_rxread *src)
{
	*dst = *src;
	dst->read_at = xp_strdup(src->read_at);
	xp_rline_copy(&dst->line, &src->line);
}

void
xp_report_text_xreads(const struct xp_report *rp, FILE *f)
{
	if (rp->nxreads == 0)
		return;
	fprintf(f, "pmemu: %s: recovery read data that was not durable at "
		"the crash (%zu line%s; the check passed with every content "
		"of %s)%s\n", rp->xreads_fail ? "failure" : "warning",
		rp->nxreads, rp->nxreads == 1 ? "" : "s",
		rp->nxreads == 1 ? "it" : "each",
		rp->xreads_fail ? " [--error-on-unpersisted-read]" : "");
	for (size_t i = 0; i < rp->nxreads; i++) {
		const struct xp_rxread *x = &rp->xreads[i];
		fprintf(f, "  point %" PRIu64 "%s: read at %s\n", x->point,
			x->points > 1 ? " (and others)" : "", x->read_at);
		xp_report_text_line(rp, f, "    ", &x->line);
	}
}

void
xp_report_json_xreads(const struct xp_report *rp, FILE *f)
{
	fprintf(f, "  \"unpersisted_reads_fail\": %s,\n"
		"  \"unpersisted_reads\": [", rp->xreads_fail ? "true" :
		"false");
	for (size_t i = 0; i < rp->nxreads; i++) {
		const struct xp_rxread *x = &rp->xreads[i];
		fprintf(f, "%s\n    {\"point\": %" PRIu64 ", \"points\": %"
			PRIu64 ", \"read_at\": ", i ? "," : "", x->point,
			x->points);
		xp_report_json_str(f, x->read_at);
		fputs(", \"line\": ", f);
		xp_report_json_line(rp, f, &x->line);
		fputc('}', f);
	}
	fputs("],\n", f);
}
