"""What the documents point at exists: links to sections (``#anchor``, ``other.md#anchor``) and
files resolve, and every repository path (``ingest/writer.py``) and dotted name
(``ingest.ledger.DynamoLedger``) written in code spans names a file or an object of the code.
Every command a document shows (in a code span or a fenced block) names what exists:
``python -m <module>`` a module, ``python3 scripts/<script>.py`` subcommands and options its
parser has (``siem`` commands: tests/siem_cli/test_doc_commands.py). A renamed heading, a
moved module, a renamed function or a removed option must not leave a reader on a dead
reference."""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = sorted(
    str(path.relative_to(ROOT))
    for path in [ROOT / "README.md", ROOT / "CHANGELOG.md", *(ROOT / "docs").rglob("*.md")]
)
RELEASE = re.compile(r"^## \[\d", re.MULTILINE)
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
"""A code span (CommonMark): a run of backticks to the next run as long; it may wrap a line."""
PACKAGES = sorted(path.parent.name for path in ROOT.glob("*/__init__.py"))
FOLDERS = sorted({*PACKAGES, "docs", "tests", "benchmarks", "scripts", "infra"})
REPOSITORY_PATH = re.compile(rf"(?:{'|'.join(FOLDERS)})/[\w./-]*")
DOTTED_NAME = re.compile(rf"(?:{'|'.join(PACKAGES)})(?:\.\w+)+")
FILE_SUFFIXES = (".html", ".json", ".jsonl", ".ndjson", ".md", ".py", ".yml", ".yaml", ".csv", ".txt")
NOT_REPOSITORY_PATHS = {
    "enrichment/accounts.json": "the account directory's key in the deployed state bucket",
}


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text())
    found = {slug(line.lstrip("#")) for line in text.splitlines() if re.match(r"#{1,6} ", line)}
    return found | set(re.findall(r'<a id="([^"]+)"', text))


def prose(document: str) -> str:
    """The document without its fenced blocks."""
    return FENCE.sub("", (ROOT / document).read_text())


def code_spans(document: str) -> list[str]:
    """The code spans of what describes the code as it is: the CHANGELOG's releases name the
    modules of their time, so only its ``[Unreleased]`` section counts."""
    text = prose(document)
    release = RELEASE.search(text) if document == "CHANGELOG.md" else None
    text = text[: release.start()] if release else text
    return [" ".join(span.group(2).split()) for span in CODE_SPAN.finditer(text)]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_links_resolve(document: str) -> None:
    source = ROOT / document
    broken = []
    for target in LINK.findall(CODE_SPAN.sub("", prose(document))):  # a link in a code span is text
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        file_part, _, anchor = target.partition("#")
        path = (source.parent / file_part).resolve() if file_part else source
        if not path.exists() or (anchor and path.suffix == ".md" and anchor not in anchors(path)):
            broken.append(target)
    assert not broken, f"{document}: {broken}"


@pytest.mark.parametrize("document", DOCUMENTS)
def test_repository_paths_exist(document: str) -> None:
    written = [span for span in code_spans(document) if REPOSITORY_PATH.fullmatch(span)]
    missing = [span for span in written if span not in NOT_REPOSITORY_PATHS and not (ROOT / span).exists()]
    assert not missing, f"{document}: {missing}"


@pytest.mark.parametrize("document", DOCUMENTS)
def test_dotted_names_resolve(document: str) -> None:
    written = {
        span.removesuffix("()")
        for span in code_spans(document)
        if DOTTED_NAME.fullmatch(span.removesuffix("()")) and not span.endswith(FILE_SUFFIXES)
    }
    missing = sorted(name for name in written if not _resolves(name))
    assert not missing, f"{document}: {missing}"


def _resolves(name: str) -> bool:
    """``name`` is a module, or an attribute path from the longest module it starts with."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(found, attribute):
                return False
            found = getattr(found, attribute)
        return True
    return False


SCRIPT_LINE = re.compile(r"python3? (scripts/\w+\.py)\s+([^\n`;|&#)>]*)")
"""A script and its words up to the end of the span or line, a pipe, a comment or a redirection."""
PYTHON_MODULE = re.compile(r"python3? -m ([\w.]+)")
PLACEHOLDER = re.compile(r"[A-Z][A-Z_]*|<.*|.*\.\.\.|\.\.\..*")
"""What stands for a value in a shown command: ``ID``, ``<region>``, ``2121...``."""


GUIDES = [document for document in DOCUMENTS if document != "CHANGELOG.md"]
"""What a user copies commands from; the CHANGELOG records each change as it was written."""


def commands(document: str) -> Iterator[str]:
    """The command lines of a document: its fenced blocks' lines (a trailing backslash joins the
    next) and its code spans."""
    for block in FENCE.findall((ROOT / document).read_text()):
        yield from block.replace("\\\n", " ").splitlines()
    yield from code_spans(document)


@functools.cache
def parser_of(script: str) -> argparse.ArgumentParser:
    """The parser of ``scripts/<name>.py`` (its ``parser()``)."""
    parser: argparse.ArgumentParser = importlib.import_module(
        script.removesuffix(".py").replace("/", ".")
    ).parser()
    return parser


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def unknown_words(parser: argparse.ArgumentParser, words: list[str]) -> list[str]:
    """The subcommand or options among ``words`` that ``parser`` does not have: the words name
    subcommands while it has some, then options (``[--now TIME]`` is ``--now``; ``--a/--b``
    both); values and placeholders are skipped."""
    unknown = []
    for word in (word.strip("[],.") for word in words):
        choices = _subcommands(parser)
        if word in choices:
            parser = choices[word]
        elif word.startswith("--"):
            known = {option for action in parser._actions for option in action.option_strings}
            unknown += [option for option in re.findall(r"--[\w-]+", word) if option not in known]
        elif choices and not word.startswith("-") and not PLACEHOLDER.fullmatch(word):
            unknown.append(word)  # where a subcommand is expected: one the parser does not have
            break
    return unknown


@pytest.mark.parametrize("document", GUIDES)
def test_shown_commands_exist(document: str) -> None:
    broken = []
    for line in commands(document):
        broken += [module for module in PYTHON_MODULE.findall(line) if not _module_exists(module)]
        for script, rest in SCRIPT_LINE.findall(line):
            broken += [
                f"{script} {rest.strip()}: {word}" for word in unknown_words(parser_of(script), rest.split())
            ]
    assert not broken, f"{document}: {broken}"


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # its package does not exist
        return False


def test_the_slug_rule() -> None:
    assert slug(" Organization prerequisites, in order") == "organization-prerequisites-in-order"
    assert (
        slug(" The operator role: backfills, replays, redrives")
        == "the-operator-role-backfills-replays-redrives"
    )
    assert slug(" Index templates: new indices only") == "index-templates-new-indices-only"


def test_the_checks_see_what_they_check() -> None:
    """The patterns find what the documents write, so a passing test has looked at something."""
    assert REPOSITORY_PATH.fullmatch("ingest/json_stream.py")  # its old place: flagged as missing
    assert not (ROOT / "ingest/json_stream.py").exists()
    assert DOTTED_NAME.fullmatch("ingest.ledger.DynamoLedger")
    assert not _resolves("ingest.json_stream")
    assert not _resolves("ingest.ledger.NoSuchLedger")
    assert _resolves("normalizers.framing.json_stream.MAX_DEPTH")
    spans = code_spans("docs/ingest.md")
    assert sum(bool(REPOSITORY_PATH.fullmatch(span)) for span in spans) > 10
    assert sum(bool(DOTTED_NAME.fullmatch(span)) for span in spans) > 3
    setup, verify = parser_of("scripts/guardduty_setup.py"), parser_of("scripts/verify_deployment.py")
    assert unknown_words(setup, ["export", "--bucket", "<LogBucketName>", "[--dry-run]"]) == []
    assert unknown_words(setup, ["export", "--no-such-option"]) == ["--no-such-option"]
    assert unknown_words(setup, ["exprot", "--dry-run"]) == ["exprot"]
    assert unknown_words(verify, ["--stack", "AwsSiem", "--trigger/--wait"]) == []
    assert not _module_exists("benchmarks.no_such_benchmark")
    shown = [match for line in commands("docs/deploy.md") for match in SCRIPT_LINE.findall(line)]
    assert len(shown) > 5
