"""A finding's action as ECS fields: who talked to whom, how, and did it succeed.

GuardDuty's ``service.action`` and ASFF's ``Action`` have the same shapes (API call,
network connection, port probe, DNS request, and newer ``*Action`` blocks); both are
snake_cased by the caller before they are read here.
"""

from __future__ import annotations

from typing import Any

from normalizers.ecs.address import Endpoint, also_related, details_endpoint, endpoint, ip_of
from normalizers.ecs.bounded import bounded_objects, bounded_strings, bounded_unique
from normalizers.ecs.getters import optional_obj
from normalizers.ecs.values import as_bool, as_dict, as_text, is_number, unique


class Activity:
    """The ECS view of ``service.action``: who talked to whom, and did it succeed."""

    def __init__(self) -> None:
        self.source = Endpoint({}, [])
        self.destination = Endpoint({}, [])
        self.extra_ips: list[str] = []
        self.network: dict[str, Any] = {}
        self.dns: dict[str, Any] = {}
        self.user_agent: str | None = None
        self.blocked: list[bool] = []
        """What the action blocks say: ``True`` blocked or failed, ``False`` went through."""
        self.failed = False

    @property
    def ips(self) -> list[str]:
        return unique(self.source.ips + self.destination.ips + self.extra_ips)

    @property
    def outcome(self) -> str:
        """``failure`` when the finding says the action was blocked or the API call
        returned an error; ``success`` when it says the action was not blocked."""
        if self.failed or True in self.blocked:
            return "failure"
        if False in self.blocked:
            return "success"
        return "unknown"


def activity_of(action: dict[str, Any]) -> Activity:
    """Read a snake_cased GuardDuty ``service.action`` or ASFF ``Action`` (same shapes)."""
    activity = Activity()
    _api_call(activity, optional_obj(action, "aws_api_call_action"))
    _connection(activity, optional_obj(action, "network_connection_action"))
    _port_probe(activity, optional_obj(action, "port_probe_action"))
    _dns_request(activity, optional_obj(action, "dns_request_action"))
    _other_actions(activity, action)
    return activity


def _api_call(activity: Activity, call: dict[str, Any]) -> None:
    if not call:
        return
    remote = optional_obj(call, "remote_ip_details")
    domain = optional_obj(call, "domain_details").get("domain")
    activity.source = also_related(
        endpoint(ip_of(remote) or domain, None, remote),
        remote.get("ip_address_v4"),
        remote.get("ip_address_v6"),
    )
    activity.user_agent = _user_agent(call.get("user_agent"))
    activity.failed = bool(as_text(call.get("error_code")))


# GuardDuty writes INBOUND/OUTBOUND; the ASFF reference also allows IN/OUT.
_DIRECTIONS = {"INBOUND": "inbound", "IN": "inbound", "OUTBOUND": "outbound", "OUT": "outbound"}


def _connection(activity: Activity, connection: dict[str, Any]) -> None:
    if not connection:
        return
    remote = details_endpoint(
        optional_obj(connection, "remote_ip_details"), _port(connection, "remote_port_details")
    )
    local = details_endpoint(
        optional_obj(connection, "local_ip_details"), _port(connection, "local_port_details"), geo=False
    )
    direction = _DIRECTIONS.get(as_text(connection.get("connection_direction")) or "")
    # An outbound connection starts on the instance: the local side is the source.
    activity.source, activity.destination = (local, remote) if direction == "outbound" else (remote, local)
    activity.network = _network(direction, connection.get("protocol"))
    _blocked(activity, connection)


def _port_probe(activity: Activity, probe: dict[str, Any]) -> None:
    """The first probe is the document's source and destination; ``related.ip`` has the
    addresses of the first :data:`~normalizers.ecs.bounded.LIST_LIMIT` probes (as many
    distinct addresses at most)."""
    others: list[str] = []
    for number, detail in enumerate(bounded_objects(probe.get("port_probe_details"))):
        remote = details_endpoint(optional_obj(detail, "remote_ip_details"))
        local = details_endpoint(
            optional_obj(detail, "local_ip_details"), _port(detail, "local_port_details"), geo=False
        )
        if number == 0:
            activity.source, activity.destination = remote, local
            activity.network = _network("inbound", None)
        else:
            others += remote.ips + local.ips
    activity.extra_ips += bounded_unique(others)
    if probe:
        _blocked(activity, probe)


def _dns_request(activity: Activity, request: dict[str, Any]) -> None:
    if not request:
        return
    activity.dns = {"question": {"name": as_text(request.get("domain"))}}
    # The query's transport (UDP, TCP) is the protocol GuardDuty and ASFF give.
    transport = _network(None, request.get("protocol"))["transport"]
    activity.network = {**activity.network, "protocol": "dns", "transport": transport}
    _blocked(activity, request)


_HANDLED_ACTIONS = frozenset(
    {"aws_api_call_action", "network_connection_action", "port_probe_action", "dns_request_action"}
)


def _other_actions(activity: Activity, action: dict[str, Any]) -> None:
    """Any other ``*_action`` block (``kubernetesApiCallAction``, ``rdsLoginAttemptAction``,
    and those GuardDuty adds later): its remote IPs go to ``related.ip``, and to ``source``
    when there is exactly one and no other block named a source; its user agent. A block's
    ``sourceIPs`` (the caller and the proxies between) is read to its first 100 entries.

    Read leniently: a block this code does not know cannot make the finding invalid."""
    remotes: list[Endpoint] = []
    for key, block in action.items():
        if key in _HANDLED_ACTIONS or not key.endswith("_action") or not isinstance(block, dict):
            continue
        remotes.append(details_endpoint(as_dict(block.get("remote_ip_details"))))  # first: it has the geo
        remotes += [endpoint(ip) for ip in bounded_strings(block.get("source_ips"))]
        activity.user_agent = activity.user_agent or _user_agent(block.get("user_agent"))
    activity.extra_ips += bounded_unique(ip for remote in remotes for ip in remote.ips)
    # One caller (the details' IPv6 address beside its IPv4 one is the same caller).
    callers = unique(remote.fields.get("ip") for remote in remotes)
    if len(callers) == 1 and not activity.source.fields:
        activity.source = next(remote for remote in remotes if remote.ips)
    _results(activity, action)


def _results(activity: Activity, action: dict[str, Any]) -> None:
    """What the newer action blocks say of success: a Kubernetes API call's HTTP status, a
    permission check's ``allowed``, an RDS login attempt's successful and failed counts."""
    status = _number(optional_obj(action, "kubernetes_api_call_action").get("status_code"))
    if status is not None and 100 <= status < 600:
        activity.blocked.append(status >= 400)
    allowed = as_bool(optional_obj(action, "kubernetes_permission_checked_details").get("allowed"))
    if allowed is not None:
        activity.blocked.append(not allowed)
    attempts = bounded_objects(optional_obj(action, "rds_login_attempt_action").get("login_attributes"))
    if any(_count(item, "successful_login_attempts") for item in attempts):
        activity.blocked.append(False)
    elif any(_count(item, "failed_login_attempts") for item in attempts):
        activity.blocked.append(True)


def _count(item: dict[str, Any], key: str) -> bool:
    return (_number(item.get(key)) or 0) > 0


def _number(value: Any) -> float | None:
    return float(value) if is_number(value) else None


def _user_agent(agent: Any) -> str | None:
    """A string, or GuardDuty's ``{"fullUserAgent", "userAgent"}`` object (snake_cased)."""
    if isinstance(agent, dict):
        return as_text(agent.get("full_user_agent") or agent.get("user_agent"))
    return as_text(agent)


def _blocked(activity: Activity, action: dict[str, Any]) -> None:
    blocked = as_bool(action.get("blocked"))
    if blocked is not None:
        activity.blocked.append(blocked)


def _port(block: dict[str, Any], key: str) -> Any:
    return optional_obj(block, key).get("port")


def _network(direction: str | None, protocol: Any) -> dict[str, Any]:
    return {
        "direction": direction,
        "transport": protocol.lower() if isinstance(protocol, str) and protocol != "Unknown" else None,
    }
