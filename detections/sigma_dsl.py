"""A Sigma condition (after our field-mapping pipeline) as one OpenSearch query clause.

pySigma's Lucene backend writes ``field:value``, which is case-sensitive on keyword fields;
Sigma means string matches to ignore case. The query DSL has ``case_insensitive: true`` on
``term``, ``wildcard`` and ``prefix`` (OpenSearch >= 1.0, Serverless included), which
``query_string`` lacks. So the converted rules run this DSL, built from the same parsed
condition the Lucene backend reads:

- strings on the fields of :data:`CASE_INSENSITIVE_FIELDS` (values AWS does not fix the case
  of: user agents, user and role names, error messages, source names) match in any case;
- everything else matches exactly: event names and sources, ids, ARNs, account ids, types,
  error codes, regions (AWS defines their case, and an exact match is what an analyst
  expects of an ARN), booleans and addresses (not strings), and values inside the
  ``flat_object`` request/response fields: OpenSearch documents no ``case_insensitive``
  support for flat_object sub-fields, and a flag it ignored would make a rule miss silently.
- ``|cased`` keeps a string exact anywhere, as Sigma says.
"""

from __future__ import annotations

from typing import Any

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
)
from sigma.types import (
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaExists,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SpecialChars,
)

CASE_INSENSITIVE_FIELDS = frozenset(
    {
        "user_agent.original.keyword",
        "aws.cloudtrail.error_message.keyword",
        "source.address",
        "user.name",
        "aws.cloudtrail.user_identity.invoked_by",
        "aws.cloudtrail.user_identity.session_context.session_issuer.user_name",
    }
)
"""Keyword fields whose values vary in case (our names, after the field mapping)."""


class UnsupportedCondition(ValueError):
    """A Sigma construct this translation has no query for (the rule is reported, not dropped)."""


def to_dsl(condition: Any) -> dict[str, Any]:
    """The parsed (and field-mapped) Sigma condition as an OpenSearch query clause."""
    if isinstance(condition, ConditionAND):
        return {"bool": {"filter": [to_dsl(arg) for arg in condition.args]}}
    if isinstance(condition, ConditionOR):
        return {"bool": {"should": [to_dsl(arg) for arg in condition.args], "minimum_should_match": 1}}
    if isinstance(condition, ConditionNOT):
        return {"bool": {"must_not": [to_dsl(condition.args[0])]}}
    if isinstance(condition, ConditionFieldEqualsValueExpression):
        return _leaf(condition.field, condition.value)
    raise UnsupportedCondition(f"no query for {type(condition).__name__} (a value without a field?)")


def _leaf(field: str, value: Any) -> dict[str, Any]:
    if isinstance(value, SigmaExists):
        exists = {"exists": {"field": field}}
        return exists if value.exists else {"bool": {"must_not": [exists]}}
    if isinstance(value, SigmaNull):
        return {"bool": {"must_not": [{"exists": {"field": field}}]}}
    if isinstance(value, SigmaBool):
        return {"term": {field: value.boolean}}
    if isinstance(value, SigmaNumber):
        return {"term": {field: value.number}}
    if isinstance(value, SigmaCIDRExpression):
        return {"term": {field: value.cidr}}
    if isinstance(value, SigmaRegularExpression):
        return {"regexp": {field: {"value": str(value.regexp)}}}
    if isinstance(value, SigmaString):
        return _string(
            field, value, field in CASE_INSENSITIVE_FIELDS and not isinstance(value, SigmaCasedString)
        )
    raise UnsupportedCondition(f"no query for a {type(value).__name__} value on {field}")


def _string(field: str, value: SigmaString, case_insensitive: bool) -> dict[str, Any]:
    if not value.contains_special():
        clause: dict[str, Any] = {"value": "".join(str(part) for part in value.s)}
        kind = "term"
    else:
        pattern = "".join(_wildcard_part(part) for part in value.s)
        if pattern.strip("*") == "":
            return {"exists": {"field": field}}
        clause, kind = {"value": pattern}, "wildcard"
    if case_insensitive:
        clause["case_insensitive"] = True
    return {kind: {field: clause}}


def _wildcard_part(part: Any) -> str:
    if part == SpecialChars.WILDCARD_MULTI:
        return "*"
    if part == SpecialChars.WILDCARD_SINGLE:
        return "?"
    text = str(part)
    for special in ("\\", "*", "?"):
        text = text.replace(special, "\\" + special)
    return text


__all__ = ["CASE_INSENSITIVE_FIELDS", "UnsupportedCondition", "to_dsl"]
