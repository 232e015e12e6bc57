"""The Lambda code bundles, one per function, built from the project's packages without Docker.

Each bundle holds the project packages its handler's imports reach (read statically by
``infra/imports.py``: the ingest function gets ``ingest``, ``normalizers`` and
``opensearch_client``, never ``siem_cli`` or ``demo``) plus the third-party distributions the
function needs (:data:`FUNCTIONS`), installed by pip as manylinux aarch64 wheels for CPython
3.12: the exact platform of the Lambdas (python3.12, arm64). boto3 is left out because the
Lambda runtime provides it; so are the command line's own dependencies (tqdm).
``tests/infra/test_bundling.py`` imports each handler from its bundle with nothing else
importable, and checks that every third-party module its code names is provided.

The asset hash is computed here from what decides the bundle's content (package sources,
dependency list, pip target) so that CDK neither fingerprints the whole repository
(``.venv`` included) nor rebuilds when nothing changed.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from infra.imports import ImportGraph

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROVIDED_BY_RUNTIME = frozenset({"boto3", "botocore"})
# The bundle comes first on sys.path, so whatever it holds replaces the runtime's copy for the
# runtime's botocore too: keep botocore's own dependency within the range botocore accepts.
RUNTIME_COMPATIBILITY = ("python-dateutil>=2.1,<3",)
PIP_PLATFORM_ARGS = (
    "--platform",
    "manylinux2014_aarch64",
    "--implementation",
    "cp",
    "--python-version",
    "3.12",
    "--only-binary=:all:",
)
_IGNORED_PARTS = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache", "tests"})


@dataclass(frozen=True, slots=True)
class Function:
    """What one Lambda function's bundle needs besides the packages its handler reaches."""

    requirements: tuple[str, ...]
    """Distributions of ``[project.dependencies]`` (their version ranges are taken from there)."""
    loads_by_name: tuple[str, ...] = ()
    """Packages whose modules the function imports by computed name at run time (the
    normalizers' registry): they count as reached, so their dependencies are checked too."""
    never_imported: tuple[tuple[str, str], ...] = ()
    """``(module, why)``: third-party modules that reached code names only inside a function
    this function never calls, so the bundle leaves them out (the import check reads every
    ``import`` statement, wherever it is; the bundle-alone import test proves the handler still
    loads without them)."""


_NO_PARQUET = (
    "pyarrow",
    "imported only by normalize_object for a Parquet object; this function reads the sources' "
    "specs and fields, and never normalizes an object",
)
_NO_GZIP = (
    "zlib_ng",
    "imported only when normalizers.stream inflates a gzip object; this function never reads one",
)
_ENRICHMENT_IMPORTED = ("iptocc", "maxminddb")
"""Imported by the ``enrichment`` package itself (its ``Enricher``), whatever part a function uses."""
_ENRICHMENT = (*_ENRICHMENT_IMPORTED, "ua-parser", "ua-parser-builtins", "ua-parser-rs")
_NO_USER_AGENTS = (
    "ua_parser",
    "imported only when the enricher parses a user agent; this function never enriches a document",
)
FUNCTIONS: dict[str, Function] = {
    # pyarrow: VPC Flow Logs Parquet objects, loaded through the normalizers' registry.
    # iptocc, maxminddb, ua-parser (+ its rules and Rust resolver): the enrichment of each document.
    # zlib-ng: gzip objects inflated for less CPU (normalizers.stream).
    # stringzilla: the SIMD scans of the JSON splitter (normalizers.framing.json_stream), which
    # every function that loads the normalizers imports.
    "ingest.handler": Function(
        (
            "opensearch-py",
            "orjson",
            "stringzilla",
            "pyarrow",
            "aws-lambda-powertools",
            "zlib-ng",
            *_ENRICHMENT,
        ),
        loads_by_name=("normalizers",),
    ),
    # pyyaml: the rules; prison: Dashboards links in alerts; orjson: the finding investigation.
    # The enrichment: rules check their fields against the index templates, which map it.
    "detections.handler": Function(
        ("opensearch-py", "orjson", "stringzilla", "pyyaml", "prison", *_ENRICHMENT),
        never_imported=(_NO_PARQUET, _NO_GZIP),
    ),
    # The index templates come from the sources' fields definitions (normalizers); prison:
    # the Dashboards links of the field formatters; orjson: the normalizers' JSON framing.
    # iptocc, maxminddb: imported with the enrichment package, whose fields table the templates map.
    "opensearch_assets.custom_resource": Function(
        ("opensearch-py", "orjson", "stringzilla", "prison", *_ENRICHMENT_IMPORTED),
        never_imported=(_NO_PARQUET, _NO_USER_AGENTS, _NO_GZIP),
    ),
    # The Security Hub custom action "Investigate in SIEM": the investigation (orjson; prison:
    # the Dashboards link) over the logs collection, its note through boto3 (the runtime's).
    "investigation.action_handler": Function(
        ("opensearch-py", "orjson", "stringzilla", "prison", *_ENRICHMENT_IMPORTED),
        never_imported=(_NO_PARQUET, _NO_USER_AGENTS, _NO_GZIP),
    ),
    # The monthly report: the detection function's needs (its message attributes are
    # detections.notify's, which loads the detections package), and the account directory.
    "posture.handler": Function(
        ("opensearch-py", "orjson", "stringzilla", "pyyaml", "prison", *_ENRICHMENT),
        never_imported=(_NO_PARQUET, _NO_GZIP),
    ),
    # The account directory from Organizations to S3 (boto3 is the runtime's); orjson: its JSON.
    "enrichment.sync_handler": Function(("orjson", *_ENRICHMENT_IMPORTED), never_imported=(_NO_USER_AGENTS,)),
}
"""Handler module -> its function's needs."""


def canonical_name(name: str) -> str:
    """A distribution name compared the PyPA way (``PyYAML`` = ``pyyaml``, ``a_b`` = ``a-b``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def project_requirements(pyproject: Path = PROJECT_ROOT / "pyproject.toml") -> dict[str, str]:
    """``[project.dependencies]`` by canonical distribution name."""
    with pyproject.open("rb") as handle:
        requirements: list[str] = tomllib.load(handle)["project"]["dependencies"]
    return {_requirement_name(req): req for req in requirements}


def function_requirements(
    handler_module: str, pyproject: Path = PROJECT_ROOT / "pyproject.toml"
) -> list[str]:
    """What pip installs into the function's bundle: its distributions with the project's
    version ranges, and the runtime compatibility pins."""
    declared = project_requirements(pyproject)
    names = [canonical_name(name) for name in FUNCTIONS[handler_module].requirements]
    missing = [name for name in names if name not in declared]
    if missing:
        raise ValueError(f"{handler_module}: {missing} not in [project.dependencies]")
    return [*(declared[name] for name in names if name not in PROVIDED_BY_RUNTIME), *RUNTIME_COMPATIBILITY]


def _requirement_name(requirement: str) -> str:
    name = requirement
    for separator in "<>=!~[; ":
        name = name.split(separator, 1)[0]
    return canonical_name(name.strip())


@cache
def _graph(root: Path) -> ImportGraph:
    return ImportGraph(root)


def reached_modules(handler_module: str, root: Path = PROJECT_ROOT) -> set[str]:
    """The project modules the function may import: the handler's import closure, and every
    module of the packages it loads by name."""
    graph = _graph(root)
    reached = graph.closure(handler_module)
    for package in FUNCTIONS[handler_module].loads_by_name:
        for module in graph.modules:
            if module == package or module.startswith(package + "."):
                reached |= graph.closure(module)
    return reached


def bundled_packages(handler_module: str, root: Path = PROJECT_ROOT) -> list[Path]:
    """The top-level project packages the function's bundle holds (whole, so a module loaded
    by a computed name is there too)."""
    tops = sorted({module.partition(".")[0] for module in reached_modules(handler_module, root)})
    return [root / top for top in tops]


def _package_files(package: Path) -> Iterator[Path]:
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if path.is_file() and not _IGNORED_PARTS.intersection(relative.parts) and path.suffix != ".pyc":
            yield path


def tree_hash(directories: Iterable[Path], salt: Iterable[str] = ()) -> str:
    """A SHA-256 over file names and contents, stable across machines and checkouts."""
    digest = hashlib.sha256()
    for item in salt:
        digest.update(item.encode() + b"\0")
    for directory in directories:
        for path in _package_files(directory):
            digest.update(str(path.relative_to(directory.parent)).encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


@jsii.implements(ILocalBundling)
class LocalPythonBundling:
    """Builds the bundle on the machine running ``cdk synth`` (no Docker)."""

    def __init__(self, packages: list[Path], requirements: list[str], install_dependencies: bool) -> None:
        self._packages = packages
        self._requirements = requirements
        self._install_dependencies = install_dependencies

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: object) -> bool:
        output = Path(output_dir)
        for package in self._packages:
            self._copy_package(package, output / package.name)
        if self._install_dependencies and self._requirements:
            self._pip_install(output)
        return True

    @staticmethod
    def _copy_package(package: Path, destination: Path) -> None:
        for path in _package_files(package):
            target = destination / path.relative_to(package)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)

    def _pip_install(self, output: Path) -> None:
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *PIP_PLATFORM_ARGS,
            "--target",
            str(output),
            *self._requirements,
        ]
        subprocess.run(command, check=True)


def lambda_code(handler: str, install_dependencies: bool = True) -> lambda_.Code:
    """The code asset of the function whose handler is ``handler`` (``module.function``)."""
    module = handler.rpartition(".")[0]
    packages = bundled_packages(module)
    requirements = function_requirements(module) if install_dependencies else []
    asset_hash = tree_hash(packages, salt=[*requirements, *PIP_PLATFORM_ARGS, str(install_dependencies)])
    return lambda_.Code.from_asset(
        # The source path is never read: the custom hash replaces fingerprinting and the
        # local bundler copies the packages itself.
        str(PROJECT_ROOT),
        asset_hash=asset_hash,
        asset_hash_type=AssetHashType.CUSTOM,
        bundling=BundlingOptions(
            # Never pulled: local bundling always succeeds, so CDK does not fall back to Docker.
            image=DockerImage.from_registry("public.ecr.aws/sam/build-python3.12"),
            local=LocalPythonBundling(packages, requirements, install_dependencies),
        ),
    )
