"""ContinuousLearning: redacted interactions and feedback flow back through sanitization into retraining.

The loop is a Step Functions state machine, started by an EventBridge schedule (or by hand):

1. **Sanitize interactions** — the PII job runs over the interactions prefix with its own file
   bookmark, so each run reads only interactions stored since the previous run. Records whose
   request got negative feedback are quarantined (reason ``negative_feedback``), everything else
   is redacted again (defence in depth: the front door already redacted them) and written as JSON
   lines under ``<sanitized>/<output_prefix>``, which sits inside the training split's prefix.
2. **Retrain** — the training pipeline runs (``.sync``) on the union of curated data and the new
   interactions (both under the training prefix), then evaluates, gates and registers as usual.

Nothing un-sanitized reaches training: training reads only the sanitized bucket, and only the
sanitization job can write to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from pipeline_contract import InteractionRecord, Layout
from pipeline_stacks import compliance, validation
from pipeline_stacks.constructs.data_lake import DataLake
from pipeline_stacks.iam import ManagedPolicyRole
from pipeline_stacks.log_groups import LogSettings, encrypted_log_group


class SanitizationRunner(Protocol):
    """What the loop needs from :class:`~pipeline_stacks.constructs.PiiSanitization`."""

    state_path: str

    def start_run_task(
        self,
        scope: Construct,
        construct_id: str,
        *,
        input_path: str,
        use_bookmark: bool = False,
        sanitized_path: str | None = None,
        state_path: str | None = None,
        extra_arguments: dict[str, str] | None = None,
    ) -> sfn.TaskStateBase: ...


class TrainingRunner(Protocol):
    """What the loop needs from :class:`~pipeline_stacks.constructs.TrainingPipeline`."""

    @property
    def state_machine(self) -> sfn.IStateMachine: ...


@dataclass(frozen=True, kw_only=True)
class ContinuousLearningProps:
    """``schedule``: when the loop runs (``None``: on demand only).

    ``output_prefix`` must lie inside the training split's prefix of the sanitized bucket so the
    training channel sees curated data and new interactions together.
    """

    schedule: events.Schedule | None = None
    interactions_prefix: str = Layout.INTERACTIONS
    feedback_prefix: str = Layout.FEEDBACK
    output_prefix: str = Layout.TRAIN_INTERACTIONS
    text_fields: tuple[str, ...] = InteractionRecord.TEXT_FIELDS  # the front door's interaction record fields
    timeout: cdk.Duration = cdk.Duration.hours(36)  # noqa: RUF009 -- an immutable value, safe to share
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR

    def __post_init__(self) -> None:
        for name in ("interactions_prefix", "feedback_prefix", "output_prefix"):
            validation.check_s3_prefix(getattr(self, name), where=f"ContinuousLearningProps.{name}")


class ContinuousLearning(Construct):
    """The retraining loop. Attributes: ``state_machine``, ``role``, ``log_group``, ``schedule_rule``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data_lake: DataLake,
        sanitization: SanitizationRunner,
        training: TrainingRunner,
        props: ContinuousLearningProps | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        props = props or ContinuousLearningProps()
        self.props = props

        sanitize = sanitization.start_run_task(
            self,
            "SanitizeNewInteractions",
            input_path=data_lake.interactions_bucket.s3_url_for_object(props.interactions_prefix),
            use_bookmark=True,
            sanitized_path=data_lake.sanitized_bucket.s3_url_for_object(props.output_prefix),
            # A bookmark of its own (processed interaction files), inside the job's state prefix.
            state_path=f"{sanitization.state_path}continuous-learning/",
            extra_arguments={
                "--output_format": "jsonl",
                "--text_fields": ",".join(props.text_fields),
                "--feedback_path": data_lake.interactions_bucket.s3_url_for_object(props.feedback_prefix),
            },
        )
        retrain = tasks.StepFunctionsStartExecution(
            self,
            "Retrain",
            state_machine=training.state_machine,
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            associate_with_parent=True,
            input=sfn.TaskInput.from_object({"trigger": "continuous-learning"}),
        )
        failed = sfn.Fail(self, "LoopFailed", error="ContinuousLearningFailed", cause="sanitize or retrain failed")
        definition = (
            sanitize.add_catch(failed, result_path="$.error")
            .next(retrain.add_catch(failed, result_path="$.error"))
            .next(sfn.Succeed(self, "Retrained"))
        )

        self.log_group = encrypted_log_group(self, "Logs", data_lake.key, LogSettings(props.log_retention))
        self.role = ManagedPolicyRole(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description="Continuous-learning loop",
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            role=self.role,
            timeout=props.timeout,
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        compliance.acknowledge(self.role, "ContinuousLearning.role")
        compliance.acknowledge_resources(
            self.role, "ContinuousLearning.retrain_executions", [_executions_of(self, training.state_machine)]
        )

        self.schedule_rule: events.Rule | None = None
        if props.schedule is not None:
            self.schedule_rule = events.Rule(
                self,
                "Schedule",
                schedule=props.schedule,
                description="Continuous learning: sanitize new interactions, then retrain",
                targets=[
                    targets.SfnStateMachine(
                        self.state_machine,
                        role=ManagedPolicyRole(
                            self, "ScheduleRole", assumed_by=iam.ServicePrincipal("events.amazonaws.com")
                        ),
                    )
                ],
            )

    def metric_failed_runs(self) -> cdk.aws_cloudwatch.Metric:
        """Failed loop executions (``ExecutionsFailed``)."""
        return self.state_machine.metric_failed()


def _executions_of(scope: Construct, state_machine: sfn.IStateMachine) -> str:
    """``arn:...:execution:<state machine name>*``: the executions a ``.sync`` StartExecution manages."""
    name = cdk.Arn.split(state_machine.state_machine_arn, cdk.ArnFormat.COLON_RESOURCE_NAME).resource_name
    return cdk.Stack.of(scope).format_arn(
        service="states", resource="execution", resource_name=f"{name}*", arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME
    )
