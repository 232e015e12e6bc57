"""Who, when, what and where of an alert, in one line each.

Findings (GuardDuty, Security Hub) are summarized by ``investigation.investigate``, which
follows the finding's keys back through CloudTrail; when it cannot (no endpoint data, a
budget or engine error) and for everything else, the summary is built from the matched
documents: the actor (``user.name``, ARN, access key; a role session with its role, source
identity and, one search away, who assumed it: ``detections.session_chain``), the times, the
actions and outcome with what they act on, the addresses and accounts.

Each value from a record is made one line and capped here (:func:`one_line`), so a summary
line lists every value it names, however long or hostile one of them is.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from opensearchpy import OpenSearch

from detections.rules import get_field
from detections.session_chain import follow
from detections.windows import iso, parse_time
from investigation.activity import RESOURCE_PARAMETERS
from investigation.chain import Chain, Link
from investigation.dashboards import dashboard_url, lucene_any, lucene_or
from investigation.fields import REQUEST_PARAMETERS, index_names
from investigation.safe_text import one_line
from normalizers.vpcflow.fields import COPIES

LOGGER = logging.getLogger(__name__)
MAX_LISTED = 5
VALUE_CHARS = 300
"""Longest value (a title, an ARN, a target) shown in a summary."""
WHO_CHARS = 1000
"""Longest identity in ``who``: a session with its role and the caller behind it, each value
cut at :data:`VALUE_CHARS` already."""
FINDING_ID_FIELDS = {"guardduty": "aws.guardduty.id", "securityhub": "aws.securityhub_findings.id"}
DASHBOARD_MARGIN = timedelta(minutes=15)
_COPIED_TO_RELATED_IP = tuple(path for path, target in COPIES.items() if target == "related.ip")


@dataclass(frozen=True, slots=True)
class Summary:
    who: str
    when: str
    what: str
    where: str

    def to_dict(self) -> dict[str, str]:
        return {"who": self.who, "when": self.when, "what": self.what, "where": self.where}


def values(documents: Iterable[dict[str, Any]], path: str) -> list[Any]:
    """Distinct values of a field across documents (lists flattened), in first-seen order."""
    seen: dict[Any, None] = {}
    for document in documents:
        value = _raw(document, path)
        for item in value if isinstance(value, list) else [value]:
            if item not in (None, "", [], {}) and not isinstance(item, dict):
                seen.setdefault(item, None)
    return list(seen)


def related_ips(documents: Iterable[dict[str, Any]]) -> list[Any]:
    """``related.ip`` as the indices hold it: a flow document's is indexed from its address
    fields (``copy_to``, normalizers/vpcflow/fields.py) instead of being in its ``_source``."""
    found: list[Any] = []
    for document in documents:
        paths = ("related.ip",) if _raw(document, "related.ip") is not None else _COPIED_TO_RELATED_IP
        found += [value for path in paths for value in values([document], path)]
    return list(dict.fromkeys(found))


def _shown(value: object) -> str:
    return one_line(value, VALUE_CHARS)


def _raw(document: dict[str, Any], path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _listed(items: Sequence[Any], limit: int = MAX_LISTED, chars: int = VALUE_CHARS) -> str:
    shown = ", ".join(one_line(item, chars) for item in items[:limit])
    more = len(items) - limit
    return f"{shown} (+{more} more)" if more > 0 else shown


def compact(
    documents: Sequence[dict[str, Any]],
    count: int,
    first: str | None,
    last: str | None,
    chains: Mapping[str, Chain] | None = None,
) -> Summary:
    """The summary from the documents alone; ``chains``: who is behind their sessions, by access
    key id (:func:`detections.session_chain.follow`)."""
    return Summary(
        _who(documents, chains or {}), _when(count, first, last), _what(documents, count), _where(documents)
    )


def _who(documents: Sequence[dict[str, Any]], chains: Mapping[str, Chain]) -> str:
    people: list[str] = []
    for document in documents:
        identity = _identity(document)
        text = _session(document, identity, chains) or _person(document, identity)
        if text and text not in people:
            people.append(text)
    if people:
        return _listed(people, 3, WHO_CHARS)
    sources = values(documents, "source.ip") or values(documents, "source.address")
    if sources:
        return f"source {_listed(sources)}"
    related = values(documents, "related.user")
    return _listed(related) if related else "unknown"


def _person(document: dict[str, Any], identity: dict[str, Any]) -> str | None:
    """``user.name (ARN, key ...)``."""
    name = get_field(document, "user.name")
    arn, key = identity.get("arn"), identity.get("access_key_id")
    details = ", ".join(_shown(part) for part in (arn, f"key {key}" if key else None) if part)
    if name and details:
        return f"{_shown(name)} ({details})"
    return _shown(name or details) if name or details else None


SESSION_KINDS = {"AssumedRole": "role session", "FederatedUser": "federated user"}
IDENTITY_KINDS = {
    "Role": "role",
    "IAMUser": "IAM user",
    "Root": "root user",
    "AssumedRole": "role session",
    "FederatedUser": "federated user",
    "SAMLUser": "SAML user",
    "WebIdentityUser": "web identity user",
    "IdentityCenterUser": "Identity Center user",
}
ISSUED_BY = {
    "AssumeRole": "assumed by",
    "AssumeRoleWithSAML": "assumed through SAML by",
    "AssumeRoleWithWebIdentity": "assumed through web identity by",
}
"""How the issuing call relates the session to its caller."""


def _session(document: dict[str, Any], identity: dict[str, Any], chains: Mapping[str, Chain]) -> str | None:
    """``role session <name> (key ..., source identity ...) via role <ARN>``, then who assumed
    it when the chain was followed: temporary credentials named by what the document holds
    (``session_context.session_issuer``, ``source_identity``: docs/detections.md, "Alerts")."""
    kind = SESSION_KINDS.get(str(identity.get("type")))
    if kind is None:
        return None
    context = _object(identity.get("session_context"))
    issuer = _object(context.get("session_issuer"))
    arn, key = identity.get("arn"), identity.get("access_key_id")
    name = get_field(document, "user.name") or (str(arn).rsplit("/", 1)[-1] if arn else None)
    details = [_shown(arn)] if arn and not issuer.get("arn") else []  # else named by its role
    details += [f"key {_shown(key)}"] if key else []
    if context.get("source_identity"):
        details.append(f"source identity {_shown(context['source_identity'])}")
    text = f"{kind} {_shown(name)}" if name else kind
    text += f" ({', '.join(details)})" if details else ""
    if issuer.get("arn"):
        text += f" via {IDENTITY_KINDS.get(str(issuer.get('type')), 'issuer')} {_shown(issuer['arn'])}"
    elif not arn and (role := _finding_role(document, identity)):
        text += f" via role {_shown(role)}"
    chain = chains.get(str(key)) if key else None
    return text + _behind(chain, issuer.get("arn")) if chain is not None else text


ROLE_ARNS_NAMED = (
    "aws.securityhub_findings.resources",
    "aws.guardduty.service.action.aws_api_call_action.affected_resources",
)
"""Where a finding names IAM roles by ARN: Security Hub's ``AwsIamRole`` resources (``Id``, the
role's ARN), GuardDuty's API call's ``affectedResources`` (``AWS::IAM::Role``)."""


def _finding_role(document: dict[str, Any], identity: dict[str, Any]) -> str | None:
    """The role of a finding's role session, as far as the finding names it: its ARN when the
    finding names a role of that name in the session's account (IAM role names are unique in an
    account, regardless of case), else its name (``user.roles``: GuardDuty's ``userName``,
    Security Hub's ``PrincipalName`` of an ``AssumedRole``). Nothing when the finding names
    neither: no ARN is built from a name (a role's ARN holds its path, which no finding gives)."""
    if identity.get("type") != "AssumedRole":
        return None
    roles = values([document], "user.roles")
    name = roles[0] if len(roles) == 1 else None
    if not isinstance(name, str):
        return None
    account = identity.get("account_id") or get_field(document, "cloud.account.id")
    arns = [arn for arn in _role_arns_named(document) if _is_role_of(arn, name, account)]
    return arns[0] if len(set(arns)) == 1 else name


def _role_arns_named(document: dict[str, Any]) -> list[Any]:
    resources = _raw(document, ROLE_ARNS_NAMED[0])
    named = [
        item.get("id")
        for item in (resources if isinstance(resources, list) else [])
        if isinstance(item, dict) and item.get("type") == "AwsIamRole"
    ]
    affected = _raw(document, ROLE_ARNS_NAMED[1])
    return named + ([affected.get("AWS::IAM::Role")] if isinstance(affected, dict) else [])


def _is_role_of(arn: Any, name: str, account: Any) -> bool:
    """``arn:<partition>:iam::<account>:role/<path><name>`` of this account and name."""
    parts = arn.split(":", 5) if isinstance(arn, str) else []
    return (
        len(parts) == 6
        and parts[0] == "arn"
        and parts[2] == "iam"
        and parts[4] == account
        and parts[5].startswith("role/")
        and parts[5].rsplit("/", 1)[-1].lower() == name.lower()
    )


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _behind(chain: Chain, issuer_arn: Any) -> str:
    """`` assumed by IAM user <ARN> (key ...)``: the hop the alert followed, or why there is none.
    A federated user's issuer is its caller, named already: the call's key is what is new."""
    text = ""
    issued = chain.links[0].issued_by
    if issued is not None and len(chain.links) > 1:
        caller = chain.links[1]
        if caller.arn and caller.arn == issuer_arn:
            key = f" with key {_shown(caller.access_key_id)}" if caller.access_key_id else ""
            text = f" ({_shown(issued.action)}{key})"
        else:
            verb = ISSUED_BY.get(issued.action, f"issued by {_shown(issued.action)} to")
            text = f" {verb} {_described(caller)}"
        if chain.stopped and caller.needs_issuer:  # the hop is a session too: one hop is followed
            return f"{text}; chain followed one hop"
    if chain.stopped:
        text += f"; chain incomplete: {_shown(chain.stopped)}"
    return text


def _described(link: Link) -> str:
    if link.type == "AWSAccount":
        return f"account {_shown(link.account_id or '?')}"
    kind = IDENTITY_KINDS.get(str(link.type))
    text = f"{kind} {_shown(link.label)}" if kind else _shown(link.label)
    return f"{text} (key {_shown(link.access_key_id)})" if link.access_key_id else text


def _identity(document: dict[str, Any]) -> dict[str, Any]:
    aws = document.get("aws") or {}
    for source in ("cloudtrail", "guardduty", "securityhub_findings"):
        identity = (aws.get(source) or {}).get("user_identity")
        if isinstance(identity, dict):
            return identity
    return {}


def _when(count: int, first: str | None, last: str | None) -> str:
    events = f"{count} event{'s' if count != 1 else ''}"
    if not first:
        return events
    return f"{first} ({events})" if first == last or not last else f"{first} to {last} ({events})"


def _what(documents: Sequence[dict[str, Any]], count: int) -> str:
    datasets = list(dict.fromkeys(_dataset(document) for document in documents))
    if len(datasets) > 1:  # a sequence across sources: each source's part, in the steps' order
        groups = [[d for d in documents if _dataset(d) == name] for name in datasets]
        return "; then ".join(_what(group, len(group)) for group in groups)
    dataset = datasets[0] if datasets else None
    if dataset == "aws.vpcflow":
        return _what_flows(documents, count)
    if dataset in ("aws.guardduty", "aws.securityhub_findings"):
        return _what_findings(documents)
    actions: Counter[str] = Counter()
    for document in documents:
        action = f"{get_field(document, 'event.provider')} {get_field(document, 'event.action')}"
        outcome = get_field(document, "event.outcome")
        error = get_field(document, "aws.cloudtrail.error_code")
        actions[f"{action} ({error or outcome})"] += 1
    parts = [f"{name} x{n}" if n > 1 else name for name, n in actions.most_common()]
    text = _listed(parts) + _targets_text(documents)
    # The alert keeps a sample of its events (detections.matches.MAX_SAMPLES): its counts are
    # the sample's, not the alert's.
    return f"{text} (in the first {len(documents)} of {count} events)" if 0 < len(documents) < count else text


TARGET_FIELDS = (
    ("user.target.name", "user"),
    ("user.target.roles", "role"),
    ("user.changes.name", "new name"),
    ("group.name", "group"),
    ("aws.s3.bucket.name", "bucket"),
    ("aws.s3.object.key", "object"),
    ("cloud.target.account.id", "account"),
    ("related.hosts", "instance"),
)
"""The ECS fields the normalizer writes what a call acts on to (normalizers/cloudtrail/targets.py;
``user.target.id``, ``group.id`` and ``related.user`` are left out: ids of a name shown, or the
actor's own identifiers), and how the alert names each."""
RESOURCE_ARNS = "aws.cloudtrail.resources.arn"
MAX_TARGET_KINDS = 4
"""Kinds of target named in ``what`` (each with at most 3 values); the rest are counted."""
MAX_PARAMETER_NODES = 500
"""Values of a request read for the account ids it names."""
_ACCOUNT_ID = re.compile(r"\d{12}")


def _targets_text(documents: Sequence[dict[str, Any]]) -> str:
    """`` on imageId ami-..., naming account 444455556666``: what the calls act on, as the
    documents hold it (:func:`_targets`), and the other accounts their requests name."""
    targets = _targets(documents)
    accounts = [
        account
        for account in dict.fromkeys(a for document in documents for a in _accounts_named(document))
        if account not in targets.get("account", [])
    ]
    named = [f"{label} {_listed(found, 3)}" for label, found in targets.items()]
    text = f" on {', '.join(named[:MAX_TARGET_KINDS])}" if named else ""
    if len(named) > MAX_TARGET_KINDS:
        text += f" (+{len(named) - MAX_TARGET_KINDS} more kinds)"
    return f"{text}, naming account {_listed(accounts, 3)}" if accounts else text


def _targets(documents: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    """Label -> values, first seen first: the ECS target fields (:data:`TARGET_FIELDS`); where
    none holds the resource, the request parameters that name one (``investigation.activity
    .RESOURCE_PARAMETERS``: a trail's ``name``, an ``imageId``, a ``snapshotId``...); else
    CloudTrail's own ``resources`` ARNs."""
    found: dict[str, dict[Any, None]] = {}
    for document in documents:
        own: list[tuple[str, Any]] = []
        actor = get_field(document, "user.name")
        is_sts = get_field(document, "event.provider") == "sts.amazonaws.com"
        for path, label in TARGET_FIELDS:
            for value in values([document], path):
                if path == "related.hosts" and value == actor:  # an instance's role session acting
                    continue
                own.append(("session" if is_sts and path == "user.target.name" else label, value))
        parameters = _raw(document, REQUEST_PARAMETERS)
        if not own and isinstance(parameters, dict):
            own = [(name, parameters[name]) for name in RESOURCE_PARAMETERS if _is_text(parameters.get(name))]
        if not own:
            own = [("resource", arn) for arn in values([document], RESOURCE_ARNS)]
        for label, value in own:
            found.setdefault(label, {}).setdefault(value, None)
    return {label: list(seen) for label, seen in found.items()}


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _accounts_named(document: dict[str, Any]) -> list[str]:
    """Account ids (12 digits, a whole value) the request names other than the document's own:
    who an image or snapshot is shared with, a grant's grantee..."""
    own = get_field(document, "cloud.account.id")
    found: list[str] = []
    stack: list[Any] = [_raw(document, REQUEST_PARAMETERS)]
    budget = MAX_PARAMETER_NODES
    while stack and budget > 0:
        node = stack.pop()
        budget -= 1
        if isinstance(node, dict):
            stack += reversed(list(node.values()))
        elif isinstance(node, list):
            stack += reversed(node)
        elif isinstance(node, str) and _ACCOUNT_ID.fullmatch(node) and node != own and node not in found:
            found.append(node)
    return found


def _dataset(document: dict[str, Any]) -> Any:
    """The document's ``event.dataset``: a hit's ``_source`` gets it from its index when the
    index holds it as a constant (flows, CloudTrail: ``detections.search.with_dataset``)."""
    return get_field(document, "event.dataset")


def _what_flows(documents: Sequence[dict[str, Any]], count: int) -> str:
    actions = values(documents, "event.action")
    ports = sorted(values(documents, "destination.port"))
    targets = values(documents, "destination.ip")
    text = f"{count} {one_line('/'.join(map(str, actions)), VALUE_CHARS)} flow{'s' if count != 1 else ''}"
    if targets:
        text += f" to {_listed(targets)}"
    if ports:
        text += f" on port{'s' if len(ports) > 1 else ''} {_listed(ports, 10)}"
    return text


def _what_findings(documents: Sequence[dict[str, Any]]) -> str:
    parts = []
    for document in documents:
        title = get_field(document, "message") or get_field(document, "rule.name")
        severity = get_field(document, "event.severity")
        text = f"{get_field(document, 'rule.id')}: {title} (severity {severity})"
        if text not in parts:
            parts.append(text)
    return _listed(parts, 3)


def _where(documents: Sequence[dict[str, Any]]) -> str:
    parts = []
    addresses = values(documents, "source.ip") or values(documents, "source.address")
    if addresses:
        parts.append(f"from {_listed(addresses)}")
    accounts = _named_accounts(documents)
    if accounts:
        parts.append(f"account {_listed(accounts)}")
    regions = values(documents, "cloud.region")
    if regions:
        parts.append(f"region {_listed(regions)}")
    return "; ".join(parts) or "unknown"


def _named_accounts(documents: Sequence[dict[str, Any]]) -> list[str]:
    """``111122223333 (prod-payments)``: each ``cloud.account.id`` with the name enrichment
    gave it (docs/enrichment.md); the id alone when the directory does not know it."""
    names: dict[str, Any] = {}
    for document in documents:
        account_id = get_field(document, "cloud.account.id")
        if account_id not in (None, "") and not isinstance(account_id, dict | list):
            names.setdefault(account_id, None)
            if names[account_id] is None:
                names[account_id] = get_field(document, "cloud.account.name")
    return [f"{account_id} ({name})" if name else account_id for account_id, name in names.items()]


def from_investigation(client: OpenSearch, finding_id: str, prefix: str) -> Summary | None:
    """The investigation's who/when/what/where of a finding, or ``None`` when it fails."""
    from investigation import investigate  # deferred: only finding alerts need it

    try:
        return _from_report(investigate(client, finding_id, prefix=prefix))
    except Exception as error:  # the alert must go out even when its investigation cannot
        LOGGER.warning("investigation of %s failed: %s", finding_id, error)
        return None


def _from_report(report: Any) -> Summary:
    when = report.when
    seen = f"actor active {when.first_seen} to {when.last_seen}" if when.first_seen else "no actor activity"
    ips = [count.value for count in report.where.ips + report.where.addresses]
    return Summary(
        who=one_line(report.who.summary or "unknown"),
        when=one_line(
            f"finding observed {when.finding_first_observed} to {when.finding_last_observed}; {seen}"
        ),
        what=one_line(report.what.summary or ""),
        where=f"from {_listed(ips)}" if ips else "unknown",
    )


def behind_sessions(
    client: OpenSearch, documents: Sequence[dict[str, Any]], first: str | None, last: str | None, prefix: str
) -> dict[str, Chain]:
    """Who is behind the sessions the documents name, CloudTrail calls' or findings'
    (:func:`detections.session_chain.follow`: one search), or nothing when the search fails: the
    alert then names the sessions alone."""
    if not first:
        return {}
    try:
        return follow(client, index_names(prefix)["cloudtrail"], documents, first, last)
    except Exception as error:  # the alert must go out even when the chain cannot be followed
        LOGGER.warning("who is behind the alert's sessions: %s: %s", type(error).__name__, error)
        return {}


def summarize(
    client: OpenSearch | None,
    source: str,
    documents: Sequence[dict[str, Any]],
    count: int,
    first: str | None,
    last: str | None,
    prefix: str,
) -> Summary:
    """The alert's who/when/what/where: a finding's investigation when it runs, else the
    documents' own, with who is behind their sessions (one search, only when the run
    investigates: ``client``)."""
    if client is None:
        return compact(documents, count, first, last)
    id_field = FINDING_ID_FIELDS.get(source)
    finding_id = get_field(documents[0], id_field) if documents and id_field else None
    investigated = from_investigation(client, str(finding_id), prefix) if finding_id else None
    # The investigation names who is behind the finding's credential itself: the lookup is
    # the fallback's (and CloudTrail alerts').
    chains = behind_sessions(client, documents, first, last, prefix) if investigated is None else {}
    basic = compact(documents, count, first, last, chains)
    if investigated is None:
        return basic
    # The finding's own title stays in "what": the investigation tells what the actor did.
    what = f"{basic.what}. {investigated.what}" if investigated.what else basic.what
    parts = [part for part in (investigated.where, basic.where) if part != "unknown"]
    where = "; ".join(dict.fromkeys(part for text in parts for part in text.split("; "))) or "unknown"
    return Summary(investigated.who, investigated.when, what, where)


def dashboards_link(
    base: str | None,
    documents: Sequence[dict[str, Any]],
    event_ids: Sequence[str],
    first: str | None,
    last: str | None,
) -> str | None:
    """The "Finding investigation" dashboard on the alert's actors and addresses (docs/assets.md)."""
    if not base or not first:
        return None
    query = lucene_or(
        lucene_any("related.user", values(documents, "related.user")),
        lucene_any("related.ip", related_ips(documents)),
    )
    if query == "*":
        query = lucene_any("event.id", event_ids) or "*"
    start = iso(parse_time(first) - DASHBOARD_MARGIN)
    end = iso(parse_time(last or first) + DASHBOARD_MARGIN)
    return dashboard_url(base, start, end, query)
