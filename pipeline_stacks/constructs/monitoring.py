"""PipelineMonitoring: one SNS topic, alarms on every stage, EventBridge notifications, one dashboard.

Stages are attached with ``monitor_*`` methods that only use the public hooks of each construct
(``metric_*()``, ``alarm_metrics()``, ``*_event_pattern()``), so monitoring never depends on how a
stage is built::

    mon = PipelineMonitoring(self, "Monitoring", props=PipelineMonitoringProps(alarm_email="oncall@example.com"))
    mon.monitor_sanitization(data_stack.sanitization)
    mon.monitor_training(training_stack.pipeline)
    mon.monitor_backend(serving_stack.backend)
    mon.monitor_front_door(serving_stack.front_door)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import aws_cdk as cdk
import jsii
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk.interfaces import aws_events as events_refs
from constructs import Construct

from pipeline_contract import FrontDoorMetric
from pipeline_stacks.alarms import ALARMS, AlarmThresholds, Stage
from pipeline_stacks.constructs.backend import InferenceBackend

GTE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
NOT_BREACHING = cloudwatch.TreatMissingData.NOT_BREACHING


@dataclass(frozen=True, kw_only=True)
class PipelineMonitoringProps:
    """``alarm_email``: optional email subscription (confirm it from the inbox after deploy).

    ``thresholds``: the same validated model as the app's ``monitoring.thresholds`` config; the alarms
    themselves are the rows of :data:`pipeline_stacks.alarms.ALARMS`.
    """

    alarm_email: str | None = None
    thresholds: AlarmThresholds = field(default_factory=AlarmThresholds)
    dashboard_name: str | None = None


class SanitizationHooks(Protocol):
    """The public hooks of :class:`~pipeline_stacks.constructs.PiiSanitization` that monitoring uses."""

    job_name: str

    def metric_records_in(self) -> cloudwatch.IMetric: ...
    def metric_records_sanitized(self) -> cloudwatch.IMetric: ...
    def metric_records_quarantined(self) -> cloudwatch.IMetric: ...
    def metric_entities_redacted(self) -> cloudwatch.IMetric: ...
    def metric_failed_runs(self) -> cloudwatch.IMetric: ...
    def glue_failure_event_pattern(self) -> events.EventPattern: ...
    def glue_delay_event_pattern(self) -> events.EventPattern: ...


class TrainingHooks(Protocol):
    """The public hooks of :class:`~pipeline_stacks.constructs.TrainingPipeline` that monitoring uses."""

    def metric_failed_executions(self) -> cloudwatch.IMetric: ...
    def metric_timed_out_executions(self) -> cloudwatch.IMetric: ...
    def metric_succeeded_executions(self) -> cloudwatch.IMetric: ...
    def metric_execution_time(self) -> cloudwatch.IMetric: ...
    def failure_event_pattern(self) -> events.EventPattern: ...
    def execution_status_event_pattern(self) -> events.EventPattern: ...
    def rejection_event_pattern(self) -> events.EventPattern: ...
    def registered_event_pattern(self) -> events.EventPattern: ...


class KnowledgeBaseHooks(Protocol):
    """The public hooks of :class:`~pipeline_stacks.constructs.KnowledgeBase` that monitoring uses."""

    def metric_failed_ingestions(self) -> cloudwatch.IMetric: ...
    def metric_timed_out_ingestions(self) -> cloudwatch.IMetric: ...
    def metric_succeeded_ingestions(self) -> cloudwatch.IMetric: ...


@runtime_checkable
class EndpointEvents(Protocol):
    """Lifecycle events a SageMaker-endpoint backend offers (Bedrock has none)."""

    def failure_event_pattern(self) -> events.EventPattern: ...
    def deployment_event_pattern(self) -> events.EventPattern: ...


class FrontDoorHooks(Protocol):
    """The public hooks of :class:`~pipeline_stacks.constructs.FrontDoor` that monitoring uses."""

    def metric_lambda_errors(self) -> cloudwatch.IMetric: ...
    def metric_lambda_throttles(self) -> cloudwatch.IMetric: ...
    def metric_lambda_duration_p99(self) -> cloudwatch.IMetric: ...
    def metric_api_5xx(self) -> cloudwatch.IMetric: ...
    def metric_api_4xx(self) -> cloudwatch.IMetric: ...
    def metric_api_latency_p99(self) -> cloudwatch.IMetric: ...
    def metric_api_count(self) -> cloudwatch.IMetric: ...
    def metric_waf_blocked(self) -> cloudwatch.IMetric: ...
    def metric_interaction_log_failures(self) -> cloudwatch.IMetric: ...
    def handler_metric(self, metric_name: str) -> cloudwatch.IMetric: ...
    def metric_time_to_first_token_p99(self) -> cloudwatch.IMetric: ...


@jsii.implements(events.IRuleTarget)
class _TopicTarget:
    """An SNS topic as a rule target, WITHOUT the unconditioned ``events.amazonaws.com`` grant that
    ``aws_events_targets.SnsTopic`` adds to the topic policy (the monitoring construct adds a statement
    conditioned on its own rules instead). Hand-written: the L2 target has no option to skip its grant."""

    def __init__(self, topic: sns.ITopic, *, message: events.RuleTargetInput) -> None:
        self._topic = topic
        self._message = message

    def bind(self, rule: events_refs.IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        """Target the topic with the message; permissions come from the topic policy."""
        return events.RuleTargetConfig(arn=self._topic.topic_arn, input=self._message)


@jsii.implements(cdk.IListProducer)
class _RuleArns:
    """The ARNs of the rules in ``rules`` at synthesis time (rules are added after the topic policy)."""

    def __init__(self, rules: dict[str, events.Rule]) -> None:
        self._rules = rules

    def produce(self, _context: cdk.IResolveContext) -> list[str] | None:
        """Every rule's ARN."""
        return [rule.rule_arn for rule in self._rules.values()]


class PipelineMonitoring(Construct):
    """Alarms with actions on one KMS-encrypted, TLS-only SNS topic, plus the pipeline dashboard.

    Attributes: ``topic``, ``topic_key``, ``dashboard``, ``alarms`` (name -> alarm) and ``rules``
    (name -> EventBridge rule that notifies the topic).
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: PipelineMonitoringProps | None = None) -> None:
        super().__init__(scope, construct_id)
        self.props = props or PipelineMonitoringProps()
        self._period = cdk.Duration.minutes(self.props.thresholds.period_minutes)

        self.topic_key = kms.Key(
            self,
            "TopicKey",
            description=f"{cdk.Stack.of(self).stack_name}: pipeline alarm/notification topic",
            enable_key_rotation=True,
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="LLM pipeline alarms",
            master_key=self.topic_key,
            enforce_ssl=True,
        )
        if self.props.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(self.props.alarm_email))
        self._action = cw_actions.SnsAction(self.topic)

        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=self.props.dashboard_name,
            default_interval=cdk.Duration.days(1),
        )
        self.alarms: dict[str, cloudwatch.AlarmBase] = {}
        self.rules: dict[str, events.Rule] = {}
        self._allow_service_publishers(cdk.Stack.of(self))

    # ------------------------------------------------------------------ building blocks

    def alarm(
        self,
        name: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        description: str,
        comparison: cloudwatch.ComparisonOperator = GTE,
        evaluation_periods: int = 1,
        treat_missing_data: cloudwatch.TreatMissingData = NOT_BREACHING,
    ) -> cloudwatch.Alarm:
        """An alarm that notifies the topic when it fires and when it recovers."""
        alarm = cloudwatch.Alarm(
            self,
            f"Alarm{name}",
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=evaluation_periods,
            treat_missing_data=treat_missing_data,
            alarm_description=description,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms[name] = alarm
        return alarm

    def anomaly_alarm(
        self, name: str, metric: cloudwatch.IMetric, *, description: str
    ) -> cloudwatch.AnomalyDetectionAlarm:
        """Alarm when ``metric`` rises above its learned band (what a fixed threshold misses)."""
        alarm = cloudwatch.AnomalyDetectionAlarm(
            self,
            f"Alarm{name}",
            metric=metric,
            std_devs=self.props.thresholds.anomaly_band_std_devs,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_UPPER_THRESHOLD,
            evaluation_periods=2,
            datapoints_to_alarm=2,
            treat_missing_data=NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms[name] = alarm
        return alarm

    def notify_on(self, name: str, pattern: events.EventPattern, *, message: str) -> events.Rule:
        """Forward matching EventBridge events to the topic with a readable message."""
        rule = events.Rule(self, f"Rule{name}", event_pattern=pattern, description=message)
        if not self.rules:
            self.topic.add_to_resource_policy(self._events_publish_statement)
        rule.add_target(
            _TopicTarget(
                self.topic,
                message=events.RuleTargetInput.from_multiline_text(
                    f"{message}\n"
                    f"event: {events.EventField.detail_type} from {events.EventField.source}\n"
                    f"time: {events.EventField.time}\n"
                    f"detail: {events.EventField.from_path('$.detail')}"
                ),
            )
        )
        self.rules[name] = rule
        return rule

    def _allow_service_publishers(self, stack: cdk.Stack) -> None:
        """Let CloudWatch alarms and this construct's EventBridge rules publish to the encrypted topic.

        The topic has an explicit policy (TLS-only), which replaces SNS's default policy: every publishing
        service needs its own Allow here, and its own use of the topic key in the key policy
        (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).

        * CloudWatch alarms: topic and key statements conditioned on ``aws:SourceAccount`` and the alarm
          ARN pattern of this account and region
          (https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger,
          https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns).
        * EventBridge: the topic statement (added with the first rule) is conditioned on ``aws:SourceArn`` =
          this construct's rules
          (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions),
          but the KEY statement is NOT: AWS documents that EventBridge's delivery to an encrypted topic does
          not carry ``aws:SourceArn`` / ``aws:SourceAccount`` / ``aws:SourceOrgID`` in the KMS request (same
          page), so conditioning it would silently drop every notification.
        """
        cloudwatch_principal = iam.ServicePrincipal("cloudwatch.amazonaws.com")
        events_principal = iam.ServicePrincipal("events.amazonaws.com")
        self._events_publish_statement = iam.PolicyStatement(
            sid="AllowEventBridgeRulesOfThisConstruct",
            principals=[events_principal],
            actions=["sns:Publish"],
            resources=[self.topic.topic_arn],
            conditions={
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnEquals": {"aws:SourceArn": cdk.Lazy.uncached_list(_RuleArns(self.rules))},
            },
        )  # added to the topic policy with the first rule (see notify_on)
        alarms = stack.format_arn(
            service="cloudwatch", resource="alarm", resource_name="*", arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME
        )
        from_our_alarms = {"StringEquals": {"aws:SourceAccount": stack.account}, "ArnLike": {"aws:SourceArn": alarms}}
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsOfThisAccount",
                principals=[cloudwatch_principal],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=from_our_alarms,
            )
        )
        self.topic_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToUseTheKey",
                principals=[cloudwatch_principal],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions=from_our_alarms,
            )
        )
        self.topic_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowEventBridgeToUseTheKeyUnconditioned",
                principals=[events_principal],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )

    def _rate(self, label: str, part: cloudwatch.IMetric, whole: cloudwatch.IMetric) -> cloudwatch.MathExpression:
        # The rate alarms evaluate monitoring.thresholds.period_minutes windows: both inputs are re-periodised to it,
        # so part and whole always agree with the expression (no silent override).
        def at_period(metric: cloudwatch.IMetric) -> cloudwatch.IMetric:
            return metric.with_(period=self._period) if isinstance(metric, cloudwatch.Metric) else metric

        return cloudwatch.MathExpression(
            expression="IF(whole > 0, 100 * part / whole, 0)",
            using_metrics={"part": at_period(part), "whole": at_period(whole)},
            period=self._period,
            label=label,
        )

    def add_table_alarms(
        self, stage_name: Stage, hooks: Any, metrics: dict[str, cloudwatch.IMetric] | None = None
    ) -> None:
        """Create the :data:`~pipeline_stacks.alarms.ALARMS` rows of ``stage_name`` from ``hooks``' metric methods
        (or, for backends, from ``metrics`` = ``alarm_metrics()``; rows whose metric is absent are skipped)."""
        t = self.props.thresholds
        for spec in (s for s in ALARMS if s.stage == stage_name):
            if metrics is not None:
                if spec.metric not in metrics:
                    continue
                metric: cloudwatch.IMetric = metrics[spec.metric]
            else:
                metric = self._hook_metric(hooks, spec.metric)
            if spec.rate_of is not None:
                metric = self._rate(spec.rate_label or spec.name, metric, self._hook_metric(hooks, spec.rate_of))
            raw = getattr(t, spec.threshold) if isinstance(spec.threshold, str) else spec.threshold
            self.alarm(
                spec.name,
                metric,
                threshold=spec.threshold_value(t),
                evaluation_periods=spec.evaluation_periods,
                description=spec.description.format(threshold=raw),
            )

    @staticmethod
    def _hook_metric(hooks: Any, name: str) -> cloudwatch.IMetric:
        if name.startswith("handler:"):
            metric: cloudwatch.IMetric = hooks.handler_metric(name.removeprefix("handler:"))
        else:
            metric = getattr(hooks, name)()
        return metric

    # ------------------------------------------------------------------ stages

    def monitor_sanitization(self, stage: SanitizationHooks) -> None:
        """Glue failures/timeouts (events), failed data runs, quarantine share of input."""
        self.notify_on(
            "GlueJobFailed",
            stage.glue_failure_event_pattern(),
            message=f"Sanitization job {stage.job_name} failed or timed out: raw data is not being sanitized.",
        )
        self.notify_on(
            "GlueJobDelayed",
            stage.glue_delay_event_pattern(),
            message=f"Sanitization job {stage.job_name} is still running late in its timeout window.",
        )
        self.add_table_alarms("sanitization", stage)
        share = self._rate("quarantined % of input", stage.metric_records_quarantined(), stage.metric_records_in())
        self.add_dashboard_section(
            "Data: raw → sanitized / quarantined",
            cloudwatch.GraphWidget(
                title="Records",
                left=[stage.metric_records_in(), stage.metric_records_sanitized(), stage.metric_records_quarantined()],
                width=8,
            ),
            cloudwatch.GraphWidget(title="Quarantine share (%)", left=[share], width=8),
            cloudwatch.GraphWidget(
                title="PII entities redacted",
                left=[stage.metric_entities_redacted()],
                right=[stage.metric_failed_runs()],
                width=8,
            ),
        )

    def monitor_training(self, stage: TrainingHooks) -> None:
        """Failed / timed-out runs (alarms + events) and quality-gate decisions (events, never silence)."""
        self.add_table_alarms("training", stage)
        self.notify_on(
            "TrainingStageFailed", stage.failure_event_pattern(), message="A training pipeline stage failed."
        )
        self.notify_on(
            "TrainingExecutionAborted",
            stage.execution_status_event_pattern(),
            message="A training pipeline execution ended FAILED / TIMED_OUT / ABORTED.",
        )
        self.notify_on(
            "ModelRejected",
            stage.rejection_event_pattern(),
            message="The quality gate rejected a trained model; the current model stays in service.",
        )
        self.notify_on(
            "ModelRegistered",
            stage.registered_event_pattern(),
            message="A new model passed the quality gate and was registered.",
        )
        self.add_dashboard_section(
            "Training: runs and quality gate",
            cloudwatch.GraphWidget(
                title="Training runs",
                left=[
                    stage.metric_succeeded_executions(),
                    stage.metric_failed_executions(),
                    stage.metric_timed_out_executions(),
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(title="Run duration (ms)", left=[stage.metric_execution_time()], width=12),
        )

    def monitor_backend(self, backend: InferenceBackend) -> None:
        """Endpoint latency/errors/utilisation, or Bedrock errors/throttles, from the backend's own metrics."""
        metrics = dict(backend.alarm_metrics())
        stage_name: Any = f"backend:{backend.backend_name}"
        self.add_table_alarms(stage_name, backend, metrics)
        if isinstance(backend, EndpointEvents):
            self.notify_on(
                "EndpointFailed", backend.failure_event_pattern(), message="The SageMaker endpoint entered FAILED."
            )
            self.notify_on(
                "EndpointDeployment",
                backend.deployment_event_pattern(),
                message="A blue/green deployment of the endpoint changed state (including auto-rollbacks).",
            )
        self.add_dashboard_section(
            f"Model backend: {backend.backend_name}",
            *(cloudwatch.GraphWidget(title=name, left=[metric], width=8) for name, metric in metrics.items()),
        )

    def monitor_front_door(self, stage: FrontDoorHooks) -> None:
        """Lambda, API Gateway and WAF alarms, logging failures, and anomaly detection on traffic."""
        count = stage.metric_api_count()
        self.add_table_alarms("front_door", stage)
        self.anomaly_alarm("ApiTrafficAnomaly", count, description="API request count is above its learned band.")
        self.anomaly_alarm(
            "Api4xxAnomaly", stage.metric_api_4xx(), description="API 4XX count is above its learned band (a spike)."
        )
        self.add_dashboard_section(
            "API front door",
            cloudwatch.GraphWidget(
                title="Requests / 4XX / 5XX", left=[count, stage.metric_api_4xx(), stage.metric_api_5xx()], width=8
            ),
            cloudwatch.GraphWidget(
                title="Latency p99 (ms)",
                left=[stage.metric_api_latency_p99(), stage.metric_lambda_duration_p99()],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="WAF blocked / Lambda throttles / log failures",
                left=[
                    stage.metric_waf_blocked(),
                    stage.metric_lambda_throttles(),
                    stage.metric_interaction_log_failures(),
                    stage.handler_metric(FrontDoorMetric.CONVERSATION_WRITE_FAILURES),
                    stage.handler_metric(FrontDoorMetric.MALFORMED_EVENTS),
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Chat: time to first token p99 (ms)", left=[stage.metric_time_to_first_token_p99()], width=8
            ),
        )

    def monitor_knowledge_base(self, stage: KnowledgeBaseHooks) -> None:
        """Knowledge-base ingestion: failed (job FAILED/STOPPED or failed documents) and timed-out executions
        (the ``knowledge_base`` rows of :data:`~pipeline_stacks.alarms.ALARMS`)."""
        self.add_table_alarms("knowledge_base", stage)
        self.add_dashboard_section(
            "Knowledge base ingestion",
            cloudwatch.GraphWidget(
                title="Ingestion runs",
                left=[
                    stage.metric_succeeded_ingestions(),
                    stage.metric_failed_ingestions(),
                    stage.metric_timed_out_ingestions(),
                ],
                width=24,
            ),
        )

    def add_dashboard_section(self, heading: str, *widgets: cloudwatch.IWidget) -> None:
        """A full-width ``## heading`` row on the dashboard, then ``widgets`` below it."""
        self.dashboard.add_widgets(cloudwatch.TextWidget(markdown=f"## {heading}", width=24, height=1), *widgets)

    def add_alarm_overview(self) -> None:
        """An alarm-status widget over every alarm, at the bottom of the dashboard."""
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(
                title="All pipeline alarms",
                alarms=list(self.alarms.values()),
                width=24,
                height=6,
            )
        )
