"""The demo incident told in five lines, from its ground truth (``make demo`` prints it first).

Every name, key, address and time comes from the :class:`~demo.truth.Incident`, so the story
stays true when the incident or its seed changes.
"""

from __future__ import annotations

from demo.truth import AttackEvent, FindingTruth, Incident


def story(incident: Incident) -> list[str]:
    """The attacker's path: stolen key, role chain, persistence, evasion and theft, root."""
    first, chained = incident.role_chain[0], incident.final_session
    recon = _first(incident, "GetCallerIdentity")
    persistence = _first(incident, "CreateUser")
    stop = _first(incident, "StopLogging")
    root = _first(incident, "ConsoleLogin")
    sequence = _attack_sequence(incident)
    return [
        f"{_hm(recon)}  {incident.attacker_ip} uses the stolen access key {incident.compromised_access_key_id} of IAM "
        f"user {incident.compromised_user_name} (account {incident.source_account_id}) to look around.",
        f"{_hm(_first(incident, 'AssumeRole'))}  it assumes {first.role_name} in account {first.account_id}, then "
        f"chains into {chained.role_name} (session {chained.session_name}, key {chained.access_key_id}).",
        f"{_hm(persistence)}  it creates IAM user {incident.persistence_user_name} with AdministratorAccess and a "
        f"key, and opens SSH to the world on {incident.opened_security_group_id}.",
        f"{_hm(stop)}  it stops the trail {incident.stopped_trail_arn.rsplit('/', 1)[-1]} and copies "
        f"{len(incident.exfiltrated_keys)} objects out of s3://{incident.exfiltrated_bucket}.",
        f"{_hm(root)}  root signs in to the console without MFA from {incident.attacker_console_ip}"
        + (f"; GuardDuty raises {sequence.kind} ({sequence.severity:g})." if sequence else "."),
    ]


def _first(incident: Incident, event_name: str) -> AttackEvent:
    return min((e for e in incident.attack_events if e.event_name == event_name), key=lambda e: e.time)


def _attack_sequence(incident: Incident) -> FindingTruth | None:
    sequences = [f for f in incident.guardduty_findings if f.kind.startswith("AttackSequence:")]
    return max(sequences, key=lambda f: f.severity) if sequences else None


def _hm(event: AttackEvent) -> str:
    """``2026-03-14T09:02:10Z`` -> ``09:02``."""
    return event.time[11:16]
