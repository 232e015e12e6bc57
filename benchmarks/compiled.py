"""The CloudTrail bulk path with the normalizers compiled by mypyc, against the pure path (issue 15.2).

An on-demand study, not part of ``make test``, ``make bench`` nor CI: it copies ``normalizers/``
into a temporary directory, compiles the hot modules there with mypyc (it ships with mypy, a
development dependency; the C compiler is the machine's), and runs ``python -m
benchmarks.cloudtrail`` alternately against the pure tree and the compiled copy, pure first in
one pair and compiled first in the next (A B B A...), each run its own process, so that the
load of a shared machine falls on both sides alike. It prints each run's paired ratios to the
ceiling (``paired_user_ratio_to_ceiling`` is the one to read: docs/sources/cloudtrail.md), and
which file each run imported ``normalizers.cloudtrail.mapping`` from, so that a run of the
wrong tree cannot pass for the other. Build output stays in the temporary directory: nothing
is written to the work tree.

Why a copy of the package alone: the compiled modules must be the ones imported, and a
module's own directory wins over ``PYTHONPATH`` (``sys.path[0]`` is the working directory under
``-c`` and ``-m``), so each run starts in the tree it measures, and the compiled run finds the
rest of the project through ``PYTHONPATH``. A copy holds no ``pyproject.toml``, which the
setuptools that mypyc drives would read (and, at 65, reject for its ``license`` string).

Run: ``python -m benchmarks.compiled [--pairs N] [--keep DIR] [--modules M ...] [--extended] [-- ARGS]``;
ARGS go to ``benchmarks.cloudtrail`` (default ``--records 40000 --rounds 8 --repeat 1``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
HOT_MODULES = (
    "normalizers/cloudtrail/mapping.py",
    "normalizers/cloudtrail/actor.py",
    "normalizers/cloudtrail/targets.py",
    "normalizers/cloudtrail/categorize.py",
    "normalizers/cloudtrail/tables.py",
    "normalizers/ecs/actor.py",
    "normalizers/ecs/address.py",
    "normalizers/ecs/getters.py",
    "normalizers/ecs/ids.py",
    "normalizers/ecs/names.py",
    "normalizers/ecs/timestamps.py",
    "normalizers/ecs/values.py",
    "normalizers/ecs/bounded.py",
)
"""What mypyc compiles by default: the generic mapping and the helpers it and the generated
builders call (the builders themselves are exec'd at run time, out of mypyc's reach)."""
EXTENDED_MODULES = (
    "normalizers/cloudtrail/compiled.py",
    "normalizers/cloudtrail/credentials.py",
    "normalizers/framing/json_stream.py",
    "normalizers/loop.py",
)
"""The rest of the hot path, which mypyc compiles too (``--extended``): the builders' dispatcher,
the secret screen, the streaming splitter and the per-record loop."""
MYPY_CONFIG = "[mypy]\npython_version = {version}\nignore_missing_imports = True\n"
"""pyproject.toml's settings that mypyc needs: stringzilla ships no type stubs."""
DEFAULT_BENCH_ARGS = ("--records", "40000", "--rounds", "8", "--repeat", "1")
PROBE = "normalizers.cloudtrail.mapping"
RUN = (
    "import importlib, json, runpy, sys\n"
    f"print(json.dumps({{'imported': importlib.import_module({PROBE!r}).__file__}}))\n"
    "sys.argv = ['benchmarks.cloudtrail', *sys.argv[1:]]\n"
    "runpy.run_module('benchmarks.cloudtrail', run_name='__main__')\n"
)


def build(target: Path, modules: tuple[str, ...] = HOT_MODULES) -> Path:
    """Copy ``normalizers/`` into ``target`` and compile ``modules`` (paths relative to the
    project) there in place; returns ``target``. Raises if mypyc fails or leaves a module
    uncompiled."""
    shutil.copytree(
        PROJECT / "normalizers", target / "normalizers", ignore=shutil.ignore_patterns("__pycache__")
    )
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    (target / "mypy.ini").write_text(MYPY_CONFIG.format(version=version))
    # mypyc's own output (the compiler's lines) goes to stderr: stdout carries the rows alone.
    subprocess.run([sys.executable, "-m", "mypyc", *modules], cwd=target, check=True, stdout=sys.stderr)
    for module in modules:
        built = list((target / module).parent.glob(Path(module).stem + ".*.so"))
        if not built:
            raise RuntimeError(f"mypyc left {module} uncompiled")
    return target


def bench(tree: Path, bench_args: tuple[str, ...]) -> dict[str, Any]:
    """One run of ``benchmarks.cloudtrail`` whose ``normalizers`` come from ``tree`` (the
    project or a compiled copy): the module file it imported and the benchmark's rows."""
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(dict.fromkeys([str(tree), str(PROJECT)])))
    output = subprocess.run(
        [sys.executable, "-c", RUN, *bench_args],
        cwd=tree,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    decoder, position, values = json.JSONDecoder(), 0, []
    while (position := _skip_blanks(output, position)) < len(output):
        value, position = decoder.raw_decode(output, position)
        values.append(value)
    return {"imported": values[0]["imported"], "rows": values[1:]}


def _skip_blanks(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def main() -> None:
    parser = argparse.ArgumentParser(description="CloudTrail bulk path, pure vs mypyc-compiled (on demand)")
    parser.add_argument("--pairs", type=int, default=2, help="pure/compiled pairs of runs (default 2)")
    parser.add_argument("--keep", type=Path, help="build into this new directory and keep it")
    parser.add_argument("--modules", nargs="+", default=list(HOT_MODULES), help="modules to compile")
    parser.add_argument("--extended", action="store_true", help="compile EXTENDED_MODULES too")
    parser.add_argument("bench_args", nargs="*", help="arguments for benchmarks.cloudtrail (after --)")
    args = parser.parse_args()
    bench_args = tuple(args.bench_args) or DEFAULT_BENCH_ARGS
    with tempfile.TemporaryDirectory(prefix="mypyc-") as scratch:
        modules = tuple(args.modules) + (EXTENDED_MODULES if args.extended else ())
        compiled = build(args.keep or Path(scratch), modules)
        for pair in range(args.pairs):
            order = [("pure", PROJECT), ("compiled", compiled)]
            for variant, tree in order if pair % 2 == 0 else reversed(order):
                run = bench(tree, bench_args)
                if (variant == "compiled") != run["imported"].endswith(".so"):
                    raise RuntimeError(f"the {variant} run imported {run['imported']}")
                for row in run["rows"]:
                    print(
                        json.dumps(
                            {
                                "variant": variant,
                                "pair": pair,
                                "name": row["name"],
                                "paired_user_ratio_to_ceiling": row.get("paired_user_ratio_to_ceiling"),
                                "paired_user_ratio_to_ceiling_spread": row.get(
                                    "paired_user_ratio_to_ceiling_spread"
                                ),
                                "paired_ratio_to_ceiling": row.get("paired_ratio_to_ceiling"),
                                "records_per_second": row["records_per_second"],
                                "map_us_per_record": row["map_us_per_record"],
                                "load_average": round(os.getloadavg()[0], 2),
                            }
                        ),
                        flush=True,
                    )


if __name__ == "__main__":
    main()
