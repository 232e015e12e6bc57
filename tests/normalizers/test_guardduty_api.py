"""GuardDuty findings as the AWS CLI/SDK print them (``aws guardduty get-findings``).

The API's member names are PascalCase; exports and EventBridge carry the lowerCamel wire
names. Both findings below were written by hand (not one derived from the other) after the
GuardDuty API reference and finding format (/work/shared/reference/aws-docs/guardduty/).
"""

from __future__ import annotations

import gzip
import io
import json
import re
from pathlib import Path
from typing import Any

import botocore

from normalizers import DeadLetter, Origin, normalize_object
from normalizers.detect import detect
from normalizers.fields import kinds
from normalizers.guardduty.api_shape import from_api_shape
from normalizers.guardduty.fields import FIELDS
from normalizers.guardduty.tables import API_DATA_KEY_LEVELS

ORIGIN = Origin("s3://bucket/exports/get-findings.json", "2026-01-01T00:00:00Z")
FINDING_ARN = (
    "arn:aws:guardduty:eu-west-1:111122223333:detector/5eb0d1c2a3f4e5d6c7b8a9f0e1d2c3b4/finding/7a1b"
)

EXPORTED: dict[str, Any] = {
    "schemaVersion": "2.0",
    "accountId": "111122223333",
    "region": "eu-west-1",
    "partition": "aws",
    "id": "7a1b",
    "arn": FINDING_ARN,
    "type": "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
    "title": "Credentials for instance role ops used from a remote AWS account.",
    "description": "Credentials created exclusively for an EC2 instance are being used from an external IP.",
    "severity": 8,
    "confidence": 0,
    "createdAt": "2026-03-01T08:00:00.000Z",
    "updatedAt": "2026-03-02T09:30:00.000Z",
    "resource": {
        "resourceType": "AccessKey",
        "accessKeyDetails": {
            "accessKeyId": "ASIAEXAMPLEKEY000001",
            "principalId": "AROAEXAMPLEROLE00001:i-0abc12",
            "userName": "ops",
            "userType": "AssumedRole",
        },
        "instanceDetails": {
            "instanceId": "i-0abc12",
            "instanceType": "t3.micro",
            "availabilityZone": "eu-west-1a",
            "iamInstanceProfile": {
                "arn": "arn:aws:iam::111122223333:instance-profile/ops",
                "id": "AIPAEXAMPLE",
            },
            "productCodes": [{"productCodeId": "abc123", "productCodeType": "marketplace"}],
            "tags": [{"key": "Name", "value": "bastion"}, {"key": "CostCenter", "value": "42"}],
            "networkInterfaces": [
                {
                    "privateDnsName": "ip-10-0-0-5.eu-west-1.compute.internal",
                    "privateIpAddress": "10.0.0.5",
                    "privateIpAddresses": [{"privateIpAddress": "10.0.0.5"}],
                    "ipv6Addresses": ["2001:db8::5"],
                    "publicIp": "198.51.100.5",
                    "securityGroups": [{"groupId": "sg-1", "groupName": "web"}],
                }
            ],
        },
    },
    "service": {
        "serviceName": "guardduty",
        "detectorId": "5eb0d1c2a3f4e5d6c7b8a9f0e1d2c3b4",
        "archived": False,
        "count": 3,
        "eventFirstSeen": "2026-03-01T07:55:00.000Z",
        "eventLastSeen": "2026-03-02T09:29:00.000Z",
        "resourceRole": "TARGET",
        "additionalInfo": {"value": '{"sample":true}', "type": "default"},
        "action": {
            "actionType": "AWS_API_CALL",
            "awsApiCallAction": {
                "api": "ListBuckets",
                "serviceName": "s3.amazonaws.com",
                "callerType": "Remote IP",
                "userAgent": "aws-cli/2.15.0",
                "errorCode": "AccessDenied",
                "affectedResources": {"AWS::S3::Bucket": "example-bucket"},
                "remoteIpDetails": {
                    "ipAddressV4": "203.0.113.7",
                    "geoLocation": {"lat": 48.85, "lon": 2.35},
                    "country": {"countryCode": "FR", "countryName": "France"},
                    "city": {"cityName": "Paris"},
                    "organization": {
                        "asn": "64500",
                        "asnOrg": "Example Transit",
                        "isp": "Example",
                        "org": "Example",
                    },
                },
            },
        },
        "detection": {
            "anomaly": {
                "profiles": {
                    "IAMUser": {
                        "UserAgent": [
                            {
                                "profileType": "frequency",
                                "profileSubtype": "rare",
                                "observations": {"text": ["aws-cli"]},
                            }
                        ]
                    }
                },
                "unusual": {
                    "behavior": {
                        "ListBuckets": {
                            "RemoteIp": {
                                "profileType": "frequency",
                                "observations": {"text": ["203.0.113.7"]},
                            }
                        }
                    }
                },
            }
        },
    },
}

API: dict[str, Any] = {
    "SchemaVersion": "2.0",
    "AccountId": "111122223333",
    "Region": "eu-west-1",
    "Partition": "aws",
    "Id": "7a1b",
    "Arn": FINDING_ARN,
    "Type": "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
    "Title": "Credentials for instance role ops used from a remote AWS account.",
    "Description": "Credentials created exclusively for an EC2 instance are being used from an external IP.",
    "Severity": 8,
    "Confidence": 0,
    "CreatedAt": "2026-03-01T08:00:00.000Z",
    "UpdatedAt": "2026-03-02T09:30:00.000Z",
    "Resource": {
        "ResourceType": "AccessKey",
        "AccessKeyDetails": {
            "AccessKeyId": "ASIAEXAMPLEKEY000001",
            "PrincipalId": "AROAEXAMPLEROLE00001:i-0abc12",
            "UserName": "ops",
            "UserType": "AssumedRole",
        },
        "InstanceDetails": {
            "InstanceId": "i-0abc12",
            "InstanceType": "t3.micro",
            "AvailabilityZone": "eu-west-1a",
            "IamInstanceProfile": {
                "Arn": "arn:aws:iam::111122223333:instance-profile/ops",
                "Id": "AIPAEXAMPLE",
            },
            "ProductCodes": [{"Code": "abc123", "ProductType": "marketplace"}],
            "Tags": [{"Key": "Name", "Value": "bastion"}, {"Key": "CostCenter", "Value": "42"}],
            "NetworkInterfaces": [
                {
                    "PrivateDnsName": "ip-10-0-0-5.eu-west-1.compute.internal",
                    "PrivateIpAddress": "10.0.0.5",
                    "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.5"}],
                    "Ipv6Addresses": ["2001:db8::5"],
                    "PublicIp": "198.51.100.5",
                    "SecurityGroups": [{"GroupId": "sg-1", "GroupName": "web"}],
                }
            ],
        },
    },
    "Service": {
        "ServiceName": "guardduty",
        "DetectorId": "5eb0d1c2a3f4e5d6c7b8a9f0e1d2c3b4",
        "Archived": False,
        "Count": 3,
        "EventFirstSeen": "2026-03-01T07:55:00.000Z",
        "EventLastSeen": "2026-03-02T09:29:00.000Z",
        "ResourceRole": "TARGET",
        "AdditionalInfo": {"Value": '{"sample":true}', "Type": "default"},
        "Action": {
            "ActionType": "AWS_API_CALL",
            "AwsApiCallAction": {
                "Api": "ListBuckets",
                "ServiceName": "s3.amazonaws.com",
                "CallerType": "Remote IP",
                "UserAgent": "aws-cli/2.15.0",
                "ErrorCode": "AccessDenied",
                "AffectedResources": {"AWS::S3::Bucket": "example-bucket"},
                "RemoteIpDetails": {
                    "IpAddressV4": "203.0.113.7",
                    "GeoLocation": {"Lat": 48.85, "Lon": 2.35},
                    "Country": {"CountryCode": "FR", "CountryName": "France"},
                    "City": {"CityName": "Paris"},
                    "Organization": {
                        "Asn": "64500",
                        "AsnOrg": "Example Transit",
                        "Isp": "Example",
                        "Org": "Example",
                    },
                },
            },
        },
        "Detection": {
            "Anomaly": {
                "Profiles": {
                    "IAMUser": {
                        "UserAgent": [
                            {
                                "ProfileType": "frequency",
                                "ProfileSubtype": "rare",
                                "Observations": {"Text": ["aws-cli"]},
                            }
                        ]
                    }
                },
                "Unusual": {
                    "Behavior": {
                        "ListBuckets": {
                            "RemoteIp": {
                                "ProfileType": "frequency",
                                "Observations": {"Text": ["203.0.113.7"]},
                            }
                        }
                    }
                },
            }
        },
    },
}


def _documents(data: bytes, source: str | None = None) -> list[Any]:
    items = list(normalize_object(io.BytesIO(data), ORIGIN, source))  # type: ignore[arg-type]
    assert not [item for item in items if isinstance(item, DeadLetter)], items
    return items


def test_the_api_names_become_the_export_names() -> None:
    assert from_api_shape(API) == EXPORTED


def test_both_shapes_give_identical_documents() -> None:
    (exported,) = _documents(json.dumps(EXPORTED).encode())
    (from_cli,) = _documents(json.dumps({"Findings": [API]}, indent=4).encode())
    assert from_cli == exported
    assert exported["aws"]["guardduty"]["sample"] is True  # read from additionalInfo.value
    assert exported["user"] == {"name": "i-0abc12", "id": "AROAEXAMPLEROLE00001:i-0abc12", "roles": ["ops"]}
    assert exported["source"]["geo"]["location"] == {"lat": 48.85, "lon": 2.35}
    assert exported["event"]["outcome"] == "failure"  # errorCode AccessDenied


def test_a_bare_api_finding_forced_to_guardduty() -> None:
    (document,) = _documents(json.dumps(API).encode(), "guardduty")
    assert document["event"]["id"] == "7a1b@2026-03-02T09:30:00Z"
    assert document["cloud"]["account"]["id"] == "111122223333"


def test_cli_output_is_detected_as_guardduty_wherever_its_arn_is() -> None:
    cli_output = json.dumps({"Findings": [API]}, indent=4, sort_keys=True).encode()
    assert detect(cli_output).source == "guardduty"
    # SchemaVersion (an ASFF marker too) first, the Arn last: still GuardDuty.
    reordered = {"SchemaVersion": "2.0", **{k: v for k, v in API.items() if k != "Arn"}, "Arn": FINDING_ARN}
    assert detect(json.dumps(reordered).encode()).source == "guardduty"


def test_asff_imported_from_guardduty_stays_security_hub() -> None:
    asff = {
        "SchemaVersion": "2018-10-08",
        "Id": FINDING_ARN,
        "ProductArn": "arn:aws:securityhub:eu-west-1::product/aws/guardduty",
        "GeneratorId": "arn:aws:guardduty:eu-west-1:111122223333:detector/5eb0d1c2a3f4e5d6c7b8a9f0e1d2c3b4",
        "AwsAccountId": "111122223333",
        "Types": ["TTPs/Initial Access"],
        "ProductFields": {"aws/guardduty/service/archived": "false"},
        "Resources": [{"Type": "AwsIamAccessKey", "Id": "AWS::IAM::AccessKey:ASIAEXAMPLEKEY000001"}],
    }
    assert detect(json.dumps({"Findings": [asff]}).encode()).source == "securityhub"
    assert detect(json.dumps(asff).encode()).source == "securityhub"


def _model() -> dict[str, Any]:
    path = Path(botocore.__file__).parent / "data" / "guardduty" / "2017-11-28" / "service-2.json.gz"
    with gzip.open(path) as handle:
        model: dict[str, Any] = json.load(handle)
    return model


def test_the_renames_match_the_guardduty_api_model() -> None:
    """Walk botocore's model of ``Finding``: every member renamed as its wire name (the
    ``locationName`` exports carry), and every map (its keys are data) known as one."""
    shapes = _model()["shapes"]
    wrong: list[tuple[str, str, str, str]] = []
    data_levels: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()

    def map_levels(shape: str) -> tuple[int, str]:
        levels = 0
        while shapes[shape]["type"] in ("map", "list"):
            if shapes[shape]["type"] == "map":
                levels, shape = levels + 1, shapes[shape]["value"]["shape"]
            else:
                shape = shapes[shape]["member"]["shape"]
        return levels, shape

    def walk(shape: str, holder: str) -> None:
        if (shape, holder) in seen:
            return
        seen.add((shape, holder))
        for member, spec in shapes[shape].get("members", {}).items():
            wire = spec.get("locationName", member)
            (ours,) = from_api_shape({member: None}, holder)
            if ours != wire:
                wrong.append((holder, member, ours, wire))
            levels, inner = map_levels(spec["shape"])
            if levels:
                data_levels[member] = levels
            walk(inner, member)

    walk("Finding", "")
    assert len(seen) > 200  # the model was read, not an empty shape
    assert wrong == []
    assert data_levels == API_DATA_KEY_LEVELS


def test_every_resource_kind_of_the_api_model_is_a_mapped_flat_object() -> None:
    """Each ``Resource`` member of botocore's model but the type is a resource kind's details:
    unmapped, it would stay in ``_source`` and not be searchable."""
    members = _model()["shapes"]["Resource"]["members"]
    wire = {spec.get("locationName", name) for name, spec in members.items() if name != "ResourceType"}
    assert {"ebsSnapshotDetails", "ec2ImageDetails", "recoveryPointDetails", "modelDetails"} <= wire
    snake = {re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() for name in wire}
    mapped = kinds(FIELDS)
    assert {name: mapped.get(f"aws.guardduty.resource.{name}") for name in snake} == dict.fromkeys(
        snake, "flat_object"
    )
