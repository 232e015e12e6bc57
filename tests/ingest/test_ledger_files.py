"""The CLI's ledgers (issue 19): one per destination in the user's state folder, whatever the
working folder; a ledger refuses another destination; a legacy ``.siem/ledger.sqlite`` in the
working folder is refused with a message, or merged on request."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.ledger import SqliteLedger, WrongLedger
from ingest.ledger_files import (
    LEGACY_LEDGER,
    Destination,
    LegacyLedgerFound,
    cli_ledger,
    default_ledger_path,
    state_directory,
)

KEY = "s3://bucket/AWSLogs/x.json.gz#etag-1"
ENDPOINT = "https://abc123.us-east-1.aoss.amazonaws.com"


def test_one_endpoint_has_one_destination_however_it_is_spelled() -> None:
    same = {
        Destination.of(spelling, "siem-")
        for spelling in (
            ENDPOINT,
            f"{ENDPOINT}/",
            ENDPOINT.upper().replace("HTTPS", "https"),
            f"{ENDPOINT}:443",
        )
    }
    assert same == {Destination("https://abc123.us-east-1.aoss.amazonaws.com:443", "siem-")}
    assert Destination.of("http://127.0.0.1:9200", "siem-") == Destination.of("127.0.0.1:9200", "siem-")


def test_each_endpoint_and_each_index_prefix_has_its_own_ledger_file() -> None:
    environ = {"XDG_STATE_HOME": "/state"}
    paths = {
        default_ledger_path(Destination.of(endpoint, prefix), environ)
        for endpoint in (ENDPOINT, "https://other.us-east-1.aoss.amazonaws.com", "http://127.0.0.1:9200")
        for prefix in ("siem-", "test-")
    }
    assert len(paths) == 6
    assert all(path.parent == Path("/state/siem/ledgers") for path in paths)
    local = default_ledger_path(Destination.of("http://127.0.0.1:9200", "siem-"), environ)
    assert local.name.startswith("127.0.0.1_9200_siem_") and local.suffix == ".sqlite"


def test_the_state_folder_follows_the_xdg_base_directory_specification(tmp_path: Path) -> None:
    home = Path.home()
    assert state_directory({"XDG_STATE_HOME": str(tmp_path)}) == tmp_path / "siem"
    assert state_directory({}) == home / ".local" / "state" / "siem"
    assert state_directory({"XDG_STATE_HOME": ""}) == home / ".local" / "state" / "siem"
    # "If an implementation encounters a relative path in any of these variables it should
    # consider the path invalid and ignore it."
    assert state_directory({"XDG_STATE_HOME": "relative/state"}) == home / ".local" / "state" / "siem"


def test_a_ledger_file_serves_the_destination_it_first_recorded(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    first = str(Destination.of(ENDPOINT, "siem-"))
    SqliteLedger(path, first).close()
    SqliteLedger(path, first).close()  # the same destination again: fine
    with pytest.raises(WrongLedger, match="records writes into https://abc123"):
        SqliteLedger(path, str(Destination.of("http://127.0.0.1:9200", "siem-")))
    with pytest.raises(WrongLedger):
        SqliteLedger(path, str(Destination.of(ENDPOINT, "other-")))


def _legacy_ledger(folder: Path, finished: list[str], partly: dict[str, int]) -> Path:
    """A ledger as an earlier version left it in the working folder (no destination recorded)."""
    path = folder / LEGACY_LEDGER
    path.parent.mkdir(parents=True)
    legacy = SqliteLedger(path)
    for key in finished:
        legacy.claim(key, "cli@old-host", 3600, 4000)
        legacy.ack_chunk(key, "cli@old-host", 0, indexed=10, dead_lettered=1)
        legacy.finish(key, "cli@old-host")
    for key, chunks in partly.items():
        legacy.claim(key, "cli@old-host", 3600, 4000)  # a live lease of the old format
        for chunk in range(chunks):
            legacy.ack_chunk(key, "cli@old-host", chunk, indexed=4000, dead_lettered=0)
    legacy.close()
    return path


def test_a_legacy_ledger_in_the_working_folder_is_refused_with_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _legacy_ledger(tmp_path, ["a#1"], {})
    destination = Destination.of(ENDPOINT, "siem-")
    environ = {"XDG_STATE_HOME": str(tmp_path / "state")}

    with pytest.raises(LegacyLedgerFound) as refused:
        cli_ledger(destination, None, migrate=False, environ=environ)

    message = str(refused.value)
    assert str(LEGACY_LEDGER) in message and "--migrate-ledger" in message and str(destination) in message
    assert str(default_ledger_path(destination, environ)) in message
    assert (tmp_path / LEGACY_LEDGER).exists()
    # --ledger names the file to use: no question to ask.
    assert (
        cli_ledger(destination, tmp_path / "mine.sqlite", migrate=False, environ=environ)
        == tmp_path / "mine.sqlite"
    )


def test_a_migrated_legacy_ledger_keeps_every_object_at_its_furthest_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _legacy_ledger(tmp_path, ["done-there#1", "done-both#1"], {"further-there#1": 2, "further-here#1": 1})
    destination = Destination.of(ENDPOINT, "siem-")
    environ = {"XDG_STATE_HOME": str(tmp_path / "state")}
    target = default_ledger_path(destination, environ)
    target.parent.mkdir(parents=True)
    current = SqliteLedger(target, str(destination))
    current.claim("done-both#1", "run", 60, 4000)
    current.finish("done-both#1", "run")
    current.claim("further-here#1", "run", 60, 4000)
    for chunk in range(3):
        current.ack_chunk("further-here#1", "run", chunk, indexed=4000, dead_lettered=0)
    current.release("further-here#1", "run")
    current.close()

    assert cli_ledger(destination, None, migrate=True, environ=environ) == target

    merged = SqliteLedger(target, str(destination))
    progress = {
        key: merged.progress(key)
        for key in ("done-there#1", "done-both#1", "further-there#1", "further-here#1")
    }
    assert all(progress.values())
    assert progress["done-there#1"].finished and progress["done-there#1"].indexed == 10  # type: ignore[union-attr]
    assert progress["done-both#1"].finished  # type: ignore[union-attr]
    assert progress["further-there#1"].chunks_done == 2  # type: ignore[union-attr]
    assert progress["further-here#1"].chunks_done == 3  # type: ignore[union-attr]
    # The old lease (owner "cli@old-host", an hour long) does not keep a run of today out.
    assert merged.claim("further-there#1", "a-new-run", 60, 4000).chunks_done == 2
    assert not (tmp_path / LEGACY_LEDGER).exists()
    assert (tmp_path / ".siem" / "ledger.sqlite.migrated").exists()
    assert cli_ledger(destination, None, migrate=False, environ=environ) == target  # asked once


def test_a_legacy_ledger_recorded_for_another_destination_is_not_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    legacy = _legacy_ledger(tmp_path, ["a#1"], {})
    SqliteLedger(legacy, str(Destination.of("http://127.0.0.1:9200", "siem-"))).close()  # used with --ledger

    with pytest.raises(WrongLedger):
        cli_ledger(
            Destination.of(ENDPOINT, "siem-"), None, migrate=True, environ={"XDG_STATE_HOME": str(tmp_path)}
        )
    assert legacy.exists()
