"""Chat API settings: read once from the environment on Lambda, or built explicitly by the local runtime."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline_contract import FrontDoorEnv, RetrievalLimits
from retrieval import defaults_from_env

BACKENDS = ("bedrock", "sagemaker", "openai", "local", "stub")
STORAGES = ("s3", "local")
CONVERSATION_STORES = ("dynamodb", "sqlite")
IDENTITY_MODES = ("apigateway", "local", "dev-token")
GUARDRAIL_STREAM_MODES = ("sync", "async")


def _int(env: dict[str, str], name: str, default: int) -> int:
    return int(env.get(name) or default)


def _float(env: dict[str, str], name: str, default: float) -> float:
    return float(env.get(name) or default)


def _opt(env: dict[str, str], name: str) -> str | None:
    return env.get(name) or None


def _choice(env: dict[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = (env.get(name) or default).strip().lower()
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatSettings:
    """Everything the chat app is configured with; see docs/chat-api.md for the environment variables."""

    backend: str = "stub"
    #: The model id reported to callers (``GET /v1/models``) and stored with each interaction.
    model_id: str = "stub-model"
    model_version: str | None = None
    endpoint_name: str | None = None
    inference_component_name: str | None = None
    #: The promoted model package (SageMaker backend); ``FrontDoorEnv.NO_MODEL`` before the first promotion.
    live_model_package_arn: str | None = None
    openai_base_url: str | None = None
    openai_api_key: str | None = None
    local_model_dir: str | None = None
    guardrail_id: str | None = None
    guardrail_version: str | None = None
    guardrail_stream_mode: str = "sync"
    storage: str = "local"
    interactions_bucket: str | None = None
    #: Key prefixes in the interactions bucket (``pipeline_contract.Layout`` defaults).
    interactions_prefix: str = "interactions/"
    feedback_prefix: str = "feedback/"
    kms_key_id: str | None = None
    #: Local lake root: records land in ``<lake_dir>/<interactions_bucket_name>/<key>`` (the S3 layout).
    lake_dir: str = ".local/lake"
    local_bucket_name: str = "interactions"
    conversations: str = "sqlite"
    conversations_table: str | None = None
    sqlite_path: str = ".local/conversations.sqlite3"
    conversation_ttl_days: int = 90
    #: Retrieval (chat_api.grounding): the Bedrock Knowledge Base id, else a local index folder (``make local``);
    #: neither -> retrieval is not configured. ``rag_default_on``/``rag_top_k``: for requests without ``retrieval``.
    knowledge_base_id: str | None = None
    rag_local_index: str | None = None
    rag_default_on: bool = False
    rag_top_k: int = 4
    retrieval_timeout_s: float = 5.0
    identity: str = "local"
    dev_token: str | None = None
    max_body_bytes: int = 1_048_576
    max_prompt_chars: int = 32_000
    max_messages: int = 200
    max_tokens_cap: int = 4096
    default_max_tokens: int = 512
    model_connect_timeout_s: float = 2.0
    model_read_timeout_s: float = 60.0
    model_max_attempts: int = 2
    storage_timeout_s: float = 3.0
    #: Reserved at the end of a Lambda invocation for emitting the failure metric and closing the stream.
    deadline_margin_s: float = 0.5
    retry_after_s: int = 2
    cors_allowed_origins: tuple[str, ...] = ()
    static_dir: str | None = None
    #: ``GET /config.json`` payload's ``apiBaseUrl`` (served only when ``static_dir`` is set).
    api_base_url: str = "/v1"
    stub_tokens_per_s: float = 0.0
    stub_reply: str = "This is a deterministic stub answer from the secure LLM pipeline."
    #: Stub backend: answer every prompt with the last user message (browser tests check untrusted markdown).
    stub_echo: bool = False
    emf_metrics: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("backend", self.backend, BACKENDS),
            ("storage", self.storage, STORAGES),
            ("conversations", self.conversations, CONVERSATION_STORES),
            ("identity", self.identity, IDENTITY_MODES),
            ("guardrail_stream_mode", self.guardrail_stream_mode, GUARDRAIL_STREAM_MODES),
        ):
            if value not in allowed:
                raise ValueError(f"ChatSettings.{name}={value!r}; allowed: {allowed}")
        if self.identity == "dev-token" and not self.dev_token:
            raise ValueError("ChatSettings.identity='dev-token' needs dev_token")
        if self.storage == "s3" and not self.interactions_bucket:
            raise ValueError("ChatSettings.storage='s3' needs interactions_bucket")
        if self.conversations == "dynamodb" and not self.conversations_table:
            raise ValueError("ChatSettings.conversations='dynamodb' needs conversations_table")
        if not 1 <= self.rag_top_k <= RetrievalLimits.MAX_TOP_K:
            raise ValueError(f"ChatSettings.rag_top_k must be within 1..{RetrievalLimits.MAX_TOP_K}")
        if not 1 <= self.default_max_tokens <= self.max_tokens_cap:
            raise ValueError("ChatSettings.default_max_tokens must be within 1..max_tokens_cap")

    def with_(self, **changes: object) -> ChatSettings:
        """A copy with ``changes`` applied (validated again)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def no_model_deployed(self) -> bool:
        """Whether the SageMaker backend has no promoted model yet (``LIVE_MODEL_PACKAGE_ARN=none``)."""
        return self.backend == "sagemaker" and (self.live_model_package_arn or "").lower() == FrontDoorEnv.NO_MODEL

    @property
    def local_bucket_dir(self) -> Path:
        """Folder standing in for the interactions bucket in local storage mode."""
        return Path(self.lake_dir) / self.local_bucket_name

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ChatSettings:
        """Parse the environment (the Lambda configuration); invalid values raise ``ValueError``."""
        env = dict(os.environ if environ is None else environ)
        backend = _choice(env, "BACKEND", "stub", BACKENDS)
        guardrail_id = _opt(env, "GUARDRAIL_ID")
        rag = defaults_from_env(env)  # FrontDoorEnv.RAG_DEFAULT_ON and FrontDoorEnv.RAG_TOP_K, as the stack sets them
        return cls(
            backend=backend,
            model_id=env.get("MODEL_ID") or env.get("ENDPOINT_NAME") or f"{backend}-model",
            model_version=_opt(env, "MODEL_VERSION"),
            endpoint_name=_opt(env, "ENDPOINT_NAME"),
            inference_component_name=_opt(env, "INFERENCE_COMPONENT_NAME"),
            live_model_package_arn=_opt(env, FrontDoorEnv.LIVE_MODEL_PACKAGE_ARN),
            openai_base_url=_opt(env, "OPENAI_BASE_URL"),
            openai_api_key=_opt(env, "OPENAI_API_KEY"),
            local_model_dir=_opt(env, "LOCAL_MODEL_DIR"),
            guardrail_id=guardrail_id,
            guardrail_version=_opt(env, "GUARDRAIL_VERSION") or ("DRAFT" if guardrail_id else None),
            guardrail_stream_mode=_choice(env, "GUARDRAIL_STREAM_MODE", "sync", GUARDRAIL_STREAM_MODES),
            storage=_choice(env, "STORAGE", "s3" if env.get("INTERACTIONS_BUCKET") else "local", STORAGES),
            interactions_bucket=_opt(env, "INTERACTIONS_BUCKET"),
            interactions_prefix=env.get("INTERACTIONS_PREFIX") or "interactions/",
            feedback_prefix=env.get("FEEDBACK_PREFIX") or "feedback/",
            kms_key_id=_opt(env, "KMS_KEY_ID"),
            lake_dir=env.get("LOCAL_LAKE_DIR") or ".local/lake",
            conversations=_choice(
                env,
                "CONVERSATIONS_STORE",
                "dynamodb" if env.get("CONVERSATIONS_TABLE") else "sqlite",
                CONVERSATION_STORES,
            ),
            conversations_table=_opt(env, "CONVERSATIONS_TABLE"),
            sqlite_path=env.get("CONVERSATIONS_SQLITE") or ".local/conversations.sqlite3",
            conversation_ttl_days=_int(env, "CONVERSATION_TTL_DAYS", 90),
            knowledge_base_id=_opt(env, FrontDoorEnv.KNOWLEDGE_BASE_ID),
            rag_local_index=_opt(env, FrontDoorEnv.RAG_LOCAL_INDEX),
            rag_default_on=rag.enabled,
            rag_top_k=rag.top_k,
            identity=_choice(
                env, "IDENTITY_MODE", "apigateway" if env.get("AWS_LAMBDA_FUNCTION_NAME") else "local", IDENTITY_MODES
            ),
            dev_token=_opt(env, "DEV_TOKEN"),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", 1_048_576),
            max_prompt_chars=_int(env, "PROMPT_MAX_CHARS", 32_000),
            max_messages=_int(env, "MAX_MESSAGES", 200),
            max_tokens_cap=_int(env, "MAX_TOKENS_CAP", 4096),
            default_max_tokens=_int(env, "DEFAULT_MAX_TOKENS", 512),
            model_connect_timeout_s=_float(env, "MODEL_CONNECT_TIMEOUT_S", 2.0),
            model_read_timeout_s=_float(env, "MODEL_READ_TIMEOUT_S", 60.0),
            model_max_attempts=_int(env, "MODEL_MAX_ATTEMPTS", 2),
            storage_timeout_s=_float(env, "STORAGE_TIMEOUT_S", 3.0),
            retry_after_s=_int(env, "RETRY_AFTER_S", 2),
            cors_allowed_origins=tuple(
                o.strip() for o in (env.get("CORS_ALLOWED_ORIGINS") or "").split(",") if o.strip()
            ),
            static_dir=_opt(env, "STATIC_DIR"),
            stub_tokens_per_s=_float(env, "STUB_TOKENS_PER_S", 0.0),
            stub_echo=env.get("STUB_ECHO", "").lower() == "true",
            emf_metrics=bool(env.get("AWS_LAMBDA_FUNCTION_NAME")) or env.get("EMF_METRICS", "").lower() == "true",
        )
