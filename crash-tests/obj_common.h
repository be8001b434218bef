/* obj_common.h -- opening a libpmemobj pool for the crash tests */
#ifndef CT_OBJ_COMMON_H
#define CT_OBJ_COMMON_H 1

#include <libpmemobj.h>
#include <pmemu.h>

#include "ct.h"

#define CT_POOL_LEN PMEMOBJ_MIN_POOL

/* creates POOL (run), or opens it and runs libpmemobj's recovery (check) */
static inline PMEMobjpool *
ct_obj_open(const char *pool, const char *layout, int create)
{
	PMEMobjpool *pop = create ?
		pmemobj_create(pool, layout, CT_POOL_LEN, 0644) :
		pmemobj_open(pool, layout);
	if (pop == NULL && create)
		ct_die("pmemobj_create %s: %s", pool, pmemobj_errormsg());
	/* creating a pool is not crash consistent: explore --from here */
	if (create)
		pmemu_crash_point("pool-created");
	return pop;
}

/* check_done -- close the pool, then `pmempool check` must accept it */
static inline int
ct_obj_check_done(PMEMobjpool *pop, const char *pool, int verdict)
{
	pmemobj_close(pop);
	if (verdict != 0)
		return verdict;
	return ct_pmempool_check(pool);
}

#endif
