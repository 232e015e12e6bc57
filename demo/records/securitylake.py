"""Amazon Security Lake objects: OCSF rows in Parquet, under Security Lake's key layout.

Security Lake (Amazon Security Lake User Guide, "Collecting data from AWS services" and the
OCSF mappings it documents per source) writes each AWS source as OCSF 1.1.0 rows (1.0.0-rc.2
before its version 2) in Parquet, under ``aws/<SOURCE>/<version>/region=<r>/accountId=<a>/
eventDay=<yyyymmdd>/``. :func:`parquet_from_rows` builds such a file from rows written as
JSON-like dicts (nested structs inferred; ``unmapped`` as OCSF 1.1's ``map<string, string>``):
what the golden cases and the demo are made from, and the entry point for fuzzing the Security
Lake delivery path. :func:`api_activity_row` and :func:`network_activity_row` write a
CloudTrail record and a flow as Security Lake maps them (used by the demo; the golden cases and
the native/OCSF equivalence test are written by hand instead).
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

Row = dict[str, Any]
MAP_COLUMNS = ("unmapped",)


def parquet_from_rows(rows: Sequence[Row], row_group_size: int | None = None) -> bytes:
    """A Parquet file of ``rows``: every column's type inferred from all its values (structs
    of every key seen), the map columns as ``map<string, string>``."""
    names = list(dict.fromkeys(name for row in rows for name in row))
    columns: dict[str, pa.Array] = {}
    for name in names:
        values = [row.get(name) for row in rows]
        if name in MAP_COLUMNS:
            pairs = [
                None if value is None else [(str(k), _text(v)) for k, v in value.items()] for value in values
            ]
            columns[name] = pa.array(pairs, pa.map_(pa.string(), pa.string()))
        else:
            columns[name] = pa.array(values)
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink, compression="zstd", row_group_size=row_group_size)
    return sink.getvalue()


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def object_key(source: str, region: str, account: str, day: datetime, name: str, version: str = "2.0") -> str:
    """``aws/<SOURCE>/<version>/region=<region>/accountId=<account>/eventDay=<yyyymmdd>/<name>.gz.parquet``."""
    return (
        f"aws/{source}/{version}/region={region}/accountId={account}/eventDay={day:%Y%m%d}/{name}.gz.parquet"
    )


_VERBS = (("Create", 1), ("Put", 1), ("Get", 2), ("Describe", 2), ("List", 2), ("Update", 3), ("Delete", 4))


def api_activity_row(record: Mapping[str, Any]) -> Row:
    """A CloudTrail record as an OCSF 1.1.0 API Activity row (Security Lake's CloudTrail mapping)."""
    identity = record.get("userIdentity") or {}
    context = identity.get("sessionContext") or {}
    issuer = (context.get("sessionIssuer") or {}).get("arn")
    attributes = context.get("attributes") or {}
    name = str(record["eventName"])
    activity = next((uid for verb, uid in _VERBS if name.startswith(verb)), 99)
    failed = bool(record.get("errorCode"))
    source_ip = str(record.get("sourceIPAddress", ""))
    endpoint = {"ip": source_ip} if source_ip[:1].isdigit() or ":" in source_ip else {"domain": source_ip}
    session = {
        "issuer": issuer,
        "created_time": _epoch_ms(attributes.get("creationDate")),
        "is_mfa": attributes.get("mfaAuthenticated") == "true" if "mfaAuthenticated" in attributes else None,
    }
    return {
        "metadata": {
            "product": {"version": record.get("eventVersion"), "name": "CloudTrail", "vendor_name": "AWS"},
            "uid": record.get("eventID"),
            "profiles": ["cloud", "datetime"],
            "version": "1.1.0",
        },
        "time": _epoch_ms(record["eventTime"]),
        "cloud": {"region": record.get("awsRegion"), "provider": "AWS"},
        "api": {
            "operation": name,
            "service": {"name": record.get("eventSource")},
            "request": {"uid": record.get("requestID"), "data": _json(record.get("requestParameters"))},
            "response": {
                "error": record.get("errorCode"),
                "message": record.get("errorMessage"),
                "data": _json(record.get("responseElements")),
            },
        },
        "actor": {
            "user": {
                "type": identity.get("type"),
                "name": identity.get("userName"),
                "uid": identity.get("arn"),
                "uid_alt": identity.get("principalId"),
                "account": {"uid": identity.get("accountId")},
                "credential_uid": identity.get("accessKeyId"),
            },
            "session": session if any(value is not None for value in session.values()) else None,
            "invoked_by": identity.get("invokedBy"),
        },
        "http_request": {"user_agent": record.get("userAgent")},
        "src_endpoint": endpoint,
        "class_name": "API Activity",
        "class_uid": 6003,
        "category_name": "Application Activity",
        "category_uid": 6,
        "activity_id": activity,
        "type_uid": 600300 + activity,
        "severity_id": 1,
        "status": "Failure" if failed else "Success",
        "status_id": 2 if failed else 1,
        "unmapped": {
            key: record[key]
            for key in ("eventType", "eventCategory", "managementEvent", "readOnly", "recipientAccountId")
            if key in record
        },
    }


def network_activity_row(flow: Mapping[str, Any]) -> Row:
    """A flow (``demo.records.vpcflow.flow``) as an OCSF 1.1.0 Network Activity row
    (Security Lake's VPC Flow Logs mapping; times in epoch ms)."""
    accepted = flow.get("action") == "ACCEPT"
    return {
        "metadata": {
            "product": {"version": str(flow.get("version", 2)), "name": "Amazon VPC", "vendor_name": "AWS"},
            "profiles": ["cloud", "security_control", "datetime"],
            "version": "1.1.0",
        },
        "cloud": {
            "account": {"uid": flow.get("account-id")},
            "provider": "AWS",
            "region": flow.get("region"),
        },
        "src_endpoint": {
            "ip": flow.get("srcaddr"),
            "port": flow.get("srcport"),
            "interface_uid": flow.get("interface-id"),
        },
        "dst_endpoint": {"ip": flow.get("dstaddr"), "port": flow.get("dstport")},
        "connection_info": {"protocol_num": flow.get("protocol"), "direction_id": 2, "direction": "Outbound"},
        "traffic": {"packets": flow.get("packets"), "bytes": flow.get("bytes")},
        "time": int(flow["start"]) * 1000,
        "start_time": int(flow["start"]) * 1000,
        "end_time": int(flow["end"]) * 1000,
        "status_code": flow.get("log-status", "OK"),
        "class_name": "Network Activity",
        "class_uid": 4001,
        "category_uid": 4,
        "activity_name": "Traffic" if accepted else "Refuse",
        "activity_id": 6 if accepted else 5,
        "action": "Allowed" if accepted else "Denied",
        "action_id": 1 if accepted else 2,
        "severity_id": 1,
    }


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


def _epoch_ms(text: Any) -> int | None:
    if not isinstance(text, str):
        return None
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
