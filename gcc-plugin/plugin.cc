/* plugin.cc -- plugin_init: version check, -fplugin-arg-pmemu-gcc-*, pass */
#include "pmemu_plugin.h"

int plugin_is_GPL_compatible;

bool pm_opt_stats;

static struct plugin_info pm_info = {
	"0.1",
	"pmemu: instrument stores, flushes and fences for the pmem emulator.\n"
	"  -fplugin-arg-pmemu_gcc-exclude=FILE  skip code matching FILE's globs\n"
	"  -fplugin-arg-pmemu_gcc-stats         print instrumented sites per function\n"
	"  (load pmemu_gcc.so for these; or PMEMU_GCC_PLUGIN_ARGS=\"exclude=FILE stats\")"
};

/* pm_finish_unit -- one constructor per TU that registers the slot */
static void
pm_finish_unit(void *gcc_data ATTRIBUTE_UNUSED, void *user ATTRIBUTE_UNUSED)
{
	if (seen_error() || !pm_emit_used())
		return;
	pm_emit_constructor();
}

/* pm_parse_args -- known keys act, unknown keys warn (selfassign.cc does) */
static bool
pm_parse_args(const char *name, int argc, struct plugin_argument *argv)
{
	for (int i = 0; i < argc; i++) {
		const char *key = argv[i].key, *value = argv[i].value;
		if (strcmp(key, "exclude") == 0) {
			if (value == NULL) {
				error("pmemu: %<-fplugin-arg-%s-exclude%> needs "
				      "%<=FILE%>", name);
				return false;
			}
			if (!pm_exclude_load(value))
				return false;
		} else if (strcmp(key, "stats") == 0) {
			pm_opt_stats = true;
		} else {
			warning(0, "pmemu: plugin %qs: unknown argument %qs "
				"(known: exclude=FILE, stats)", name, key);
		}
	}
	return true;
}

/* pm_env_args -- PMEMU_GCC_PLUGIN_ARGS="exclude=FILE stats": the same
   keys, for builds that cannot add -fplugin-arg-* (GCC cuts the plugin
   name at its first '-', so pmemu-gcc.so itself cannot get any) */
static bool
pm_env_args(const char *name)
{
	const char *env = getenv("PMEMU_GCC_PLUGIN_ARGS");
	if (env == NULL)
		return true;
	char *copy = xstrdup(env), *save = NULL;
	auto_vec<plugin_argument> args;
	for (char *tok = strtok_r(copy, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');
		if (eq != NULL)
			*eq = '\0';
		plugin_argument arg = { tok, eq ? eq + 1 : NULL };
		args.safe_push(arg);
	}
	bool ok = pm_parse_args(name, args.length(), args.address());
	return ok; /* COPY stays: exclude keeps no pointer into it, but the
		      few bytes are not worth the care */
}

int
plugin_init(struct plugin_name_args *info, struct plugin_gcc_version *version)
{
	if (!plugin_default_version_check(version, &gcc_version)) {
		error("pmemu: plugin %qs was built for GCC %s, not GCC %s",
		      info->base_name, gcc_version.basever, version->basever);
		return 1;
	}
	if (!pm_parse_args(info->base_name, info->argc, info->argv) ||
	    !pm_env_args(info->base_name))
		return 1;
	pm_classify_init();

	/* Late, as tsan's O0 twin: before "optimized" runs at every -O level,
	   after DSE, store merging and the vectoriser, so only the stores
	   the optimisers kept are seen. */
	struct register_pass_info pass;
	pass.pass = pm_make_pass(g);
	pass.reference_pass_name = "optimized";
	pass.ref_pass_instance_number = 1;
	pass.pos_op = PASS_POS_INSERT_BEFORE;
	register_callback(info->base_name, PLUGIN_INFO, NULL, &pm_info);
	register_callback(info->base_name, PLUGIN_PASS_MANAGER_SETUP, NULL,
			  &pass);
	register_callback(info->base_name, PLUGIN_REGISTER_GGC_ROOTS, NULL,
			  (void *)pm_emit_roots);
	register_callback(info->base_name, PLUGIN_FINISH_UNIT, pm_finish_unit,
			  NULL);
	return 0;
}
