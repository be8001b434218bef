"""test_partial_line.py -- a file whose size is not a multiple of the cache
line: persisting its last, partial line is not an unpersisted store."""
import subprocess

PROG = r"""
#include <libpmem.h>
#include <string.h>

int
main(int argc, char **argv)
{
	size_t len;
	int is_pmem;
	char *p = pmem_map_file(argv[1], 4096 + 88, PMEM_FILE_CREATE, 0644,
			&len, &is_pmem);
	if (p == NULL)
		return 1;
	memset(p + 4096 + 64, 'x', 24);
#ifndef BUGGY
	pmem_persist(p + 4096 + 64, 24);
#endif
	pmem_unmap(p, len);
	return 0;
}
"""


def test_partial_last_line(pmemu_bin, tmp_path, cc):
    src = tmp_path / "partial.c"
    src.write_text(PROG)
    out = {}
    for variant, flags in (("correct", []), ("buggy", ["-DBUGGY"])):
        exe = tmp_path / variant
        subprocess.run([cc, "-g", *flags, str(src), "-o", str(exe), "-lpmem"],
                       check=True)
        d = tmp_path / f"pm-{variant}"
        d.mkdir()
        r = subprocess.run([pmemu_bin, "run", "--pmem-dir", str(d), "--",
                            str(exe), str(d / "f")], capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        out[variant] = r.stdout + r.stderr
    assert "pmemu: no findings" in out["correct"]
    assert "unpersisted stores" in out["buggy"]
