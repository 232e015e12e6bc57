"""GuardDuty findings as the AWS CLI/SDK print them (``aws guardduty get-findings``): PascalCase
member names, renamed to the export's wire names before mapping (docs/sources/guardduty.md)."""

from __future__ import annotations

import re
from typing import Any

from normalizers.guardduty.tables import API_DATA_KEY_LEVELS, API_RENAMED, API_RENAMED_UNDER

_GUARDDUTY_ARN = re.compile(r"arn:aws[\w-]*:guardduty:")


def is_api_shape(finding: dict[str, Any]) -> bool:
    """True for a finding as the CLI/SDK print it (``AccountId``, ``Arn``...), not exported."""
    if "id" in finding or "accountId" in finding:
        return False
    arn = finding.get("Arn")
    return "AccountId" in finding or (isinstance(arn, str) and _GUARDDUTY_ARN.match(arn) is not None)


def from_api_shape(value: Any, parent: str = "") -> Any:
    """Rename the API's PascalCase member names to the export's, recursively."""
    if isinstance(value, list):
        return [from_api_shape(item, parent) for item in value]
    if not isinstance(value, dict):
        return value
    return {_export_name(parent, key): _renamed_member(key, item) for key, item in value.items()}


def _renamed_member(key: str, value: Any) -> Any:
    levels = API_DATA_KEY_LEVELS.get(key)
    return from_api_shape(value, key) if levels is None else _below_data_keys(value, levels, key)


def _below_data_keys(value: Any, levels: int, parent: str) -> Any:
    if levels == 0 or not isinstance(value, dict):
        return from_api_shape(value, parent)
    return {key: _below_data_keys(item, levels - 1, parent) for key, item in value.items()}


def _export_name(parent: str, key: str) -> str:
    renamed = API_RENAMED_UNDER.get((parent, key)) or API_RENAMED.get(key)
    return renamed if renamed is not None else key[:1].lower() + key[1:]
