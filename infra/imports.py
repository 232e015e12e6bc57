"""The project's import graph, read statically with ``ast`` (nothing is imported).

Two users: the Lambda bundles (``infra/bundling.py``) hold the packages a handler's imports
reach, and ``tests/test_layers.py`` refuses an import from a lower layer to a higher one.
Every ``import`` statement counts, wherever it is (inside a function, under ``TYPE_CHECKING``):
what a module may import is what it names. Imports made by ``importlib`` with a computed name
are not seen; the bundles copy whole packages, so such a module is still shipped.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

STDLIB = frozenset(sys.stdlib_module_names)


@dataclass(frozen=True, slots=True)
class Import:
    """``module`` (a file of the project) imports ``target`` at ``line``."""

    module: str
    target: str
    """The imported module, resolved to a file when it is one of the project (``ingest.config``
    for ``from ingest.config import Settings``, ``ingest.config`` for ``from ingest import
    config``); the imported name as written otherwise."""
    line: int

    @property
    def top(self) -> str:
        return self.target.partition(".")[0]


class ImportGraph:
    """The modules of the first-party packages under ``root`` and what each one imports."""

    def __init__(self, root: Path, packages: frozenset[str] | None = None) -> None:
        self.root = root
        self.packages = packages if packages is not None else discover_packages(root)

    @cached_property
    def modules(self) -> dict[str, Path]:
        """Module name -> file, for every module of the first-party packages."""
        found: dict[str, Path] = {}
        for package in sorted(self.packages):
            for path in sorted((self.root / package).rglob("*.py")):
                if "__pycache__" not in path.parts:
                    found[module_name(path, self.root)] = path
        return found

    def imports(self, module: str) -> list[Import]:
        """Every import of ``module``, in file order."""
        path = self.modules[module]
        tree = ast.parse(path.read_bytes(), filename=str(path))
        return [
            Import(module, resolved, node.lineno)
            for node, target, names in _statements(tree, module, path.name == "__init__.py")
            for resolved in self._resolve(target, names)
        ]

    def first_party(self, module: str) -> list[Import]:
        return [found for found in self.imports(module) if found.top in self.packages]

    def third_party(self, module: str) -> set[str]:
        """Top-level names of the imported modules that are neither the project's nor stdlib."""
        tops = {found.top for found in self.imports(module)}
        return {top for top in tops if top not in self.packages and top not in STDLIB and top != "__future__"}

    def closure(self, start: str) -> set[str]:
        """``start`` and every project module its imports reach, with the packages' ``__init__``
        modules that importing them runs."""
        seen: set[str] = set()
        pending = [start]
        while pending:
            module = pending.pop()
            for name in [*_parents(module), module]:
                if name in self.modules and name not in seen:
                    seen.add(name)
                    pending.extend(found.target for found in self.first_party(name))
        return seen

    def _resolve(self, target: str, names: tuple[str, ...]) -> list[str]:
        """``from target import a, b``: the submodules ``target.a``, ``target.b`` that are
        modules, and ``target`` itself for the names that are not."""
        submodules = [f"{target}.{name}" for name in names if f"{target}.{name}" in self.modules]
        return submodules if len(submodules) == len(names) and names else [*submodules, target]


def discover_packages(root: Path) -> frozenset[str]:
    """The top-level packages of the project (folders with an ``__init__.py``)."""
    return frozenset(
        path.parent.name for path in root.glob("*/__init__.py") if not path.parent.name.startswith(".")
    )


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _parents(module: str) -> Iterator[str]:
    parts = module.split(".")
    for end in range(1, len(parts)):
        yield ".".join(parts[:end])


def _statements(
    tree: ast.AST, module: str, is_package: bool
) -> Iterator[tuple[ast.stmt, str, tuple[str, ...]]]:
    """(statement, imported module, names imported from it) for each import in ``tree``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            yield node, base, tuple(alias.name for alias in node.names)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])
