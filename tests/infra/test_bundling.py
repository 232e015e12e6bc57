"""The Lambda bundle: the project's packages plus aarch64/cp312 wheels, built without Docker."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import zipfile
from pathlib import Path

import pytest
from aws_cdk import DockerImage

from infra.assets_installer import INSTALLER_HANDLER
from infra.bundling import (
    PROJECT_ROOT,
    LocalPythonBundling,
    existing_packages,
    runtime_dependencies,
    tree_hash,
)
from infra.detection import DETECTION_HANDLER
from infra.ingest_pipeline import INGEST_HANDLER
from tests.infra.cfn import render, resources
from tests.infra.conftest import Assembly

IMAGE = DockerImage.from_registry("never-pulled")


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


def test_runtime_dependencies_leave_boto3_to_the_lambda_runtime() -> None:
    names = [req.split(">")[0].split("=")[0].split("<")[0].strip() for req in runtime_dependencies()]
    assert "boto3" not in names and "botocore" not in names
    assert {"opensearch-py", "orjson", "pyarrow", "aws-lambda-powertools"} <= set(names)
    # botocore in the runtime needs python-dateutil < 3; the bundle shadows the runtime's copy.
    assert "python-dateutil>=2.1,<3" in runtime_dependencies()


def test_copy_only_bundle_holds_the_packages_without_caches(tmp_path: Path) -> None:
    packages = existing_packages()
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


@pytest.mark.slow
@pytest.mark.parametrize("handler", [INGEST_HANDLER, DETECTION_HANDLER, INSTALLER_HANDLER])
def test_each_handler_is_a_function_of_the_synthesized_bundle(assembly: Assembly, handler: str) -> None:
    functions = resources(assembly.template("AwsSiem"), "AWS::Lambda::Function").values()
    [props] = [f["Properties"] for f in functions if f["Properties"].get("Handler") == handler]
    bundle = assembly.asset_directory(render(props["Code"]["S3Key"]).removesuffix(".zip"))
    module, _, function = handler.rpartition(".")
    source = (bundle / module.replace(".", "/")).with_suffix(".py")
    assert source.is_file(), f"{handler}: {source.relative_to(bundle)} is missing from the project's packages"
    assert f"def {function}(" in source.read_text()
