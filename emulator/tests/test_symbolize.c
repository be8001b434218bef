/* test_symbolize.c -- sites to function and file:line (report/symbolize.c) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "symbolize.h"
#include "trace.h"

void *fixture_nodebug_pc(void); /* fixture_nodebug.c: no debug info */

struct module_hit {
	uintptr_t pc;
	uintptr_t bias;
	char path[4096];
};

/* module_cb -- the loaded object holding hit->pc, as the shim finds it */
static int
module_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct module_hit *hit = data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type != PT_LOAD || hit->pc < lo ||
				hit->pc >= lo + ph->p_memsz)
			continue;
		hit->bias = info->dlpi_addr;
		if (info->dlpi_name[0] == '\0') {
			ssize_t n = readlink("/proc/self/exe", hit->path,
					sizeof(hit->path) - 1);
			hit->path[n > 0 ? n : 0] = '\0';
		} else {
			snprintf(hit->path, sizeof(hit->path), "%s",
					info->dlpi_name);
		}
		return 1;
	}
	return 0;
}

/* resolve_pc -- pc of this process through a fresh symbolizer */
static size_t
resolve_pc(struct symbolizer *s, uintptr_t pc, struct sym_frame *out,
		size_t max)
{
	struct module_hit hit = { .pc = pc };
	assert_int_equal(dl_iterate_phdr(module_cb, &hit), 1);
	assert_int_equal(symbolizer_add_module(s, 0, hit.path, hit.bias), 0);
	return symbolizer_resolve(s, 0, pc - hit.bias, out, max);
}

static const char *
base(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* the address inside the call instruction that called this function */
__attribute__((noinline)) static uintptr_t
call_site_pc(void)
{
	uintptr_t ra = (uintptr_t)__builtin_return_address(0);
	__asm__ volatile("" ::: "memory");
	return ra - 1; /* as site.c stores a return address */
}

static void
test_resolves_own_call_line(void **state)
{
	(void)state;
	uintptr_t pc = call_site_pc(); const int line = __LINE__;
	struct symbolizer *s = symbolizer_new();
	struct sym_frame f[8];
	size_t n = resolve_pc(s, pc, f, 8);
	assert_int_equal(n, 1);
	assert_string_equal(f[0].func, "test_resolves_own_call_line");
	assert_non_null(f[0].file);
	assert_string_equal(base(f[0].file), "test_symbolize.c");
	assert_int_equal(f[0].line, line);
	assert_true(f[0].debug_info);
	assert_false(f[0].inlined);
	char text[256], want[256];
	sym_frame_format(&f[0], text, sizeof(text));
	snprintf(want, sizeof(want),
			"test_resolves_own_call_line (test_symbolize.c:%d)",
			line);
	assert_string_equal(text, want);
	symbolizer_delete(s);
}

static inline __attribute__((always_inline)) uintptr_t
inlined_call(int *line)
{
	*line = __LINE__; return call_site_pc();
}

static void
test_expands_inlined_call(void **state)
{
	(void)state;
	int inner;
	uintptr_t pc = inlined_call(&inner); const int outer = __LINE__;
	struct symbolizer *s = symbolizer_new();
	struct sym_frame f[8];
	size_t n = resolve_pc(s, pc, f, 8);
	assert_int_equal(n, 2);
	assert_string_equal(f[0].func, "inlined_call");
	assert_int_equal(f[0].line, inner);
	assert_true(f[0].inlined);
	assert_string_equal(f[1].func, "test_expands_inlined_call");
	assert_string_equal(base(f[1].file), "test_symbolize.c");
	assert_int_equal(f[1].line, outer);
	assert_false(f[1].inlined);
	symbolizer_delete(s);
}

static void
test_no_debug_info_names_symbol(void **state)
{
	(void)state;
	struct symbolizer *s = symbolizer_new();
	struct sym_frame f[4];
	size_t n = resolve_pc(s, (uintptr_t)fixture_nodebug_pc(), f, 4);
	assert_int_equal(n, 1);
	assert_string_equal(f[0].func, "fixture_nodebug_pc");
	assert_null(f[0].file);
	assert_false(f[0].debug_info);
	char text[256], want[256];
	sym_frame_format(&f[0], text, sizeof(text));
	snprintf(want, sizeof(want), "fixture_nodebug_pc "
			"(libpmemu_nodebug_fixture.so+0x%lx, no debug info)",
			(unsigned long)f[0].module_off);
	assert_string_equal(text, want);
	symbolizer_delete(s);
}

static void
test_missing_module_file(void **state)
{
	(void)state;
	struct symbolizer *s = symbolizer_new();
	assert_int_equal(symbolizer_add_module(s, 3, "/nonexistent/libgone.so",
			0x7f0000000000), 0);
	struct sym_frame f[2];
	char text[256];
	assert_int_equal(symbolizer_resolve(s, 3, 0x10, f, 2), 1);
	sym_frame_format(&f[0], text, sizeof(text));
	assert_string_equal(text, "??? (libgone.so+0x10, no debug info)");
	/* a frame in no module, and a module the trace never named */
	assert_int_equal(symbolizer_resolve(s, SYM_NO_MODULE, 0x1234, f, 2), 1);
	sym_frame_format(&f[0], text, sizeof(text));
	assert_string_equal(text, "??? ([unknown]+0x1234, no debug info)");
	assert_int_equal(symbolizer_resolve(s, 77, 0x20, f, 2), 1);
	assert_string_equal(f[0].func, "???");
	symbolizer_delete(s);
}

/* rec_of -- a record made here, decoded as the reader would; malformed
 * bodies are refused by the decoder (*ok false) */
static struct trace_rec
rec_decoded(uint16_t type, const void *body, size_t len, bool *ok)
{
	struct trace_rec r = { .type = type, .body = body,
		.body_len = (uint32_t)len };
	*ok = trace_rec_decode(&r) == 0;
	return r;
}

static struct trace_rec
rec_of(uint16_t type, const void *body, size_t len)
{
	bool ok;
	struct trace_rec r = rec_decoded(type, body, len, &ok);
	assert_true(ok);
	return r;
}

static void
test_trace_records(void **state)
{
	(void)state;
	uintptr_t pc = call_site_pc(); const int line = __LINE__;
	struct module_hit hit = { .pc = pc };
	assert_int_equal(dl_iterate_phdr(module_cb, &hit), 1);
	struct symbolizer *s = symbolizer_new();

	/* a site may come before its module (site_write.c) */
	uint8_t site[8 + 2 * 16] = { 0 };
	uint32_t id = 7, nframes = 2, mod = 4, gone = 9;
	uint64_t off = pc - hit.bias, off2 = 0x99;
	memcpy(site, &id, 4);
	memcpy(site + 4, &nframes, 4);
	memcpy(site + 8, &mod, 4);
	memcpy(site + 16, &off, 8);
	memcpy(site + 24, &gone, 4);
	memcpy(site + 32, &off2, 8);
	struct trace_rec r = rec_of(TRACE_REC_SITE, site, sizeof(site));
	assert_int_equal(symbolizer_add_record(s, &r), 1);

	uint8_t module[16 + sizeof(hit.path)] = { 0 };
	uint64_t b = hit.bias;
	memcpy(module, &mod, 4);
	memcpy(module + 8, &b, 8);
	memcpy(module + 16, hit.path, strlen(hit.path) + 1);
	r = rec_of(TRACE_REC_MODULE, module, 16 + strlen(hit.path) + 1);
	assert_int_equal(symbolizer_add_record(s, &r), 1);

	uint8_t src[64] = { 0 };
	uint32_t sid = 8, sline = 41;
	memcpy(src, &sid, 4);
	memcpy(src + 4, &sline, 4);
	memcpy(src + 8, "list.c\0list_insert", 19);
	r = rec_of(TRACE_REC_SITE_SRC, src, 8 + 19);
	assert_int_equal(symbolizer_add_record(s, &r), 1);

	struct sym_frame f[8];
	assert_int_equal(symbolizer_frames(s, 7, f, 8), 2);
	assert_string_equal(f[0].func, "test_trace_records");
	assert_int_equal(f[0].line, line);
	assert_string_equal(f[1].func, "???");
	assert_int_equal(symbolizer_frames(s, 8, f, 8), 1);
	assert_string_equal(f[0].func, "list_insert");
	assert_string_equal(f[0].file, "list.c");
	assert_int_equal(f[0].line, 41);
	assert_null(f[0].module);
	assert_int_equal(symbolizer_frames(s, 6, f, 8), 0);

	/* malformed bodies are refused (by the one decoder); other records
	 * are not ours */
	bool ok;
	rec_decoded(TRACE_REC_SITE, site, 20, &ok); /* 2 frames, 0.75 there */
	assert_false(ok);
	rec_decoded(TRACE_REC_SITE_SRC, src, 12, &ok); /* no func string */
	assert_false(ok);
	module[16] = 'x';
	rec_decoded(TRACE_REC_MODULE, module, 17, &ok); /* path unterminated */
	assert_false(ok);
	r = rec_of(TRACE_REC_NOTE, "hello", 6);
	assert_int_equal(symbolizer_add_record(s, &r), 0);
	symbolizer_delete(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolves_own_call_line),
		cmocka_unit_test(test_expands_inlined_call),
		cmocka_unit_test(test_no_debug_info_names_symbol),
		cmocka_unit_test(test_missing_module_file),
		cmocka_unit_test(test_trace_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
