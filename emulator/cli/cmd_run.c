/*
 * cmd_run.c -- `pmemu run`: run a program on emulated pmem, then print
 * the findings its in-process model wrote (PMEMU_REPORT, a trace file of
 * REGION/SITE/MODULE/MARKER/FINDING records, shared by every image of the
 * run: those started by exec join it), Valgrind style
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_launch.h"
#include "findings_print.h"
#include "trace.h"

#define RUN_MARKERS 16 /* threads whose last crash point is kept */

struct run_marker {
	uint32_t tid;
	char name[257];
};

struct run_print {
	struct findings_report *rep;
	FILE *out;
	const struct launch_opts *o;
	char when[320];
	int total;                 /* entries printed over all batches */
	bool in_batch;
	uint32_t batch_tid;        /* the thread that wrote the batch */
	uint32_t batch_when;       /* enum trace_finding_when */
	struct run_marker markers[RUN_MARKERS]; /* last MARKER per thread */
	size_t nmarkers;
	char *notes[16];           /* distinct NOTE texts, in order */
	size_t nnotes;
};

/* note_add -- a NOTE record, once however many processes wrote it */
static void
note_add(struct run_print *p, const struct trace_rec *rec)
{
	char *t = strdup(rec->u.text);
	if (t == NULL)
		return;
	for (size_t i = 0; i < p->nnotes; i++)
		if (strcmp(p->notes[i], t) == 0) {
			free(t);
			return;
		}
	if (p->nnotes < sizeof(p->notes) / sizeof(p->notes[0]))
		p->notes[p->nnotes++] = t;
	else
		free(t);
}

/* batch_end -- print the findings collected since the last batch */
static void
batch_end(struct run_print *p)
{
	if (!p->in_batch)
		return;
	struct findings_print_opts po = { .when = p->when[0] ? p->when : NULL,
		.error_exitcode = p->o->error_exitcode > 0 ?
			p->o->error_exitcode : 0 };
	int n = findings_print_text(p->rep, &po, p->out);
	if (n > 0)
		p->total += n;
	findings_report_clear(p->rep);
	p->in_batch = false;
	p->when[0] = '\0';
}

/* exec_follows -- rec is the PROCESS record of a new image (exec) in the
 * process of tid: the findings just read were its old image's, at exec */
static bool
exec_follows(const struct trace_rec *rec, uint32_t tid)
{
	return rec->type == TRACE_REC_PROCESS && rec->u.process.instance &&
		rec->u.process.pid == tid;
}

/* marker_seen -- thread tid's latest crash point is rec's */
static void
marker_seen(struct run_print *p, const struct trace_rec *rec)
{
	size_t i = 0;
	while (i < p->nmarkers && p->markers[i].tid != rec->tid)
		i++;
	if (i == RUN_MARKERS)
		i = rec->tid % RUN_MARKERS; /* many threads: forget one */
	else if (i == p->nmarkers)
		p->nmarkers++;
	p->markers[i].tid = rec->tid;
	snprintf(p->markers[i].name, sizeof(p->markers[i].name), "%.*s",
			(int)strnlen((const char *)rec->body, rec->body_len),
			(const char *)rec->body);
}

static uint32_t
finding_when(const struct trace_rec *rec)
{
	struct trace_finding_body b = { 0 };
	memcpy(&b, rec->body, rec->body_len < sizeof(b) ? rec->body_len :
			sizeof(b));
	return b.when;
}

/* batch_start -- a FINDING record of a new batch: where it was taken */
static void
batch_start(struct run_print *p, const struct trace_rec *rec,
		uint32_t when, long root_pid)
{
	p->in_batch = true;
	p->batch_tid = rec->tid;
	p->batch_when = when;
	p->when[0] = '\0';
	if (when == TRACE_FINDING_AT_MARKER) {
		const char *name = "";
		for (size_t i = 0; i < p->nmarkers; i++)
			if (p->markers[i].tid == rec->tid)
				name = p->markers[i].name;
		snprintf(p->when, sizeof(p->when), "at crash point '%s'",
				name);
	} else if ((long)rec->tid != root_pid) {
		snprintf(p->when, sizeof(p->when), "at exit of process %u",
				rec->tid);
	}
}

/* read_report -- one findings file: each run of FINDING records of one
 * thread and one moment (a crash point, the end) is a batch */
static int
read_report(struct run_print *p, const char *path, long root_pid)
{
	struct trace_reader *r;
	char err[256];
	if (trace_reader_open(path, &r, err, sizeof(err)) != 0) {
		cli_error("%s", err);
		return -1;
	}
	struct trace_rec rec;
	int got;
	while ((got = trace_next(r, &rec)) == 1) {
		if (rec.type == TRACE_REC_FINDING) {
			uint32_t when = finding_when(&rec);
			if (p->in_batch && (rec.tid != p->batch_tid ||
					when != p->batch_when))
				batch_end(p);
			if (!p->in_batch)
				batch_start(p, &rec, when, root_pid);
		} else {
			if (p->in_batch && p->batch_when ==
					TRACE_FINDING_AT_EXIT &&
					exec_follows(&rec, p->batch_tid))
				snprintf(p->when, sizeof(p->when),
					"at exec in process %u", p->batch_tid);
			batch_end(p);
		}
		if (rec.type == TRACE_REC_MARKER)
			marker_seen(p, &rec);
		if (rec.type == TRACE_REC_NOTE)
			note_add(p, &rec);
		(void)findings_report_add_record(p->rep, &rec);
	}
	batch_end(p);
	if (got < 0)
		cli_note("warning: %s: %s", path, trace_reader_error(r));
	trace_reader_close(r);
	return 0;
}

/* report_findings -- the findings file printed to out; their number */
static int
report_findings(const struct launch_opts *o, const char *path,
		long root_pid, FILE *out, bool cut_short)
{
	struct run_print p = { .rep = findings_report_new(NULL), .out = out,
		.o = o };
	if (p.rep == NULL)
		return cli_error("out of memory");
	if (access(path, F_OK) == 0)
		read_report(&p, path, root_pid);
	if (p.total == 0 && !o->quiet && !cut_short)
		fprintf(out, "pmemu: no findings\n");
	if (!o->quiet)
		findings_print_symbol_hint(p.rep, out);
	for (size_t i = 0; i < p.nnotes; i++) {
		if (!o->quiet)
			fprintf(out, "pmemu: note: %s\n", p.notes[i]);
		free(p.notes[i]);
	}
	findings_report_delete(p.rep);
	return p.total;
}

/* has_end -- the findings file has its END record, which every exit
 * under the shim writes (the run's first process, after its last exec) */
static bool
has_end(const char *path)
{
	struct trace_reader *r;
	char err[256];
	if (trace_reader_open(path, &r, err, sizeof(err)) != 0)
		return false;
	struct trace_rec rec;
	bool end = false;
	while (!end && trace_next(r, &rec) == 1)
		end = rec.type == TRACE_REC_END;
	trace_reader_close(r);
	return end;
}

/*
 * shim_stopped -- the shim stopped the program (a bad option, a site it
 * cannot patch: one line and exit 2, before or instead of a clean end):
 * exit status 2 and no END record
 */
static bool
shim_stopped(const char *path, int status)
{
	return status == CLI_EXIT_USAGE && !has_end(path);
}

/*
 * open_log -- --log-file is opened before the program starts: a path
 * that cannot be written stops the run (exit 2) instead of losing its
 * findings after the program ran
 */
static FILE *
open_log(const struct launch_opts *o)
{
	if (o->log_file == NULL)
		return stderr;
	FILE *out = fopen(o->log_file, "we");
	if (out == NULL)
		cli_error("--log-file %s: %s", o->log_file, strerror(errno));
	return out;
}

/*
 * report_tmp -- where the findings file goes: $TMPDIR, else /dev/shm when
 * the user may write there, else /tmp. The file is small and lives for
 * one run; on a disk file system its close (msync, then a truncation from
 * the writer's sparse 64 GiB) costs ~3 ms of CPU and 10-25 ms of wall a
 * run (docs/performance.md, "Start-up")
 */
static const char *
report_tmp(void)
{
	const char *tmp = getenv("TMPDIR");
	if (tmp && *tmp)
		return tmp;
	struct stat st;
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
			access("/dev/shm", W_OK | X_OK) == 0)
		return "/dev/shm";
	return "/tmp";
}

/*
 * report_dir -- a private directory (mkdtemp, mode 0700) for the findings
 * file: the shim creates it by name (images started by exec join it by
 * name), and no other user can plant a link under that name
 */
static int
report_dir(char *dir, size_t dir_len, char *path, size_t path_len)
{
	const char *tmp = report_tmp();
	if ((size_t)snprintf(dir, dir_len, "%s/pmemu-run.XXXXXX", tmp) >=
			dir_len)
		return cli_error("TMPDIR %s: path too long", tmp);
	if (mkdtemp(dir) == NULL)
		return cli_error("%s: %s", dir, strerror(errno));
	snprintf(path, path_len, "%s/report", dir);
	return 0;
}

int
cmd_run(int argc, char **argv)
{
	struct launch_opts o;
	int code;
	if (launch_parse(argc, argv, false, &o, &code) != 0)
		return code;
	FILE *out = open_log(&o);
	if (out == NULL)
		return CLI_EXIT_USAGE;
	char dir[PATH_MAX], path[PATH_MAX + 16];
	if (report_dir(dir, sizeof(dir), path, sizeof(path)) != 0) {
		if (out != stderr)
			fclose(out);
		return CLI_EXIT_USAGE;
	}
	/* the shim creates it: its absence means no shim ran */
	int status = launch_run(&o, "PMEMU_REPORT", path);
	if (status >= 0)
		trace_file_trim(path);
	if (status >= 0 && shim_stopped(path, status)) /* it said why */
		status = -1;
	/* no findings file: no shim ran (a static program, LD_PRELOAD
	 * dropped or refused): nothing was checked, "no findings" would
	 * be a false pass */
	if (status >= 0 && access(path, F_OK) != 0) {
		cli_error("%s ran without pmemu's runtime (statically linked, "
			"or LD_PRELOAD dropped): nothing was checked",
			o.argv[0]);
		status = -1;
	}
	/* no END: the first process died of a signal (abort, a fault,
	 * SIGKILL) or left by a raw exit system call, and the findings of
	 * its end were never written: "no findings" would be a false pass */
	bool cut_short = status >= 0 && access(path, F_OK) == 0 &&
		!has_end(path);
	if (cut_short)
		cli_error("the program ended without pmemu's shutdown (a "
			"signal, or an exit system call of its own): what it "
			"left unpersisted at its end is not known%s",
			status == 0 ? "; exit 2" : "");
	int findings = status >= 0 ?
		report_findings(&o, path, launch_pid, out, cut_short) : 0;
	if (cut_short && status == 0)
		status = CLI_EXIT_USAGE;
	if (status >= 0 && trace_file_incomplete(path)) {
		cli_space_error("findings", path); /* some are lost */
		status = -1;
	}
	if (out != stderr)
		fclose(out);
	unlink(path);
	rmdir(dir);
	if (status < 0)
		return CLI_EXIT_USAGE;
	if (findings > 0 && o.error_exitcode >= 0)
		return o.error_exitcode;
	return status;
}
