"""One Lambda code bundle built from the project's own packages, without Docker.

The bundle holds the project's packages (copied, never duplicated in the repo) plus the
runtime dependencies from ``[project.dependencies]``, installed by pip as manylinux
aarch64 wheels for CPython 3.12: the exact platform of the Lambdas (python3.12, arm64).
boto3 is left out because the Lambda runtime provides it.

The asset hash is computed here from what decides the bundle's content (package sources,
dependency list, pip target) so that CDK neither fingerprints the whole repository
(``.venv`` included) nor rebuilds when nothing changed.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ingest", "normalizers", "opensearch_assets", "detections", "investigation")
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


def runtime_dependencies(pyproject: Path = PROJECT_ROOT / "pyproject.toml") -> list[str]:
    """The project's runtime requirements minus what the Lambda runtime already has."""
    with pyproject.open("rb") as handle:
        requirements: list[str] = tomllib.load(handle)["project"]["dependencies"]
    kept = [req for req in requirements if _requirement_name(req) not in PROVIDED_BY_RUNTIME]
    return [*kept, *RUNTIME_COMPATIBILITY]


def _requirement_name(requirement: str) -> str:
    name = requirement
    for separator in "<>=!~[; ":
        name = name.split(separator, 1)[0]
    return name.strip().lower()


def existing_packages(root: Path = PROJECT_ROOT, names: Iterable[str] = PACKAGES) -> list[Path]:
    """The project packages present in this checkout (one may not be written yet)."""
    return [root / name for name in names if (root / name / "__init__.py").is_file()]


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


def lambda_code(install_dependencies: bool = True) -> lambda_.Code:
    """The code asset shared by every Lambda of the stack (one upload, three handlers)."""
    packages = existing_packages()
    requirements = runtime_dependencies() if install_dependencies else []
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
