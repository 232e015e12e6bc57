#!/usr/bin/env python3
"""GuardDuty for the organization, in every region: delegated administrator, auto-enable, and
the findings export to the SIEM bucket.

GuardDuty is regional: each of these settings is made once per region, in the account the
subcommand names. Run with credentials of that account (``--profile`` or the environment):

  delegate ADMIN_ACCOUNT_ID   management account: make ADMIN_ACCOUNT_ID the GuardDuty
                              delegated administrator (EnableOrganizationAdminAccount)
  auto-enable                 delegated administrator: enable GuardDuty in every member account,
                              present and future (UpdateOrganizationConfiguration
                              AutoEnableOrganizationMembers=ALL)
  export                      delegated administrator: export the findings of every member to
                              the SIEM log bucket (CreatePublishingDestination, or
                              UpdatePublishingDestination when the detector exports elsewhere),
                              and with --frequency how often updated findings are exported

Regions: every region enabled in the account that needs no opt-in (DescribeRegions), or
``--regions``. Opt-in regions are skipped unless ``--include-opt-in`` (or named in ``--regions``).
GuardDuty exports there as its Regional principal ``guardduty.<region>.amazonaws.com``, which the
SIEM bucket and key policies admit only for the Regions of the central stack's
``guardDutyOptInRegions`` context value: deploy it with them first (``cdk deploy -c
guardDutyOptInRegions=me-south-1,...``), then export (docs/deploy.md, "Trust model").
Idempotent: a region already set is reported ``unchanged``. ``--dry-run`` reads and reports, and
changes nothing. Exit status 1 when a region failed.

Only boto3 and the standard library: it runs in CloudShell as ``python3 guardduty_setup.py``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

ClientFactory = Callable[[str, str], Any]
"""(service, region) -> a boto3 client."""

FREQUENCIES = ("FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS")
# Publishing statuses that need someone to fix the destination (PENDING_VERIFICATION is a new one).
BROKEN = ("UNABLE_TO_PUBLISH_FIX_DESTINATION_PROPERTY", "STOPPED")
OPT_IN_REGIONS = (
    "Opt-in Regions: GuardDuty exports there as guardduty.<region>.amazonaws.com, which the SIEM "
    "bucket and key policies admit only for the Regions of the central stack's guardDutyOptInRegions "
    "context value. Deploy the central stack with them first (cdk deploy -c "
    "guardDutyOptInRegions=me-south-1,af-south-1), then export with --include-opt-in or --regions "
    '(docs/deploy.md, "Trust model"); with an existing bucket (logBucketName), add the policy statements '
    'the stack synthesizes for them (docs/deploy.md, "An existing log bucket").'
)


@dataclass(frozen=True)
class Outcome:
    region: str
    status: str
    """created, updated, unchanged, skipped, would create, would update, or failed."""
    detail: str

    @property
    def failed(self) -> bool:
        return self.status == "failed"


def enabled_regions(ec2: Any, include_opt_in: bool) -> list[str]:
    """Regions enabled in this account; opt-in ones only when asked for."""
    regions = ec2.describe_regions(AllRegions=False)["Regions"]
    return sorted(
        region["RegionName"]
        for region in regions
        if include_opt_in or region.get("OptInStatus") == "opt-in-not-required"
    )


def detector_id(guardduty: Any) -> str | None:
    ids = guardduty.list_detectors()["DetectorIds"]
    return ids[0] if ids else None


# -- delegate ---------------------------------------------------------------------------------


def delegate(guardduty: Any, region: str, admin: str, dry_run: bool) -> Outcome:
    admins = guardduty.list_organization_admin_accounts()["AdminAccounts"]
    current = {a["AdminAccountId"]: a["AdminStatus"] for a in admins}
    if current.get(admin) == "ENABLED":
        return Outcome(region, "unchanged", f"{admin} is the delegated administrator")
    others = sorted(set(current) - {admin})
    if others:
        return Outcome(
            region, "failed", f"{', '.join(others)} is the delegated administrator: disable it first"
        )
    if dry_run:
        return Outcome(region, "would create", f"delegate GuardDuty to {admin}")
    guardduty.enable_organization_admin_account(AdminAccountId=admin)
    return Outcome(region, "created", f"{admin} is now the delegated administrator")


# -- auto-enable ------------------------------------------------------------------------------


def auto_enable(guardduty: Any, region: str, dry_run: bool) -> Outcome:
    detector = detector_id(guardduty)
    if detector is None:
        return Outcome(region, "failed", "no detector in this account: run 'delegate' for this region first")
    current = guardduty.describe_organization_configuration(DetectorId=detector).get(
        "AutoEnableOrganizationMembers"
    )
    if current == "ALL":
        return Outcome(region, "unchanged", "every member account is enabled automatically")
    if dry_run:
        return Outcome(region, "would update", f"auto-enable {current} -> ALL")
    guardduty.update_organization_configuration(DetectorId=detector, AutoEnableOrganizationMembers="ALL")
    return Outcome(region, "updated", f"auto-enable {current} -> ALL (new and existing members)")


# -- export -----------------------------------------------------------------------------------


def destination_arn(bucket: str, prefix: str, key_arn: str) -> str:
    """``arn:<partition>:s3:::<bucket>/<prefix>``: GuardDuty then writes
    ``<prefix>/AWSLogs/<administrator>/GuardDuty/<region>/...``, the path the bucket admits."""
    partition = key_arn.split(":")[1]
    return f"arn:{partition}:s3:::{bucket}/{prefix.strip('/')}"


def export(
    guardduty: Any, region: str, destination: str, key_arn: str, frequency: str | None, dry_run: bool
) -> Outcome:
    detector = detector_id(guardduty)
    if detector is None:
        return Outcome(region, "failed", "no detector: enable GuardDuty in this region first")
    wanted = {"DestinationArn": destination, "KmsKeyArn": key_arn}
    listed = guardduty.list_publishing_destinations(DetectorId=detector)["Destinations"]
    existing = next((d["DestinationId"] for d in listed if d["DestinationType"] == "S3"), None)
    status, changes = "unchanged", []
    if existing is None:
        status, changes = "created", [f"export to {destination}"]
        if not dry_run:
            guardduty.create_publishing_destination(
                DetectorId=detector, DestinationType="S3", DestinationProperties=wanted
            )
    else:
        current = guardduty.describe_publishing_destination(DetectorId=detector, DestinationId=existing)
        properties = current["DestinationProperties"]
        if {key: properties.get(key) for key in wanted} != wanted:
            status, changes = "updated", [f"export {properties.get('DestinationArn')} -> {destination}"]
            if not dry_run:
                guardduty.update_publishing_destination(
                    DetectorId=detector, DestinationId=existing, DestinationProperties=wanted
                )
        elif current["Status"] in BROKEN:
            return Outcome(
                region,
                "failed",
                f"detector {detector}: export {current['Status']} (check the bucket and key policies: "
                "this account in delegatedAdminAccountIds, an opt-in Region in guardDutyOptInRegions)",
            )
    if frequency:
        now = guardduty.get_detector(DetectorId=detector)["FindingPublishingFrequency"]
        if now != frequency:
            status = "updated" if status == "unchanged" else status
            changes.append(f"updated findings exported every {now} -> {frequency}")
            if not dry_run:
                guardduty.update_detector(DetectorId=detector, FindingPublishingFrequency=frequency)
    if status == "unchanged":
        return Outcome(region, status, f"detector {detector} exports to {destination}")
    if dry_run:
        status = "would create" if status == "created" else "would update"
    return Outcome(region, status, f"detector {detector}: " + "; ".join(changes))


# -- command line -----------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--profile", help="AWS profile (default: the environment's credentials)")
    common.add_argument(
        "--regions", nargs="+", metavar="REGION", help="these regions instead of every enabled one"
    )
    common.add_argument(
        "--include-opt-in",
        action="store_true",
        help="also opt-in regions (export: only those of the central stack's guardDutyOptInRegions, see below)",
    )
    common.add_argument("--dry-run", action="store_true", help="report what would change, change nothing")
    main = argparse.ArgumentParser(
        prog="guardduty_setup.py",
        description="GuardDuty delegated administrator, auto-enable and findings export, in every region.",
        epilog=OPT_IN_REGIONS,
    )
    commands = main.add_subparsers(dest="command", required=True)
    delegate_parser = commands.add_parser(
        "delegate", parents=[common], help="(management account) set the delegated administrator"
    )
    delegate_parser.add_argument("admin_account_id", metavar="ADMIN_ACCOUNT_ID")
    commands.add_parser(
        "auto-enable", parents=[common], help="(delegated administrator) enable every member account"
    )
    export_parser = commands.add_parser(
        "export",
        parents=[common],
        help="(delegated administrator) export findings to the bucket",
        epilog=OPT_IN_REGIONS,
    )
    export_parser.add_argument("--bucket", required=True, help="the central stack's LogBucketName output")
    export_parser.add_argument("--key-arn", required=True, help="the central stack's LogBucketKeyArn output")
    export_parser.add_argument(
        "--prefix", default="guardduty/", help="the guarddutyPrefix (default: guardduty/)"
    )
    export_parser.add_argument(
        "--frequency",
        choices=FREQUENCIES,
        help="how often GuardDuty exports updates of existing findings (AWS default: SIX_HOURS)",
    )
    return main


def run(args: argparse.Namespace, clients: ClientFactory, home_region: str) -> list[Outcome]:
    regions = args.regions or enabled_regions(clients("ec2", home_region), args.include_opt_in)
    outcomes = []
    for region in regions:
        guardduty = clients("guardduty", region)
        try:
            if args.command == "delegate":
                outcomes.append(delegate(guardduty, region, args.admin_account_id, args.dry_run))
            elif args.command == "auto-enable":
                outcomes.append(auto_enable(guardduty, region, args.dry_run))
            else:
                destination = destination_arn(args.bucket, args.prefix, args.key_arn)
                outcomes.append(
                    export(guardduty, region, destination, args.key_arn, args.frequency, args.dry_run)
                )
        except (ClientError, BotoCoreError) as error:
            outcomes.append(Outcome(region, "failed", str(error)))
    return outcomes


def report(outcomes: Iterable[Outcome]) -> int:
    outcomes = list(outcomes)
    for outcome in outcomes:
        print(f"{outcome.region:<16} {outcome.status:<13} {outcome.detail}")
    failed = [o.region for o in outcomes if o.failed]
    print(f"{len(outcomes)} regions, {len(failed)} failed" + (f": {' '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def _session_clients(session: boto3.Session) -> ClientFactory:
    def client(service: str, region: str) -> Any:
        return session.client(service, region_name=region)  # type: ignore[call-overload]

    return client


def main(argv: list[str] | None = None, clients: ClientFactory | None = None) -> int:
    args = parser().parse_args(argv)
    home = "us-east-1"
    try:
        if clients is None:
            session = boto3.Session(profile_name=args.profile)
            home = session.region_name or home
            clients = _session_clients(session)
        return report(run(args, clients, home))
    except (ClientError, BotoCoreError) as error:  # no credentials, no such profile, regions unreadable
        print(f"guardduty_setup.py: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
