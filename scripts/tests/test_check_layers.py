"""test_check_layers.py -- scripts/check_layers.py finds a libshim include
or call that goes up a layer (libshim/layers.txt), in a temporary copy of
libshim/ with one planted, and passes the tree as it is."""
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

SOURCE = pathlib.Path(os.environ.get("PMEMU_SOURCE_DIR",
                                     pathlib.Path(__file__).resolve().parents[2]))
SCRIPT = SOURCE / "scripts" / "check_layers.py"


def check(libshim, *objects):
    return subprocess.run([sys.executable, str(SCRIPT), str(libshim),
                           *map(str, objects)],
                          capture_output=True, text=True)


@pytest.fixture
def libshim(tmp_path):
    copy = tmp_path / "libshim"
    shutil.copytree(SOURCE / "libshim", copy,
                    ignore=shutil.ignore_patterns("tests", "lazy"))
    return copy


def test_tree_as_it_is_passes(libshim):
    res = check(libshim)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout == ""


def test_planted_upward_include_fails(libshim):
    state = libshim / "core" / "shim_state.c"
    state.write_text('#include "shim_region.h"\n' + state.read_text())
    res = check(libshim)
    assert res.returncode == 1
    assert res.stdout == ("layer violation: core/shim_state.c: includes "
                          "shim_region.h of layer region\n")


def test_include_of_a_lower_layer_passes(libshim):
    file_c = libshim / "file" / "shim_file.c"
    file_c.write_text('#include "shim_site.h"\n' + file_c.read_text())
    assert check(libshim).returncode == 0


def test_planted_upward_call_fails(libshim, tmp_path, cc):
    """core/a.o calls a function region/b.o defines: one violation; the
    call the other way is allowed."""
    objs = []
    for layer, name, code in [
            ("core", "a", "void b_fn(void); void a_fn(void) { b_fn(); }"),
            ("region", "b", "void b_fn(void) {}\n"
                            "void a_fn(void); void c_fn(void) { a_fn(); }")]:
        src = tmp_path / f"{name}.c"
        src.write_text(code)
        out = tmp_path / "objs" / layer / f"{name}.c.o"
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([cc, "-c", str(src), "-o", str(out)], check=True)
        objs.append(out)
    res = check(libshim, *objs)
    assert res.returncode == 1
    assert res.stdout == ("layer violation: core/a.c.o: calls b_fn of "
                          "layer region (b.c.o)\n")


def test_missing_layer_list_is_bad_input(tmp_path):
    res = check(tmp_path)
    assert res.returncode == 2
    assert res.stderr.startswith("pmemu: error: ")
