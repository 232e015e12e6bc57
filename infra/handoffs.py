"""Hand-offs to other tools: the EventBridge bus alerts and incidents are put on (a SOAR or a
remediation tool subscribes with its own rules), and the Security Hub custom action
"Investigate in SIEM" that writes an investigation into a finding's note (docs/handoffs.md).
"""

from __future__ import annotations

from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.config import Config


class AlertBus(Construct):
    """Our own bus (``<namePrefix>-alerts``), the configured one (``eventBusArn``), or none."""

    bus: events.IEventBus | None = None

    def __init__(self, scope: Construct, construct_id: str, config: Config) -> None:
        super().__init__(scope, construct_id)
        if config.event_bus_arn:
            self.bus = events.EventBus.from_event_bus_arn(self, "Existing", config.event_bus_arn)
        elif config.event_bus:
            self.bus = events.EventBus(
                self,
                "Bus",
                event_bus_name=f"{config.name_prefix}-alerts",
                description="SIEM alerts and incidents (source aws-siem): subscribe with a rule",
            )

    def grant_put(self, role: iam.IRole) -> None:
        """``events:PutEvents`` on this bus only (the detection function's role)."""
        if self.bus is not None:
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=["events:PutEvents"], resources=[self.bus.event_bus_arn])
            )
