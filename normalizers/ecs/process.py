"""A process as ECS ``process.*`` fields: GuardDuty Runtime Monitoring's ``runtimeDetails.process``
and ASFF's ``Process`` describe the same thing with other names."""

from __future__ import annotations

from typing import Any

from normalizers.ecs.timestamps import optional_time
from normalizers.ecs.values import as_text, is_number, prune


def process_fields(
    *,
    name: Any = None,
    executable: Any = None,
    pid: Any = None,
    parent_pid: Any = None,
    sha256: Any = None,
    working_directory: Any = None,
    user_name: Any = None,
    user_id: Any = None,
    start: Any = None,
    end: Any = None,
) -> dict[str, Any]:
    """ECS ``process``: values of the wrong type are left out (they only describe the finding)."""
    process: dict[str, Any] = prune(
        {
            "name": as_text(name),
            "executable": as_text(executable),
            "pid": _id_number(pid),
            "parent": {"pid": _id_number(parent_pid)},
            "hash": {"sha256": as_text(sha256)},
            "working_directory": as_text(working_directory),
            "user": {"name": as_text(user_name), "id": _user_id(user_id)},
            "start": optional_time(start),
            "end": optional_time(end),
        }
    )
    return process


def _id_number(value: Any) -> int | None:
    """A process or user id: a whole number that fits a ``long``."""
    if not is_number(value) or (isinstance(value, float) and not value.is_integer()):
        return None
    number = int(value)
    return number if 0 <= number < 2**63 else None


def _user_id(value: Any) -> str | None:
    """ECS ``user.id`` is a keyword: GuardDuty's numeric uid becomes its decimal text."""
    number = _id_number(value)
    return str(number) if number is not None else as_text(value)
