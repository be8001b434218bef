"""test_shim_exports.py -- libpmemu.so exports its interposers, the
plugin hooks and the libpmem versions, not its internals: the shim_*
functions and the model's and trace's are bound inside the library
(direct calls, not through the PLT: the per-line cost of `pmemu run`,
docs/performance.md), and a program that defines a function of the same
name (exported: -rdynamic) does not take their place.
"""
import os
import subprocess

from conftest import BUILD
from test_libpmem_run import pmem_dir, pmemu_run  # noqa: F401 (fixture)

SHIM = os.path.join(os.environ.get("PMEMU_LIBDIR", str(BUILD / "lib")),
                    "libpmemu.so")
INTERNAL = ("shim_", "model_", "trace_", "insn_", "shared_",
            "client_request_", "tx_not_pmem_", "pmemi_")

# names the shim calls on every event: reached, they say so and abort
PROG = r"""
#include <libpmem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void taken(const char *name)
{
	fprintf(stderr, "program's %s called\n", name);
	abort();
}
void shim_lock(void) { taken("shim_lock"); }
void shim_emit_locked(const void *ev) { (void)ev; taken("shim_emit_locked"); }
int model_apply(void *m, const void *ev) { (void)m; (void)ev;
	taken("model_apply"); return 0; }

int main(int argc, char **argv)
{
	size_t len;
	char *p = pmem_map_file(argv[1], 4096, PMEM_FILE_CREATE, 0600, &len,
			NULL);
	if (p == NULL)
		return 2;
	strcpy(p, "hello");
	pmem_persist(p, 6);
	pmem_unmap(p, len);
	puts("done");
	return 0;
}
"""


def test_internals_not_exported():
    syms = subprocess.run(["nm", "-D", "--defined-only", SHIM],
                          capture_output=True, text=True, check=True).stdout
    names = [line.split()[-1] for line in syms.splitlines()]
    leaked = [n for n in names if n.startswith(INTERNAL)]
    assert leaked == [], leaked[:20]
    assert "pmem_persist@@LIBPMEM_1.0" in names  # the interposers stay
    assert "__pmemu_store" in names  # and the plugin's hooks


def test_program_symbol_does_not_replace_internal(pmemu_bin, pmem_dir,
                                                  tmp_path, cc):
    src = tmp_path / "same_names.c"
    src.write_text(PROG)
    exe = tmp_path / "same_names"
    subprocess.run([cc, "-O1", "-rdynamic", str(src), "-o", str(exe),
                    "-lpmem"], check=True)
    res = pmemu_run(pmemu_bin, pmem_dir, exe, [str(pmem_dir / "pool")])
    assert res.returncode == 0, res.stderr
    assert "done" in res.stdout
    assert "called" not in res.stderr
