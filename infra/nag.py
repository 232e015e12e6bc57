"""cdk-nag (v3) acknowledgments: each one scoped to one construct and carrying its reason.

cdk-nag v3 reports each finding of a rule separately (``AwsSolutions-IAM5[Resource::...]``)
and suppresses only the findings acknowledged by their exact id, so a new wildcard added
later is reported instead of being hidden by an older suppression.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
from constructs import IConstruct

BASIC_EXECUTION_POLICY = "arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def logical_id(construct: IConstruct) -> str:
    """The logical id of an L2's CloudFormation resource, as cdk-nag names it in findings."""
    resource = construct.node.default_child
    assert isinstance(resource, CfnElement), f"{construct.node.path} has no CloudFormation resource"
    return Stack.of(construct).get_logical_id(resource)


def suppress(construct: IConstruct, rule: str, reason: str, findings: Iterable[str] = ()) -> None:
    """Acknowledge ``rule`` on ``construct``; with ``findings``, only those findings of it."""
    ids = [f"{rule}[{finding}]" for finding in findings] or [rule]
    Validations.of(construct).acknowledge(*(Acknowledgment(id=rule_id, reason=reason) for rule_id in ids))


def suppress_child(
    scope: IConstruct, child_path: str, rule: str, reason: str, findings: Iterable[str] = ()
) -> None:
    """Acknowledge on a construct a CDK library created inside ``scope`` (found by relative path)."""
    construct: IConstruct = scope
    for part in child_path.split("/"):
        construct = construct.node.find_child(part)
    suppress(construct, rule, reason, findings)
