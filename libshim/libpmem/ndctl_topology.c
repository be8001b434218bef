/*
 * ndctl_topology.c -- the emulated libndctl objects of each context
 * (ndctl_topology.h)
 *
 * An object is the address of a byte of its topology, so that a pointer
 * the program hands back is told from the real libndctl's by looking it
 * up, never by reading through it. A context's topology lives from
 * ndctl_new to ndctl_unref; the list is short (libpmem2 makes one per
 * question and drops it).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ndctl_topology.h"
#include "real.h"
#include "shim_core.h"
#include "shim_devdax.h"
#include "shim_dimm.h"
#include "shim_options.h"
#include "shim_region.h"

/* the filesystems of the pmem dir, the view files (a descriptor of an
 * emulated file is one: its st_dev) and a check's image dir */
#define FSDAX_MAX 3
/* the device DAX files the program has opened, a devdax namespace each */
#define DEVDAX_MAX 8
#define NS_MAX (FSDAX_MAX + DEVDAX_MAX)

struct pmemi_ndctl {
	struct ndctl_ctx *ctx;  /* the real context, or NULL */
	char fake_ctx, bus, region, dimm, ns[NS_MAX];
	/* a devdax namespace's dax device, its daxctl region and device */
	char dax[NS_MAX], dax_region[NS_MAX], dax_dev[NS_MAX];
	int nns;
	bool devdax[NS_MAX];
	/* fsdax: the block device; devdax: the daxctl device name */
	char name[NS_MAX][PATH_MAX];
	unsigned long long size[NS_MAX];  /* devdax: the device's */
	char unique_id[TRACE_DIMM_ID_MAX + 1];
	struct pmemi_ndctl *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct pmemi_ndctl *topologies;

/* tmpdir -- where the view files are (PMEMU_TMPDIR) */
static const char *
tmpdir(void)
{
	return shim_opts()->tmpdir ? shim_opts()->tmpdir : "/dev/shm";
}

/*
 * sysblock_dir -- <tmpdir>/pmemu-sysblock.<major>.<minor>/dev holds
 * "<major>:<minor>\n" as /sys/block/<disk>/dev does for the disk of that
 * device number; written once (a rename: readers never see it half
 * written), shared by every process. 0 or -1.
 */
static int
sysblock_dir(dev_t dev, char *dir, size_t len)
{
	const char *tmp = tmpdir();
	char file[PATH_MAX], part[PATH_MAX + 32], text[64];
	if ((size_t)snprintf(dir, len, "%s/pmemu-sysblock.%u.%u", tmp,
			major(dev), minor(dev)) >= len ||
			(size_t)snprintf(file, sizeof(file), "%s/dev", dir) >=
			sizeof(file))
		return -1;
	struct stat st;
	if (REAL(stat)(file, &st) == 0)
		return 0;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return -1;
	int n = snprintf(text, sizeof(text), "%u:%u\n", major(dev),
			minor(dev));
	snprintf(part, sizeof(part), "%s.%d", file, (int)getpid());
	int fd = REAL(open)(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			0644);
	if (fd < 0)
		return -1;
	bool ok = REAL(write)(fd, text, (size_t)n) == n;
	REAL(close)(fd);
	if (!ok || REAL(rename)(part, file) != 0) {
		REAL(unlink)(part);
		return -1;
	}
	return 0;
}

/* add_namespace -- one for the filesystem of dir, unless t has it */
static void
add_namespace(struct pmemi_ndctl *t, const char *dir, dev_t *seen)
{
	struct stat st;
	char sys[PATH_MAX - 16];
	if (dir == NULL || t->nns == FSDAX_MAX || REAL(stat)(dir, &st) != 0)
		return;
	for (int i = 0; i < t->nns; i++)
		if (seen[i] == st.st_dev)
			return;
	if (sysblock_dir(st.st_dev, sys, sizeof(sys)) != 0)
		return;
	/* "/sys/block/" "../../" "<sys>": back at / before the absolute dir */
	snprintf(t->name[t->nns], PATH_MAX, "../..%s", sys);
	seen[t->nns++] = st.st_dev;
}

/* program_path -- the path the program names r by: in a check, r's media
 * is the image's file, which stands for the pmem dir's of that name */
static const char *
program_path(const struct shim_region *r, char *buf, size_t len)
{
	const struct shim_options *o = shim_opts();
	size_t n = o->image_dir != NULL ? strlen(o->image_dir) : 0;
	if (n == 0 || strncmp(r->path, o->image_dir, n) != 0 ||
			r->path[n] != '/')
		return r->path;
	return (size_t)snprintf(buf, len, "%s%s", o->pmem_dir, r->path + n) <
		len ? buf : r->path;
}

/*
 * add_devdax -- a devdax namespace for r if it is a device DAX: its
 * daxctl device name "../..<path>" makes libpmem2's "/dev/<name>" the
 * file, whose stat has the st_rdev of the program's descriptor
 */
static void
add_devdax(struct shim_region *r, void *ctx)
{
	struct pmemi_ndctl *t = ctx;
	char buf[PATH_MAX];
	if (!shim_devdax_region(r) || t->nns == NS_MAX)
		return;
	if ((size_t)snprintf(t->name[t->nns], PATH_MAX, "../..%s",
			program_path(r, buf, sizeof(buf))) >= PATH_MAX)
		return;
	t->devdax[t->nns] = true;
	t->size[t->nns++] = r->len;
}

struct pmemi_ndctl *
pmemi_ndctl_new(struct ndctl_ctx *ctx, struct ndctl_ctx **fake)
{
	const struct shim_options *o = shim_opts();
	if (o->pmem_dir == NULL)
		return NULL;
	struct pmemi_ndctl *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->ctx = ctx;
	/* fsdax namespaces are off by default: a pool libpmemobj creates
	 * on a namespace with an unsafe shutdown count gets SDS, and a check
	 * outside pmemu (real libndctl, no namespace) cannot open it after a
	 * crash. A device DAX has none of that (outside pmemu it is no
	 * device) and libpmem2 cannot map one without its namespace: its
	 * namespaces are always there */
	dev_t seen[FSDAX_MAX];
	struct stat st;
	/* without sysfs (a container) no "/sys/block/../.." path resolves:
	 * no namespace, as libndctl finds none there */
	if ((o->ndctl || o->badblocks != NULL) &&
			REAL(stat)("/sys/block", &st) == 0) {
		add_namespace(t, o->pmem_dir, seen);
		add_namespace(t, tmpdir(), seen);
		add_namespace(t, o->image_dir, seen);
	}
	int nfsdax = t->nns;
	shim_region_for_each(add_devdax, t);
	if (t->nns == nfsdax && !(o->ndctl || o->badblocks != NULL)) {
		free(t);
		return NULL;
	}
	if (fake != NULL)
		*fake = (struct ndctl_ctx *)&t->fake_ctx;
	pthread_mutex_lock(&lock);
	t->next = topologies;
	topologies = t;
	pthread_mutex_unlock(&lock);
	return t;
}

void
pmemi_ndctl_forked(void)
{
	/* another thread may have held it at the fork: it is not ours */
	pthread_mutex_init(&lock, NULL);
}

struct pmemi_ndctl *
pmemi_ndctl_take(struct ndctl_ctx *ctx)
{
	pthread_mutex_lock(&lock);
	struct pmemi_ndctl **p = &topologies;
	while (*p != NULL && (*p)->ctx != ctx &&
			(void *)&(*p)->fake_ctx != (void *)ctx)
		p = &(*p)->next;
	struct pmemi_ndctl *t = *p;
	if (t != NULL)
		*p = t->next;
	pthread_mutex_unlock(&lock);
	return t;
}

void
pmemi_ndctl_delete(struct pmemi_ndctl *t)
{
	free(t);
}

/* kind_in -- what p is in t */
static enum pmemi_ndctl_kind
kind_in(struct pmemi_ndctl *t, const char *p)
{
	if (p == &t->fake_ctx)
		return PMEMI_NDCTL_CTX;
	if (p == &t->bus)
		return PMEMI_NDCTL_BUS;
	if (p == &t->region)
		return PMEMI_NDCTL_REGION;
	if (p == &t->dimm)
		return PMEMI_NDCTL_DIMM;
	if (p >= t->ns && p < t->ns + t->nns)
		return PMEMI_NDCTL_NAMESPACE;
	if (p >= t->dax && p < t->dax + t->nns)
		return PMEMI_NDCTL_DAX;
	if (p >= t->dax_region && p < t->dax_region + t->nns)
		return PMEMI_NDCTL_DAX_REGION;
	if (p >= t->dax_dev && p < t->dax_dev + t->nns)
		return PMEMI_NDCTL_DAX_DEV;
	return PMEMI_NDCTL_REAL;
}

enum pmemi_ndctl_kind
pmemi_ndctl_kind(const void *p, struct pmemi_ndctl **out)
{
	enum pmemi_ndctl_kind k = PMEMI_NDCTL_REAL;
	pthread_mutex_lock(&lock);
	for (struct pmemi_ndctl *t = topologies; t != NULL && k ==
			PMEMI_NDCTL_REAL; t = t->next)
		if ((k = kind_in(t, p)) != PMEMI_NDCTL_REAL)
			*out = t;
	pthread_mutex_unlock(&lock);
	return k;
}

struct ndctl_bus *
pmemi_ndctl_bus_of(struct ndctl_ctx *ctx)
{
	struct ndctl_bus *bus = NULL;
	pthread_mutex_lock(&lock);
	for (struct pmemi_ndctl *t = topologies; t != NULL; t = t->next)
		if (t->ctx == ctx || (void *)&t->fake_ctx == (void *)ctx)
			bus = (struct ndctl_bus *)&t->bus;
	pthread_mutex_unlock(&lock);
	return bus;
}

struct ndctl_ctx *
pmemi_ndctl_real_ctx(struct pmemi_ndctl *t)
{
	return t->ctx;
}

struct ndctl_bus *
pmemi_ndctl_bus(struct pmemi_ndctl *t)
{
	return (struct ndctl_bus *)&t->bus;
}

struct ndctl_region *
pmemi_ndctl_region(struct pmemi_ndctl *t)
{
	return (struct ndctl_region *)&t->region;
}

struct ndctl_dimm *
pmemi_ndctl_dimm(struct pmemi_ndctl *t)
{
	return (struct ndctl_dimm *)&t->dimm;
}

struct ndctl_namespace *
pmemi_ndctl_ns_next(struct pmemi_ndctl *t, const void *ns)
{
	int i = ns == NULL ? 0 : (int)((const char *)ns - t->ns) + 1;
	return i < t->nns ? (struct ndctl_namespace *)&t->ns[i] : NULL;
}

/* ns_index -- the index of p in the array of t that starts at first */
static int
ns_index(const char *first, const void *p)
{
	return (int)((const char *)p - first);
}

const char *
pmemi_ndctl_ns_blockdev(struct pmemi_ndctl *t, const void *ns)
{
	int i = ns_index(t->ns, ns);
	/* libndctl's answer for a namespace without a block device */
	return t->devdax[i] ? "" : t->name[i];
}

int
pmemi_ndctl_ns_mode(struct pmemi_ndctl *t, const void *ns)
{
	return t->devdax[ns_index(t->ns, ns)] ? PMEMI_NDCTL_NS_MODE_DEVDAX :
		PMEMI_NDCTL_NS_MODE_FSDAX;
}

unsigned long long
pmemi_ndctl_ns_size(struct pmemi_ndctl *t, const void *ns)
{
	return t->size[ns_index(t->ns, ns)];
}

struct ndctl_dax *
pmemi_ndctl_ns_dax(struct pmemi_ndctl *t, const void *ns)
{
	int i = ns_index(t->ns, ns);
	return t->devdax[i] ? (struct ndctl_dax *)&t->dax[i] : NULL;
}

unsigned long long
pmemi_ndctl_dax_size(struct pmemi_ndctl *t, const void *dax)
{
	return t->size[ns_index(t->dax, dax)];
}

struct daxctl_region *
pmemi_ndctl_dax_region(struct pmemi_ndctl *t, const void *dax)
{
	return (struct daxctl_region *)&t->dax_region[ns_index(t->dax, dax)];
}

struct daxctl_dev *
pmemi_ndctl_daxctl_dev(struct pmemi_ndctl *t, const void *region)
{
	return (struct daxctl_dev *)&t->dax_dev[ns_index(t->dax_region,
			region)];
}

const char *
pmemi_ndctl_daxctl_devname(struct pmemi_ndctl *t, const void *dev)
{
	return t->name[ns_index(t->dax_dev, dev)];
}

const char *
pmemi_ndctl_unique_id(struct pmemi_ndctl *t)
{
	struct trace_dimm d;
	shim_dimm_read(&d);
	pthread_mutex_lock(&lock);
	memcpy(t->unique_id, d.unique_id, sizeof(t->unique_id));
	pthread_mutex_unlock(&lock);
	return t->unique_id;
}
