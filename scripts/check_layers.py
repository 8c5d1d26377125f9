#!/usr/bin/env python3
"""Fails when an #include points up a layer (ARCHITECTURE.md, "Layout").

Layers, bottom up: core <- kernels <- models | datasets <- host | python. A file may include
its own layer and the layers below it; models and datasets do not include each other, nor do
host and python (the Python package's bindings, python/src: on models/, kernels/ and core/,
never on host/). Only project includes ("core/...", "kernels/..." ...) are checked; tests and
bench may include anything. Prints every violation as FILE:LINE: and exits 1 when there is one.
"""
import pathlib
import re
import sys

RANK = {"core": 0, "kernels": 1, "models": 2, "datasets": 2, "host": 3, "python": 3}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"/]+)/')
SOURCES = (".hpp", ".cpp", ".cu", ".cuh", ".h", ".in")


def violations(root: pathlib.Path):
    for layer, rank in RANK.items():
        for path in sorted((root / layer).rglob("*")):
            if path.suffix not in SOURCES or not path.is_file():
                continue
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                match = INCLUDE.match(line)
                if not match or match.group(1) not in RANK:
                    continue
                target = match.group(1)
                if RANK[target] > rank or (RANK[target] == rank and target != layer):
                    yield f"{path.relative_to(root)}:{number}: {layer}/ includes {target}/ " \
                          f"({line.strip()}), which is not below it"


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parents[1])
    found = list(violations(root))
    for message in found:
        print(message)
    checked = sum(1 for layer in RANK for p in (root / layer).rglob("*") if p.suffix in SOURCES)
    print(f"layers: {checked} files checked, {len(found)} include(s) pointing up a layer")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
