/*
 * engine_dimm.c -- the emulated DIMM of the images the engine checks: the
 * recording's, read once the trace has named its pmem dir (usc.c)
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "engine_impl.h"
#include "report.h"
#include "usc.h"

char *
xp_engine_recorded_pmem_dir(struct engine *e)
{
	char *d = xp_strdup(e->r.media.regions[0].media);
	char *slash = strrchr(d, '/');
	if (slash != NULL)
		*slash = '\0';
	return d;
}

/*
 * xp_engine_load_dimm -- once regions are known: the DIMM of the pmem dir
 * the media is read from (--pmem-dir, explore's copy of the pmem dir, or
 * the recorded one) for every image checked (usc.c); 0 or -1 (message)
 */
int
xp_engine_load_dimm(struct engine *e, char *err, size_t errlen)
{
	if (e->dimm_set || e->r.media.n == 0)
		return 0;
	char *d = e->o->pmem_dir ? xp_strdup(e->o->pmem_dir) :
		xp_engine_recorded_pmem_dir(e);
	struct trace_dimm dimm;
	int rc = xp_usc_load(d, &dimm, err, errlen);
	free(d);
	if (rc == 0)
		xp_checker_set_dimm(e->chk, &dimm);
	e->dimm_set = rc == 0;
	return rc;
}
