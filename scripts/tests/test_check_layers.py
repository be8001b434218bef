"""test_check_layers.py -- scripts/check_layers.py finds a libshim include
or call that goes up a layer (libshim/layers.txt), and objects that call
each other in a cycle, in a temporary copy of libshim/ with one planted,
and passes the tree as it is."""
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


def objects(tmp_path, cc, units):
    """(layer, name, C code) -> object files under objs/LAYER/NAME.c.o"""
    objs = []
    for layer, name, code in units:
        src = tmp_path / f"{name}.c"
        src.write_text(code)
        out = tmp_path / "objs" / layer / f"{name}.c.o"
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([cc, "-c", str(src), "-o", str(out)], check=True)
        objs.append(out)
    return objs


def test_planted_upward_call_fails(libshim, tmp_path, cc):
    """core/a.o calls a function region/b.o defines: one violation (and the
    call back down closes a cycle)."""
    objs = objects(tmp_path, cc, [
        ("core", "a", "void b_fn(void); void a_fn(void) { b_fn(); }"),
        ("region", "b", "void b_fn(void) {}\n"
                        "void a_fn(void); void c_fn(void) { a_fn(); }")])
    res = check(libshim, *objs)
    assert res.returncode == 1
    assert res.stdout == ("layer violation: core/a.c.o: calls b_fn of "
                          "layer region (b.c.o)\n"
                          "call cycle: objects calling each other: "
                          "core/a.c.o, region/b.c.o\n")


def test_downward_call_passes(libshim, tmp_path, cc):
    objs = objects(tmp_path, cc, [
        ("core", "a", "void a_fn(void) {}"),
        ("region", "b", "void a_fn(void); void b_fn(void) { a_fn(); }")])
    res = check(libshim, *objs)
    assert res.returncode == 0, res.stdout


def test_cycle_within_a_layer_fails(libshim, tmp_path, cc):
    """three files of one layer calling round a loop"""
    objs = objects(tmp_path, cc, [
        ("region", "a", "void b_fn(void); void a_fn(void) { b_fn(); }"),
        ("region", "b", "void c_fn(void); void b_fn(void) { c_fn(); }"),
        ("region", "c", "void a_fn(void); void c_fn(void) { a_fn(); }")])
    res = check(libshim, *objs)
    assert res.returncode == 1
    assert res.stdout == ("call cycle: objects calling each other: "
                          "region/a.c.o, region/b.c.o, region/c.c.o\n")


def test_missing_layer_list_is_bad_input(tmp_path):
    res = check(tmp_path)
    assert res.returncode == 2
    assert res.stderr.startswith("pmemu: error: ")
