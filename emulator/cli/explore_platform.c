/* explore_platform.c -- explore's platform options (explore_platform.h) */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "explore_platform.h"
#include "model.h"

/* split_domains -- the --domain list into p->domains, each one known */
static int
split_domains(struct explore_platform *p, const char *v)
{
	if (strlen(v) >= sizeof(p->list))
		return cli_error("--domain %.40s...: too long", v);
	strcpy(p->list, v);
	p->ndomains = 0;
	for (char *d = p->list, *next; d != NULL; d = next) {
		next = strchr(d, ',');
		if (next != NULL)
			*next++ = '\0';
		enum model_domain md;
		if (*d == '\0' || model_domain_parse(d, &md) != 0)
			return cli_error("--domain %s: unknown domain '%s'; "
				"expected adr, eadr, pagecache or cxl", v, d);
		for (size_t k = 0; k < p->ndomains; k++)
			if (strcmp(p->domains[k], d) == 0)
				return cli_error("--domain %s: '%s' is listed "
					"twice", v, d);
		if (p->ndomains == EXPLORE_DOMAINS_MAX)
			return cli_error("--domain %s: at most %d domains", v,
				EXPLORE_DOMAINS_MAX);
		p->domains[p->ndomains++] = d;
	}
	return 0;
}

int
explore_platform_opt(struct explore_platform *p, int argc, char **argv,
		int *i)
{
	const char *v;
	int k = launch_platform_opt(argc, argv, i, &v);
	if (k < 0)
		return 0;
	launch_platform_set(p->values, (size_t)k, v);
	/* the checks that run under the shim see the namespace as the
	 * program did (the recording validates the value) */
	if (strcmp(launch_platform_opts[k].option, "--ndctl") == 0)
		setenv("PMEMU_NDCTL", v, 1);
	if (strcmp(launch_platform_opts[k].option, "--domain") == 0 &&
			split_domains(p, v) != 0)
		return CLI_EXIT_USAGE;
	return 1;
}

const char *
explore_platform_given(const struct explore_platform *p)
{
	for (size_t k = 0; k < launch_nplatform; k++)
		if (p->values[k] != NULL)
			return launch_platform_opts[k].option;
	return NULL;
}

int
explore_platform_argv(const struct explore_platform *p, const char *domain,
		char **argv, int k)
{
	for (size_t n = 0; n < launch_nplatform; n++) {
		const char *name = launch_platform_opts[n].option;
		const char *v = p->values[n];
		if (strcmp(name, "--domain") == 0 && v != NULL)
			v = domain ? domain : p->domains[0];
		if (v == NULL)
			continue;
		argv[k++] = (char *)name;
		argv[k++] = (char *)v;
	}
	return k;
}

void
explore_platform_summary(const struct explore_platform *p,
		const int *status, FILE *out)
{
	fputs("pmemu:", out);
	for (size_t k = 0; k < p->ndomains; k++) {
		const char *verdict = status[k] == CLI_EXIT_OK ? "passes" :
			status[k] == CLI_EXIT_FAIL ? "fails" : "not explored";
		fprintf(out, "%s %s on %s", k ? "," : "", verdict,
				p->domains[k]);
	}
	fputc('\n', out);
}
