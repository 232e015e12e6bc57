"""Every ``siem`` command the documents show parses with the real argument parser.

A renamed or removed subcommand or option, or a value outside an option's choices, fails here,
so README.md and docs/ cannot drift from ``--help``. Placeholders are read as the syntax they
stand for (``<finding id>``, ``[--rule ID]``, ``--source S``...), and a command named without its
required arguments (prose such as "`siem ingest` reads...") is no mistake.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from siem_cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`([^`]+)`")
"""A code span; it may wrap a line (read as a space)."""
PLACEHOLDER = re.compile(r"<[^<>\n]*>")
INVOCATION = re.compile(r"(?<![\w(-])siem ([a-z][\w-]*[^`\n|;&#)>]*)")
"""``siem`` then a subcommand, up to what ends a shell command (a pipe, ``;``, ``&``, a comment, ``>``)."""
ALTERNATIVES = re.compile(r"\.\.\.|, | / ")
"""Where a shown command stops: an ellipsis, prose after a comma, ``ack / close / reopen``."""
INCOMPLETE = re.compile(r"the following arguments are required|expected one argument")
OFFENDING_VALUE = re.compile(r"'([^']*)'")


def shown_commands(text: str) -> list[tuple[int, str]]:
    """``(line, argument string after siem)`` of every invocation in fenced blocks and code spans."""
    fenced = [(text.count("\n", 0, block.start(1)), block.group(1)) for block in FENCE.finditer(text)]
    prose = FENCE.sub(lambda block: "\n" * block.group(0).count("\n"), text)
    chunks = [
        (prose.count("\n", 0, span.start()), " ".join(span.group(1).split()))
        for span in CODE_SPAN.finditer(prose)
    ]
    for start, block in fenced:
        chunks += [(start + offset, line.split(" #")[0]) for offset, line in enumerate(block.splitlines())]
    commands = []
    for line, chunk in chunks:
        for found in INVOCATION.finditer(PLACEHOLDER.sub("X", chunk)):
            command = ALTERNATIVES.split(found.group(1))[0].replace("[", " ").replace("]", " ")
            commands.append((line + 1, command.strip().rstrip("\\").strip()))
    return commands


def subcommand_names(parser: argparse.ArgumentParser) -> set[str]:
    """How the parser and its subparsers name their subcommand argument (``COMMAND``, ``ACTION``...)."""
    names = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            names.add(str(action.metavar or action.dest))
            for subparser in action.choices.values():
                names |= subcommand_names(subparser)
    return names


def parse_error(parser: argparse.ArgumentParser, command: str) -> str | None:
    """What the parser refuses in ``command``, or None when it parses or only lacks its required
    arguments or a placeholder's value (``--workers N``). An option shown where a subcommand is
    missing (``siem incidents --index``) is refused: no subcommand takes it there."""
    try:
        argv = shlex.split(command)
    except ValueError:
        argv = command.split()
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            parser.parse_args(argv)
    except SystemExit as end:
        message = stderr.getvalue().strip().splitlines()[-1] if stderr.getvalue().strip() else ""
        value = OFFENDING_VALUE.search(message.partition("error: ")[2])
        placeholder = value is not None and re.fullmatch(r"[A-Z][A-Z_]*", value.group(1)) is not None
        if end.code and not INCOMPLETE.search(message) and not placeholder:
            return message
        missing = message.rpartition("required: ")[2]
        if missing in subcommand_names(parser) and any(word.startswith("--") for word in argv):
            return f"{message}, and the options shown come before it"
    return None


@pytest.fixture(scope="module")
def parser() -> argparse.ArgumentParser:
    return build_parser()


def test_every_command_the_documents_show_parses(parser: argparse.ArgumentParser) -> None:
    shown = [
        (document, line, command)
        for document in DOCUMENTS
        for line, command in shown_commands(document.read_text())
    ]
    assert len(shown) > 100, "the extraction found too few commands to mean anything"
    refused = [
        f"{document.relative_to(ROOT)}:{line}: siem {command}: {error}"
        for document, line, command in shown
        if (error := parse_error(parser, command))
    ]
    assert refused == []


@pytest.mark.parametrize(
    ("markdown", "refused"),
    [
        ("`siem ingest ./logs --no-such-option`", "unrecognized arguments: --no-such-option"),
        ("```sh\nsiem backfill s3://b/p --queue URL --source nosuchsource\n```", "invalid choice"),
        ("`siem nosuchcommand`", "invalid choice"),
        ("`siem incidents --index`", "the options shown come before it"),
        ("`siem incidents` and its `--index`", None),
        ("`siem investigate <finding id> --format html`", None),
        ("`siem ingest --workers N`, `siem incidents ack / close / reopen ID`", None),
        ("```\nsiem detect run --endpoint URL [--rule ID] [--now TIME]   # comment\n```", None),
    ],
)
def test_the_check_refuses_what_the_parser_refuses(
    parser: argparse.ArgumentParser, markdown: str, refused: str | None
) -> None:
    errors = [parse_error(parser, command) for _, command in shown_commands(markdown)]
    assert errors
    if refused is None:
        assert errors == [None] * len(errors)
    else:
        assert any(error and refused in error for error in errors), errors
