"""Who runs the command, recorded as who triaged an incident (``siem incidents ack --by``).

With SigV4 (``--auth aoss`` or ``es``) the command already has AWS credentials: their identity
(``sts:GetCallerIdentity``, which needs no IAM permission: one short request) is the ARN an
audit would look for (``arn:aws:sts::111122223333:assumed-role/OnCall/alice``). Without them
(``--auth none`` or ``basic``, a local engine), or when STS does not answer, ``$USER``.
"""

from __future__ import annotations

import getpass

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from opensearch_client import SIGV4_MODES, ConnectionSettings

STS_CONFIG = Config(connect_timeout=3, read_timeout=3, retries={"max_attempts": 1})
UNKNOWN = "unknown"


def caller_name(connection: ConnectionSettings) -> str:
    if connection.auth in SIGV4_MODES:
        try:
            sts = boto3.client("sts", region_name=connection.region, config=STS_CONFIG)
            return str(sts.get_caller_identity()["Arn"])
        except (BotoCoreError, ClientError):
            pass  # offline, or no STS endpoint reachable: the local user name says enough
    try:
        return getpass.getuser()  # $LOGNAME, $USER, $LNAME, $USERNAME, else the password database
    except (OSError, KeyError):
        return UNKNOWN
