"""Records the tests build by hand, where any typical record would do."""

from __future__ import annotations


def cloudtrail_record(
    number: int = 0, event_name: str = "CreateUser", **members: object
) -> dict[str, object]:
    """A small CloudTrail record: IAM user ``a`` calls IAM's ``event_name`` from 192.0.2.1, with
    the ``eventID`` of ``number``; ``members`` add top-level members or replace them
    (``eventID=...``, ``requestParameters=...``)."""
    return {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "IAMUser",
            "accountId": "111122223333",
            "principalId": "AIDA",
            "userName": "a",
        },
        "eventTime": "2024-05-01T12:00:00Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": event_name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "192.0.2.1",
        "eventID": f"8b7f5a1e-0000-4000-8000-{number:012d}",
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333",
        **members,
    }
