"""TrainingPipeline: a Step Functions pipeline that trains, evaluates, gates and registers a model.

Flow (every arrow is a state; every failure emits ``TrainingPipelineFailed`` then ends in Fail)::

    [Sanitize (Glue, optional)] -> Prepare -> Train (SageMaker .sync, spot + S3 checkpoints)
      -> Evaluate (SageMaker .sync running training/evaluate.py) -> metric reported?
      -> QualityGate (Choice on the metric vs. threshold; with live_model_parameter_name also the
         ChampionGate: Evaluate ran as EvaluateVsChampion against the live package, a worse candidate is rejected)
           pass -> RegisterModel (CreateModelPackage) -> ModelRegistered event -> Succeed
           fail -> ModelRejected event -> Succeed ("Rejected": the pipeline worked, the model did not)

Usage::

    pipeline = TrainingPipeline(self, "Training", data_lake=lake, props=TrainingPipelineProps())
    rule = events.Rule(self, "OnModel", event_pattern=pipeline.registered_event_pattern())

Both SageMaker jobs are ``CustomState`` tasks on ``arn:aws:states:::sagemaker:createTrainingJob.sync``:
the L2 ``SageMakerCreateTrainingJob`` has no ``CheckpointConfig``, ``EnableManagedSpotTraining``,
``StoppingCondition.MaxWaitTimeInSeconds``, ``EnableInterContainerTrafficEncryption`` or
``RetryStrategy``, and wants an ``ec2.IVpc`` where config only has subnet ids (no lookups). The
IAM policy that the L2 task would generate is written here, scoped to the job-name prefix.
Evaluation runs as a training job (not a Processing job) so the metric arrives in
``DescribeTrainingJob.FinalMetricDataList`` through the ``MetricDefinitions`` regexes of
:mod:`pipeline_stacks.training_metrics`: no Lambda, no S3 read of ``evaluation.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from pipeline_contract import EventDetailType
from pipeline_stacks import compliance, images, training_metrics, validation
from pipeline_stacks.bundling import Copy, source_archive_asset
from pipeline_stacks.constructs.data_lake import DataLake
from pipeline_stacks.iam import ManagedPolicyRole, vpc_network_interface_statement
from pipeline_stacks.log_groups import LogSettings, encrypted_log_group
from pipeline_stacks.stepfunctions import describe_model_package_task, put_event_task

EVALUATIONS_PREFIX = "evaluations/"
NEURON_CACHE_PREFIX = "neuron-cache/"
CHECKPOINT_LOCAL_PATH = "/opt/ml/checkpoints"
TINY_MODELS = ("tiny-llama", "tiny-gpt2")
#: The longest job-name prefix: ``<prefix>-train-<32 hex>`` must fit SageMaker's 63 characters.
MAX_JOB_PREFIX = 24

SanitizeTaskFactory = Callable[[Construct, str], sfn.TaskStateBase]


@dataclass(frozen=True, kw_only=True)
class TrainingPipelineProps:
    """Properties of :class:`TrainingPipeline`; only ``data_lake`` is required.

    Compute: ``instance_type`` (Trainium ``ml.trn*`` or GPU), ``instance_count``, ``use_spot`` with
    ``max_wait_seconds >= max_runtime_seconds``. ``image_uri`` overrides the pinned DLC (same
    accelerator family). ``region``: the deployment region when known at synth (literal images,
    no CfnRule); ``None`` for an environment-agnostic synth.
    Data: channels come from the sanitized bucket prefixes; ``base_model`` is ``tiny-llama`` /
    ``tiny-gpt2`` (random init, smoke test) or an artifacts-bucket prefix holding a Hugging Face model.
    Gate: ``quality_gate_metric`` (an ``evaluate.py`` metric) against ``quality_gate_threshold``.
    Sanitize: ``sanitize_task_factory(scope, id)`` returns the first task (e.g. a Glue ``.sync``
    run) or ``sanitize_glue_job_name`` names a Glue job to run; neither: no sanitize step.
    """

    job_prefix: str = "llm-pipeline"
    region: str | None = None
    instance_type: str = "ml.g5.2xlarge"
    instance_count: int = 1
    volume_size_gb: int = 100
    image_uri: str | None = None
    use_spot: bool = True
    max_runtime_seconds: int = 86400
    max_wait_seconds: int = 172800
    network_isolation: bool = False
    vpc_subnet_ids: Sequence[str] = ()
    vpc_security_group_ids: Sequence[str] = ()
    base_model: str = "tiny-llama"
    train_prefix: str = "train/"
    validation_prefix: str | None = "validation/"
    test_prefix: str = "test/"
    hyperparameters: Mapping[str, str] = field(default_factory=dict)
    seq_len: int = 1024
    evaluation_instance_type: str = "ml.g5.2xlarge"
    evaluation_max_runtime_seconds: int = 7200
    quality_gate_metric: str = training_metrics.QUALITY_GATE_METRIC
    quality_gate_threshold: float = 0.2
    higher_is_better: bool = training_metrics.QUALITY_GATE_HIGHER_IS_BETTER
    model_package_group_name: str = "llm-pipeline"
    #: Champion/challenger: the live-model SSM parameter (promotion.LiveModelParameter). When set and it names a
    #: package, the production model is evaluated on the same set and a worse candidate is rejected.
    live_model_parameter_name: str | None = None
    champion_min_delta: float = 0.0
    champion_max_latency_ratio: float = 1.25
    approval_status: Literal["PendingManualApproval", "Approved"] = "PendingManualApproval"
    inference_instance_type: str = "ml.g5.2xlarge"
    inference_server: Literal["lmi", "tgi"] = "lmi"
    schedule: str | None = None
    sanitize_task_factory: SanitizeTaskFactory | None = None
    sanitize_glue_job_name: str | None = None
    timeout: cdk.Duration | None = None
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR

    def __post_init__(self) -> None:
        family = images.accelerator_family(self.instance_type)
        if family not in ("gpu", "neuron") or images.instance_family(self.instance_type) == "inf2":
            raise ValueError(
                f"TrainingPipelineProps.instance_type={self.instance_type!r}: train on Trainium (ml.trn1/trn1n/trn2) "
                "or an NVIDIA GPU instance"
            )
        validation.check_spot_wait(
            use_spot=self.use_spot,
            max_wait_seconds=self.max_wait_seconds,
            max_runtime_seconds=self.max_runtime_seconds,
            where="TrainingPipelineProps",
        )
        validation.check_image_family(
            self.image_uri, self.instance_type, where="TrainingPipelineProps.vpc_subnet_ids and vpc_security_group_ids"
        )
        if images.accelerator_family(self.evaluation_instance_type) == "neuron":
            raise ValueError(
                f"TrainingPipelineProps.evaluation_instance_type={self.evaluation_instance_type!r}: evaluate.py "
                "generates with plain PyTorch; use a GPU or CPU instance"
            )
        if self.quality_gate_metric not in training_metrics.EVALUATION_METRIC_NAMES:
            raise ValueError(
                f"TrainingPipelineProps.quality_gate_metric={self.quality_gate_metric!r}; allowed: "
                f"{', '.join(training_metrics.EVALUATION_METRIC_NAMES)}"
            )
        validation.check_vpc_pair(
            self.vpc_subnet_ids,
            self.vpc_security_group_ids,
            where="TrainingPipelineProps.vpc_subnet_ids and vpc_security_group_ids",
        )
        if self.sanitize_task_factory is not None and self.sanitize_glue_job_name is not None:
            raise ValueError("give sanitize_task_factory or sanitize_glue_job_name, not both")
        if len(self.job_prefix) > MAX_JOB_PREFIX or not self.job_prefix.replace("-", "").isalnum():
            raise ValueError(
                f"TrainingPipelineProps.job_prefix={self.job_prefix!r}: at most {MAX_JOB_PREFIX} letters, digits, '-'"
            )

    @property
    def accelerator(self) -> str:
        """``neuron`` (Trainium) or ``gpu``."""
        return images.accelerator_family(self.instance_type)


@dataclass(frozen=True)
class _ChampionStates:
    evaluate: sfn.CustomState
    find: Callable[[sfn.IChainable], sfn.IChainable]
    gate: Callable[[sfn.IChainable], sfn.IChainable]


class TrainingPipeline(Construct):
    """Train -> evaluate -> quality gate -> model registry, as one Step Functions state machine.

    Attributes: ``state_machine``, ``execution_role`` (SageMaker jobs), ``state_machine_role``,
    ``model_package_group``, ``source_asset`` (training/ as ``sourcedir.tar.gz``), ``log_group``,
    ``schedule_rule`` (or None), ``region_rule`` (the Trainium CfnRule, or None), ``training_image``.
    Hooks: :meth:`registered_event_pattern`, :meth:`rejection_event_pattern`,
    :meth:`failure_event_pattern`, :meth:`metric_failed_executions` and friends.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data_lake: DataLake,
        props: TrainingPipelineProps | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        props = props or TrainingPipelineProps()
        self.props = props
        self.data_lake = lake = data_lake
        stack = cdk.Stack.of(self)
        self.job_prefix = props.job_prefix.lower().rstrip("-")
        self.model_package_group_name = props.model_package_group_name

        self.training_image = props.image_uri or images.training_image_uri(self, props.instance_type, props.region)
        self.evaluation_image = images.training_image_uri(self, props.evaluation_instance_type, props.region)
        self.inference_image = images.serving_image_uri(
            self, props.inference_instance_type, props.region, server=props.inference_server
        )
        self.region_rule = (
            images.neuron_region_rule(
                self,
                "TrainiumRegion",
                instance_type=props.instance_type,
                config_key="training.instance_type",
                family="Trainium",
            )
            if props.region is None and props.accelerator == "neuron"
            else None
        )

        self.source_asset = source_archive_asset(self, "Source", copies=[Copy("training", ".")])

        # L1: there is no L2 construct for SageMaker model package groups.
        self.model_package_group = sagemaker.CfnModelPackageGroup(
            self,
            "ModelPackageGroup",
            model_package_group_name=props.model_package_group_name,
            model_package_group_description=f"{stack.stack_name}: models that passed the quality gate",
        )

        self.execution_role = self._execution_role()
        self.state_machine_role = ManagedPolicyRole(
            self,
            "StateMachineRole",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description="Training pipeline state machine: runs SageMaker jobs, registers models, emits events",
        )
        self._grant_state_machine()

        self.log_group = encrypted_log_group(
            self, "Logs", lake.key, LogSettings(props.log_retention, lake.props.removal_policy)
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(self._definition()),
            role=self.state_machine_role,
            timeout=props.timeout or self._default_timeout(),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            comment="sanitize -> train -> evaluate -> quality gate -> register (see docs/training.md)",
        )
        self.state_machine.node.add_dependency(self.model_package_group)
        compliance.acknowledge(
            self.state_machine_role,
            "TrainingPipeline.state_machine_role",
            applies_to=(
                "Resource::*",
                self._finding(self._training_job_arn()),
                self._finding(self._model_package_arn()),
            ),
        )
        self.schedule_rule = self._schedule() if props.schedule else None

    # ------------------------------------------------------------------ hooks

    def registered_event_pattern(self) -> events.EventPattern:
        """Matches ``ModelRegistered`` (detail: modelPackageArn, modelPackageGroupName, approvalStatus, ...)."""
        return self._pattern(EventDetailType.MODEL_REGISTERED)

    def rejection_event_pattern(self) -> events.EventPattern:
        """Matches ``ModelRejected`` (the quality gate said no; detail carries metric, value, threshold)."""
        return self._pattern(EventDetailType.MODEL_REJECTED)

    def failure_event_pattern(self) -> events.EventPattern:
        """Matches ``TrainingPipelineFailed`` (detail: stage, error, cause, executionArn)."""
        return self._pattern(EventDetailType.TRAINING_PIPELINE_FAILED)

    def execution_status_event_pattern(self) -> events.EventPattern:
        """Step Functions' own FAILED / TIMED_OUT / ABORTED events for this state machine.

        Covers what no state can catch (execution timeout, abort, ``States.Runtime`` errors).
        """
        return events.EventPattern(
            source=["aws.states"],
            detail_type=["Step Functions Execution Status Change"],
            detail={
                "stateMachineArn": [self.state_machine.state_machine_arn],
                "status": ["FAILED", "TIMED_OUT", "ABORTED"],
            },
        )

    def metric_failed_executions(self, **kwargs: object) -> cloudwatch.Metric:
        """``ExecutionsFailed`` of the state machine (sum, 5 min by default)."""
        return self.state_machine.metric_failed(**kwargs)  # type: ignore[arg-type]

    def metric_timed_out_executions(self, **kwargs: object) -> cloudwatch.Metric:
        """``ExecutionsTimedOut`` of the state machine."""
        return self.state_machine.metric_timed_out(**kwargs)  # type: ignore[arg-type]

    def metric_succeeded_executions(self, **kwargs: object) -> cloudwatch.Metric:
        """``ExecutionsSucceeded`` (registered or rejected by the gate)."""
        return self.state_machine.metric_succeeded(**kwargs)  # type: ignore[arg-type]

    def metric_execution_time(self, **kwargs: object) -> cloudwatch.Metric:
        """``ExecutionTime`` in milliseconds."""
        return self.state_machine.metric_time(**kwargs)  # type: ignore[arg-type]

    def alarm_metrics(self) -> dict[str, cloudwatch.IMetric]:
        """Metrics worth an alarm, by name (failed and timed-out executions)."""
        return {
            "failed_executions": self.metric_failed_executions(),
            "timed_out_executions": self.metric_timed_out_executions(),
        }

    def _pattern(self, detail_type: str) -> events.EventPattern:
        return events.EventPattern(
            source=[EventDetailType.SOURCE],
            detail_type=[detail_type],
            detail={"stateMachineArn": [self.state_machine.state_machine_arn]},
        )

    # ------------------------------------------------------------------ definition

    def _definition(self) -> sfn.IChainable:
        p = self.props
        metric = p.quality_gate_metric
        failed_chain = self._failure_chain()

        prepare = sfn.Pass(
            self,
            "Prepare",
            comment="Job names derived from the execution id: unique per run, stable across retries",
            parameters={
                "trainJobName.$": f"States.Format('{self.job_prefix}-train-{{}}', States.Hash($$.Execution.Id, 'MD5'))",
                "evalJobName.$": f"States.Format('{self.job_prefix}-eval-{{}}', States.Hash($$.Execution.Id, 'MD5'))",
                "executionArn.$": "$$.Execution.Id",
            },
            result_path="$.run",
        )
        # Sanitize (when given) runs first: a factory's task may replace the state with its own result,
        # and Prepare only reads the execution context, so nothing it needs is lost.
        sanitize = self._sanitize_task()
        if sanitize is not None:
            sanitize.add_catch(self._fail_stage("sanitize", failed_chain), errors=["States.ALL"], result_path="$.error")
            chain: sfn.Chain = sfn.Chain.start(sanitize).next(prepare)
        else:
            chain = sfn.Chain.start(prepare)

        train = sfn.CustomState(self, "Train", state_json=self._train_state())
        train.add_catch(self._fail_stage("train", failed_chain), errors=["States.ALL"], result_path="$.error")
        evaluate = sfn.CustomState(self, "Evaluate", state_json=self._evaluate_state())
        evaluate.add_catch(self._fail_stage("evaluate", failed_chain), errors=["States.ALL"], result_path="$.error")
        champion = self._champion_states(failed_chain) if p.live_model_parameter_name else None

        value_path = "$.evaluation.metric[0]"
        compare = (
            sfn.Condition.number_greater_than_equals(value_path, p.quality_gate_threshold)
            if p.higher_is_better
            else sfn.Condition.number_less_than_equals(value_path, p.quality_gate_threshold)
        )
        metric_missing = sfn.Pass(
            self,
            "MetricMissing",
            parameters={
                "Error": "QualityGate.MetricMissing",
                "Cause": f"evaluate.py reported no '{metric}' metric (FinalMetricDataList); "
                "see the evaluation job's logs",
            },
            result_path="$.error",
        )
        metric_missing.next(self._fail_stage("quality_gate", failed_chain))

        register = self._register_task()
        register.add_catch(self._fail_stage("register", failed_chain), errors=["States.ALL"], result_path="$.error")
        registered = self._put_event(
            "EmitModelRegistered",
            EventDetailType.MODEL_REGISTERED,
            {
                "modelPackageArn": sfn.JsonPath.string_at("$.registration.ModelPackageArn"),
                "modelPackageGroupName": p.model_package_group_name,
                "approvalStatus": p.approval_status,
                "modelDataUrl": sfn.JsonPath.string_at("$.training.ModelArtifacts"),
                "trainingJobName": sfn.JsonPath.string_at("$.training.TrainingJobName"),
                "metric": metric,
                "value": sfn.JsonPath.number_at(value_path),
                "threshold": p.quality_gate_threshold,
            },
        )
        registered.add_catch(
            self._fail_stage("emit_registered", failed_chain), errors=["States.ALL"], result_path="$.error"
        )
        rejected = self._put_event(
            "EmitModelRejected",
            EventDetailType.MODEL_REJECTED,
            {
                "reason": "below_threshold",
                "metric": metric,
                "value": sfn.JsonPath.number_at(value_path),
                "threshold": p.quality_gate_threshold,
                "direction": "higher_is_better" if p.higher_is_better else "lower_is_better",
                "modelDataUrl": sfn.JsonPath.string_at("$.training.ModelArtifacts"),
                "trainingJobName": sfn.JsonPath.string_at("$.training.TrainingJobName"),
            },
        )
        rejected.add_catch(
            self._fail_stage("emit_rejected", failed_chain), errors=["States.ALL"], result_path="$.error"
        )

        on_pass = register.next(registered).next(sfn.Succeed(self, "Registered"))
        gate = (
            sfn.Choice(
                self,
                "QualityGate",
                comment=f"{metric} {'>=' if p.higher_is_better else '<='} {p.quality_gate_threshold}",
            )
            .when(compare, champion.gate(on_pass) if champion else on_pass)
            .otherwise(rejected.next(sfn.Succeed(self, "Rejected", comment="The quality gate rejected the model")))
        )
        reported = (
            sfn.Choice(self, "MetricReported")
            .when(sfn.Condition.is_present(value_path), gate)
            .otherwise(metric_missing)
        )
        if champion is not None:
            champion.evaluate.next(reported)
            return chain.next(train).next(champion.find(evaluate.next(reported)))
        return chain.next(train).next(evaluate).next(reported)

    def _champion_states(self, failed_chain: sfn.IChainable) -> _ChampionStates:
        """Champion/challenger states: read the live package, evaluate against it, reject a worse candidate."""
        p = self.props
        stack = cdk.Stack.of(self)
        read = tasks.CallAwsService(
            self,
            "ReadLiveModel",
            service="ssm",
            action="getParameter",
            iam_resources=[stack.format_arn(service="ssm", resource="parameter",
                                            resource_name=str(p.live_model_parameter_name).lstrip("/"))],
            parameters={"Name": p.live_model_parameter_name},
            result_selector={"value.$": "$.Parameter.Value"},
            result_path="$.live",
        )  # fmt: skip
        describe = describe_model_package_task(
            self,
            "DescribeChampion",
            package_arn=self._model_package_arn(),
            name_path="$.live.value",
            result_selector={
                "present": True,
                "arn.$": "$.ModelPackageArn",
                "modelDataUrl.$": "$.InferenceSpecification.Containers[0].ModelDataUrl",
            },
            result_path="$.champion",
        )
        for task in (read, describe):
            task.add_catch(self._fail_stage(f"champion_{task.node.id.lower()}", failed_chain),
                           errors=["States.ALL"], result_path="$.error")  # fmt: skip
        evaluate = sfn.CustomState(self, "EvaluateVsChampion", state_json=self._evaluate_state(with_champion=True))
        evaluate.add_catch(self._fail_stage("evaluate_vs_champion", failed_chain), errors=["States.ALL"],
                           result_path="$.error")  # fmt: skip
        no_champion = sfn.Pass(self, "NoChampion", comment="No model is live yet: only the threshold applies",
                               result=sfn.Result.from_object({"present": False}), result_path="$.champion")  # fmt: skip
        metric = p.quality_gate_metric
        lost = self._put_event(
            "EmitModelRejectedByChampion",
            EventDetailType.MODEL_REJECTED,
            {
                "reason": "worse_than_champion",
                "message": f"the candidate is worse than the production model on {metric} or latency "
                "(see comparison.json / comparison.md in the evaluation output)",
                "metric": metric,
                "value": sfn.JsonPath.number_at("$.evaluation.metric[0]"),
                "championValue": sfn.JsonPath.list_at("$.evaluation.championValue"),
                "delta": sfn.JsonPath.list_at("$.evaluation.delta"),
                "latencyRatio": sfn.JsonPath.list_at("$.evaluation.latencyRatio"),
                "minDelta": p.champion_min_delta,
                "maxLatencyRatio": p.champion_max_latency_ratio,
                "championPackageArn": sfn.JsonPath.string_at("$.champion.arn"),
                "evaluationJobName": sfn.JsonPath.string_at("$.evaluation.TrainingJobName"),
                "modelDataUrl": sfn.JsonPath.string_at("$.training.ModelArtifacts"),
                "trainingJobName": sfn.JsonPath.string_at("$.training.TrainingJobName"),
            },
        )
        lost.add_catch(self._fail_stage("emit_rejected_by_champion", failed_chain), errors=["States.ALL"],
                       result_path="$.error")  # fmt: skip
        lost_chain = lost.next(sfn.Succeed(self, "RejectedByChampion", comment="Worse than the production model"))

        def find(without: sfn.IChainable) -> sfn.IChainable:
            has = (
                sfn.Choice(self, "HasChampion")
                .when(sfn.Condition.string_equals("$.live.value", "none"), no_champion.next(without))
                .otherwise(describe.next(evaluate))
            )
            return read.next(has)

        def gate(on_pass: sfn.IChainable) -> sfn.IChainable:
            decided = (
                sfn.Choice(self, "ChampionVerdict")
                .when(sfn.Condition.number_equals("$.evaluation.wins[0]", 1), on_pass)
                .otherwise(lost_chain)
            )
            return (
                sfn.Choice(self, "ChampionGate", comment="The candidate must beat the production model")
                .when(sfn.Condition.boolean_equals("$.champion.present", False), on_pass)
                .when(sfn.Condition.is_present("$.evaluation.wins[0]"), decided)
                .otherwise(lost_chain)
            )

        return _ChampionStates(evaluate=evaluate, find=find, gate=gate)

    def _failure_chain(self) -> sfn.IChainable:
        emit = self._put_event(
            "EmitFailed",
            EventDetailType.TRAINING_PIPELINE_FAILED,
            {
                "stage": sfn.JsonPath.string_at("$.failedStage"),
                "error": sfn.JsonPath.string_at("$.error.Error"),
                "cause": sfn.JsonPath.string_at("$.error.Cause"),
            },
        )
        fail = sfn.Fail(self, "Failed", error_path="$.error.Error", cause_path="$.error.Cause")
        emit.add_catch(fail, errors=["States.ALL"], result_path="$.emitError")
        return emit.next(fail)

    def _fail_stage(self, stage: str, failed_chain: sfn.IChainable) -> sfn.IChainable:
        mark = sfn.Pass(
            self,
            f"{''.join(part.title() for part in stage.split('_'))}Failed",
            result=sfn.Result.from_string(stage),
            result_path="$.failedStage",
        )
        return mark.next(failed_chain)

    def _put_event(
        self, construct_id: str, detail_type: str, detail: Mapping[str, object]
    ) -> tasks.EventBridgePutEvents:
        return put_event_task(self, construct_id, source=EventDetailType.SOURCE, detail_type=detail_type, detail=detail)

    def _sanitize_task(self) -> sfn.TaskStateBase | None:
        p = self.props
        if p.sanitize_task_factory is not None:
            return p.sanitize_task_factory(self, "Sanitize")
        if p.sanitize_glue_job_name is not None:
            task = tasks.GlueStartJobRun(
                self,
                "Sanitize",
                glue_job_name=p.sanitize_glue_job_name,
                integration_pattern=sfn.IntegrationPattern.RUN_JOB,
                result_path=sfn.JsonPath.DISCARD,
                comment="The sanitization job with its default arguments (new raw objects, job bookmark)",
            )
            # The job allows one run at a time: an upload-triggered run may be active; wait it out.
            task.add_retry(
                errors=["Glue.ConcurrentRunsExceededException"],
                interval=cdk.Duration.minutes(5),
                max_attempts=12,
                backoff_rate=1,
            )
            return task
        return None

    # ------------------------------------------------------------------ SageMaker jobs

    def _s3(self, bucket_name: str, prefix: str) -> str:
        return f"s3://{bucket_name}/{prefix}"

    def _channel(self, name: str, s3_uri: str | None = None, *, s3_uri_path: str | None = None) -> dict[str, object]:
        source: dict[str, object] = {"S3DataType": "S3Prefix", "S3DataDistributionType": "FullyReplicated"}
        if s3_uri_path is not None:
            source["S3Uri.$"] = s3_uri_path
        else:
            source["S3Uri"] = s3_uri
        return {"ChannelName": name, "DataSource": {"S3DataSource": source}}

    def _common_job(self) -> dict[str, object]:
        p = self.props
        job: dict[str, object] = {
            "RoleArn": self.execution_role.role_arn,
            "EnableNetworkIsolation": p.network_isolation,
        }
        if p.vpc_subnet_ids:
            job["VpcConfig"] = {"Subnets": list(p.vpc_subnet_ids), "SecurityGroupIds": list(p.vpc_security_group_ids)}
        return job

    def training_hyperparameters(self) -> dict[str, str]:
        """Every hyperparameter of the training job, as strings (framework-container conventions included)."""
        p = self.props
        hp: dict[str, str] = {
            "sagemaker_program": "train.py",
            "sagemaker_submit_directory": self.source_asset.s3_object_url,
            "sagemaker_region": cdk.Aws.REGION,
            "seq-len": str(p.seq_len),
            **{k: str(v) for k, v in p.hyperparameters.items()},
        }
        if p.base_model in TINY_MODELS:
            hp["model-config"] = p.base_model
        if p.accelerator == "neuron" or p.instance_count > 1:
            # torchrun launcher of the framework container: one process per NeuronCore / GPU, all nodes.
            hp["sagemaker_torch_distributed_enabled"] = "true"
        return hp

    def _train_state(self) -> dict[str, object]:
        p = self.props
        lake = self.data_lake
        sanitized = lake.sanitized_bucket.bucket_name
        artifacts = lake.artifacts_bucket.bucket_name
        channels = [self._channel("train", self._s3(sanitized, p.train_prefix))]
        if p.validation_prefix:
            channels.append(self._channel("validation", self._s3(sanitized, p.validation_prefix)))
        if p.base_model not in TINY_MODELS:
            channels.append(self._channel("model", self._s3(artifacts, p.base_model)))
        stopping: dict[str, object] = {"MaxRuntimeInSeconds": p.max_runtime_seconds}
        if p.use_spot:
            stopping["MaxWaitTimeInSeconds"] = p.max_wait_seconds
        environment = {"TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1"}
        if p.accelerator == "neuron":
            # Persistent Neuron compiler cache: later runs skip recompiling unchanged graphs.
            environment["NEURON_COMPILE_CACHE_URL"] = self._s3(artifacts, NEURON_CACHE_PREFIX)
        checkpoints = self._s3(artifacts, DataLake.CHECKPOINTS_PREFIX)
        params: dict[str, object] = {
            "TrainingJobName.$": "$.run.trainJobName",
            **self._common_job(),
            "AlgorithmSpecification": {
                "TrainingImage": self.training_image,
                "TrainingInputMode": "File",
                "MetricDefinitions": training_metrics.TRAINING_METRIC_DEFINITIONS,
                "EnableSageMakerMetricsTimeSeries": True,
            },
            "HyperParameters": self.training_hyperparameters(),
            "Environment": environment,
            "InputDataConfig": channels,
            "OutputDataConfig": {
                "S3OutputPath": self._s3(artifacts, DataLake.MODELS_PREFIX),
                "KmsKeyId": lake.key.key_arn,
            },
            "ResourceConfig": {
                "InstanceType": p.instance_type,
                "InstanceCount": p.instance_count,
                "VolumeSizeInGB": p.volume_size_gb,
                "VolumeKmsKeyId": lake.key.key_arn,
            },
            "StoppingCondition": stopping,
            "EnableManagedSpotTraining": p.use_spot,
            "CheckpointConfig": {
                "S3Uri.$": f"States.Format('{checkpoints}{{}}/', $.run.trainJobName)",
                "LocalPath": CHECKPOINT_LOCAL_PATH,
            },
            "EnableInterContainerTrafficEncryption": p.instance_count > 1,
            # SageMaker retries the job itself on capacity/internal errors (same name, same checkpoints).
            "RetryStrategy": {"MaximumRetryAttempts": 2},
        }
        return {
            "Type": "Task",
            "Comment": f"{p.instance_count} x {p.instance_type} ({p.accelerator})"
            + (", managed spot" if p.use_spot else ""),
            "Resource": f"arn:{cdk.Aws.PARTITION}:states:::sagemaker:createTrainingJob.sync",
            "Parameters": params,
            "ResultSelector": {
                "TrainingJobName.$": "$.TrainingJobName",
                "TrainingJobArn.$": "$.TrainingJobArn",
                "ModelArtifacts.$": "$.ModelArtifacts.S3ModelArtifacts",
            },
            "ResultPath": "$.training",
        }

    def _evaluate_state(self, *, with_champion: bool = False) -> dict[str, object]:
        p = self.props
        lake = self.data_lake
        metric = p.quality_gate_metric
        champion_hp: dict[str, str] = {}
        champion_channel: list[dict[str, object]] = []
        champion_metrics: list[dict[str, str]] = []
        champion_selectors: dict[str, str] = {}
        if with_champion:
            champion_hp = {"champion-dir": "/opt/ml/input/data/champion", "gate-metric": metric,
                           "min-delta": str(p.champion_min_delta),
                           "max-latency-ratio": str(p.champion_max_latency_ratio)}  # fmt: skip
            champion_channel = [self._channel("champion", s3_uri_path="$.champion.modelDataUrl")]
            champion_metrics = training_metrics.CHAMPION_METRIC_DEFINITIONS
            champion_selectors = {
                f"{key}.$": f"$.FinalMetricDataList[?(@.MetricName == '{name}')].Value"
                for key, name in (("wins", "candidate_wins"), ("delta", f"{metric}_delta"),
                                  ("championValue", f"champion_{metric}"), ("latencyRatio", "latency_ratio"))
            }  # fmt: skip
        params: dict[str, object] = {
            "TrainingJobName.$": "$.run.evalJobName",
            **self._common_job(),
            "AlgorithmSpecification": {
                "TrainingImage": self.evaluation_image,
                "TrainingInputMode": "File",
                "MetricDefinitions": training_metrics.EVALUATION_METRIC_DEFINITIONS + champion_metrics,
            },
            "HyperParameters": {
                "sagemaker_program": "evaluate.py",
                "sagemaker_submit_directory": self.source_asset.s3_object_url,
                "sagemaker_region": cdk.Aws.REGION,
                "seq-len": str(p.seq_len),
                **champion_hp,
            },
            "Environment": {"TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1"},
            "InputDataConfig": [
                self._channel("model", s3_uri_path="$.training.ModelArtifacts"),
                self._channel("test", self._s3(lake.sanitized_bucket.bucket_name, p.test_prefix)),
                *champion_channel,
            ],
            "OutputDataConfig": {
                "S3OutputPath": self._s3(lake.artifacts_bucket.bucket_name, EVALUATIONS_PREFIX),
                "KmsKeyId": lake.key.key_arn,
            },
            "ResourceConfig": {
                "InstanceType": p.evaluation_instance_type,
                "InstanceCount": 1,
                "VolumeSizeInGB": p.volume_size_gb,
                "VolumeKmsKeyId": lake.key.key_arn,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": p.evaluation_max_runtime_seconds},
            "EnableInterContainerTrafficEncryption": False,
            "RetryStrategy": {"MaximumRetryAttempts": 1},
        }
        return {
            "Type": "Task",
            "Comment": f"training/evaluate.py on {p.evaluation_instance_type}; metrics via MetricDefinitions",
            "Resource": f"arn:{cdk.Aws.PARTITION}:states:::sagemaker:createTrainingJob.sync",
            "Parameters": params,
            "ResultSelector": {
                "TrainingJobName.$": "$.TrainingJobName",
                # A filter yields a list ([] when evaluate.py printed no such metric): MetricReported checks [0].
                "metric.$": f"$.FinalMetricDataList[?(@.MetricName == '{metric}')].Value",
                **champion_selectors,
            },
            "ResultPath": "$.evaluation",
        }

    def _register_task(self) -> tasks.CallAwsService:
        p = self.props
        stack = cdk.Stack.of(self)
        group_arn = stack.format_arn(
            service="sagemaker", resource="model-package-group", resource_name=p.model_package_group_name
        )
        package_arn = self._model_package_arn()
        task = tasks.CallAwsService(
            self,
            "RegisterModel",
            service="sagemaker",
            action="createModelPackage",
            iam_resources=[group_arn, package_arn],
            parameters={
                "ModelPackageGroupName": p.model_package_group_name,
                "ModelApprovalStatus": p.approval_status,
                # Idempotent across retries: one package per execution.
                "ClientToken": sfn.JsonPath.hash(sfn.JsonPath.string_at("$$.Execution.Id"), "MD5"),
                "ModelPackageDescription": sfn.JsonPath.format(
                    "Trained by {} ({} = {})",
                    sfn.JsonPath.string_at("$.training.TrainingJobName"),
                    p.quality_gate_metric,
                    sfn.JsonPath.string_at("$.evaluation.metric[0]"),
                ),
                "InferenceSpecification": {
                    "Containers": [
                        {
                            "Image": self.inference_image,
                            "ModelDataUrl": sfn.JsonPath.string_at("$.training.ModelArtifacts"),
                        }
                    ],
                    "SupportedContentTypes": ["application/json"],
                    "SupportedResponseMIMETypes": ["application/json"],
                    "SupportedRealtimeInferenceInstanceTypes": [p.inference_instance_type],
                },
                "CustomerMetadataProperties": {
                    "trainingJobName": sfn.JsonPath.string_at("$.training.TrainingJobName"),
                    "evaluationJobName": sfn.JsonPath.string_at("$.evaluation.TrainingJobName"),
                    "qualityGateMetric": p.quality_gate_metric,
                    "qualityGateValue": sfn.JsonPath.format("{}", sfn.JsonPath.string_at("$.evaluation.metric[0]")),
                    "executionArn": sfn.JsonPath.string_at("$$.Execution.Id"),
                },
            },
            result_selector={"ModelPackageArn.$": "$.ModelPackageArn"},
            result_path="$.registration",
        )
        task.add_retry(errors=["States.TaskFailed"], max_attempts=2, interval=cdk.Duration.seconds(5), backoff_rate=2)
        return task

    # ------------------------------------------------------------------ IAM

    def _execution_role(self) -> ManagedPolicyRole:
        p = self.props
        lake = self.data_lake
        stack = cdk.Stack.of(self)
        role = ManagedPolicyRole(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="SageMaker training/evaluation jobs of the training pipeline",
        )
        prefixes = {p.train_prefix, p.test_prefix} | ({p.validation_prefix} if p.validation_prefix else set())
        for prefix in sorted(prefixes):
            lake.grant_read_sanitized(role, prefix=prefix)
        artifact_prefixes = [DataLake.CHECKPOINTS_PREFIX, DataLake.MODELS_PREFIX, EVALUATIONS_PREFIX]
        if p.accelerator == "neuron":
            artifact_prefixes.append(NEURON_CACHE_PREFIX)
        for prefix in artifact_prefixes:
            lake.grant_read_write_artifacts(role, prefix=prefix)
        if p.base_model not in TINY_MODELS:
            lake.grant_read_artifacts(role, prefix=p.base_model)
        lake.grant_volume_encryption(role)
        # its own sourcedir.tar.gz only, not the whole shared CDK assets bucket (as the Glue role: two objects)
        role.add_to_policy(
            iam.PolicyStatement(
                sid="SourceArchive",
                actions=["s3:GetObject"],
                resources=[self.source_asset.bucket.arn_for_objects(self.source_asset.s3_object_key)],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="JobLogs",
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                resources=[
                    stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="/aws/sagemaker/TrainingJobs:*",
                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="JobMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}},
            )
        )
        if p.image_uri is not None:
            self._grant_image_pull(role, p.image_uri)
        if p.vpc_subnet_ids:
            role.add_to_policy(vpc_network_interface_statement("VpcNetworkInterfaces"))
        log_group_arn = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name="/aws/sagemaker/TrainingJobs:*",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        compliance.acknowledge(role, "TrainingPipeline.execution_role_actions")
        compliance.acknowledge(
            role, "TrainingPipeline.execution_role_service", applies_to=("Resource::*", self._finding(log_group_arn))
        )
        compliance.acknowledge_objects(
            role, "TrainingPipeline.execution_role_objects", lake.sanitized_bucket, sorted(prefixes)
        )
        artifact_read = [p.base_model] if p.base_model not in TINY_MODELS else []
        compliance.acknowledge_objects(
            role, "TrainingPipeline.execution_role_objects", lake.artifacts_bucket, artifact_prefixes + artifact_read
        )
        return role

    def _grant_image_pull(self, role: iam.IRole, image_uri: str) -> None:
        registry, _, repository = image_uri.partition("/")
        account, _, rest = registry.partition(".dkr.ecr.")
        region = rest.split(".", 1)[0]
        name = repository.split("@", 1)[0].rsplit(":", 1)[0]
        stack = cdk.Stack.of(self)
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="PullTrainingImage",
                actions=["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                resources=[f"arn:{stack.partition}:ecr:{region}:{account}:repository/{name}"],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(sid="EcrAuth", actions=["ecr:GetAuthorizationToken"], resources=["*"])
        )

    def _grant_state_machine(self) -> None:
        role = self.state_machine_role
        stack = cdk.Stack.of(self)
        role.add_to_policy(
            iam.PolicyStatement(
                sid="SageMakerJobs",
                actions=["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob"],
                resources=[self._training_job_arn()],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="SageMakerJobSyncRule",
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                resources=[
                    stack.format_arn(
                        service="events",
                        resource="rule",
                        resource_name="StepFunctionsGetEventsForSageMakerTrainingJobsRule",
                    )
                ],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="PassExecutionRole",
                actions=["iam:PassRole"],
                resources=[self.execution_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        )

    def _training_job_arn(self) -> str:
        return cdk.Stack.of(self).format_arn(
            service="sagemaker", resource="training-job", resource_name=f"{self.job_prefix}-*"
        )

    def _model_package_arn(self) -> str:
        return cdk.Stack.of(self).format_arn(
            service="sagemaker", resource="model-package", resource_name=f"{self.props.model_package_group_name}/*"
        )

    def _finding(self, arn: str) -> str:
        """cdk-nag's ``Resource::<arn>`` finding id for an ARN of this stack (``format_arn``)."""
        return f"Resource::{compliance.flatten_reference(cdk.Stack.of(self).resolve(arn))}"

    # ------------------------------------------------------------------ region, schedule, timeout

    def _schedule(self) -> events.Rule:
        role = ManagedPolicyRole(
            self,
            "ScheduleRole",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com"),
            description="Starts the training pipeline on its schedule",
        )
        return events.Rule(
            self,
            "Schedule",
            description="Scheduled training pipeline run (training.schedule)",
            schedule=events.Schedule.expression(self.props.schedule or ""),
            targets=[
                targets.SfnStateMachine(
                    self.state_machine,
                    input=events.RuleTargetInput.from_object({"trigger": "schedule"}),
                    role=role,
                    retry_attempts=3,
                )
            ],
        )

    def _default_timeout(self) -> cdk.Duration:
        p = self.props
        train = p.max_wait_seconds if p.use_spot else p.max_runtime_seconds
        sanitize = 4 * 3600 if (p.sanitize_task_factory or p.sanitize_glue_job_name) else 0
        return cdk.Duration.seconds(train + p.evaluation_max_runtime_seconds + sanitize + 2 * 3600)
