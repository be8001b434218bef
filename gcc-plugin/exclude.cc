/* exclude.cc -- code the user trusts: -fplugin-arg-pmemu-gcc-exclude=FILE
 *
 * FILE has one pattern a line; blank lines and '#' comments are skipped:
 *   src:GLOB   source files (of a function, or of inlined code) to skip
 *   fun:GLOB   functions to skip (plain or C++ qualified name, or symbol)
 *   GLOB       same as src:GLOB
 * A glob with a '/' is matched (fnmatch, '*' crosses '/') against the path
 * as GCC saw it and against its real path; one without is matched against
 * the base name.
 */
#include "pmemu_plugin.h"
#include <fnmatch.h>

static vec<char *> pm_src_globs;
static vec<char *> pm_fun_globs;

/* pm_exclude_load -- read the patterns of PATH */
bool
pm_exclude_load(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		error("pmemu: cannot read exclude file %qs: %m", path);
		return false;
	}
	char line[4096];
	while (fgets(line, sizeof line, f) != NULL) {
		char *s = line, *end = line + strlen(line);
		while (*s == ' ' || *s == '\t')
			s++;
		while (end > s && ISSPACE(end[-1]))
			*--end = '\0';
		if (*s == '\0' || *s == '#')
			continue;
		if (startswith(s, "fun:"))
			pm_fun_globs.safe_push(xstrdup(s + 4));
		else
			pm_src_globs.safe_push(xstrdup(startswith(s, "src:")
						       ? s + 4 : s));
	}
	fclose(f);
	return true;
}

/* pm_glob_path -- one glob against a path, its real path or base name */
static bool
pm_glob_path(const char *glob, const char *path, const char *real)
{
	if (strchr(glob, '/') == NULL)
		return fnmatch(glob, lbasename(path), 0) == 0;
	return fnmatch(glob, path, 0) == 0 ||
	       (real != NULL && fnmatch(glob, real, 0) == 0);
}

/* pm_exclude_file -- FILE matches a src: glob (cached: GCC hands out the
   same string for every location in one file) */
bool
pm_exclude_file(const char *file)
{
	static const char *last_file;
	static bool last_result;
	if (pm_src_globs.is_empty() || file == NULL)
		return false;
	if (file == last_file)
		return last_result;
	char *real = lrealpath(file);
	bool hit = false;
	for (const char *glob : pm_src_globs)
		hit = hit || pm_glob_path(glob, file, real);
	free(real);
	last_file = file;
	last_result = hit;
	return hit;
}

/* pm_exclude_function -- FNDECL matches a fun: glob, or its file a src: */
bool
pm_exclude_function(tree fndecl)
{
	if (pm_exclude_file(DECL_SOURCE_FILE(fndecl)))
		return true;
	const char *names[3] = {
		IDENTIFIER_POINTER(DECL_NAME(fndecl)),
		lang_hooks.decl_printable_name(fndecl, 2),
		IDENTIFIER_POINTER(DECL_ASSEMBLER_NAME(fndecl)),
	};
	for (const char *glob : pm_fun_globs)
		for (const char *name : names)
			if (fnmatch(glob, name, 0) == 0)
				return true;
	return false;
}
