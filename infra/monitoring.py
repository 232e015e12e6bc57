"""CloudWatch alarms on the signals that mean "logs are not reaching OpenSearch"."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

FIVE_MINUTES = Duration.minutes(5)
# Objects normally wait seconds; 15 minutes of backlog means ingest is stuck or too slow.
QUEUE_AGE_THRESHOLD_SECONDS = 15 * 60
RUNBOOKS = "docs/runbooks.md"
"""One section per alarm, named by its construct id (tests/infra/test_runbooks.py)."""


class PipelineAlarms(Construct):
    """Queue age, dead-letter depth, and each function's errors and throttles, all to SNS."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic: sns.ITopic,
        queue: sqs.IQueue,
        dead_letter_queue: sqs.IQueue,
        functions: dict[str, lambda_.IFunction],
    ) -> None:
        super().__init__(scope, construct_id)
        self._action = actions.SnsAction(topic)
        self.alarms: list[cloudwatch.Alarm] = [
            self._alarm(
                "QueueAge",
                queue.metric_approximate_age_of_oldest_message(period=FIVE_MINUTES, statistic="Maximum"),
                QUEUE_AGE_THRESHOLD_SECONDS,
                "The oldest S3 notification waits too long: ingest is stuck or under-provisioned.",
                evaluation_periods=3,
            ),
            self._alarm(
                "DeadLetterDepth",
                dead_letter_queue.metric_approximate_number_of_messages_visible(
                    period=FIVE_MINUTES, statistic="Maximum"
                ),
                1,
                "S3 notifications were redriven to the dead-letter queue: objects were not ingested.",
            ),
        ]
        for name, function in functions.items():
            self.alarms.append(
                self._alarm(
                    f"{name}Errors",
                    function.metric_errors(period=FIVE_MINUTES, statistic="Sum"),
                    1,
                    f"The {name} function failed.",
                )
            )
            self.alarms.append(
                self._alarm(
                    f"{name}Throttles",
                    function.metric_throttles(period=FIVE_MINUTES, statistic="Sum"),
                    1,
                    f"The {name} function was throttled: raise its reserved concurrency.",
                )
            )

    def _alarm(
        self,
        construct_id: str,
        metric: cloudwatch.Metric,
        threshold: float,
        description: str,
        evaluation_periods: int = 1,
    ) -> cloudwatch.Alarm:
        alarm = metric.create_alarm(
            self,
            construct_id,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            # The notification carries the description: it names the alarm's runbook.
            alarm_description=f"{description} Runbook: {RUNBOOKS}#{construct_id.lower()}",
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        return alarm
