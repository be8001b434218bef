#!/usr/bin/env python3
"""check_layers.py -- fails when libshim code reaches up a layer, or when
its files call each other in a cycle.

The layers are the folders of libshim/ named in libshim/layers.txt, lowest
first. A file may use its own layer and the layers listed before it:

- includes: a `#include "x.h"` whose x.h lives in a higher layer's folder;
- calls (given the object files, `nm`): a symbol an object of one layer
  uses (undefined in it) that an object of a higher layer defines;
- cycles: objects that call each other round a loop, within a layer too
  (one of them should take the other's need as a callback, or the shared
  part should be a file of its own).

    check_layers.py LIBSHIM_DIR [OBJECT ...]

Prints one line per violation and exits 1; exits 0 when there is none, 2
on bad input.
"""
import pathlib
import re
import subprocess
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)
# main.c and anything else at the top of libshim/: above every layer
TOP = 1 << 30


def read_layers(libshim: pathlib.Path) -> list[str]:
    text = (libshim / "layers.txt").read_text()
    names = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    return [n for n in names if n]


def layer_of(path: pathlib.Path, libshim: pathlib.Path,
             rank: dict[str, int]) -> int | None:
    """The rank of the layer holding path, TOP for libshim/ itself, None
    for a file of no layer (tests, lazy/)."""
    rel = path.resolve().relative_to(libshim.resolve())
    if len(rel.parts) == 1:
        return TOP
    return rank.get(rel.parts[0])


def include_violations(libshim: pathlib.Path, layers: list[str]) -> list[str]:
    rank = {name: i for i, name in enumerate(layers)}
    header_layer: dict[str, str] = {}
    for name in layers:
        for h in sorted((libshim / name).glob("*.h")):
            header_layer[h.name] = name
    found = []
    for name in layers + [""]:
        folder = libshim / name
        for src in sorted(folder.glob("*.[ch]")):
            own = layer_of(src, libshim, rank)
            if own is None:
                continue
            for inc in INCLUDE.findall(src.read_text()):
                target = header_layer.get(pathlib.PurePath(inc).name)
                if target is not None and rank[target] > own:
                    found.append(f"{src.relative_to(libshim)}: includes "
                                 f"{inc} of layer {target}")
    return found


def nm_symbols(obj: pathlib.Path) -> tuple[set[str], set[str]]:
    """(defined, undefined) global symbols of an object file."""
    out = subprocess.run(["nm", "-P", str(obj)], capture_output=True,
                         text=True, check=True).stdout
    defined: set[str] = set()
    undefined: set[str] = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        sym, kind = fields[0], fields[1]
        if kind == "U":
            undefined.add(sym)
        elif kind.isupper():
            defined.add(sym)
    return defined, undefined


def object_layer(obj: pathlib.Path, layers: list[str]) -> int:
    """Objects are built under a folder named as their source's layer
    (CMake keeps the source tree); any other object is main's."""
    parent = obj.parent.name
    return layers.index(parent) if parent in layers else TOP


def call_violations(objects: list[pathlib.Path],
                    layers: list[str]) -> list[str]:
    owner: dict[str, tuple[int, pathlib.Path]] = {}
    uses = []
    for obj in objects:
        defined, undefined = nm_symbols(obj)
        rank = object_layer(obj, layers)
        for sym in defined:
            owner[sym] = (rank, obj)
        uses.append((obj, rank, undefined))
    found = []
    for obj, rank, undefined in uses:
        for sym in sorted(undefined):
            if sym in owner and owner[sym][0] > rank:
                up, where = owner[sym]
                name = layers[up] if up < len(layers) else "main"
                found.append(f"{obj.parent.name}/{obj.name}: calls {sym} "
                             f"of layer {name} ({where.name})")
    return found


def call_graph(objects: list[pathlib.Path]) -> dict[str, set[str]]:
    """object -> the objects whose symbols it uses"""
    owner: dict[str, str] = {}
    undefined_of: dict[str, set[str]] = {}
    for obj in objects:
        defined, undefined = nm_symbols(obj)
        name = f"{obj.parent.name}/{obj.name}"
        for sym in defined:
            owner[sym] = name
        undefined_of[name] = undefined
    return {name: {owner[s] for s in und if s in owner} - {name}
            for name, und in undefined_of.items()}


def call_cycles(objects: list[pathlib.Path]) -> list[str]:
    """the strongly connected components of more than one object (Tarjan)"""
    graph = call_graph(objects)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append("objects calling each other: " +
                             ", ".join(sorted(component)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("pmemu: error: usage: check_layers.py LIBSHIM_DIR [OBJECT ...]",
              file=sys.stderr)
        return 2
    libshim = pathlib.Path(argv[1])
    if not (libshim / "layers.txt").is_file():
        print(f"pmemu: error: {libshim}/layers.txt: no such file",
              file=sys.stderr)
        return 2
    layers = read_layers(libshim)
    found = include_violations(libshim, layers)
    objects = [pathlib.Path(o) for o in argv[2:]]
    found += call_violations(objects, layers)
    cycles = call_cycles(objects)
    for line in found:
        print(f"layer violation: {line}")
    for line in cycles:
        print(f"call cycle: {line}")
    return 1 if found or cycles else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
