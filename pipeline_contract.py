"""What the infrastructure (``pipeline_stacks``) and the runtime code (``lambda_src``, ``glue_jobs``, the local mode)
must agree on, written once: environment-variable names, S3 key layout, entity-type names, metric namespaces and
names, EventBridge sources and detail-types.

Pure Python with no dependency (no CDK, no boto3): the constructs import it at synth time and the bundler ships it
next to the runtime code in every asset (the front-door Lambda bundle, the Glue library zip), so both sides read the
same names. ``ENTITY_TYPES`` is re-exported from the PII engine's registry (``pii_engine.registry``, the one place an
entity type is declared) and loaded on first access, so importing this module never imports the engine (the Lambda
keeps the engine out of its cold start).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from pii_engine.registry import ENTITY_TYPES

__all__ = [
    "ENTITY_TYPES",
    "NO_MODEL",
    "EventDetailType",
    "FrontDoorEnv",
    "FrontDoorMetric",
    "InteractionRecord",
    "Layout",
    "PromotionEnv",
    "PromotionEvent",
    "RetrievalLimits",
    "SanitizationMetric",
    "feedback_key",
    "interaction_key",
]


def __getattr__(name: str) -> Any:
    """Lazy re-export of ``ENTITY_TYPES`` from the PII engine's registry."""
    if name == "ENTITY_TYPES":
        from pii_engine.registry import ENTITY_TYPES

        return ENTITY_TYPES
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------- S3 layout


class Layout:
    """Default key prefixes in the data-lake buckets (every prefix ends with ``/``).

    The interactions/feedback prefixes are configurable (``sanitization.interactions_prefix`` /
    ``sanitization.feedback_prefix``); the construct passes the configured values to the front-door Lambda in
    :attr:`FrontDoorEnv.INTERACTIONS_PREFIX` / :attr:`FrontDoorEnv.FEEDBACK_PREFIX`.
    """

    #: Interactions bucket: redacted front-door interactions, ``<prefix>dt=YYYY-MM-DD/hour=HH/<id>.json``.
    INTERACTIONS: Final = "interactions/"
    #: Interactions bucket: redacted feedback, ``<prefix>dt=YYYY-MM-DD/<completion id>-<feedback id>.json``.
    FEEDBACK: Final = "feedback/"
    #: Raw bucket: where producers land records for the sanitization job.
    RAW: Final = "incoming/"
    #: Sanitized bucket: the sanitization job's output table; quarantine bucket: its quarantined records.
    SANITIZED: Final = "records/"
    QUARANTINE: Final = "records/"
    #: Sanitized bucket: the sanitization job's file bookmark (``<prefix><job name>/``).
    STATE: Final = "_state/"
    #: Sanitized bucket: the training split, and the continuous-learning output inside it.
    TRAIN: Final = "train/"
    TRAIN_INTERACTIONS: Final = "train/interactions/"
    #: The partition column (``YYYY-MM-DD``) the sanitization job writes and the Glue table projects.
    PARTITION_COLUMN: Final = "ingestion_date"


def interaction_key(request_id: str, now: datetime, prefix: str = Layout.INTERACTIONS) -> str:
    """``<prefix>dt=YYYY-MM-DD/hour=HH/<request_id>.json`` (UTC partitions)."""
    return f"{prefix}dt={now:%Y-%m-%d}/hour={now:%H}/{request_id}.json"


def feedback_key(request_id: str, feedback_id: str, now: datetime, prefix: str = Layout.FEEDBACK) -> str:
    """``<prefix>dt=YYYY-MM-DD/<request_id>-<feedback_id>.json``."""
    return f"{prefix}dt={now:%Y-%m-%d}/{request_id}-{feedback_id}.json"


class InteractionRecord:
    """Fields of the interaction records the front door stores and the sanitization job reads."""

    #: Free-text fields the continuous-learning run redacts (``--text_fields``).
    TEXT_FIELDS: Final = ("prompt", "output")
    #: Top-level key an interaction and its feedback records share (``--feedback_path`` join key).
    FEEDBACK_KEY: Final = "request_id"


# --------------------------------------------------------------------------- environment


class FrontDoorEnv:
    """Environment variables of the front-door Lambda (set by ``FrontDoor``, read by ``frontdoor.config``)."""

    BACKEND: Final = "BACKEND"
    ENDPOINT_NAME: Final = "ENDPOINT_NAME"
    INFERENCE_COMPONENT_NAME: Final = "INFERENCE_COMPONENT_NAME"
    MODEL_ID: Final = "MODEL_ID"
    MODEL_VERSION: Final = "MODEL_VERSION"
    GUARDRAIL_ID: Final = "GUARDRAIL_ID"
    GUARDRAIL_VERSION: Final = "GUARDRAIL_VERSION"
    INTERACTIONS_BUCKET: Final = "INTERACTIONS_BUCKET"
    INTERACTIONS_PREFIX: Final = "INTERACTIONS_PREFIX"
    FEEDBACK_PREFIX: Final = "FEEDBACK_PREFIX"
    #: Retrieval (``retrieval.retriever_from_env`` / ``retrieval.defaults_from_env``), set when ``rag.enabled``:
    #: the Bedrock knowledge base id, and the deployment defaults for requests without a ``retrieval`` field
    #: (``rag.default_on``: ``true``/``false``; ``rag.top_k``).
    KNOWLEDGE_BASE_ID: Final = "KNOWLEDGE_BASE_ID"
    RAG_DEFAULT_ON: Final = "RAG_DEFAULT_ON"
    RAG_TOP_K: Final = "RAG_TOP_K"
    #: Local mode only (``make local``): a ``python -m retrieval index`` folder, used when no knowledge base id is set.
    RAG_LOCAL_INDEX: Final = "RAG_LOCAL_INDEX"
    KMS_KEY_ID: Final = "KMS_KEY_ID"
    PROMPT_MAX_CHARS: Final = "PROMPT_MAX_CHARS"
    MAX_BODY_BYTES: Final = "MAX_BODY_BYTES"
    MODEL_CONNECT_TIMEOUT_S: Final = "MODEL_CONNECT_TIMEOUT_S"
    MODEL_READ_TIMEOUT_S: Final = "MODEL_READ_TIMEOUT_S"
    MODEL_MAX_ATTEMPTS: Final = "MODEL_MAX_ATTEMPTS"
    STORAGE_TIMEOUT_S: Final = "STORAGE_TIMEOUT_S"
    RETRY_AFTER_S: Final = "RETRY_AFTER_S"
    CORS_ALLOWED_ORIGINS: Final = "CORS_ALLOWED_ORIGINS"
    WARM_ON_INIT: Final = "WARM_ON_INIT"
    # The chat API (lambda_src/front_door/chat_api/settings.py).
    IDENTITY_MODE: Final = "IDENTITY_MODE"
    STORAGE: Final = "STORAGE"
    CONVERSATIONS_STORE: Final = "CONVERSATIONS_STORE"
    CONVERSATIONS_TABLE: Final = "CONVERSATIONS_TABLE"
    CONVERSATION_TTL_DAYS: Final = "CONVERSATION_TTL_DAYS"
    MAX_TOKENS_CAP: Final = "MAX_TOKENS_CAP"
    GUARDRAIL_STREAM_MODE: Final = "GUARDRAIL_STREAM_MODE"
    #: backend=sagemaker with model promotion: the live model package ARN (from the live-model SSM parameter at
    #: deploy time), or :attr:`NO_MODEL` before the first promotion (the chat API answers 503 ``no_model_deployed``).
    LIVE_MODEL_PACKAGE_ARN: Final = "LIVE_MODEL_PACKAGE_ARN"
    #: Value of ``LIVE_MODEL_PACKAGE_ARN`` while no model has been promoted (the chat API answers 503).
    NO_MODEL: Final = "none"
    POWERTOOLS_SERVICE_NAME: Final = "POWERTOOLS_SERVICE_NAME"
    POWERTOOLS_METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"


#: Value of the live-model parameter (and of :attr:`FrontDoorEnv.LIVE_MODEL_PACKAGE_ARN`) before the first
#: promotion: no model is deployed yet.
NO_MODEL: Final = FrontDoorEnv.NO_MODEL


class PromotionEnv:
    """Environment variables of the promotion Lambda (set by ``PromotionWorkflow``, read by
    ``lambda_src/promotion``)."""

    ENDPOINT_NAME: Final = "ENDPOINT_NAME"
    MODEL_PACKAGE_GROUP_NAME: Final = "MODEL_PACKAGE_GROUP_NAME"
    LIVE_MODEL_PARAMETER: Final = "LIVE_MODEL_PARAMETER"


class RetrievalLimits:
    """Bounds the chat API's ``retrieval`` extension accepts and the ``rag.*`` config is checked against."""

    #: Largest ``retrieval.top_k`` (and ``rag.top_k``); the default when neither the request nor config sets it.
    MAX_TOP_K: Final = 20
    DEFAULT_TOP_K: Final = 4


# --------------------------------------------------------------------------- metrics


class FrontDoorMetric:
    """Metrics the front-door Lambda emits (Powertools EMF) and the monitoring construct alarms on."""

    NAMESPACE: Final = "SecureLlmPipeline/FrontDoor"
    GENERATE_REQUESTS: Final = "GenerateRequests"
    MODEL_LATENCY: Final = "ModelLatency"
    INPUT_TOKENS: Final = "InputTokens"
    OUTPUT_TOKENS: Final = "OutputTokens"
    GUARDRAIL_INTERVENTIONS: Final = "GuardrailInterventions"
    INTERACTION_LOG_FAILURES: Final = "InteractionLogFailures"
    PII_ENTITIES_REDACTED: Final = "PiiEntitiesRedacted"
    FEEDBACK_REQUESTS: Final = "FeedbackRequests"
    FEEDBACK_LOG_FAILURES: Final = "FeedbackLogFailures"
    CLIENT_ERRORS: Final = "ClientErrors"
    UNHANDLED_ERRORS: Final = "UnhandledErrors"
    # The chat API (lambda_src/front_door/chat_api).
    CHAT_REQUESTS: Final = "ChatRequests"
    TIME_TO_FIRST_TOKEN: Final = "TimeToFirstToken"
    CONVERSATION_WRITE_FAILURES: Final = "ConversationWriteFailures"
    MALFORMED_EVENTS: Final = "MalformedEvents"
    NO_MODEL_DEPLOYED: Final = "NoModelDeployed"
    # Retrieval (rag.*): latency (Milliseconds) per retrieval, passages put into a prompt (0: retrieval ran and
    # found nothing), failed retrievals (the answer is then generated without passages).
    RETRIEVAL_LATENCY: Final = "RetrievalLatency"
    RETRIEVAL_PASSAGES: Final = "RetrievalPassages"
    RETRIEVAL_ERRORS: Final = "RetrievalErrors"


class SanitizationMetric:
    """Metrics the sanitization Glue job puts (dimension ``JobName``; see ``glue_jobs/metrics.py``)."""

    NAMESPACE: Final = "LlmPipeline/Sanitization"
    RECORDS_IN: Final = "RecordsIn"
    RECORDS_SANITIZED: Final = "RecordsSanitized"
    RECORDS_QUARANTINED: Final = "RecordsQuarantined"
    COUNT_INVARIANT_VIOLATION: Final = "CountInvariantViolation"
    ENTITIES_DETECTED: Final = "EntitiesDetected"
    #: Dimension names.
    JOB_NAME: Final = "JobName"
    REASON: Final = "Reason"
    ENTITY: Final = "Entity"


# --------------------------------------------------------------------------- events


class EventDetailType:
    """``detail-type`` of the events the training pipeline puts on the default bus (``source`` = :attr:`SOURCE`)."""

    SOURCE: Final = "llm-pipeline.training"
    MODEL_REGISTERED: Final = "ModelRegistered"
    MODEL_REJECTED: Final = "ModelRejected"
    TRAINING_PIPELINE_FAILED: Final = "TrainingPipelineFailed"


class PromotionEvent:
    """``detail-type`` of the events the promotion workflow puts on the default bus (``source`` = :attr:`SOURCE`).

    ``ModelPromoted`` detail: ``modelPackageArn``, ``endpointName``, ``firstDeploy``, ``executionArn``,
    ``stateMachineArn``; ``ModelPromotionFailed`` detail: ``reason`` (``not_approved`` | ``rolled_back`` |
    ``failed`` | ``error``), ``modelPackageArn``, ``cause`` and the same ids.
    """

    SOURCE: Final = "llm-pipeline.promotion"
    MODEL_PROMOTED: Final = "ModelPromoted"
    MODEL_PROMOTION_FAILED: Final = "ModelPromotionFailed"
