/* report_end.c -- how an exploration ended, in the report: the recorded
 * program's exit status, and a stop before the end (SIGINT, SIGTERM,
 * --time-limit) with what was explored until then */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>

#include "report.h"

int
xp_report_exit_code(const struct xp_report *rp)
{
	if (rp->stopped == SIGALRM)
		return 3;
	if (rp->stopped)
		return 128 + rp->stopped;
	return xp_report_failed(rp) ? 1 : 0;
}

/* xp_report_stop_name -- "SIGINT", "SIGTERM", "time-limit", or NULL */
const char *
xp_report_stop_name(const struct xp_report *rp)
{
	switch (rp->stopped) {
	case 0: return NULL;
	case SIGALRM: return "time-limit";
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	default: return "signal";
	}
}

void
xp_report_json_end(const struct xp_report *rp, FILE *f)
{
	const char *stop = xp_report_stop_name(rp);
	if (rp->program_status >= 0)
		fprintf(f, "  \"program_exit_status\": %d,\n",
				rp->program_status);
	else
		fputs("  \"program_exit_status\": null,\n", f);
	if (stop)
		fprintf(f, "  \"stopped\": \"%s\",\n  \"points_explored\": %"
			PRIu64 ",\n", stop, rp->points_done);
	else
		fprintf(f, "  \"stopped\": null,\n  \"points_explored\": %"
			PRIu64 ",\n", rp->points);
}

/* xp_report_text_stop -- the line saying where it stopped; false when
 * it ran to its end */
bool
xp_report_text_stop(const struct xp_report *rp, FILE *f)
{
	const char *stop = xp_report_stop_name(rp);
	if (stop == NULL)
		return false;
	if (rp->stopped == SIGALRM)
		fprintf(f, "pmemu: stopped at --time-limit %g s", rp->time_limit_s);
	else
		fprintf(f, "pmemu: interrupted by %s", stop);
	fprintf(f, ": %" PRIu64 " of %" PRIu64 " crash points explored, %"
		PRIu64 " states checked (%" PRIu64 " images); not explored: "
		"the other %" PRIu64 " crash points (the checks running were "
		"killed)\n", rp->points_done, rp->points, rp->states,
		rp->images, rp->points - rp->points_done);
	return true;
}
