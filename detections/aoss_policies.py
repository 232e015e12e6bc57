"""The principals an OpenSearch Serverless data access policy lets in.

A data access policy (``aoss`` ``CreateAccessPolicy`` / ``UpdateAccessPolicy``, ``type:
data``) has a grammar of its own, not IAM's: JSON text of a LIST of rules, each naming its
principals and what they may do on which collections and indexes::

    [{"Rules": [{"ResourceType": "index", "Resource": ["index/siem/*"],
                 "Permission": ["aoss:ReadDocument"]}],
      "Principal": ["arn:aws:iam::444455556666:role/reader",
                    "saml/111122223333/corp-idp/group/analysts"]}]

No ``Effect`` (every rule allows), no ``Condition``: a principal named is let in. A principal
is an IAM user's or role's ARN (of any account: AOSS grants across accounts), the account
itself (``arn:aws:iam::<id>:root``), a SAML user or group of an AOSS SAML provider
(``saml/<account id>/<provider>/user|group/<name>``, the provider's account named second) or
an IAM Identity Center user or group (``iamidentitycenter/<instance id>/...``: an instance,
no account, so it names nobody this reader can place outside). The product's own evidence
lives in such a collection: a rule naming another account reads it from there.

The text is read within the bound the caller sets (principals.MAX_POLICY_TEXT); malformed
JSON, JSON nested past the parser's limit, or a shape other than a list of rules reads as no
principal (AOSS rejects such a policy, so a successful call never carries one).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

_SAML = re.compile(r"\Asaml/(\d{12})/", re.IGNORECASE)
"""A SAML principal and the account of the provider it names."""


def data_access_principals(text: str) -> list[str]:
    """The principals of every rule of a data access policy's JSON text, as account-level
    names :mod:`detections.principals` compares: an ARN or ``*`` as written, a SAML principal
    as its provider's account id; nothing else (an Identity Center principal, a value that
    is not text). ``[]`` when the text is not a list of rules."""
    try:
        rules = json.loads(text)
    except (ValueError, RecursionError):
        return []
    if not isinstance(rules, list):
        return []
    return [name for rule in rules if isinstance(rule, dict) for name in _principals(rule.get("Principal"))]


def _principals(value: Any) -> Iterator[str]:
    for item in value if isinstance(value, list) else [value]:
        if not isinstance(item, str):
            continue
        name = item.strip()
        saml = _SAML.match(name)
        if saml:
            yield saml.group(1)
        elif name == "*" or name.startswith("arn:"):
            yield name


__all__ = ["data_access_principals"]
