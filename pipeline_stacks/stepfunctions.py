"""Shared pieces of the upload-triggered, batched single-flight state machines.

The sanitization pipeline and the knowledge-base ingestion have the same trigger: an S3 ``Object Created`` event
starts an execution that waits ``batch_window`` for the rest of an upload burst (manual starts skip the wait), then
runs one job at a time. The builders here create the common states, role, state machine and EventBridge rule; each
construct supplies the job-specific part of the definition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from pipeline_stacks import compliance
from pipeline_stacks.iam import ManagedPolicyRole


def batched_single_flight_state_machine(
    scope: Construct,
    construct_id: str,
    *,
    first: sfn.IChainable,
    batch_window: cdk.Duration,
    assign: Mapping[str, str],
    state_machine_name: str,
    comment: str,
    role_description: str,
    timeout: cdk.Duration,
    log_group: logs.ILogGroup,
    acknowledgment: str,
) -> sfn.StateMachine:
    """A JSONata state machine that reads the request, waits out an upload burst, then runs ``first``.

    The entry ``ReadRequest`` assigns ``$fromUpload`` (the input is an S3 ``Object Created`` event),
    ``$requestedAt`` (the event time, or the execution start for manual starts) and the extra ``assign`` variables;
    ``FromUpload`` routes upload executions through the ``SettleBurst`` wait when ``batch_window`` is positive.
    The state machine runs under its own ``StateMachineRole`` (acknowledged in the compliance registry as
    ``acknowledgment``), with X-Ray tracing and ALL-level logs to ``log_group`` without execution data
    (inputs name documents that may carry PHI).
    """
    read = sfn.Pass.jsonata(
        scope,
        "ReadRequest",
        assign={
            "fromUpload": "{% $states.input.`detail-type` = 'Object Created' %}",
            "requestedAt": "{% $toMillis($exists($states.input.time) ? $states.input.time "
            ": $states.context.Execution.StartTime) %}",
            **assign,
        },
    )
    route = sfn.Choice.jsonata(scope, "FromUpload")
    if batch_window.to_seconds() > 0:
        settle = sfn.Wait.jsonata(scope, "SettleBurst", time=sfn.WaitTime.duration(batch_window))
        settle.next(first)
        route.when(sfn.Condition.jsonata("{% $fromUpload %}"), settle)
    route.otherwise(first)
    read.next(route)

    role = ManagedPolicyRole(
        scope,
        "StateMachineRole",
        assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
        description=role_description,
    )
    state_machine = sfn.StateMachine(
        scope,
        construct_id,
        state_machine_name=state_machine_name,
        comment=comment,
        definition_body=sfn.DefinitionBody.from_chainable(read),
        query_language=sfn.QueryLanguage.JSONATA,
        role=role,
        timeout=timeout,
        tracing_enabled=True,
        logs=sfn.LogOptions(
            destination=log_group,
            level=sfn.LogLevel.ALL,
            include_execution_data=False,  # inputs/outputs name objects that may carry PHI
        ),
    )
    compliance.acknowledge(role, acknowledgment)
    return state_machine


def object_created_rule(
    scope: Construct,
    construct_id: str,
    *,
    role_id: str,
    role_description: str,
    description: str,
    detail: Mapping[str, Any],
    target: Callable[[iam.IRole], events.IRuleTarget],
) -> events.Rule:
    """An EventBridge rule on S3 ``Object Created`` events matching ``detail``, invoking ``target`` with its own role.

    The role (``role_id``, assumed by EventBridge) gets exactly what the target grants it (e.g.
    ``states:StartExecution`` on one state machine).
    """
    role = ManagedPolicyRole(
        scope,
        role_id,
        assumed_by=iam.ServicePrincipal("events.amazonaws.com"),
        description=role_description,
    )
    return events.Rule(
        scope,
        construct_id,
        description=description,
        event_pattern=events.EventPattern(source=["aws.s3"], detail_type=["Object Created"], detail=dict(detail)),
        targets=[target(role)],
    )


def put_event_task(
    scope: Construct,
    construct_id: str,
    *,
    source: str,
    detail_type: str,
    detail: Mapping[str, Any],
) -> tasks.EventBridgePutEvents:
    """A Step Functions task putting one event on the default bus, with the execution's identity in its detail.

    ``detail`` is extended with ``executionArn`` and ``stateMachineArn``; the task's output is discarded and
    transient failures are retried three times.
    """
    task = tasks.EventBridgePutEvents(
        scope,
        construct_id,
        entries=[
            tasks.EventBridgePutEventsEntry(
                source=source,
                detail_type=detail_type,
                detail=sfn.TaskInput.from_object(
                    {
                        **detail,
                        "executionArn": sfn.JsonPath.string_at("$$.Execution.Id"),
                        "stateMachineArn": sfn.JsonPath.string_at("$$.StateMachine.Id"),
                    }
                ),
            )
        ],
        result_path=sfn.JsonPath.DISCARD,
    )
    task.add_retry(errors=["States.TaskFailed"], max_attempts=3, interval=cdk.Duration.seconds(2), backoff_rate=2)
    return task


def describe_model_package_task(
    scope: Construct,
    construct_id: str,
    *,
    package_arn: str,
    name_path: str,
    result_selector: Mapping[str, Any],
    result_path: str,
) -> tasks.CallAwsService:
    """``sagemaker:DescribeModelPackage`` of the package named at ``name_path``, granted on ``package_arn`` only;
    ``result_selector`` keeps what the workflow needs under ``result_path``."""
    return tasks.CallAwsService(
        scope,
        construct_id,
        service="sagemaker",
        action="describeModelPackage",
        iam_resources=[package_arn],
        parameters={"ModelPackageName": sfn.JsonPath.string_at(name_path)},
        result_selector=dict(result_selector),
        result_path=result_path,
    )


def join_active_run(
    scope: Construct,
    start: sfn.TaskStateBase,
    find_covering: sfn.TaskStateBase,
    poll_interval: cdk.Duration,
    *,
    conflicts: Sequence[str],
    active: str,
) -> None:
    """The single-flight path of ``start``: when it fails with one of ``conflicts`` (one run at a time), run
    ``find_covering``, whose JSONata output ``covered`` says whether an active run that started after this
    request exists. If one does, it reads this request's objects and the execution succeeds; otherwise (or when
    the lookup fails) wait ``poll_interval`` and start again.

    ``active`` names what runs ("ingestion job"); its last word names the states (``WaitForActiveJob``,
    ``CoveredByActiveJob``; ``Covered`` is the choice).
    """
    unit = active.rsplit(" ", 1)[-1].title()
    wait_for_active = sfn.Wait.jsonata(scope, f"WaitForActive{unit}", time=sfn.WaitTime.duration(poll_interval))
    find_covering.add_catch(wait_for_active, errors=["States.ALL"])
    covered = sfn.Choice.jsonata(scope, "Covered").when(
        sfn.Condition.jsonata("{% $states.input.covered %}"),
        sfn.Succeed.jsonata(
            scope, f"CoveredByActive{unit}", comment=f"An active {active} reads this request's objects."
        ),
    )
    covered.otherwise(wait_for_active)
    find_covering.next(covered)
    wait_for_active.next(start)
    start.add_catch(find_covering, errors=list(conflicts))


def fail_on_error(scope: Construct, task: sfn.TaskStateBase, construct_id: str, *, error: str) -> None:
    """Catch every error ``task`` still raises into a Fail state ``construct_id`` with ``error`` and, as the cause,
    the caught error and cause."""
    task.add_catch(
        sfn.Fail.jsonata(
            scope, construct_id, error=error, cause="{% $states.input.Error & ': ' & $states.input.Cause %}"
        ),
        errors=["States.ALL"],
    )
