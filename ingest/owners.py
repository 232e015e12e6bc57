"""Lease owners of command-line runs: unique per run, and known dead when their process is.

Two ``siem ingest`` runs on one machine must never share a lease owner, or both would write the
same object (issue 19: two runs as ``cli@<hostname>`` indexed everything twice). So the owner
names the machine, the process and a random token: ``cli@<host>:<pid>:<token>``.

A run killed with ``kill -9`` leaves its leases behind (an hour long for the CLI). A later run
on the same machine takes such a lease over at once when the process that holds it is gone:
:func:`holder_is_dead` answers that, and only for owners of this format on this host. A PID
reused by another process makes the holder look alive: the lease then simply runs out. Lambda
owners (request ids) never match, so their leases end with their invocation only.
"""

from __future__ import annotations

import os
import re
import secrets
import socket

_OWNER = re.compile(r"cli@(?P<host>.+):(?P<pid>\d+):(?P<token>[0-9a-f]+)")


def run_owner() -> str:
    """A lease owner for this run: its machine, its process id and a random token."""
    return f"cli@{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def holder_is_dead(holder: str) -> bool:
    """True when ``holder`` is a run of this machine whose process no longer exists."""
    match = _OWNER.fullmatch(holder)
    if match is None or match["host"] != socket.gethostname():
        return False
    pid = int(match["pid"])
    if pid == os.getpid():
        return False  # another run in this very process is alive by definition
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False
