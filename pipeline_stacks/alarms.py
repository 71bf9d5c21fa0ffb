"""The pipeline's metric alarms, declared as data: thresholds (``monitoring.thresholds.*``) and one table.

Adding an alarm is one row in :data:`ALARMS` and, when it has a tunable threshold, one field in
:class:`AlarmThresholds` (both in this file), plus a test. :class:`~pipeline_stacks.constructs.PipelineMonitoring`
creates the alarms of a stage from the rows of that stage, in table order. No CDK import: the config
(``monitoring.thresholds``) uses :class:`AlarmThresholds` directly, so a threshold is declared once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline_contract import FrontDoorMetric

__all__ = ["ALARMS", "AlarmSpec", "AlarmThresholds", "Stage"]

#: Which ``PipelineMonitoring.monitor_*`` call creates the alarm. ``backend:<name>`` rows read the backend's
#: ``alarm_metrics()`` (an alarm whose metric the backend does not report is skipped).
Stage = Literal["sanitization", "knowledge_base", "training", "front_door", "backend:sagemaker", "backend:bedrock"]


class AlarmThresholds(BaseModel):
    """Alarm thresholds (``monitoring.thresholds.*``); each alarm evaluates ``period_minutes`` windows."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, coerce_numbers_to_str=True)

    period_minutes: int = Field(5, ge=1, le=60, description="Alarm evaluation period.")
    lambda_errors: int = Field(5, ge=1, description="Front-door Lambda errors per period.")
    lambda_throttles: int = Field(1, ge=1, description="Front-door Lambda throttles per period.")
    lambda_duration_p99_ms: int = Field(20_000, ge=100, le=900_000, description="Front-door Lambda p99 duration.")
    api_5xx_rate_percent: float = Field(1.0, gt=0, le=100, description="API 5XX share of requests.")
    api_4xx_rate_percent: float = Field(25.0, gt=0, le=100, description="API 4XX share of requests.")
    api_latency_p99_ms: int = Field(15_000, ge=100, le=30_000, description="API Gateway p99 latency.")
    waf_blocked: int = Field(500, ge=1, description="WAF-blocked requests per period.")
    endpoint_latency_p99_ms: int = Field(10_000, ge=10, description="SageMaker ModelLatency p99.")
    endpoint_5xx: int = Field(5, ge=1, description="Endpoint Invocation5XXErrors per period.")
    endpoint_4xx: int = Field(
        50, ge=1, description="Endpoint Invocation4XXErrors (or Bedrock client errors) per period."
    )
    utilization_percent: float = Field(90.0, gt=0, le=100, description="Endpoint host memory utilisation.")
    gpu_memory_percent: float = Field(
        98.0, gt=0, le=100, description="Endpoint GPU memory (servers pre-allocate ~90%, so alarm near exhaustion)."
    )
    bedrock_server_errors: int = Field(5, ge=1, description="Bedrock InvocationServerErrors per period.")
    bedrock_throttles: int = Field(20, ge=1, description="Bedrock InvocationThrottles per period.")
    quarantine_share_percent: float = Field(5.0, gt=0, le=100, description="Quarantined share of sanitization input.")
    interaction_log_failures: int = Field(
        1, ge=1, description="Interactions the front door failed to store, per period."
    )
    conversation_write_failures: int = Field(
        1, ge=1, description="Conversation writes (DynamoDB) the chat API failed, per period."
    )
    malformed_events: int = Field(
        1, ge=1, description="Requests with an unusable platform request context (a misconfigured integration)."
    )
    time_to_first_token_p99_ms: int = Field(
        10_000, ge=100, le=900_000, description="Chat API p99 time to the first answer token."
    )
    anomaly_band_std_devs: float = Field(3.0, gt=0, le=10, description="Width of the anomaly-detection bands.")


@dataclass(frozen=True, kw_only=True)
class AlarmSpec:
    """One alarm. ``metric``: the stage's hook method (``metric_api_5xx``), ``handler:<Name>`` for a front-door
    handler metric, or the key of ``alarm_metrics()`` for backends. ``rate_of``: a second hook; the alarm
    then watches ``100 * metric / rate_of`` (percent). ``threshold``: an :class:`AlarmThresholds` field name
    or a fixed number; ``scale`` multiplies it (unit conversions). ``description`` may use ``{threshold}``.
    """

    name: str
    stage: Stage
    metric: str
    threshold: str | float
    description: str
    rate_of: str | None = None
    rate_label: str | None = None
    scale: float = 1
    evaluation_periods: int = 1

    def threshold_value(self, thresholds: AlarmThresholds) -> float:
        """The threshold this alarm fires at, from ``thresholds`` when it names a field."""
        value = getattr(thresholds, self.threshold) if isinstance(self.threshold, str) else self.threshold
        return value * self.scale if self.scale != 1 else value


#: Every metric alarm, grouped by stage; within a stage, in creation order (the dashboard overview keeps it).
ALARMS: tuple[AlarmSpec, ...] = (
    # --- data (sanitization)
    AlarmSpec(
        name="DataPipelineFailed",
        stage="sanitization",
        metric="metric_failed_runs",
        threshold=1,
        description="The data (sanitization) state machine failed an execution.",
    ),
    AlarmSpec(
        name="QuarantineShareHigh",
        stage="sanitization",
        metric="metric_records_quarantined",
        rate_of="metric_records_in",
        rate_label="quarantined % of input",
        threshold="quarantine_share_percent",
        description="More than {threshold}% of input records were quarantined "
        "(malformed, over-size or drop-mode PII): check the producer and the quarantine bucket.",
    ),
    # --- knowledge base (rag.*; not for vector_store='kendra', whose connectors ingest)
    AlarmSpec(
        name="KnowledgeIngestionFailed",
        stage="knowledge_base",
        metric="metric_failed_ingestions",
        threshold=1,
        description="A knowledge-base ingestion failed (job FAILED/STOPPED or failed documents): new sanitized "
        "documents are not searchable.",
    ),
    AlarmSpec(
        name="KnowledgeIngestionTimedOut",
        stage="knowledge_base",
        metric="metric_timed_out_ingestions",
        threshold=1,
        description="A knowledge-base ingestion run hit its timeout.",
    ),
    # --- training
    AlarmSpec(
        name="TrainingFailed",
        stage="training",
        metric="metric_failed_executions",
        threshold=1,
        description="A training pipeline run failed.",
    ),
    AlarmSpec(
        name="TrainingTimedOut",
        stage="training",
        metric="metric_timed_out_executions",
        threshold=1,
        description="A training pipeline run hit its timeout.",
    ),
    # --- model backend: Bedrock
    AlarmSpec(
        name="BackendInvocationServerErrors",
        stage="backend:bedrock",
        metric="InvocationServerErrors",
        threshold="bedrock_server_errors",
        description="Bedrock returned server errors.",
    ),
    AlarmSpec(
        name="BackendInvocationThrottles",
        stage="backend:bedrock",
        metric="InvocationThrottles",
        threshold="bedrock_throttles",
        description="Bedrock throttled invocations: raise quotas or use provisioned throughput.",
    ),
    AlarmSpec(
        name="BackendInvocationClientErrors",
        stage="backend:bedrock",
        metric="InvocationClientErrors",
        threshold="endpoint_4xx",
        description="Bedrock rejected requests (client errors).",
    ),
    # --- model backend: SageMaker endpoint
    AlarmSpec(
        name="BackendModelLatencyP99",
        stage="backend:sagemaker",
        metric="ModelLatencyP99",
        threshold="endpoint_latency_p99_ms",
        scale=1000,  # ModelLatency is reported in microseconds
        description="Endpoint p99 model latency is high.",
    ),
    AlarmSpec(
        name="BackendInvocation5XXErrors",
        stage="backend:sagemaker",
        metric="Invocation5XXErrors",
        threshold="endpoint_5xx",
        description="The endpoint's model container returned 5XX errors.",
    ),
    AlarmSpec(
        name="BackendInvocation4XXErrors",
        stage="backend:sagemaker",
        metric="Invocation4XXErrors",
        threshold="endpoint_4xx",
        description="The endpoint rejected many requests (4XX).",
    ),
    # CPUUtilization is summed over vCPUs (0-100 x vCPUs): dashboard only, no fixed threshold.
    # LMI/TGI pre-allocate ~90% of GPU memory, so only near-exhaustion is worth a page.
    AlarmSpec(
        name="BackendGPUMemoryUtilization",
        stage="backend:sagemaker",
        metric="GPUMemoryUtilization",
        threshold="gpu_memory_percent",
        description="Endpoint GPU memory is close to exhaustion.",
    ),
    AlarmSpec(
        name="BackendMemoryUtilization",
        stage="backend:sagemaker",
        metric="MemoryUtilization",
        threshold="utilization_percent",
        description="Endpoint host memory utilisation is high.",
    ),
    # --- API front door
    AlarmSpec(
        name="LambdaErrors",
        stage="front_door",
        metric="metric_lambda_errors",
        threshold="lambda_errors",
        description="Front-door Lambda errors (unhandled).",
    ),
    AlarmSpec(
        name="LambdaThrottles",
        stage="front_door",
        metric="metric_lambda_throttles",
        threshold="lambda_throttles",
        description="Front-door Lambda throttled: reserved concurrency exhausted.",
    ),
    AlarmSpec(
        name="LambdaDurationP99",
        stage="front_door",
        metric="metric_lambda_duration_p99",
        threshold="lambda_duration_p99_ms",
        evaluation_periods=2,
        description="Front-door Lambda p99 duration is close to its timeout.",
    ),
    AlarmSpec(
        name="Api5xxRate",
        stage="front_door",
        metric="metric_api_5xx",
        rate_of="metric_api_count",
        rate_label="5XX %",
        threshold="api_5xx_rate_percent",
        description="More than {threshold}% of API requests failed with 5XX.",
    ),
    AlarmSpec(
        name="Api4xxRate",
        stage="front_door",
        metric="metric_api_4xx",
        rate_of="metric_api_count",
        rate_label="4XX %",
        threshold="api_4xx_rate_percent",
        evaluation_periods=2,
        description="More than {threshold}% of API requests were rejected with 4XX (clients broken or abuse).",
    ),
    AlarmSpec(
        name="ApiLatencyP99",
        stage="front_door",
        metric="metric_api_latency_p99",
        threshold="api_latency_p99_ms",
        evaluation_periods=2,
        description="API p99 latency is high.",
    ),
    AlarmSpec(
        name="WafBlockedSpike",
        stage="front_door",
        metric="metric_waf_blocked",
        threshold="waf_blocked",
        description="WAF is blocking many requests: an attack or a misbehaving client.",
    ),
    AlarmSpec(
        name="FeedbackLogFailures",
        stage="front_door",
        metric=f"handler:{FrontDoorMetric.FEEDBACK_LOG_FAILURES}",
        threshold="interaction_log_failures",
        description="The front door could not store feedback (callers got 503): check the interactions bucket.",
    ),
    AlarmSpec(
        name="InteractionLogFailures",
        stage="front_door",
        metric="metric_interaction_log_failures",
        threshold="interaction_log_failures",
        description="The front door could not store interactions: the continuous-learning data is incomplete.",
    ),
    AlarmSpec(
        name="ConversationWriteFailures",
        stage="front_door",
        metric=f"handler:{FrontDoorMetric.CONVERSATION_WRITE_FAILURES}",
        threshold="conversation_write_failures",
        description="The chat API could not store conversations (history missing in the web UI): check the "
        "conversations table and its KMS key.",
    ),
    AlarmSpec(
        name="MalformedEvents",
        stage="front_door",
        metric=f"handler:{FrontDoorMetric.MALFORMED_EVENTS}",
        threshold="malformed_events",
        description="The chat API received requests whose platform request context is unusable (answered 400): "
        "the API Gateway integration or the Lambda Web Adapter is misconfigured.",
    ),
    AlarmSpec(
        name="TimeToFirstTokenP99",
        stage="front_door",
        metric="metric_time_to_first_token_p99",
        threshold="time_to_first_token_p99_ms",
        evaluation_periods=2,
        description="Chat API p99 time to first token is above {threshold} ms: the model is slow or scaling out.",
    ),
)
