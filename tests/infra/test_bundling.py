"""The Lambda bundles: per function, the project packages its handler reaches plus the
aarch64/cp312 wheels it needs, built without Docker; never the command line."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import sysconfig
import zipfile
from importlib.metadata import packages_distributions, requires
from pathlib import Path

import pytest
from aws_cdk import DockerImage
from packaging.requirements import Requirement

from infra.account_sync import SYNC_HANDLER
from infra.assets_installer import INSTALLER_HANDLER
from infra.bundling import (
    FUNCTIONS,
    PROJECT_ROOT,
    PROVIDED_BY_RUNTIME,
    LocalPythonBundling,
    bundled_packages,
    canonical_name,
    function_requirements,
    project_requirements,
    reached_modules,
    tree_hash,
)
from infra.detection import DETECTION_HANDLER
from infra.handoffs import ACTION_HANDLER
from infra.imports import STDLIB, ImportGraph
from infra.ingest_pipeline import INGEST_HANDLER
from infra.reports import REPORT_HANDLER
from tests import test_layers as layers
from tests.infra.cfn import render, resources
from tests.infra.conftest import Assembly

IMAGE = DockerImage.from_registry("never-pulled")
HANDLERS = [
    INGEST_HANDLER,
    DETECTION_HANDLER,
    INSTALLER_HANDLER,
    SYNC_HANDLER,
    ACTION_HANDLER,
    REPORT_HANDLER,
]
CLI_ONLY_PACKAGES = {"siem_cli", "demo", "infra", "tests", "benchmarks"}
CLI_ONLY_DISTRIBUTIONS = {"tqdm"}


def make_wheel(directory: Path, name: str, tag: str) -> Path:
    """A minimal valid wheel, so pip can install offline from ``directory``."""
    files = {
        f"{name}/__init__.py": b"VALUE = 42\n",
        f"{name}-1.0.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode(),
        f"{name}-1.0.dist-info/WHEEL": f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n".encode(),
    }
    record = [
        f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}"
        for path, data in files.items()
    ]
    files[f"{name}-1.0.dist-info/RECORD"] = (
        "\n".join([*record, f"{name}-1.0.dist-info/RECORD,,"]) + "\n"
    ).encode()
    wheel = directory / f"{name}-1.0-{tag}.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


@pytest.fixture
def offline_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    index = tmp_path / "wheels"
    index.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    return index


def _module(handler: str) -> str:
    return handler.rpartition(".")[0]


def _with_dependencies(names: set[str]) -> set[str]:
    """``names`` and every distribution they require (installed metadata; extras left out)."""
    found: set[str] = set()
    pending = [canonical_name(name) for name in names]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found.add(name)
        for text in requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(canonical_name(requirement.name))
    return found


def _importable_names(distributions: set[str]) -> set[str]:
    """Top-level module names the given distributions install."""
    return {
        top
        for top, owners in packages_distributions().items()
        if any(canonical_name(owner) in distributions for owner in owners)
    }


def _provided(handler: str) -> set[str]:
    """What the function can import: its declared distributions and the runtime's boto3,
    with everything they require."""
    return _with_dependencies({*FUNCTIONS[_module(handler)].requirements, *PROVIDED_BY_RUNTIME})


def test_every_handler_of_the_stack_has_its_function_needs_declared_and_its_layer() -> None:
    assert set(FUNCTIONS) == {_module(handler) for handler in HANDLERS} == layers.HANDLERS


@pytest.mark.parametrize("handler", HANDLERS)
def test_requirements_come_from_the_project_and_leave_boto3_and_the_cli_out(handler: str) -> None:
    requirements = function_requirements(_module(handler))
    declared = set(project_requirements().values())
    names = {Requirement(text).name for text in requirements}
    assert not names & {*PROVIDED_BY_RUNTIME, *CLI_ONLY_DISTRIBUTIONS}
    assert all(text in declared for text in requirements if not text.startswith("python-dateutil"))
    # botocore in the runtime needs python-dateutil < 3; the bundle shadows the runtime's copy.
    assert "python-dateutil>=2.1,<3" in requirements
    # Parquet VPC Flow Logs need pyarrow (133 MB): only the ingest function carries it.
    assert ("pyarrow" in names) == (handler == INGEST_HANDLER)


@pytest.mark.parametrize("handler", HANDLERS)
def test_each_bundle_holds_the_packages_its_handler_reaches_and_never_the_cli(handler: str) -> None:
    names = {package.name for package in bundled_packages(_module(handler))}
    assert handler.partition(".")[0] in names
    # Every function but the account sync (Organizations -> S3) talks to OpenSearch.
    assert ("opensearch_client" in names) == (handler != SYNC_HANDLER)
    assert not names & CLI_ONLY_PACKAGES


def test_the_packages_a_bundle_holds_are_those_reached_by_the_imports() -> None:
    assert [p.name for p in bundled_packages("ingest.handler")] == [
        "enrichment",
        "ingest",
        "normalizers",
        "opensearch_client",
    ]
    # The detections explain finding alerts with an investigation and link to its dashboard.
    assert "investigation.investigator" in reached_modules("detections.handler")
    # The investigation renders its HTML page on the shared shell: any bundle that holds
    # investigation (or posture) holds html_pages too (standard library only: no distribution).
    assert "html_pages" in {p.name for p in bundled_packages("detections.handler")}
    # The account sync reaches the enrichment package alone.
    assert [p.name for p in bundled_packages("enrichment.sync_handler")] == ["enrichment"]
    # The index templates are generated from the sources' fields definitions and the enrichment's.
    assert [p.name for p in bundled_packages("opensearch_assets.custom_resource")] == [
        "enrichment",
        "normalizers",
        "opensearch_assets",
        "opensearch_client",
    ]


@pytest.mark.parametrize("handler", HANDLERS)
def test_every_third_party_module_a_function_names_is_provided(handler: str) -> None:
    graph = ImportGraph(PROJECT_ROOT)
    named: dict[str, list[str]] = {}
    for module in reached_modules(_module(handler)):
        for top in graph.third_party(module):
            named.setdefault(top, []).append(module)
    never_imported = dict(FUNCTIONS[_module(handler)].never_imported)
    missing = {
        top: modules
        for top, modules in named.items()
        if top not in _importable_names(_provided(handler)) and top not in never_imported
    }
    assert not missing, (
        f"{handler}: imported but not in its bundle's requirements (infra/bundling.py): {missing}"
    )


def test_copy_only_bundle_holds_the_packages_without_caches(tmp_path: Path) -> None:
    packages = bundled_packages("ingest.handler")
    LocalPythonBundling(packages, ["never-installed"], install_dependencies=False).try_bundle(
        str(tmp_path), image=IMAGE
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in packages)
    assert not list(tmp_path.rglob("__pycache__")) and not list(tmp_path.rglob("*.pyc"))
    assert (tmp_path / "normalizers" / "base.py").read_bytes() == (
        PROJECT_ROOT / "normalizers" / "base.py"
    ).read_bytes()


def test_pip_step_installs_pure_wheels_into_the_bundle(tmp_path: Path, offline_index: Path) -> None:
    make_wheel(offline_index, "siemtinydep", "py3-none-any")
    output = tmp_path / "bundle"
    output.mkdir()
    LocalPythonBundling([], ["siemtinydep"], install_dependencies=True).try_bundle(str(output), image=IMAGE)
    assert (output / "siemtinydep" / "__init__.py").read_text() == "VALUE = 42\n"


def test_pip_step_accepts_aarch64_cp312_and_refuses_x86_64(tmp_path: Path, offline_index: Path) -> None:
    make_wheel(offline_index, "siemarmdep", "cp312-cp312-manylinux2014_aarch64")
    make_wheel(offline_index, "siemx86dep", "cp312-cp312-manylinux2014_x86_64")
    output = tmp_path / "bundle"
    output.mkdir()
    LocalPythonBundling([], ["siemarmdep"], install_dependencies=True).try_bundle(str(output), image=IMAGE)
    assert (output / "siemarmdep" / "__init__.py").is_file()
    with pytest.raises(subprocess.CalledProcessError):
        LocalPythonBundling([], ["siemx86dep"], install_dependencies=True).try_bundle(
            str(output), image=IMAGE
        )


def test_tree_hash_follows_content_and_ignores_caches(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "__pycache__").mkdir(parents=True)
    (package / "__init__.py").write_text("A = 1\n")
    before = tree_hash([package])
    (package / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    assert tree_hash([package]) == before
    (package / "__init__.py").write_text("A = 2\n")
    assert tree_hash([package]) != before
    assert tree_hash([package], salt=["pyarrow>=15"]) != tree_hash([package])


# Run with ``python -S`` (no site-packages, so not the project's editable install): the bundle
# first on sys.path, then site-packages behind a finder that refuses every distribution the
# function does not declare (tqdm, moto, pysigma, ...), as if it were not installed.
_IMPORT_FROM_BUNDLE = """
import importlib, importlib.abc, json, pkgutil, sys
bundle, site, module, function, refused, loads_by_name = json.loads(sys.argv[1])
refused = frozenset(refused)

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in refused:
            raise ModuleNotFoundError(f"{name} is not in this function's bundle", name=name)
        return None

sys.path[:] = [bundle, *(p for p in sys.path if p), *site]
sys.meta_path.insert(0, Refuse())
handler = getattr(importlib.import_module(module), function)
assert callable(handler), f"{module}.{function} is not callable"
for package in loads_by_name:
    for found in pkgutil.walk_packages(importlib.import_module(package).__path__, package + "."):
        importlib.import_module(found.name)
print(json.dumps(sorted(name for name in sys.modules if name.partition(".")[0] in ("siem_cli", "demo", "tqdm"))))
"""


@pytest.mark.slow
@pytest.mark.parametrize("handler", HANDLERS)
def test_each_handler_imports_from_its_synthesized_bundle_alone(
    assembly: Assembly, handler: str, tmp_path: Path
) -> None:
    functions = resources(assembly.template("AwsSiem"), "AWS::Lambda::Function").values()
    [props] = [f["Properties"] for f in functions if f["Properties"].get("Handler") == handler]
    bundle = assembly.asset_directory(render(props["Code"]["S3Key"]).removesuffix(".zip"))
    module, _, function = handler.rpartition(".")
    assert sorted(p.name for p in bundle.iterdir()) == [p.name for p in bundled_packages(module)]
    first_party = ImportGraph(PROJECT_ROOT).packages
    refused = set(packages_distributions()) - _importable_names(_provided(handler)) - STDLIB - first_party
    site = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    arguments = [str(bundle), site, module, function, sorted(refused), FUNCTIONS[module].loads_by_name]
    answer = subprocess.run(
        [sys.executable, "-S", "-c", _IMPORT_FROM_BUNDLE, json.dumps(arguments)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert answer.returncode == 0, f"{handler} does not import from its bundle alone:\n{answer.stderr}"
    assert json.loads(answer.stdout) == []
