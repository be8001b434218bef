/* lazy_known.c -- the runs a lazy explore has made, by key (the image
 * and the undecided lines of the run): a later node with the same key
 * takes the run's verdict and reads instead of running the check again
 * (lazy.c from_known), and `--jobs N` workers' runs arrive here too
 * (lazy_pool.c)
 */
#include <stdlib.h>
#include <string.h>

#include "lazy_impl.h"
#include "xalloc.h"

void
xp_lazy_free_known(struct lazy_known *kn)
{
	free(kn->output);
	free(kn->read);
	free(kn->bytes);
	xp_strv_free(kn->how, kn->nread);
}

void
xp_lazy_remember(struct engine *e, size_t k, size_t nread)
{
	struct xp_lazy *lz = e->lazy;
	const struct lazy_node *d = &lz->node[k];
	struct lazy_known *kn = xp_lazy_new_known(lz, d->key);
	kn->res = d->res;
	kn->output = d->output ? xp_strdup(d->output) : NULL;
	kn->read = xcalloc(nread + 1, sizeof(*kn->read),
			"xp_lazy_remember: kn->read");
	kn->bytes = xcalloc(nread + 1, sizeof(*kn->bytes),
			"xp_lazy_remember: kn->bytes");
	kn->how = xcalloc(nread + 1, sizeof(*kn->how), "xp_lazy_remember: kn->how");
	for (size_t j = 0; j < nread; j++) {
		kn->how[j] = xp_strdup(lz->how[j]);
		kn->read[j].region = e->open.v[lz->order[j]].line.region;
		kn->read[j].off = e->open.v[lz->order[j]].line.off;
		kn->bytes[j] = lz->bytes[j];
	}
	kn->nread = nread;
	if (e->link != NULL)
		xp_lazy_export_run(e, d->key, kn);
}

struct lazy_known *
xp_lazy_new_known(struct xp_lazy *lz, struct xp_hash key)
{
	void **v = xp_linemap_get(lz->known_by_key, (uint32_t)key.b, key.a);
	lz->known = xp_engine_grow(lz->known, &lz->capknown, lz->nknown + 1,
			sizeof(*lz->known));
	memset(&lz->known[lz->nknown], 0, sizeof(*lz->known));
	*v = (void *)(uintptr_t)++lz->nknown;
	return &lz->known[lz->nknown - 1];
}

struct lazy_known *
xp_lazy_find_known(struct xp_lazy *lz, struct xp_hash key)
{
	void **v = xp_linemap_find(lz->known_by_key, (uint32_t)key.b, key.a);
	return v == NULL || *v == NULL ? NULL :
		&lz->known[(uintptr_t)*v - 1];
}
