"""Key names in ECS style: snake_case, as Elastic's AWS integration writes them."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from normalizers.ecs.values import flat

# A word starts at a capital after a lower-case letter or digit (eventName -> event_name), and
# at the last capital of a run followed by lower case (AWSAccountId -> aws_account_id). A plural
# acronym stays one word: sourceIPs -> source_ips, not source_i_ps.
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z](?!s(?:[A-Z0-9]|$))[a-z])")


@lru_cache(maxsize=4096)
def snake_name(name: str) -> str:
    """``ipAddressV4`` -> ``ip_address_v4``, ``AwsApiCallAction`` -> ``aws_api_call_action``,
    ``AWSAccountId`` -> ``aws_account_id``, ``MFAUsed`` -> ``mfa_used``, ``sourceIPs`` -> ``source_ips``."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def snake(value: Any, keep: frozenset[str] = frozenset()) -> Any:
    """Rename object keys to snake_case, recursively.

    Keys named in ``keep`` hold unbounded shapes: their value is renamed but not entered,
    and becomes a ``flat_object`` container (see :func:`~normalizers.ecs.values.flat`).
    """
    if type(value) is dict:
        return {
            snake_name(key): flat(item) if key in keep else _snake_inner(item, keep)
            for key, item in value.items()
        }
    if type(value) is list:
        return [_snake_inner(item, keep) for item in value]
    return value


def _snake_inner(value: Any, keep: frozenset[str]) -> Any:
    # Scalars are returned without a call: most leaves of a finding are scalars.
    return snake(value, keep) if type(value) in (dict, list) else value
