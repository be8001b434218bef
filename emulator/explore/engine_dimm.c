/*
 * engine_dimm.c -- the emulated DIMM of the images the engine checks: the
 * recording's, read once the trace has named its pmem dir (usc.c), and
 * whether a state's Global Persistent Flush failed (its count moves)
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

bool
xp_engine_has_cxl(struct engine *e)
{
	return xp_media_has_cxl(&e->r.media);
}

/*
 * xp_engine_gpf_failed -- PMEMU_DIRTY_SHUTDOWN of a state when the
 * trace has a cxl region (else -1): 0 when every open line of a cxl
 * region holds its newest content (Global Persistent Flush succeeded),
 * else 1 (it failed and the device's dirty shutdown count moved;
 * docs/model.md, "cxl")
 */
int
xp_engine_gpf_failed(struct engine *e, const uint32_t *pick)
{
	if (!xp_engine_has_cxl(e))
		return -1;
	for (size_t i = 0; i < e->open.n; i++) {
		const struct xp_open *o = &e->open.v[i];
		const struct xp_region *r = xp_media_find(&e->r.media,
				o->line.region);
		if (r != NULL && r->domain == MODEL_DOMAIN_CXL &&
				pick[i] != o->distinct[o->newest])
			return 1;
	}
	return 0;
}
