"""The provenance fields an OCSF row adds to the documents made from it."""

from __future__ import annotations

from normalizers.fields import Field, field

FIELDS: tuple[Field, ...] = (
    field(
        "aws.securitylake.class_uid",
        "long",
        "the OCSF class of the row (6003 API Activity, 4001 Network Activity, 2001-2004 findings)",
        "class_uid",
    ),
    field("aws.securitylake.class_name", "keyword", "the OCSF class's name", "class_name"),
    field(
        "aws.securitylake.activity_name",
        "keyword",
        "the OCSF activity (`Create`, `Traffic`...)",
        "activity_name",
    ),
    field(
        "aws.securitylake.ocsf_version", "keyword", "the OCSF schema version of the row", "metadata.version"
    ),
    field(
        "aws.securitylake.product_name",
        "keyword",
        "the product that logged the event, as OCSF names it (`CloudTrail`, `Amazon VPC`, `Security Hub`)",
        "metadata.product.name",
    ),
    field(
        "aws.securitylake.source",
        "keyword",
        "the Security Lake source of the object, from its key (`CLOUD_TRAIL_MGMT`, `VPC_FLOW`, `SH_FINDINGS`)",
    ),
)
