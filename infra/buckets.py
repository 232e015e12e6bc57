"""The settings every bucket of the stack shares except the log bucket (its own KMS key and
Object Lock: infra.storage): SSE-S3, TLS only, no public access, ACLs disabled, kept when the
stack is deleted, and a stated reason for having no server access logs."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.nag import suppress


def private_bucket(
    scope: Construct,
    construct_id: str,
    *,
    lifecycle_rules: Sequence[s3.LifecycleRule],
    no_access_logs: str,
    versioned: bool = True,
) -> s3.Bucket:
    """A bucket only the stack's own roles use; ``no_access_logs``: why it needs no server
    access logs (cdk-nag AwsSolutions-S1)."""
    bucket = s3.Bucket(
        scope,
        construct_id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned=versioned,
        lifecycle_rules=list(lifecycle_rules),
        removal_policy=RemovalPolicy.RETAIN,
    )
    suppress(bucket, "AwsSolutions-S1", no_access_logs)
    return bucket
