"""PiiSanitization: the Glue job that turns raw uploads into sanitized training data.

Raw JSON-lines objects land in the lake's raw bucket -> EventBridge ``Object Created`` -> a Step Functions
state machine (the "data" pipeline) that batches bursts into single-flight Glue runs -> the Glue job
(``glue_jobs/sanitize_job.py`` + our own PII engine, ``pii_engine``) writes sanitized records to the
sanitized bucket and rejected records to the quarantine bucket, and emits CloudWatch metrics.

Usage::

    lake = DataLake(self, "Lake")
    sanitization = PiiSanitization(self, "Sanitization", data_lake=lake)
    sanitization.metric_records_quarantined()      # for alarms and dashboards

Construct choices: every Glue resource uses the stable L2 constructs of ``aws_cdk.aws_glue`` (aws-cdk-lib
2.275 ships ``PySparkEtlJob``, ``SecurityConfiguration``, ``Database`` and ``S3Table``, graduated from the
``aws-glue-alpha`` package), so no alpha dependency is needed. ``job`` is the job's L1 ``CfnJob``.

Why Glue 5.0 (pinned, ``glue_version``): the job runs our own PII engine, not Glue's Detect-PII transform
(``awsglueml``, documented for Glue 3.0/4.0 only); Glue 5.0 brings Spark 3.5 and Python 3.11 (the engine
needs Python >= 3.10) and faster start-up. 5.1 and 6.0 (Spark 4.1, Python 3.13) are allowed too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from pipeline_contract import ENTITY_TYPES as PII_ENTITY_TYPES
from pipeline_contract import Layout
from pipeline_contract import SanitizationMetric as M
from pipeline_stacks import bundling, compliance, validation
from pipeline_stacks.constructs.data_lake import DataLake
from pipeline_stacks.iam import ManagedPolicyRole
from pipeline_stacks.log_groups import encrypted_log_group
from pipeline_stacks.stepfunctions import (
    batched_single_flight_state_machine,
    fail_on_error,
    join_active_run,
    object_created_rule,
)

#: CloudWatch namespace of the job's metrics and the partition column it writes (from ``pipeline_contract``).
METRICS_NAMESPACE = M.NAMESPACE
PARTITION_COLUMN = Layout.PARTITION_COLUMN
#: Namespace of Glue's own job metrics (``--enable-metrics``, ``--enable-observability-metrics``).
GLUE_METRICS_NAMESPACE = "Glue"
#: Glue job run states that end a run unsuccessfully (``Glue Job State Change`` events).
GLUE_FAILED_STATES = ("FAILED", "TIMEOUT", "ERROR")
#: How often an upload-triggered execution re-checks while another run of the job is active.
_ACTIVE_RUN_POLL = cdk.Duration.minutes(5)

_GLUE_VERSIONS = {
    "5.0": glue.GlueVersion.V5_0,
    "5.1": glue.GlueVersion.V5_1,
    "6.0": glue.GlueVersion.V6_0,
}
_WORKER_TYPES = {
    "G.1X": glue.WorkerType.G_1X,
    "G.2X": glue.WorkerType.G_2X,
    "G.4X": glue.WorkerType.G_4X,
    "G.8X": glue.WorkerType.G_8X,
}


@dataclass(frozen=True, kw_only=True)
class SanitizeOptions:
    """What the job detects and how it redacts (see ``glue_jobs/sanitize_job.py`` ``OPTIONAL_ARGS``).

    Rendered into the job's default arguments; a run can override any of them (``--NAME``).
    """

    text_fields: Sequence[str] = ()
    scan_all_strings: bool = True
    required_fields: Sequence[str] = ()
    entities: Sequence[str] = ()
    min_score: float = 0.5
    pii_profile: str = "recall"  # PII engine profile: recall (training data) | balanced
    default_mode: str = "mask"
    entity_modes: Mapping[str, str] = field(default_factory=dict)
    max_record_bytes: int = 1_048_576
    output_format: str = "parquet"

    def __post_init__(self) -> None:
        if not self.text_fields and not self.scan_all_strings:
            raise ValueError("SanitizeOptions: set text_fields or scan_all_strings=True")
        if self.pii_profile not in ("balanced", "recall"):
            raise ValueError(f"SanitizeOptions.pii_profile={self.pii_profile!r}; allowed: balanced, recall")
        if self.output_format not in ("parquet", "jsonl"):
            raise ValueError(f"SanitizeOptions.output_format={self.output_format!r}; allowed: parquet, jsonl")
        modes = {self.default_mode, *self.entity_modes.values()}
        if not modes <= {"mask", "hash", "drop"}:
            raise ValueError(f"SanitizeOptions: unknown redaction mode(s) {sorted(modes)}; allowed: mask, hash, drop")
        unknown = sorted((set(self.entities) | set(self.entity_modes)) - set(PII_ENTITY_TYPES))
        if unknown:
            raise ValueError(
                f"SanitizeOptions: unknown entity type(s) {unknown}; allowed: {', '.join(PII_ENTITY_TYPES)}"
            )

    def job_arguments(self) -> dict[str, str]:
        """The ``--NAME value`` job arguments; empty optional values are left out (the job's defaults apply)."""
        args = {
            "--output_format": self.output_format,
            "--scan_all_strings": str(self.scan_all_strings).lower(),
            "--min_score": repr(float(self.min_score)),
            "--pii_profile": self.pii_profile,
            "--default_mode": self.default_mode,
            "--max_record_bytes": str(self.max_record_bytes),
            "--text_fields": ",".join(self.text_fields),
            "--required_fields": ",".join(self.required_fields),
            "--entities": ",".join(self.entities),
            "--entity_modes": ",".join(f"{k}={v}" for k, v in sorted(self.entity_modes.items())),
        }
        return {k: v for k, v in args.items() if v}


@dataclass(frozen=True, kw_only=True)
class PiiSanitizationProps:
    """Properties of :class:`PiiSanitization`; every field has a safe default.

    ``name_prefix``: prefix of the job, state machine, log group and catalog names (default: the stack name).
    ``hash_key_secret``: an existing HMAC key secret for hash mode; by default one is created (random,
    KMS-encrypted with the lake key, never in the template). The job role may read exactly that secret; an
    existing secret must be encrypted with the lake key, or its key policy must let the job role decrypt.
    ``state_prefix``: sanitized-bucket prefix of the job's file bookmark (``--state_path``).
    ``feedback_prefix``: interactions-bucket prefix the job may also read (front-door feedback, for
    continuous learning); ``extra_output_prefixes``: further sanitized-bucket prefixes the job may write
    (e.g. the continuous-learning output inside the training split).
    ``knowledge_prefix``: also sanitize whole documents (text/Markdown/HTML) under this raw prefix into the same
    prefix of the sanitized bucket, with Bedrock KB metadata sidecars (``glue_jobs/documents.py``); uploads there
    trigger the job too. None (default): no knowledge pass.
    ``max_retries`` are done by the state machine; the Glue job itself has ``MaxRetries`` 0 (a ``.sync``
    task follows one job run id, a Glue-side retry would run unobserved).
    """

    name_prefix: str | None = None
    options: SanitizeOptions = field(default_factory=SanitizeOptions)
    raw_prefix: str = Layout.RAW
    sanitized_prefix: str = Layout.SANITIZED
    quarantine_prefix: str = Layout.QUARANTINE
    state_prefix: str = Layout.STATE
    interactions_prefix: str = Layout.INTERACTIONS
    feedback_prefix: str | None = Layout.FEEDBACK
    extra_output_prefixes: Sequence[str] = ()
    knowledge_prefix: str | None = None
    glue_version: str = "5.0"
    worker_type: str = "G.1X"
    number_of_workers: int = 2
    max_workers: int = 10
    auto_scaling: bool = True
    timeout: cdk.Duration = field(default_factory=lambda: cdk.Duration.minutes(120))
    max_retries: int = 1
    max_concurrent_runs: int = 1
    trigger_on_upload: bool = True
    batch_window: cdk.Duration = field(default_factory=lambda: cdk.Duration.minutes(5))
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR
    hash_key_secret: secretsmanager.ISecret | None = None
    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN

    def __post_init__(self) -> None:
        if self.glue_version not in _GLUE_VERSIONS:
            raise ValueError(f"glue_version={self.glue_version!r}; allowed: {', '.join(_GLUE_VERSIONS)}")
        if self.worker_type not in _WORKER_TYPES:
            raise ValueError(f"worker_type={self.worker_type!r}; allowed: {', '.join(_WORKER_TYPES)}")
        if not 2 <= self.number_of_workers <= self.max_workers:
            raise ValueError("need 2 <= number_of_workers <= max_workers")
        for name in (
            "raw_prefix",
            "sanitized_prefix",
            "quarantine_prefix",
            "interactions_prefix",
            "state_prefix",
        ):
            validation.check_s3_prefix(getattr(self, name), where=f"PiiSanitizationProps.{name}", allow_empty=True)
        optional = [p for p in (self.feedback_prefix, self.knowledge_prefix) if p is not None]
        for value in (*(self.extra_output_prefixes), *optional):
            validation.check_s3_prefix(value, where="PiiSanitizationProps prefix")
        if not all(
            (
                self.sanitized_prefix,
                self.quarantine_prefix,
                self.interactions_prefix,
                self.state_prefix,
            )
        ):
            raise ValueError(
                "sanitized_prefix, quarantine_prefix, interactions_prefix and state_prefix must not be empty"
            )
        if self.state_prefix.startswith(self.sanitized_prefix) or self.sanitized_prefix.startswith(self.state_prefix):
            raise ValueError("state_prefix and sanitized_prefix must not overlap (the table would read the job state)")
        if self.trigger_on_upload and self.max_concurrent_runs != 1:
            raise ValueError("trigger_on_upload needs max_concurrent_runs=1 (single-flight batching, job bookmarks)")
        if self.knowledge_prefix is not None:  # the knowledge pass mirrors its prefix in all three buckets
            others = {
                "raw_prefix": self.raw_prefix,
                "sanitized_prefix": self.sanitized_prefix,
                "quarantine_prefix": self.quarantine_prefix,
                "state_prefix": self.state_prefix,
                **{f"extra_output_prefixes[{i}]": p for i, p in enumerate(self.extra_output_prefixes)},
            }
            for name, value in others.items():
                validation.check_disjoint_prefixes(
                    {"knowledge_prefix": self.knowledge_prefix, name: value}, where="PiiSanitizationProps"
                )


class _AssetObjectCode(glue.Code):
    """Glue code at an S3 asset object, without the broad ``grantRead`` of ``Code.from_bucket``.

    The job role gets ``s3:GetObject`` on exactly this object instead (see ``PiiSanitization``).
    """

    def __init__(self, asset: s3_assets.Asset) -> None:
        super().__init__()
        self._asset = asset

    def bind(self, scope: Construct, grantable: iam.IGrantable) -> glue.CodeConfig:
        return glue.CodeConfig(
            s3_location=s3.Location(
                bucket_name=self._asset.s3_bucket_name,
                object_key=self._asset.s3_object_key,
            )
        )


class PiiSanitization(Construct):
    """PII/PHI sanitization of the lake's raw data: Glue job, catalog, trigger and "data" state machine.

    Attributes: ``job`` (L1 ``CfnJob``), ``glue_job`` (L2), ``job_name``, ``job_arn``, ``role``,
    ``state_machine``, ``database``, ``table``, ``hash_key_secret``, ``log_group`` (the job's driver, executor
    and system logs: ``<log_group_prefix>/error``), ``output_log_group`` (stdout/stderr: ``.../output``),
    ``state_machine_log_group``, ``security_configuration``, ``upload_rule`` (None when not
    triggered by uploads), ``raw_path``, ``sanitized_path``, ``quarantine_path``, ``state_path`` (the
    job's file bookmark).

    Monitoring hooks: :meth:`metric_records_in`, :meth:`metric_records_sanitized`,
    :meth:`metric_records_quarantined`, :meth:`metric_entities_redacted`,
    :meth:`metric_count_invariant_violations`, :meth:`metric_failed_runs`,
    :meth:`glue_failure_event_pattern`; continuous learning: :meth:`start_run_task`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data_lake: DataLake,
        props: PiiSanitizationProps | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        props = props or PiiSanitizationProps()
        self.props = props
        self.lake = lake = data_lake
        stack = cdk.Stack.of(self)
        prefix = props.name_prefix or stack.stack_name

        self.job_name = f"{prefix}-sanitize"
        self.job_arn = stack.format_arn(service="glue", resource="job", resource_name=self.job_name)
        self.raw_path = lake.raw_bucket.s3_url_for_object(props.raw_prefix)
        self.sanitized_path = lake.sanitized_bucket.s3_url_for_object(props.sanitized_prefix)
        self.quarantine_path = lake.quarantine_bucket.s3_url_for_object(props.quarantine_prefix)
        # The job's own file bookmark (which raw files earlier runs processed). Not under the quarantine
        # bucket (the job's default): its lifecycle expires objects, which would make old files "new" again.
        self.state_path = lake.sanitized_bucket.s3_url_for_object(f"{props.state_prefix}{self.job_name}/")

        self.role = ManagedPolicyRole(
            self,
            "JobRole",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description=f"Glue job {self.job_name}: raw -> sanitized/quarantine (least privilege, no managed policies)",
        )
        self.hash_key_secret = props.hash_key_secret or self._create_hash_key_secret(props)
        self.hash_key_secret.grant_read(self.role)
        # Glue 5.0+ writes driver/executor/system logs to <prefix>/error and stdout/stderr to <prefix>/output
        # (--custom-logGroup-prefix); both groups exist up front with the lake key and a retention.
        self.log_group_prefix = f"/aws-glue/jobs/{self.job_name}"
        self.log_group, self.output_log_group = (
            encrypted_log_group(self, cid, lake.key, props, name=f"{self.log_group_prefix}/{suffix}")
            for cid, suffix in (("JobLogs", "error"), ("JobOutputLogs", "output"))
        )
        for group in (self.log_group, self.output_log_group):
            group.grant_write(self.role)
        self.security_configuration = glue.SecurityConfiguration(
            self,
            "SecurityConfiguration",
            security_configuration_name=f"{prefix}-sanitize",
            s3_encryption=glue.S3Encryption.kms(lake.key),
            cloud_watch_encryption=glue.CloudWatchEncryption.kms(lake.key),
            job_bookmarks_encryption=glue.JobBookmarksEncryption.client_side_kms(lake.key),
        )
        self._grant_job_permissions(props)

        script = s3_assets.Asset(
            self,
            "Script",
            path=str(bundling.RUNTIME_ROOT / "glue_jobs" / "sanitize_job.py"),
        )
        library = bundling.python_library_asset(
            self,
            "Library",
            copies=[bundling.Copy("glue_jobs", "glue_jobs"), *bundling.SHARED_RUNTIME_COPIES],
            zip_name="glue_jobs.zip",
        )
        for asset in (script, library):
            self.role.add_to_policy(
                iam.PolicyStatement(
                    actions=["s3:GetObject"],
                    resources=[asset.bucket.arn_for_objects(asset.s3_object_key)],
                )
            )

        self.glue_job = glue.PySparkEtlJob(
            self,
            "Job",
            job_name=self.job_name,
            description="PII/PHI sanitization: raw JSON lines -> sanitized records + quarantine (own PII engine)",
            role=self.role,
            script=_AssetObjectCode(script),
            extra_python_files=[_AssetObjectCode(library)],
            glue_version=_GLUE_VERSIONS[props.glue_version],
            worker_configuration=glue.WorkerConfiguration(
                worker_type=_WORKER_TYPES[props.worker_type],
                number_of_workers=props.max_workers if props.auto_scaling else props.number_of_workers,
            ),
            continuous_logging=glue.ContinuousLoggingProps(enabled=True),
            enable_metrics=True,
            enable_observability_metrics=True,
            security_configuration=self.security_configuration,
            timeout=props.timeout,
            max_retries=0,
            max_concurrent_runs=props.max_concurrent_runs,
            notify_delay_after=self._notify_delay_after(),
            default_arguments=self._default_arguments(props),
        )
        self.job: glue.CfnJob = self.glue_job.node.default_child  # type: ignore[assignment]
        self.job.node.add_dependency(self.role.policy)

        self.database = glue.Database(
            self,
            "Database",
            database_name=f"{prefix}_sanitized".replace("-", "_"),
            description="Sanitized (PII/PHI-redacted) training data. Catalog encryption is an account-level "
            "setting (AWS::Glue::DataCatalogEncryptionSettings), not managed here.",
        )
        self.table = self._catalog_table(props)

        self.state_machine_log_group = encrypted_log_group(
            self, "StateMachineLogs", lake.key, props, name=f"/aws/vendedlogs/states/{prefix}-sanitization"
        )
        self.state_machine = self._state_machine(props, prefix)
        self.upload_rule = self._upload_rule(props) if props.trigger_on_upload else None

    # ------------------------------------------------------------------ hooks: metrics and events

    def _job_metric(self, name: str, dims: Mapping[str, str] | None = None, **kwargs: Any) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=METRICS_NAMESPACE,
            metric_name=name,
            dimensions_map={M.JOB_NAME: self.job_name, **(dims or {})},
            statistic=kwargs.pop("statistic", "Sum"),
            period=kwargs.pop("period", cdk.Duration.hours(1)),
            **kwargs,
        )

    def metric_records_in(self, **kwargs: Any) -> cloudwatch.Metric:
        """Raw lines read per run (``RecordsIn``, Sum)."""
        return self._job_metric(M.RECORDS_IN, **kwargs)

    def metric_records_sanitized(self, **kwargs: Any) -> cloudwatch.Metric:
        """Records written to the sanitized bucket (``RecordsSanitized``, Sum)."""
        return self._job_metric(M.RECORDS_SANITIZED, **kwargs)

    def metric_records_quarantined(self, reason: str | None = None, **kwargs: Any) -> cloudwatch.Metric:
        """Records quarantined (``RecordsQuarantined``, Sum), all reasons or one (``empty``, ``oversize``,
        ``invalid_json``, ``not_object``, ``missing_field``, ``drop``)."""
        return self._job_metric(M.RECORDS_QUARANTINED, {M.REASON: reason} if reason else None, **kwargs)

    def metric_count_invariant_violations(self, **kwargs: Any) -> cloudwatch.Metric:
        """1 when a run found ``records_in != sanitized + quarantined`` (it then fails before writing)."""
        return self._job_metric(
            M.COUNT_INVARIANT_VIOLATION,
            statistic=kwargs.pop("statistic", "Maximum"),
            **kwargs,
        )

    def metric_entities_redacted(self, entity: str | None = None, **kwargs: Any) -> cloudwatch.IMetric:
        """Entities detected and redacted (``EntitiesDetected``, Sum) for one entity type.

        ``entity=None``: the sum over all types as a ``SEARCH`` expression, for dashboards only
        (CloudWatch alarms cannot use ``SEARCH``; alarm on a specific entity instead).
        """
        if entity is not None:
            return self._job_metric(M.ENTITIES_DETECTED, {M.ENTITY: entity}, **kwargs)
        period = kwargs.get("period", cdk.Duration.hours(1))
        query = (
            f"{{{METRICS_NAMESPACE},{M.ENTITY},{M.JOB_NAME}}} "
            f'MetricName="{M.ENTITIES_DETECTED}" {M.JOB_NAME}="{self.job_name}"'
        )
        return cloudwatch.MathExpression(
            expression=f"SUM(SEARCH('{query}', 'Sum', {int(period.to_seconds())}))",
            label=kwargs.get("label", "EntitiesDetected (all types)"),
            period=period,
        )

    def metric_failed_runs(self, **kwargs: Any) -> cloudwatch.Metric:
        """Failed executions of the "data" state machine (``ExecutionsFailed``, Sum)."""
        return self.state_machine.metric_failed(**kwargs)

    def glue_failure_event_pattern(self) -> events.EventPattern:
        """EventBridge pattern: this job's runs ending FAILED, TIMEOUT or ERROR (``Glue Job State Change``)."""
        return events.EventPattern(
            source=["aws.glue"],
            detail_type=["Glue Job State Change"],
            detail={"jobName": [self.job_name], "state": list(GLUE_FAILED_STATES)},
        )

    def glue_delay_event_pattern(self) -> events.EventPattern:
        """EventBridge pattern: a run of this job still running at 3/4 of its timeout (``Glue Job Run Status``)."""
        return events.EventPattern(
            source=["aws.glue"],
            detail_type=["Glue Job Run Status"],
            detail={"jobName": [self.job_name]},
        )

    # ------------------------------------------------------------------ hook: continuous learning

    def start_run_task(
        self,
        scope: Construct,
        construct_id: str,
        *,
        input_path: str | None = None,
        ingestion_date: str | None = None,
        use_bookmark: bool | None = None,
        sanitized_path: str | None = None,
        state_path: str | None = None,
        extra_arguments: Mapping[str, str] | None = None,
    ) -> tasks.GlueStartJobRun:
        """A Step Functions task (JSONPath) that runs this job ``.sync``; usable from any later stack.

        ``input_path=None``: the job's defaults (new objects under the raw prefix, job bookmark on), e.g. a
        "sanitize before training" step (``sanitize_task_factory=sanitization.start_run_task``).
        ``input_path``: an ``s3://`` URL or ``sfn.JsonPath.string_at(...)`` to sanitize instead (continuous
        learning). Bookmarks are off for such runs unless ``use_bookmark``; with a bookmark, the run keeps
        its own file bookmark under this job's state prefix (``<state_path>/<construct_id>/``, never expired)
        unless ``state_path`` is given. ``sanitized_path`` redirects the output, ``extra_arguments`` adds or
        overrides ``--NAME`` job arguments.

        The job role can only read the raw prefix and ``interactions_prefix``/``feedback_prefix`` of the
        interactions bucket, and only write the sanitized prefix, the state prefix and
        ``extra_output_prefixes``; other paths fail with AccessDenied. The task retries while another run
        holds the job's single concurrency slot, and retries failed runs ``max_retries`` times.
        """
        arguments: dict[str, Any] = {}
        if input_path is not None:
            arguments["--raw_path"] = input_path
        bookmark = use_bookmark if use_bookmark is not None else input_path is None
        if input_path is not None or use_bookmark is not None:
            arguments["--job-bookmark-option"] = "job-bookmark-enable" if bookmark else "job-bookmark-disable"
        if input_path is not None and bookmark:
            arguments["--state_path"] = state_path or f"{self.state_path}{construct_id}/"
        elif state_path is not None:
            arguments["--state_path"] = state_path
        if sanitized_path is not None:
            arguments["--sanitized_path"] = sanitized_path
        if ingestion_date is not None:
            arguments["--ingestion_date"] = ingestion_date
        arguments.update(extra_arguments or {})
        task = tasks.GlueStartJobRun(
            scope,
            construct_id,
            glue_job_name=self.job_name,
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            arguments=sfn.TaskInput.from_object(arguments) if arguments else None,
            notify_delay_after=self._notify_delay_after(),
        )
        task.add_retry(
            errors=["Glue.ConcurrentRunsExceededException"],
            interval=cdk.Duration.minutes(2),
            backoff_rate=1.5,
            max_attempts=20,
            max_delay=_ACTIVE_RUN_POLL,
        )
        self._retry_failed_runs(task)
        return task

    # ------------------------------------------------------------------ internals

    def _create_hash_key_secret(self, props: PiiSanitizationProps) -> secretsmanager.ISecret:
        secret = secretsmanager.Secret(
            self,
            "HashKey",
            description="HMAC key for hash-mode pseudonyms of the PII sanitization job. Rotating it changes "
            "every pseudonym (joins across datasets break); rotate only together with a full re-sanitization.",
            encryption_key=self.lake.key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True, include_space=False
            ),
            removal_policy=props.removal_policy,
        )
        compliance.acknowledge(secret, "PiiSanitization.hash_key_secret")
        return secret

    def _default_arguments(self, props: PiiSanitizationProps) -> dict[str, str]:
        args = {
            "--raw_path": self.raw_path,
            "--sanitized_path": self.sanitized_path,
            "--quarantine_path": self.quarantine_path,
            "--state_path": self.state_path,
            **props.options.job_arguments(),
            "--hash_key_secret_arn": self.hash_key_secret.secret_arn,
            "--metrics_namespace": METRICS_NAMESPACE,
            "--emit_metrics": "true",
            "--job-bookmark-option": "job-bookmark-enable",
            "--custom-logGroup-prefix": self.log_group_prefix,
        }
        if props.auto_scaling:
            args["--enable-auto-scaling"] = "true"
        if props.knowledge_prefix:
            lake, kp = self.lake, props.knowledge_prefix
            args["--knowledge_raw_path"] = lake.raw_bucket.s3_url_for_object(kp)
            args["--knowledge_sanitized_path"] = lake.sanitized_bucket.s3_url_for_object(kp)
            args["--knowledge_quarantine_path"] = lake.quarantine_bucket.s3_url_for_object(kp)
        return args

    def _grant_job_permissions(self, props: PiiSanitizationProps) -> None:
        lake, role = self.lake, self.role
        lake.grant_read_raw(role, props.raw_prefix)
        lake.grant_read_interactions(role, props.interactions_prefix)
        if props.feedback_prefix:
            lake.grant_read_interactions(role, props.feedback_prefix)
        for prefix in props.extra_output_prefixes:
            lake.grant_read_write_sanitized(role, prefix)
        lake.grant_read_write_sanitized(role, props.sanitized_prefix)
        lake.grant_read_write_quarantine(role, props.quarantine_prefix)
        lake.grant_read_write_sanitized(role, props.state_prefix)
        knowledge = [props.knowledge_prefix] if props.knowledge_prefix else []
        for kp in knowledge:  # whole-document pass: read raw docs, mirror them sanitized (and delete orphans)
            lake.grant_read_raw(role, kp)
            lake.grant_read_write_sanitized(role, kp)
            lake.grant_read_write_quarantine(role, kp)
        # SSE-KMS writes, CSE-KMS job bookmarks and encrypted logs of the security configuration.
        lake.grant_encrypt_decrypt(role)
        stack = cdk.Stack.of(self)
        glue_logs = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name="/aws-glue/jobs/*",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="GlueJobLogGroups",
                # Glue associates the security configuration's key with the log groups it writes, and
                # creates them when missing: ours (--custom-logGroup-prefix), or, where it does not apply
                # (e.g. runs on older Glue versions), groups named after the security configuration and role.
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:AssociateKmsKey",
                ],
                resources=[glue_logs],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="PutMetricsInOwnNamespaces",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={
                    "StringEquals": {
                        "cloudwatch:namespace": [
                            METRICS_NAMESPACE,
                            GLUE_METRICS_NAMESPACE,
                        ]
                    }
                },
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="OwnJobAndBookmark",
                actions=[
                    "glue:GetJob",
                    "glue:GetJobRun",
                    "glue:GetJobRuns",
                    "glue:GetJobBookmark",
                ],
                resources=[self.job_arn],
            )
        )
        compliance.acknowledge(role, "PiiSanitization.job_role_actions")
        compliance.acknowledge(
            role,
            "PiiSanitization.job_role_objects",
            applies_to=(
                compliance.objects_finding(lake.raw_bucket, props.raw_prefix),
                compliance.objects_finding(lake.interactions_bucket, props.interactions_prefix),
                *(
                    [compliance.objects_finding(lake.interactions_bucket, props.feedback_prefix)]
                    if props.feedback_prefix
                    else []
                ),
                *(compliance.objects_finding(lake.sanitized_bucket, p) for p in props.extra_output_prefixes),
                compliance.objects_finding(lake.sanitized_bucket, props.sanitized_prefix),
                compliance.objects_finding(lake.quarantine_bucket, props.quarantine_prefix),
                compliance.objects_finding(lake.sanitized_bucket, props.state_prefix),
                *(
                    compliance.objects_finding(bucket, kp)
                    for kp in knowledge
                    for bucket in (lake.raw_bucket, lake.sanitized_bucket, lake.quarantine_bucket)
                ),
            ),
        )
        compliance.acknowledge(
            role,
            "PiiSanitization.job_role_services",
            applies_to=("Resource::*", compliance.resource_finding(self, glue_logs)),
        )

    def _catalog_table(self, props: PiiSanitizationProps) -> glue.S3Table:
        """The sanitized records as one table; ``record`` holds each sanitized JSON record as text.

        Records are free-form JSON, so the table does not guess a schema: query with ``json_extract``.
        Partitions use partition projection on ``ingestion_date`` (no crawler, no MSCK REPAIR).
        """
        parquet = props.options.output_format == "parquet"
        columns = [glue.Column(name="record", type=glue.Schema.STRING, comment="sanitized JSON record")]
        if parquet:
            columns.append(
                glue.Column(
                    name="source_file",
                    type=glue.Schema.STRING,
                    comment="raw object URL",
                )
            )
        data_format = (
            glue.DataFormat.PARQUET
            if parquet
            else glue.DataFormat(  # one JSON record per line, read whole as a string column
                input_format=glue.InputFormat.TEXT,
                output_format=glue.OutputFormat.HIVE_IGNORE_KEY_TEXT,
                serialization_library=glue.SerializationLibrary.LAZY_SIMPLE,
                classification_string=glue.ClassificationString.JSON,
            )
        )
        return glue.S3Table(
            self,
            "Table",
            database=self.database,
            table_name="records",
            description="Sanitized records written by the PII sanitization job",
            columns=columns,
            partition_keys=[glue.Column(name=PARTITION_COLUMN, type=glue.Schema.STRING, comment="YYYY-MM-DD")],
            partition_projection={
                PARTITION_COLUMN: glue.PartitionProjectionConfiguration.date(
                    min="2024-01-01", max="NOW", format="yyyy-MM-dd"
                )
            },
            data_format=data_format,
            storage=glue.S3TableStorage.from_bucket(self.lake.sanitized_bucket),
            s3_prefix=props.sanitized_prefix,
        )

    def _notify_delay_after(self) -> cdk.Duration:
        """When Glue emits a ``Glue Job Run Status`` delay event for a run: at 3/4 of the job timeout."""
        return cdk.Duration.minutes(max(1, self.props.timeout.to_minutes() * 3 // 4))

    def _run_budget(self) -> cdk.Duration:
        """Longest a run of the job may take including the state machine's retries."""
        return cdk.Duration.minutes(self.props.timeout.to_minutes() * (self.props.max_retries + 1) + 30)

    def _retry_failed_runs(self, task: sfn.TaskStateBase) -> None:
        # First matching retrier wins: a concurrency collision is not a failed run, never retry it here.
        task.add_retry(errors=["Glue.ConcurrentRunsExceededException"], max_attempts=0)
        if self.props.max_retries:
            task.add_retry(
                errors=["States.TaskFailed"],
                interval=cdk.Duration.minutes(1),
                backoff_rate=2,
                max_attempts=self.props.max_retries,
            )

    def _state_machine(self, props: PiiSanitizationProps, prefix: str) -> sfn.StateMachine:
        """The "data" pipeline: batch an upload burst into one single-flight run of the job.

        Upload executions wait ``batch_window`` for the rest of a burst, then start the job. The job allows
        one run at a time, so of N simultaneous executions exactly one starts a run; the others get
        ``ConcurrentRunsExceededException`` and finish ``CoveredByActiveRun`` if the active run started after
        their object landed (it will list that object), else wait and try again (their object arrived after
        the active run listed its input; the next run's bookmark picks it up). A burst therefore costs one
        run, a steady stream at most one run at a time plus one follow-up, and no object is left behind.

        Manual starts (input ``{}``, or ``{"raw_path": "s3://...", "ingestion_date": "YYYY-MM-DD"}``) skip the
        batching wait; a ``raw_path`` override disables the job bookmark for that run.
        """
        start_run = tasks.GlueStartJobRun.jsonata(
            self,
            "SanitizeRun",
            glue_job_name=self.job_name,
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            arguments=sfn.TaskInput.from_text("{% $runArguments %}"),
            notify_delay_after=self._notify_delay_after(),
            comment="Runs the Glue job and waits for it (.sync).",
        )
        self._retry_failed_runs(start_run)
        covering = "(JobRunState in ['STARTING', 'RUNNING', 'WAITING']) and " + (
            "($type(StartedOn) = 'number' ? StartedOn : $toMillis(StartedOn)) > $requestedAt + 1000"
        )
        check = tasks.CallAwsService.jsonata(
            self,
            "FindCoveringRun",
            service="glue",
            action="getJobRuns",
            iam_resources=[self.job_arn],
            parameters={"JobName": self.job_name, "MaxResults": 10},
            outputs={
                "covered": "{% $count($keys($runArguments)) = 0 and "
                f"$count($states.result.JobRuns[{covering}]) > 0 %}}"
            },
            comment="Does an active run that started after this request exist? Then it will read our objects.",
        )
        join_active_run(
            self, start_run, check, _ACTIVE_RUN_POLL, conflicts=["Glue.ConcurrentRunsExceededException"], active="run"
        )
        fail_on_error(self, start_run, "SanitizationFailed", error="SanitizationRunFailed")
        start_run.next(sfn.Succeed.jsonata(self, "Sanitized"))

        return batched_single_flight_state_machine(
            self,
            "StateMachine",
            first=start_run,
            batch_window=props.batch_window,
            assign={
                "runArguments": "{% $merge([{}, $exists($states.input.raw_path) ? {'--raw_path': "
                "$states.input.raw_path, '--job-bookmark-option': 'job-bookmark-disable'} : {}, "
                "$exists($states.input.ingestion_date) ? {'--ingestion_date': $states.input.ingestion_date} : {}]) %}",
            },
            state_machine_name=f"{prefix}-sanitization",
            comment="Data pipeline: batched single-flight runs of the PII sanitization Glue job",
            role_description=f"State machine {prefix}-sanitization: runs Glue job {self.job_name}",
            timeout=cdk.Duration.seconds(self._run_budget().to_seconds() * 2 + props.batch_window.to_seconds() + 3600),
            log_group=self.state_machine_log_group,
            acknowledgment="PiiSanitization.state_machine_role",
        )

    def _upload_rule(self, props: PiiSanitizationProps) -> events.Rule:
        detail: dict[str, Any] = {"bucket": {"name": [self.lake.raw_bucket.bucket_name]}}
        if props.raw_prefix:
            detail["object"] = {"key": [{"prefix": p} for p in (props.raw_prefix, props.knowledge_prefix) if p]}
        return object_created_rule(
            self,
            "UploadRule",
            role_id="UploadRuleRole",
            role_description=f"EventBridge: start the sanitization state machine for {self.job_name}",
            description="New raw objects start the (batched) sanitization pipeline",
            detail=detail,
            target=lambda role: targets.SfnStateMachine(self.state_machine, role=role),
        )
