"""GuardDuty's tables, as data: which objects stay whole, and the API shape's renames."""

from __future__ import annotations

DETAIL_TYPE = "GuardDuty Finding"
"""The EventBridge ``detail-type`` of a finding."""

# Sub-objects whose keys are data, not schema (or deep, fast-changing shapes): each is kept
# whole in one ``flat_object`` field so no finding can add mapped fields to the index.
FLAT_KEYS = frozenset(
    {
        "additionalInfo",
        "evidence",
        "affectedResources",
        "runtimeDetails",
        "detection",
        "ebsVolumeScanDetails",
        "malwareScanDetails",
    }
)


# The CLI/SDK print the API's member names (PascalCase); exports and EventBridge carry the
# wire names (the model's ``locationName``), which are the member name with its first
# letter lowered except for these (botocore's guardduty model; tests check the tables).
API_RENAMED = {
    "Code": "productCodeId",
    "ProductType": "productCodeType",
    "TaskCreatedAt": "createdAt",
    "SourceIps": "sourceIPs",
    "LoginAttributes": "LoginAttributes",
    "KubernetesResourcesTypes": "type",
    "Latitude": "lat",
    "Longitude": "lon",
}
# Renames that depend on the structure holding the member, named by the member holding it.
API_RENAMED_UNDER = {
    ("Account", "Name"): "account",
    ("Ec2Instance", "IamInstanceProfile"): "IamInstanceProfile",
}
# Maps whose keys are data (resource types, profile and feature names), by how many levels
# of data keys they have; what lies below those levels is structures again.
API_DATA_KEY_LEVELS = {"AffectedResources": 1, "Profiles": 2, "Behavior": 2}
