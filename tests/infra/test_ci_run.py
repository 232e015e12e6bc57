""".ci/run on a clean machine: it installs Debian's chromium for the browser tests when it is
missing and the machine can (root, apt-get), then runs ``make test``; a failed install is said on
stderr and never fails the run. The script runs for real, with ``id``, ``apt-get``, ``make`` and
``chromium`` replaced by stubs on an otherwise empty ``PATH`` that log how they were called."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "run"
BASH = shutil.which("bash")
# What the script needs from the system besides the stubs.
REAL_TOOLS = ("dirname", "timeout")

pytestmark = pytest.mark.skipif(BASH is None, reason="bash is not installed")


@dataclass(frozen=True, slots=True)
class Run:
    status: int
    stderr: str
    calls: list[str]
    """One line per stub call: its name and arguments."""
    chromium_installed: bool


def stub(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text(f'#!{BASH}\necho "{name} $*" >> "$CALLS"\n{body}\n', encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def run_ci(
    tmp_path: Path,
    *,
    uid: int = 0,
    apt_get: str | None = "ok",
    chromium: str | None = None,
    make_status: int = 0,
) -> Run:
    """``apt-get``: ``ok`` (installs a working chromium), ``fails`` (downloads nothing),
    ``breaks`` (leaves a chromium that does not start), None (absent). ``chromium``: ``works``
    or None (absent)."""
    checkout = tmp_path / "checkout"
    (checkout / ".ci").mkdir(parents=True)
    shutil.copy(SCRIPT, checkout / ".ci" / "run")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in REAL_TOOLS:
        real = shutil.which(tool)
        assert real is not None, tool
        (bin_dir / tool).symlink_to(real)
    # The stubs' own tools, by absolute path: the script's PATH holds only bin_dir.
    cat, chmod, rm = (shutil.which(tool) for tool in ("cat", "chmod", "rm"))
    working_chromium = (
        f'{cat} > "{bin_dir}/chromium" <<"EOF"\n#!{BASH}\nexit 0\nEOF\n{chmod} +x "{bin_dir}/chromium"'
    )
    broken_chromium = working_chromium.replace("exit 0", "exit 1")
    stub(bin_dir, "id", f'[ "$1" = -u ] && echo {uid}')
    stub(bin_dir, "make", f'pwd >> "$CALLS"\nexit {make_status}')
    if apt_get is not None:
        install = {
            "ok": working_chromium,
            "fails": "exit 100",
            "breaks": broken_chromium + "\nexit 100",
        }[apt_get]
        stub(
            bin_dir,
            "apt-get",
            f'case "$1 $2" in\n  "install -y") {install} ;;\n  "remove -y") {rm} -f "{bin_dir}/chromium" ;;\nesac',
        )
    if chromium == "works":
        stub(bin_dir, "chromium", "exit 0")
    calls = tmp_path / "calls"
    calls.touch()
    assert BASH is not None
    done = subprocess.run(
        [BASH, str(checkout / ".ci" / "run")],
        env={"PATH": str(bin_dir), "CALLS": str(calls), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,  # only stops a hung script; nothing is timed
        check=False,
    )
    return Run(
        done.returncode,
        done.stderr,
        calls.read_text(encoding="utf-8").splitlines(),
        os.access(bin_dir / "chromium", os.X_OK),
    )


def apt_calls(run: Run) -> list[str]:
    return [call for call in run.calls if call.startswith("apt-get")]


def test_installs_chromium_when_missing_then_runs_make_test_in_the_checkout(tmp_path: Path) -> None:
    run = run_ci(tmp_path)
    assert run.status == 0
    assert apt_calls(run) == ["apt-get update -q", "apt-get install -y -q chromium"]
    assert run.chromium_installed
    assert run.calls[-2:] == ["make test", str(tmp_path / "checkout")]
    assert "installing Debian's chromium package" in run.stderr


def test_a_failed_install_is_said_and_make_test_still_runs(tmp_path: Path) -> None:
    run = run_ci(tmp_path, apt_get="fails")
    assert run.status == 0
    assert "installing chromium failed; the browser tests will skip" in run.stderr
    assert run.calls[-2] == "make test"
    assert not run.chromium_installed


def test_a_browser_left_broken_by_a_failed_install_is_removed_so_the_tests_skip(
    tmp_path: Path,
) -> None:
    run = run_ci(tmp_path, apt_get="breaks")
    assert run.status == 0
    assert apt_calls(run)[-1] == "apt-get remove -y -q chromium"
    assert not run.chromium_installed
    assert run.calls[-2] == "make test"


@pytest.mark.parametrize(("uid", "apt_get"), [(1000, "ok"), (0, None)])
def test_without_root_or_apt_get_nothing_is_installed_and_make_test_runs(
    tmp_path: Path, uid: int, apt_get: str | None
) -> None:
    run = run_ci(tmp_path, uid=uid, apt_get=apt_get)
    assert run.status == 0
    assert apt_calls(run) == []
    assert "cannot be installed here (needs root and apt-get)" in run.stderr
    assert run.calls[-2] == "make test"


def test_an_installed_chromium_is_left_alone(tmp_path: Path) -> None:
    run = run_ci(tmp_path, chromium="works")
    assert run.status == 0
    assert apt_calls(run) == []
    assert run.stderr == ""


def test_the_status_of_make_test_is_the_status_of_the_run(tmp_path: Path) -> None:
    assert run_ci(tmp_path, make_status=2).status == 2
