"""What an object's S3 key says about the records in it, for the mappers that need it."""

from __future__ import annotations

import re
from functools import lru_cache

AWS_LOGS_FOLDER = re.compile(r"AWSLogs/(?:o-[a-z0-9]{10,32}/)?(?:aws-account-id=)?([0-9]{12})/([^/]*)")
"""AWS's delivery folders, ``AWSLogs/<account>/<folder>``: ``AWSLogs/<organization id>/<account>/``
for an organization trail, ``AWSLogs/aws-account-id=<account>/aws-service=<service>`` for
flow logs with Hive-compatible prefixes. Group 1 is the account (ASCII digits: ``\\d`` would take
any of Unicode's, ``١٢٣``), group 2 the next folder."""
SECURITY_LAKE_ACCOUNT = re.compile(r"/accountId=([0-9]{12})/")
"""Security Lake's account partition, ``.../region=<region>/accountId=<account>/eventDay=...``:
it writes each account's rows under their own, as CloudTrail an account's files under
``AWSLogs/<account>/``."""


@lru_cache(maxsize=64)
def delivered_account(location: str) -> str | None:
    """The account whose delivery folder ``location`` (``s3://bucket/key`` or a path) is under:
    its ``AWSLogs/<account>/`` folder, else its one Security Lake ``accountId=`` partition (a
    key with two is no delivery's, whichever it names, as normalizers.layouts reads keys);
    ``None`` when it is under none. Cached: every record of an object asks the same."""
    found = AWS_LOGS_FOLDER.search(location)
    if found is None and location.count("accountId=") == 1:
        found = SECURITY_LAKE_ACCOUNT.search(location)
    return found.group(1) if found else None


_S3_LOCATION = re.compile(r"s3://[^/]+/")


def object_key(location: str) -> str:
    """The S3 key of ``s3://bucket/key`` (a local path stays as given)."""
    return _S3_LOCATION.sub("", location, count=1)
