"""OpenSearch Serverless: the logs (TIMESERIES) and alerts (SEARCH) collections and their policies.

Data access is granted per role with the narrowest permission set that role's code uses:
the ingest role writes the four source indices of the logs collection only, detections
read the logs and write the alerts index, analysts read, on-call (triage) writes the incidents
index only, and the asset installer manages
templates (collection items). Nobody gets ``aoss:*``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_opensearchserverless as aoss
from constructs import Construct

from infra.config import SOURCES, Config
from infra.network import FunctionNetwork
from posture.report import ALERTS_INDEX
from posture.report import INDICES as REPORT_INDICES

WRITE_INDEX = ("aoss:CreateIndex", "aoss:WriteDocument", "aoss:UpdateIndex", "aoss:DescribeIndex")
READ_INDEX = ("aoss:ReadDocument", "aoss:DescribeIndex")
MANAGE_TEMPLATES = (
    "aoss:CreateCollectionItems",
    "aoss:UpdateCollectionItems",
    "aoss:DescribeCollectionItems",
)
DESCRIBE_COLLECTION = ("aoss:DescribeCollectionItems",)


def network_policy(
    names: Sequence[str], endpoint_id: str | None, public_dashboards: bool
) -> list[dict[str, Any]]:
    """The network policy of the collections (``collection``) and their Dashboards (``dashboard``).

    Without an endpoint both are public (every request still needs SigV4 and a data access
    policy). With one, both are reachable only through it (``SourceVPCEs``), unless Dashboards
    is public by choice: it then also gets a public rule, and keeps the private one for the
    asset installer, whose requests from the VPC go through the endpoint.
    """
    collections = {"ResourceType": "collection", "Resource": list(names)}
    dashboards = {"ResourceType": "dashboard", "Resource": list(names)}
    if endpoint_id is None:
        return [
            {
                "Description": "Public endpoints (SigV4 + data access policies)",
                "Rules": [collections, dashboards],
                "AllowFromPublic": True,
            }
        ]
    private = {
        "Description": "Reachable only through the SIEM VPC endpoint",
        "Rules": [collections, dashboards],
        "AllowFromPublic": False,
        "SourceVPCEs": [endpoint_id],
    }
    if not public_dashboards:
        return [private]
    public = {
        "Description": "Dashboards also public, by choice (publicDashboards)",
        "Rules": [dashboards],
        "AllowFromPublic": True,
    }
    return [private, public]


@dataclass(frozen=True)
class AccessRule:
    """One rule of a data access policy: which permissions on which collection or indices."""

    resource_type: Literal["collection", "index"]
    resources: Sequence[str]
    permissions: Sequence[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "ResourceType": self.resource_type,
            "Resource": list(self.resources),
            "Permission": list(self.permissions),
        }


@dataclass(frozen=True)
class SearchAccess:
    """What one role may do in OpenSearch Serverless, both halves: IAM (``aoss:APIAccessAll`` on
    the logs collection, the alerts collection too with ``alerts``, and ``aoss:DashboardsAccessAll``
    with ``dashboards``) and the data access policy ``<namePrefix>-<name>`` holding ``rules``."""

    construct_id: str
    name: str
    rules: Sequence[AccessRule]
    alerts: bool = False
    dashboards: bool = False


class SearchCollections(Construct):
    """Both collections, their encryption/network/retention policies, and data-access grants."""

    def __init__(self, scope: Construct, construct_id: str, config: Config, network: FunctionNetwork) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self.logs_name = config.logs_collection_name
        self.alerts_name = config.alerts_collection_name
        names = [f"collection/{self.logs_name}", f"collection/{self.alerts_name}"]
        encryption = self._security_policy(
            "Encryption", "encryption", "enc", self._encryption_document(names)
        )
        network_document = network_policy(names, network.collection_endpoint_id, network.public_dashboards)
        network_policy_resource = self._security_policy("Network", "network", "net", network_document)
        self.logs = self._collection(
            "Logs", self.logs_name, "TIMESERIES", "SIEM logs: CloudTrail, VPC flows, findings"
        )
        self.alerts = self._collection(
            "Alerts", self.alerts_name, "SEARCH", "SIEM alerts written by the detections"
        )
        for collection in (self.logs, self.alerts):
            # A collection cannot be created before its encryption and network policies exist.
            collection.node.add_dependency(encryption)
            collection.node.add_dependency(network_policy_resource)
        self._retention_policy()

    # -- rules for the roles of the stack ---------------------------------------------------

    def source_indices(self) -> list[str]:
        return [f"index/{self.logs_name}/{self._config.source_index(source)}*" for source in SOURCES]

    def all_log_indices(self) -> list[str]:
        return [f"index/{self.logs_name}/{self._config.index_prefix}*"]

    def alert_indices(self) -> list[str]:
        """The alerts (with their checkpoint and terms indices) and the incidents."""
        return [
            f"index/{self.alerts_name}/{self._config.alerts_index}*",
            f"index/{self.alerts_name}/{self._config.incidents_index}",
        ]

    def ingest_rules(self) -> list[AccessRule]:
        # Reading the index templates (collection items): ingest never writes into an index no
        # template covers (ingest.template_check).
        return [
            AccessRule("collection", [f"collection/{self.logs_name}"], DESCRIBE_COLLECTION),
            AccessRule("index", self.source_indices(), WRITE_INDEX),
        ]

    def detection_rules(self) -> list[AccessRule]:
        return [
            AccessRule("index", self.all_log_indices(), READ_INDEX),
            AccessRule("index", self.alert_indices(), (*WRITE_INDEX, "aoss:ReadDocument")),
        ]

    def investigation_rules(self) -> list[AccessRule]:
        """What ``investigate`` reads: the logs indices (findings, CloudTrail, flows, Config)."""
        return [AccessRule("index", self.all_log_indices(), READ_INDEX)]

    def report_rules(self) -> list[AccessRule]:
        """Read the findings, Config items and alerts the monthly report counts."""
        sources = [
            f"index/{self.logs_name}/{self._config.source_index(index)}*"
            for index in REPORT_INDICES
            if index != ALERTS_INDEX
        ]
        return [
            AccessRule("index", sources, READ_INDEX),
            AccessRule("index", [f"index/{self.alerts_name}/{self._config.alerts_index}"], READ_INDEX),
        ]

    def analyst_rules(self) -> list[AccessRule]:
        return [
            AccessRule("collection", self.collection_resources(), DESCRIBE_COLLECTION),
            AccessRule("index", [*self.all_log_indices(), *self.alert_indices()], READ_INDEX),
        ]

    def triage_rules(self) -> list[AccessRule]:
        """``siem incidents ack / close / reopen``: read an incident and write it back, and the
        incidents' lease (documents created and deleted in the same index)."""
        incidents = f"index/{self.alerts_name}/{self._config.incidents_index}"
        return [AccessRule("index", [incidents], ("aoss:ReadDocument", "aoss:WriteDocument"))]

    def installer_rules(self) -> list[AccessRule]:
        # Index templates are collection items; Dashboards index patterns describe the indices;
        # existing indices get their template's new fields (PUT <index>/_mapping: UpdateIndex).
        return [
            AccessRule("collection", self.collection_resources(), MANAGE_TEMPLATES),
            AccessRule(
                "index",
                [*self.all_log_indices(), *self.alert_indices()],
                ("aoss:DescribeIndex", "aoss:UpdateIndex"),
            ),
        ]

    def collection_resources(self) -> list[str]:
        return [f"collection/{self.logs_name}", f"collection/{self.alerts_name}"]

    # -- grants -----------------------------------------------------------------------------

    def grant(
        self, construct_id: str, suffix: str, principals: Sequence[str], rules: Sequence[AccessRule]
    ) -> aoss.CfnAccessPolicy:
        """A data access policy named ``<namePrefix>-<suffix>`` for the given principal ARNs."""
        document = [
            {
                "Description": f"SIEM {suffix}: least-privilege data access",
                "Rules": [rule.to_json() for rule in rules],
                "Principal": list(principals),
            }
        ]
        return aoss.CfnAccessPolicy(
            self,
            construct_id,
            name=f"{self._config.name_prefix}-{suffix}",
            type="data",
            description=f"SIEM {suffix} data access",
            policy=Stack.of(self).to_json_string(document),
        )

    def admit(self, role: iam.IRole, access: SearchAccess) -> aoss.CfnAccessPolicy:
        """Both halves of ``access`` for ``role``; the data access policy is returned, so that
        what calls the collections can be created after it."""
        collections = [self.logs, self.alerts] if access.alerts else [self.logs]
        role.add_to_principal_policy(self.api_access(collections, dashboards=access.dashboards))
        return self.grant(access.construct_id, access.name, [role.role_arn], access.rules)

    def environment(
        self, *, alerts: bool = False, dashboards: bool = False, auth_variable: str = "OPENSEARCH_AUTH"
    ) -> dict[str, str]:
        """How a function reaches the collections: the logs endpoint (``OPENSEARCH_ENDPOINT``),
        with ``alerts`` the alerts one (``ALERTS_ENDPOINT``), ``INDEX_PREFIX``, SigV4 for AOSS
        (``<auth_variable>=aoss``) and with ``dashboards`` the Dashboards URL its links use."""
        return {
            "OPENSEARCH_ENDPOINT": self.logs.attr_collection_endpoint,
            **({"ALERTS_ENDPOINT": self.alerts.attr_collection_endpoint} if alerts else {}),
            "INDEX_PREFIX": self._config.index_prefix,
            auth_variable: "aoss",
            **({"DASHBOARDS_URL": self.logs.attr_dashboard_endpoint} if dashboards else {}),
        }

    def api_access(
        self, collections: Sequence[aoss.CfnCollection], dashboards: bool = False
    ) -> iam.PolicyStatement:
        """The IAM half of AOSS access: data-plane calls are only allowed on these collections."""
        actions = ["aoss:APIAccessAll", *(["aoss:DashboardsAccessAll"] if dashboards else [])]
        return iam.PolicyStatement(
            actions=actions, resources=[collection.attr_arn for collection in collections]
        )

    # -- policies and collections -----------------------------------------------------------

    @staticmethod
    def _encryption_document(names: list[str]) -> dict[str, Any]:
        return {"Rules": [{"ResourceType": "collection", "Resource": names}], "AWSOwnedKey": True}

    def _security_policy(
        self, construct_id: str, kind: str, suffix: str, document: Any
    ) -> aoss.CfnSecurityPolicy:
        return aoss.CfnSecurityPolicy(
            self,
            construct_id,
            name=f"{self._config.name_prefix}-{suffix}",
            type=kind,
            description=f"SIEM collections {kind} policy",
            policy=Stack.of(self).to_json_string(document),
        )

    def _collection(self, construct_id: str, name: str, kind: str, description: str) -> aoss.CfnCollection:
        return aoss.CfnCollection(
            self,
            construct_id,
            name=name,
            type=kind,
            description=description,
            standby_replicas="ENABLED" if self._config.standby_replicas else "DISABLED",
        )

    def _retention_policy(self) -> aoss.CfnLifecyclePolicy:
        # Retention lifecycle policies apply to the TIMESERIES logs collection; alerts are few
        # and are kept until an analyst closes them.
        document = {
            "Rules": [
                {
                    "ResourceType": "index",
                    "Resource": self.all_log_indices(),
                    "MinIndexRetention": f"{self._config.index_retention_days}d",
                }
            ]
        }
        policy = aoss.CfnLifecyclePolicy(
            self,
            "Retention",
            name=f"{self._config.name_prefix}-retention",
            type="retention",
            description=f"Delete log indices after {self._config.index_retention_days} days",
            policy=Stack.of(self).to_json_string(document),
        )
        policy.node.add_dependency(self.logs)
        return policy
