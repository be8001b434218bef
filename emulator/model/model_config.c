/* model_config.c -- the model's configuration and the names of its enums */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"

void
model_assert_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "pmemu: internal error: %s at %s:%d\n", what, file,
			line);
	abort();
}

struct model_config *
model_config_new(void)
{
	struct model_config *cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return NULL;
	cfg->domain = MODEL_DOMAIN_ADR;
	cfg->line_len = 64;
	cfg->sector_len = 512;
	cfg->history_max = 4096;
	return cfg;
}

void
model_config_delete(struct model_config *cfg)
{
	free(cfg);
}

int
model_config_set_domain(struct model_config *cfg, enum model_domain d)
{
	if ((unsigned)d >= MODEL_DOMAINS)
		return -EINVAL;
	cfg->domain = d;
	return 0;
}

/* line lengths are powers of two from 64 to 4096 (a page) */
int
model_config_set_line(struct model_config *cfg, uint32_t line_len)
{
	if (line_len < 64 || line_len > 4096 || (line_len & (line_len - 1)))
		return -EINVAL;
	cfg->line_len = line_len;
	return 0;
}

int
model_config_set_clflush_weak(struct model_config *cfg, bool weak)
{
	cfg->clflush_weak = weak;
	return 0;
}

int
model_config_set_sector(struct model_config *cfg, uint32_t sector_len)
{
	if (sector_len != 512 && sector_len != 4096)
		return -EINVAL;
	cfg->sector_len = sector_len;
	return 0;
}

int
model_config_set_contents(struct model_config *cfg, bool track)
{
	cfg->contents = track;
	return 0;
}

static const char *const domain_names[MODEL_DOMAINS] = { "adr", "eadr",
	"pagecache", "cxl" };

int
model_domain_parse(const char *s, enum model_domain *d)
{
	for (unsigned i = 0; i < MODEL_DOMAINS; i++) {
		if (strcmp(s, domain_names[i]) == 0) {
			*d = (enum model_domain)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *
model_domain_name(enum model_domain d)
{
	return (unsigned)d < MODEL_DOMAINS ? domain_names[d] : "?";
}

const char *
model_ev_name(enum model_ev k)
{
	static const char *const names[MODEL_EV_MAX] = {
		[MODEL_EV_STORE] = "store",
		[MODEL_EV_NT_STORE] = "nt-store",
		[MODEL_EV_MOVDIR64B] = "movdir64b",
		[MODEL_EV_SNAPSHOT] = "snapshot",
		[MODEL_EV_CLWB] = "clwb",
		[MODEL_EV_CLFLUSHOPT] = "clflushopt",
		[MODEL_EV_CLFLUSH] = "clflush",
		[MODEL_EV_SFENCE] = "sfence",
		[MODEL_EV_MFENCE] = "mfence",
		[MODEL_EV_LOCKED] = "locked",
		[MODEL_EV_MSYNC] = "msync",
		[MODEL_EV_FSYNC] = "fsync",
		[MODEL_EV_SHUTDOWN] = "shutdown",
		[MODEL_EV_FLUSH_OUTSIDE] = "flush-outside",
		[MODEL_EV_SET_CLEAN] = "set-clean",
	};
	if ((unsigned)k >= MODEL_EV_MAX || names[k] == NULL)
		return "?";
	return names[k];
}

const char *
model_finding_name(enum model_finding_class c)
{
	static const char *const names[MODEL_FIND_MAX] = {
		[MODEL_FIND_UNPERSISTED] = "unpersisted store",
		[MODEL_FIND_NO_FENCE] = "flush without fence",
		[MODEL_FIND_REDUNDANT] = "redundant flush",
		[MODEL_FIND_OUTSIDE] = "flush outside pmem",
		[MODEL_FIND_PAGECACHE_FLUSH] = "flush on a page-cache mapping",
		[MODEL_FIND_TX_UNADDED] = "store not added to its transaction",
	};
	return (unsigned)c < MODEL_FIND_MAX ? names[c] : "?";
}
