"""``siem demo`` (``make demo``): the demo incident through the whole pipeline, told as a story.

It prints, in this order:

1. the story: the attacker's path in five lines (``demo.story``, from the ground truth);
2. what the pipeline found: documents and dead letters per index against the ground truth,
   then the post-ingest steps of :data:`POST_INGEST_STEPS` (alerts, the headline investigation);
3. what it left in ``--out`` (default ``build/demo/``): the headline investigation as HTML, the
   alerts as JSON, the ingest log lines and EMF metrics, the month's report (``report/``);
4. "try next": the commands to run against the data, with real finding ids.

With ``--serve`` the embedded engine stays up with the data loaded (at ``--addr``) until
Ctrl-C, so those commands work from another shell. The plumbing (engine URL, moto, EMF) is
printed with ``--verbose`` only.

Behind the story, with real components: the embedded engine (osmem-server) with the index
templates; the incident's raw objects (``demo.write_incident``) put into a moto S3 bucket whose
S3 -> SQS notification is configured in moto; the queue drained through ``ingest.handler``
(DynamoDB ledger, S3 dead letters, all moto), every request checked by the Serverless guard.

To plug a step in, add ``"package.module:function"`` to :data:`POST_INGEST_STEPS`; the function
receives a :class:`DemoContext` and prints what it has to show.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import orjson
from opensearchpy import OpenSearch

from demo.story import story
from detections import coverage
from detections.rules import RULE_DIRS, load_rules
from ingest import handler
from ingest.config import Settings
from ingest.observability import logger
from ingest.runtime import Runtime, build_runtime
from ingest.serverless_guard import ServerlessGuard
from investigation import investigate, render
from opensearch_client import ConnectionSettings, make_client
from siem_cli.local_aws import create_local_aws
from siem_cli.options import UsageError

POST_INGEST_STEPS: list[str] = ["detections.demo:show", "investigation.demo:show", "posture.demo:show"]
"""``"module:function"`` names called in order after ingestion with a :class:`DemoContext`."""

DEAD_LETTER_BUCKET = "siem-demo-dead-letters"
LEDGER_TABLE = "siem-demo-ledger"
INDEX_PREFIX = "siem-"
ALERTS_INDEX = f"{INDEX_PREFIX}alerts"
OUT = Path("build/demo")
LOG_NAME = "ingest-log.jsonl"
SERVE_ADDR = "127.0.0.1:9200"
SIEM = ".venv/bin/siem"
"""How the try-next commands call the CLI (where make demo installs it)."""


@dataclass
class DemoContext:
    client: OpenSearch
    """Guarded client on the embedded engine (answers like Serverless)."""
    engine_url: str
    incident: Any
    """The :class:`demo.truth.Incident` ground truth."""
    directory: Path
    """Where the raw objects were written (relative path = S3 key)."""
    s3: Any
    bucket: str
    index_prefix: str
    guard: ServerlessGuard
    out: Path
    """``--out``: where the steps leave their files."""
    left: list[Path] = field(default_factory=list)
    """The files the steps left in :attr:`out`, for the "Left in" listing."""


_DEMO_AWS_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "demo",
    "AWS_SECRET_ACCESS_KEY": "demo",
    "AWS_SESSION_TOKEN": "demo",
}
"""What the demo's moto clients and the Lambda handlers it calls read from the environment."""


@contextlib.contextmanager
def _aws_environment() -> Iterator[None]:
    """The demo's AWS settings, where the environment has none, for the run only.

    :func:`run` also runs inside longer-lived processes (the tests call it): a region left
    behind made every later boto3 session there find one, and a check that a missing region is
    refused passed or failed by which test ran before it in the same process.
    """
    added = [name for name in _DEMO_AWS_ENVIRONMENT if name not in os.environ]
    os.environ.update({name: _DEMO_AWS_ENVIRONMENT[name] for name in added})
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def _upload(s3: Any, bucket: str, directory: Path) -> int:
    files = sorted(path for path in directory.rglob("*") if path.is_file())
    for path in files:
        s3.put_object(Bucket=bucket, Key=path.relative_to(directory).as_posix(), Body=path.read_bytes())
    return len(files)


class _Context:
    """A Lambda context with 15 minutes to go."""

    aws_request_id = "demo"

    def __init__(self) -> None:
        self._end = time.monotonic() + 900

    def get_remaining_time_in_millis(self) -> int:
        return int((self._end - time.monotonic()) * 1000)


def _drain(sqs: Any, queue_url: str, runtime: Runtime) -> tuple[int, int]:
    """Deliver the queue to the handler in batches of 10, as the event source mapping does."""
    batches = failures = 0
    while True:
        answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=30)
        messages = answer.get("Messages", [])
        if not messages:
            return batches, failures
        event = {
            "Records": [
                {"messageId": m["MessageId"], "body": m["Body"], "eventSource": "aws:sqs"} for m in messages
            ]
        }
        failed = {
            f["itemIdentifier"] for f in handler.handle(event, _Context(), runtime)["batchItemFailures"]
        }
        batches, failures = batches + 1, failures + len(failed)
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def _dead_letters(s3: Any) -> list[dict[str, Any]]:
    listing = s3.list_objects_v2(Bucket=DEAD_LETTER_BUCKET).get("Contents", [])
    return [
        orjson.loads(line)
        for entry in listing
        for line in s3.get_object(Bucket=DEAD_LETTER_BUCKET, Key=entry["Key"])["Body"].read().splitlines()
    ]


def _report(client: OpenSearch, incident: Any, letters: list[dict[str, Any]]) -> bool:
    """Documents per index and dead letters, against the ground truth; True when all match."""
    expected = incident.expected_documents
    planted = sum(incident.expected_dead_letters.values())
    counts = {
        INDEX_PREFIX + source: int(client.count(index=INDEX_PREFIX + source)["count"])
        if client.indices.exists(index=INDEX_PREFIX + source)
        else 0
        for source in expected
    }
    ok = list(counts.values()) == list(expected.values()) and len(letters) == planted
    records = sum(incident.expected_records.values())
    print(
        f"Ingested {len(incident.objects)} objects, {records} records: {sum(counts.values())} documents "
        f"indexed, {len(letters)} dead-lettered ({'as the ground truth says' if ok else 'NOT as expected'})."
    )
    print(f"\n  {'index':<20} {'documents':>10} {'expected':>10}")
    for (index, got), want in zip(counts.items(), expected.values(), strict=True):
        print(f"  {index:<20} {got:>10} {want:>10}{'' if got == want else '  <- differs'}")
    print(f"\n  dead letters: {len(letters)} (the {planted} planted bad records)")
    for letter in letters:
        print(
            f"  {letter['source']:<12} {letter['reason'][:60]:<60} {letter['object'].rsplit('/', 1)[-1]} "
            f"{letter['position']}"
        )
    return ok


@contextlib.contextmanager
def _logs_to(stream: TextIO) -> Iterator[None]:
    """Send the handler's log lines (a handler bound to stdout) and EMF metrics (print) to ``stream``."""
    handler_ = logger.registered_handler
    previous = handler_.setStream(stream) if isinstance(handler_, logging.StreamHandler) else None
    try:
        with contextlib.redirect_stdout(stream):
            yield
    finally:
        if previous is not None and isinstance(handler_, logging.StreamHandler):
            handler_.setStream(previous)


def _step(name: str) -> Callable[[DemoContext], None]:
    module, _, function = name.partition(":")
    step: Callable[[DemoContext], None] = getattr(importlib.import_module(module), function)
    return step


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="the demo incident through the whole pipeline (make demo); --serve keeps it up",
        description="Run the demo incident (an attacker's path across three accounts) through the "
        "whole pipeline on this machine: the embedded engine, moto for S3/SQS/DynamoDB, the real "
        "Lambda handler, the detection rules, the investigation and the compliance posture. Prints "
        "the story, what the pipeline found and commands to try next; leaves the HTML investigation, "
        "the alerts, the ingest log and the month's report in --out. Exit status 1 when the result "
        "differs from the ground truth (docs/demo.md).",
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="keep the engine up with the data loaded until Ctrl-C, to run siem investigate, "
        "siem detect run... against it",
    )
    parser.add_argument(
        "--addr",
        default=SERVE_ADDR,
        metavar="HOST:PORT",
        help=f"where the engine listens with --serve (default: {SERVE_ADDR}; without --serve a free port)",
    )
    parser.add_argument(
        "--out", type=Path, default=OUT, metavar="DIR", help=f"where to leave the results (default: {OUT})"
    )
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="print the plumbing too (engine, moto, queue, EMF)"
    )
    parser.set_defaults(func=run)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m siem_cli.demo [options]``: the same as ``siem demo [options]``."""
    from siem_cli.main import main as siem

    return siem(["demo", *(sys.argv[1:] if argv is None else argv)])


def run(args: argparse.Namespace, serve: Callable[[], None] | None = None) -> int:
    """The demo; with ``--serve``, ``serve()`` runs while the engine is up (default: until Ctrl-C)."""
    from moto import mock_aws
    from osmem_server import OsmemError, OsmemServer

    from demo import write_incident

    started = time.monotonic()
    args.out.mkdir(parents=True, exist_ok=True)
    with _aws_environment(), tempfile.TemporaryDirectory() as scratch, mock_aws():
        directory = Path(scratch) / "bucket"
        incident = write_incident(directory)
        _heading("What happened (the demo incident, docs/demo.md)")
        for line in story(incident):
            print(f"  {line}")
        try:
            server = OsmemServer.start(addr=args.addr if args.serve else None, japanese=False)
        except OsmemError as error:
            raise UsageError(
                f"the engine did not start: {error} (is {args.addr} taken? --addr HOST:PORT)"
            ) from None
        with server:
            context, log_file = _ingest(server, incident, directory, args.out, _printer(args.verbose))
            _heading("What the pipeline found")
            ok = _found(context)
            left = [*_leave_results(context, args.out), log_file, *context.left]
            _heading(f"Left in {args.out}/")
            print("\n".join(f"  {path}" for path in left))
            _heading("Try next")
            print(
                "\n".join(
                    f"  {line}" for line in try_next(server.url if args.serve else None, incident, args.addr)
                )
            )
            print(f"\ndemo {'finished' if ok else 'FAILED'} in {time.monotonic() - started:.1f} s")
            if args.serve:
                print(f"\nserving the demo data at {server.url} until Ctrl-C", flush=True)
                (serve or (lambda: _until_interrupted(server)))()
    return 0 if ok else 1


def _ingest(
    server: Any, incident: Any, directory: Path, out: Path, verbose: Callable[[str], None]
) -> tuple[DemoContext, Path]:
    """The plumbing: templates on the engine, the objects into moto S3, the queue drained
    through the Lambda handler; the context of the steps that follow, and the log file."""
    from opensearch_assets.templates import install_templates

    guard = ServerlessGuard()
    client = guard.wrap(make_client(ConnectionSettings(server.url, auth="none", timeout=60), pool_maxsize=5))
    install_templates(client, prefix=INDEX_PREFIX)
    verbose(f"engine: {server.url} (osmem-server {server.version}), templates installed")
    local = create_local_aws(incident.bucket, DEAD_LETTER_BUCKET, LEDGER_TABLE)
    uploaded = _upload(local.s3, incident.bucket, directory)
    verbose(
        f"incident written: {uploaded} objects put into s3://{incident.bucket} (moto), S3 -> SQS notification"
    )
    settings = Settings(
        connection=ConnectionSettings(server.url, auth="none"),
        index_prefix=INDEX_PREFIX,
        ledger_table=LEDGER_TABLE,
        dead_letter_bucket=DEAD_LETTER_BUCKET,
        deadline_margin=5.0,
    )
    runtime = build_runtime(settings, client=client, s3=local.s3, dynamodb=local.dynamodb)
    log_file = out / LOG_NAME
    with log_file.open("w") as log, _logs_to(log):  # JSON log lines and EMF metrics
        batches, failures = _drain(local.sqs, local.queue_url, runtime)
    runtime.close()
    verbose(
        f"queue drained through ingest.handler.lambda_handler: {batches} batches, {failures} failed "
        f"messages; log lines and EMF metrics in {log_file}"
    )
    context = DemoContext(
        client, server.url, incident, directory, local.s3, incident.bucket, INDEX_PREFIX, guard, out
    )
    return context, log_file


def _found(context: DemoContext) -> bool:
    """Rule counts, documents and dead letters against the ground truth, then the post-ingest
    steps; True when everything matches and Serverless would have taken every request."""
    print(coverage.counts(coverage.coverage(load_rules(RULE_DIRS, include_disabled=True))) + "\n")
    ok = _report(context.client, context.incident, _dead_letters(context.s3))
    for name in POST_INGEST_STEPS:
        _step(name)(context)
    if context.guard.violations:
        print(f"requests Serverless would reject: {context.guard.violations}", file=sys.stderr)
        return False
    return ok


def try_next(url: str | None, incident: Any, addr: str) -> list[str]:
    """The commands a user runs next, with the incident's real finding ids and the engine URL."""
    headline = incident.headline_finding
    others = [f for f in incident.guardduty_findings if headline is None or f.id != headline.id]
    root = next((f for f in incident.securityhub_findings if f.kind == "IAM.9"), None)
    picks = [f for f in (headline, max(others, key=lambda f: f.severity, default=None), root) if f]
    endpoint = url or f"http://{addr}"
    target = f"--endpoint {endpoint} --auth none"
    serve = f"{SIEM} demo --serve    # keep the engine up with this data, then in another shell:"
    lines = [] if url else [serve]
    lines += [f"{SIEM} investigate {finding.id} {target}    # {finding.kind}" for finding in picks]
    lines += [
        f"{SIEM} investigate {picks[0].id} {target} --format html > investigation.html" if picks else "",
        f"{SIEM} detect run {target}    # the rules again: no alert twice",
    ]
    lines += [f"{SIEM} {command} {target}" for command in _registered("findings list", "incidents list")]
    return [line for line in lines if line]


def _registered(*commands: str) -> list[str]:
    """Those of ``commands`` the ``siem`` parser knows (other modules add commands)."""
    from siem_cli.main import build_parser

    known = []
    for command in commands:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            try:
                build_parser().parse_args([*command.split(), "--help"])
            except SystemExit as exit_:
                if exit_.code == 0:  # help printed: the command exists
                    known.append(command)
    return known


def _leave_results(context: DemoContext, out: Path) -> list[Path]:
    """The headline investigation as HTML and every alert as JSON, under ``out``."""
    left = []
    headline = context.incident.headline_finding
    if headline is not None:
        page = out / "investigation.html"
        page.write_text(render(investigate(context.client, headline.id, prefix=INDEX_PREFIX), "html"))
        left.append(page)
    alerts = out / "alerts.json"
    alerts.write_bytes(orjson.dumps(_alerts(context.client), option=orjson.OPT_INDENT_2))
    return [*left, alerts]


def _alerts(client: OpenSearch) -> list[dict[str, Any]]:
    if not client.indices.exists(index=ALERTS_INDEX):
        return []
    hits = client.search(index=ALERTS_INDEX, body={"size": 1000, "query": {"match_all": {}}})["hits"]["hits"]
    return sorted(
        (hit["_source"] for hit in hits), key=lambda alert: (str(alert.get("@timestamp")), str(alert))
    )


def _heading(title: str) -> None:
    print(f"\n== {title} ==\n")


def _printer(verbose: bool) -> Callable[[str], None]:
    return (lambda line: print(f"  [{line}]")) if verbose else (lambda line: None)


def _until_interrupted(server: Any) -> None:
    try:
        while server.process.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
