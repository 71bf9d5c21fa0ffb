"""FrontDoor: the public, authenticated, OpenAI-compatible chat API in front of the model.

API Gateway REST API (``/v1/chat/completions``, ``/v1/models``, ``/v1/feedback``, ``/v1/conversations``, the
``/v1/generate`` alias) with a Lambda proxy integration in response transfer mode STREAM, request models derived from
JSON schemas, Cognito or IAM authorization, API keys + usage plan, stage throttling, KMS-encrypted JSON access logs,
X-Ray, a regional WAF web ACL, and the chat API of ``lambda_src/front_door/chat_api`` (an ASGI app served by uvicorn
under the AWS Lambda Web Adapter layer, ``AWS_LWA_INVOKE_MODE=response_stream``). It stores redacted interactions in
the data lake and per-caller conversations in a DynamoDB table (pipeline key, PITR, TTL). Usage::

    door = FrontDoor(self, "FrontDoor", backend=endpoint, data_lake=lake, props=FrontDoorProps(auth="iam"))
    door.metric_api_5xx()
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from pipeline_contract import FrontDoorEnv as Env
from pipeline_contract import FrontDoorMetric, Layout
from pipeline_stacks import bundling, compliance, validation
from pipeline_stacks.constructs.api_schema import SCHEMA_DIR, load_request_schema, to_api_gateway_schema
from pipeline_stacks.constructs.backend import InferenceBackend
from pipeline_stacks.constructs.data_lake import DataLake
from pipeline_stacks.iam import ManagedPolicyRole
from pipeline_stacks.log_groups import encrypted_log_group
from pipeline_stacks.overrides import consolidate_props

#: The handler's Powertools defaults (``frontdoor/observability.py``).
DEFAULT_SERVICE_NAME = "front-door"
DEFAULT_METRICS_NAMESPACE = FrontDoorMetric.NAMESPACE

#: Longest integration timeout (and streamed response) of a REST integration with response transfer mode STREAM:
#: 15 minutes, against 29 s for buffered integrations (API Gateway developer guide, "response-streaming-http"). The
#: integration timeout is set to the Lambda timeout, so the gateway never cuts a stream the function still serves.
API_STREAM_MAX = cdk.Duration.minutes(15)

#: AWS Lambda Web Adapter public layer (github.com/awslabs/aws-lambda-web-adapter): published by this account in the
#: commercial regions as ``arn:aws:lambda:<region>:753240598075:layer:LambdaAdapterLayerX86:<version>``; the region
#: comes from the stack (a token), so synth stays environment-agnostic. Other partitions: pass
#: ``web_adapter_layer_arn``.
WEB_ADAPTER_ACCOUNT = "753240598075"
#: Same default as ``serving.web_adapter_layer_version`` (source of the number: ``pipeline_stacks/config/_base.py``).
WEB_ADAPTER_LAYER_VERSION = 30
#: Where uvicorn listens inside the function and the path the adapter polls before the first invocation.
WEB_ADAPTER_PORT = 8000
READINESS_PATH = "/healthz"

_MODEL_CONNECT_TIMEOUT_S = 2
_STORAGE_TIMEOUT_S = 3


# --------------------------------------------------------------------------- props


@dataclass(frozen=True, kw_only=True)
class FrontDoorVpc:
    """Run the front-door Lambda in existing private subnets (egress via NAT or VPC endpoints for
    S3, KMS, SageMaker/Bedrock runtime, X-Ray and CloudWatch Logs)."""

    vpc_id: str
    subnet_ids: Sequence[str]
    security_group_ids: Sequence[str]

    def __post_init__(self) -> None:
        if not self.subnet_ids:
            raise ValueError("FrontDoorVpc needs at least one subnet id and one security group id")
        validation.check_vpc_pair(
            self.subnet_ids, self.security_group_ids, where="FrontDoorVpc.subnet_ids and security_group_ids"
        )


@dataclass(frozen=True, kw_only=True)
class FrontDoorProps:
    """Tunables of :class:`FrontDoor`; every field has a safe default.

    ``auth``: ``cognito`` (a new user pool, or ``user_pool``) or ``iam`` (SigV4). An API key is required as well
    (usage plan: ``throttle_rate``/``throttle_burst`` per key, ``quota_per_day``) unless ``api_key_required`` is
    False: for browser clients (the chat UI), which cannot keep a key secret; the stage throttle, the WAF rate rule
    and the reserved concurrency still apply, and every call still needs the Cognito token or SigV4 signature.
    ``cors_allowed_origins``: browser origins; empty disables CORS. ``code``: the Lambda code
    (default: ``lambda_src/front_door`` bundled with the PII engine and its requirements).
    """

    auth: Literal["cognito", "iam"] = "cognito"
    user_pool: cognito.IUserPool | None = None
    user_pool_arn: str | None = None
    mfa: cognito.Mfa = cognito.Mfa.REQUIRED
    throttle_rate: float = 50
    throttle_burst: int = 100
    quota_per_day: int = 10000
    api_key_required: bool = True
    cors_allowed_origins: Sequence[str] = ()
    waf_rate_limit: int = 1000
    waf_rate_window_seconds: int = 300
    lambda_memory_mb: int = 1024
    lambda_timeout: cdk.Duration = field(default_factory=lambda: cdk.Duration.seconds(120))
    model_read_timeout_seconds: float = 20
    reserved_concurrency: int | None = 20
    max_prompt_chars: int = 8000
    #: Largest ``max_tokens`` a caller may ask for (larger -> 400).
    max_tokens_cap: int = 4096
    #: Conversations expire (DynamoDB TTL) this many days after their last update.
    conversation_ttl_days: int = 90
    #: Bedrock guardrail on streams: ``sync`` (chunks are checked before they are sent) or ``async``.
    guardrail_stream_mode: Literal["sync", "async"] = "sync"
    web_adapter_layer_version: int = WEB_ADAPTER_LAYER_VERSION
    #: Full layer ARN of the Lambda Web Adapter (overrides the account/version default, e.g. for aws-cn).
    web_adapter_layer_arn: str | None = None
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR
    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN
    stage_name: str = "live"
    service_name: str = DEFAULT_SERVICE_NAME
    metrics_namespace: str = DEFAULT_METRICS_NAMESPACE
    #: Interactions-bucket prefixes the handler writes interactions and feedback under (``pipeline_contract.Layout``;
    #: the app passes ``sanitization.interactions_prefix`` / ``sanitization.feedback_prefix``, which the
    #: continuous-learning loop reads).
    interactions_prefix: str = Layout.INTERACTIONS
    feedback_prefix: str = Layout.FEEDBACK
    #: Set the account-level API Gateway CloudWatch role (needed for execution logs; one per account+region).
    manage_account_logging_role: bool = True
    vpc: FrontDoorVpc | None = None
    #: Custom domain (regional, TLS 1.2) with an ACM certificate of the same region; disables execute-api.
    domain_name: str | None = None
    certificate_arn: str | None = None
    code: lambda_.Code | None = None
    schema_dir: Path = SCHEMA_DIR

    def __post_init__(self) -> None:
        if self.auth not in ("cognito", "iam"):
            raise ValueError(f"FrontDoorProps.auth={self.auth!r}; allowed: 'cognito', 'iam'")
        if self.auth == "iam" and (self.user_pool is not None or self.user_pool_arn):
            raise ValueError("FrontDoorProps.user_pool/user_pool_arn are only used with auth='cognito'")
        if self.user_pool is not None and self.user_pool_arn:
            raise ValueError("FrontDoorProps: set user_pool or user_pool_arn, not both")
        timeout_s = self.lambda_timeout.to_seconds()
        if timeout_s > API_STREAM_MAX.to_seconds():
            raise ValueError(
                f"FrontDoorProps.lambda_timeout={timeout_s}s exceeds API Gateway's longest streamed response (900 s)"
            )
        if self.guardrail_stream_mode not in ("sync", "async"):
            raise ValueError(
                f"FrontDoorProps.guardrail_stream_mode={self.guardrail_stream_mode!r}; allowed: sync, async"
            )
        if not 1 <= self.conversation_ttl_days <= 3650:
            raise ValueError(f"FrontDoorProps.conversation_ttl_days={self.conversation_ttl_days}; allowed: 1-3650")
        if not 1 <= self.max_tokens_cap <= 1_000_000:
            raise ValueError(f"FrontDoorProps.max_tokens_cap={self.max_tokens_cap}; allowed: 1-1000000")
        if self.model_read_timeout_seconds + _MODEL_CONNECT_TIMEOUT_S + _STORAGE_TIMEOUT_S >= timeout_s:
            raise ValueError(
                f"FrontDoorProps.model_read_timeout_seconds={self.model_read_timeout_seconds} leaves no time within "
                f"lambda_timeout={timeout_s}s for connecting ({_MODEL_CONNECT_TIMEOUT_S} s) and storing "
                f"({_STORAGE_TIMEOUT_S} s)"
            )
        validation.check_cors_origins(self.cors_allowed_origins, where="FrontDoorProps.cors_allowed_origins")
        if bool(self.domain_name) != bool(self.certificate_arn):
            raise ValueError("FrontDoorProps.domain_name and certificate_arn must be set together")
        for name in ("interactions_prefix", "feedback_prefix"):
            value = getattr(self, name)
            if not value.strip("/") or not value.endswith("/") or value.startswith("/"):
                raise ValueError(f"FrontDoorProps.{name}={value!r}; allowed: a key prefix such as 'interactions/'")
        if self.interactions_prefix.startswith(self.feedback_prefix) or self.feedback_prefix.startswith(
            self.interactions_prefix
        ):
            raise ValueError("FrontDoorProps.interactions_prefix and feedback_prefix must not overlap")
        if not 10 <= self.waf_rate_limit <= 2_000_000_000:
            raise ValueError(f"FrontDoorProps.waf_rate_limit={self.waf_rate_limit}; allowed: 10-2000000000")
        if self.waf_rate_window_seconds not in (60, 120, 300, 600):
            raise ValueError(
                f"FrontDoorProps.waf_rate_window_seconds={self.waf_rate_window_seconds}; allowed: 60, 120, 300, 600"
            )


# --------------------------------------------------------------------------- construct

#: Gateway (non-Lambda) errors: response type -> error code in the body (the gateway keeps its own status).
_GATEWAY_RESPONSES: dict[str, str] = {
    "BAD_REQUEST_BODY": "invalid_request",
    "BAD_REQUEST_PARAMETERS": "invalid_request",
    "UNAUTHORIZED": "unauthorized",
    "ACCESS_DENIED": "forbidden",
    "MISSING_AUTHENTICATION_TOKEN": "forbidden",
    "INVALID_SIGNATURE": "forbidden",
    "EXPIRED_TOKEN": "forbidden",
    "INVALID_API_KEY": "forbidden",
    "WAF_FILTERED": "forbidden",
    "THROTTLED": "throttled",
    "QUOTA_EXCEEDED": "quota_exceeded",
    "REQUEST_TOO_LARGE": "payload_too_large",
    "UNSUPPORTED_MEDIA_TYPE": "unsupported_media_type",
    "INTEGRATION_TIMEOUT": "upstream_timeout",
    "INTEGRATION_FAILURE": "upstream_error",
    "DEFAULT_4XX": "client_error",
    "DEFAULT_5XX": "internal_error",
}

#: Routes of the chat API: (path below /v1, method, request schema file, API Gateway model name, operation name).
#: Every route goes to the same function; bodies without a model are validated by the handler alone.
_ROUTES: tuple[tuple[str, str, str | None, str | None, str], ...] = (
    ("chat/completions", "POST", "chat_completion_request", "ChatCompletionRequest", "CreateChatCompletion"),
    ("models", "GET", None, None, "ListModels"),
    ("feedback", "POST", "chat_feedback_request", "ChatFeedbackRequest", "CreateFeedback"),
    ("conversations", "GET", None, None, "ListConversations"),
    ("conversations/{conversation_id}", "GET", None, None, "GetConversation"),
    ("conversations/{conversation_id}", "PATCH", None, None, "UpdateConversation"),
    ("conversations/{conversation_id}", "DELETE", None, None, "DeleteConversation"),
    # The pre-chat API, kept one release as an alias (answered by the chat API in its old response shape).
    ("generate", "POST", "generate_request", "GenerateRequest", "Generate"),
)

#: OpenAI error ``type`` of the gateway's own errors.
_ERROR_TYPES = {
    "unauthorized": "authentication_error", "forbidden": "permission_error", "throttled": "rate_limit_error",
    "quota_exceeded": "rate_limit_error", "upstream_timeout": "server_error", "upstream_error": "server_error",
    "internal_error": "server_error",
}  # fmt: skip

#: Access log record (JSON, one line per request; no bodies, no headers, no query strings).
_ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTime": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "caller": "$context.identity.caller",
    "user": "$context.identity.user",
    "userArn": "$context.identity.userArn",
    "sub": "$context.authorizer.claims.sub",
    "apiKeyId": "$context.identity.apiKeyId",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationStatus": "$context.integration.status",
    "wafStatus": "$context.waf.status",
    "errorType": "$context.error.responseType",
    "errorMessage": "$context.error.message",
    "xrayTraceId": "$context.xrayTraceId",
}


class FrontDoor(Construct):
    """Authenticated, throttled, WAF-protected REST API + Lambda in front of an :class:`InferenceBackend`.

    Attributes: ``api``, ``stage``, ``function``, ``role``, ``web_acl``, ``user_pool`` (cognito only),
    ``user_pool_client``, ``usage_plan``, ``api_key``, ``access_log_group``, ``execution_log_group``,
    ``function_log_group``, ``waf_log_group``. ``metric_*`` methods return the metrics to alarm on.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        backend: InferenceBackend,
        data_lake: DataLake,
        props: FrontDoorProps | None = None,
        function_overrides: lambda_.FunctionOptions | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        props = props or FrontDoorProps()
        self.props = props
        self.backend = backend
        self.data_lake = lake = data_lake
        self._function_overrides = function_overrides
        stack = cdk.Stack.of(self)
        self.role, self.function_log_group, self.function = self._function(props, lake)
        self.user_pool: cognito.IUserPool | None = None
        self.user_pool_client: cognito.UserPoolClient | None = None
        self.api, self.stage, self.access_log_group, self.execution_log_group = self._rest_api(props)
        self.web_acl, self.waf_log_group = self._waf(props, stack)
        self.usage_plan, self.api_key = self._usage_plan(props)

    # ------------------------------------------------------------------ Lambda

    def _function(
        self, props: FrontDoorProps, lake: DataLake
    ) -> tuple[ManagedPolicyRole, logs.LogGroup, lambda_.Function]:
        role = ManagedPolicyRole(
            self,
            "FunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=(
                "Front-door Lambda: invoke the model, write redacted interactions and conversations, logs, traces"
            ),
        )
        log_group = encrypted_log_group(self, "FunctionLogs", self.data_lake.key, props)
        log_group.grant_write(role)
        self.backend.grant_invoke(role)
        prefixes = (props.interactions_prefix, props.feedback_prefix)
        for prefix in prefixes:
            lake.grant_put_interactions(role, prefix=prefix)  # put-only, key only via S3 (issue 10 #8)
        self.conversations_table = self._conversations_table(props, lake, role)

        environment = {
            # Lambda Web Adapter: run.sh starts uvicorn; events are forwarded to it and answers streamed back.
            "AWS_LAMBDA_EXEC_WRAPPER": "/opt/bootstrap",
            "AWS_LWA_INVOKE_MODE": "response_stream",
            "AWS_LWA_PORT": str(WEB_ADAPTER_PORT),
            "PORT": str(WEB_ADAPTER_PORT),
            "AWS_LWA_READINESS_CHECK_PATH": READINESS_PATH,
            **self.backend.environment,
            "IDENTITY_MODE": "apigateway",
            "STORAGE": "s3",
            "CONVERSATIONS_STORE": "dynamodb",
            "CONVERSATIONS_TABLE": self.conversations_table.table_name,
            "CONVERSATION_TTL_DAYS": str(props.conversation_ttl_days),
            "MAX_TOKENS_CAP": str(props.max_tokens_cap),
            "GUARDRAIL_STREAM_MODE": props.guardrail_stream_mode,
            Env.INTERACTIONS_BUCKET: lake.interactions_bucket.bucket_name,
            Env.INTERACTIONS_PREFIX: props.interactions_prefix,
            Env.FEEDBACK_PREFIX: props.feedback_prefix,
            Env.KMS_KEY_ID: lake.key.key_arn,
            Env.PROMPT_MAX_CHARS: str(props.max_prompt_chars),
            Env.MODEL_CONNECT_TIMEOUT_S: str(_MODEL_CONNECT_TIMEOUT_S),
            Env.MODEL_READ_TIMEOUT_S: _number(props.model_read_timeout_seconds),
            # One attempt: a retry would outlive the time to the first byte API Gateway waits for.
            Env.MODEL_MAX_ATTEMPTS: "1",
            Env.STORAGE_TIMEOUT_S: str(_STORAGE_TIMEOUT_S),
            Env.POWERTOOLS_SERVICE_NAME: props.service_name,
            Env.POWERTOOLS_METRICS_NAMESPACE: props.metrics_namespace,
            "POWERTOOLS_LOG_LEVEL": "INFO",
            "POWERTOOLS_LOGGER_LOG_EVENT": "false",
            "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
            "POWERTOOLS_TRACER_CAPTURE_ERROR": "false",
        }
        if props.cors_allowed_origins:
            # For the handler's own responses (the gateway answers preflights and gateway errors).
            environment[Env.CORS_ALLOWED_ORIGINS] = ",".join(props.cors_allowed_origins)

        vpc_props: dict[str, Any] = {}
        if props.vpc is not None:
            # Imported by id (no lookups, no credentials at synth); the subnets are selected explicitly.
            vpc = ec2.Vpc.from_vpc_attributes(self, "Vpc", vpc_id=props.vpc.vpc_id, availability_zones=["unused"])
            subnets = [ec2.Subnet.from_subnet_id(self, f"Subnet{i}", sid) for i, sid in enumerate(props.vpc.subnet_ids)]
            for subnet in subnets:  # route tables only matter to constructs that add routes; none here
                cdk.Annotations.of(subnet).acknowledge_warning(
                    "@aws-cdk/aws-ec2:noSubnetRouteTableId",
                    "The Lambda only places ENIs in the subnet",
                )
            vpc_props = {
                "vpc": vpc,
                "vpc_subnets": ec2.SubnetSelection(subnets=subnets),
                "security_groups": [
                    ec2.SecurityGroup.from_security_group_id(self, f"SecurityGroup{i}", sg, mutable=False)
                    for i, sg in enumerate(props.vpc.security_group_ids)
                ],
            }
            # ENI management for VPC-attached functions (ec2:CreateNetworkInterface has no resource scoping).
            role.add_managed_policy(
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSLambdaENIManagementAccess")
            )
        defaults = {
            "description": "LLM chat API: validates, streams the model's answer, stores redacted interactions",
            "memory_size": props.lambda_memory_mb,
            "timeout": props.lambda_timeout,
            "reserved_concurrent_executions": props.reserved_concurrency,
            "logging_format": lambda_.LoggingFormat.JSON,
        }
        enforced = {
            "runtime": lambda_.Runtime.PYTHON_3_12,
            "architecture": lambda_.Architecture.X86_64,  # bundling installs manylinux2014_x86_64 wheels
            "handler": "run.sh",  # executed by the Lambda Web Adapter's wrapper (/opt/bootstrap)
            "layers": [self._web_adapter_layer(props)],
            "code": props.code
            or bundling.lambda_code(
                "lambda_src/front_door",
                extra=bundling.FRONT_DOOR_RUNTIME_COPIES,
                requirements="lambda_src/front_door/requirements.txt",
            ),
            "tracing": lambda_.Tracing.ACTIVE,
            "role": role,
            "log_group": log_group,
            "environment": environment,  # merged with the user's: ours (backend, bucket, key, limits) win
            **vpc_props,
        }
        function = lambda_.Function(
            self,
            "Function",
            **consolidate_props(
                self,
                defaults=defaults,
                overrides=self._function_overrides,
                enforced=enforced,
                merge_maps=("environment",),
                what="function_overrides",
            ),
        )
        compliance.acknowledge(function, "FrontDoor.function")
        if props.vpc is None:
            compliance.acknowledge(function, "FrontDoor.function_outside_vpc")
        if props.reserved_concurrency is None:
            compliance.acknowledge(function, "FrontDoor.function_unreserved")
        compliance.acknowledge(role, "FrontDoor.function_role")
        compliance.acknowledge_objects(
            role,
            "FrontDoor.function_role_objects",
            lake.interactions_bucket,
            prefixes,
        )
        if props.vpc is not None:
            compliance.acknowledge(role, "FrontDoor.function_role_vpc")
        return role, log_group, function

    def _web_adapter_layer(self, props: FrontDoorProps) -> lambda_.ILayerVersion:
        arn = props.web_adapter_layer_arn or (
            f"arn:{cdk.Aws.PARTITION}:lambda:{cdk.Aws.REGION}:{WEB_ADAPTER_ACCOUNT}:layer:LambdaAdapterLayerX86:"
            f"{props.web_adapter_layer_version}"
        )
        return lambda_.LayerVersion.from_layer_version_arn(self, "WebAdapterLayer", arn)

    def _conversations_table(self, props: FrontDoorProps, lake: DataLake, role: iam.IRole) -> dynamodb.Table:
        """Per-caller conversations: partition key = caller identity, sort key = ``conv#<id>`` / ``cmpl#<id>``."""
        table = dynamodb.Table(
            self,
            "Conversations",
            partition_key=dynamodb.Attribute(name="owner", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=lake.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute="expires_at",
            deletion_protection=props.removal_policy == cdk.RemovalPolicy.RETAIN,
            removal_policy=props.removal_policy,
        )
        # Exactly the item calls chat_api.conversations makes; no Scan, no batch, no table management.
        table.grant(
            role, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                resources=[lake.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{cdk.Aws.REGION}.amazonaws.com"}},
            )
        )
        compliance.acknowledge(table, "FrontDoor.conversations_table")
        return table

    # ------------------------------------------------------------------ API

    def _rest_api(
        self, props: FrontDoorProps
    ) -> tuple[apigateway.RestApi, apigateway.Stage, logs.LogGroup, logs.LogGroup]:
        access_logs = encrypted_log_group(self, "AccessLogs", self.data_lake.key, props)
        cors = (
            apigateway.CorsOptions(
                allow_origins=list(props.cors_allowed_origins),
                allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
                allow_headers=[
                    "Content-Type",
                    "Authorization",
                    "X-Api-Key",
                    "X-Amz-Date",
                    "X-Amz-Security-Token",
                ],
                expose_headers=["X-Request-Id", "Retry-After", "X-Conversation-Id"],
                max_age=cdk.Duration.hours(1),
            )
            if props.cors_allowed_origins
            else None
        )
        api = apigateway.RestApi(
            self,
            "Api",
            rest_api_name=f"{cdk.Stack.of(self).stack_name}-front-door",
            description="LLM chat API (OpenAI-compatible): /v1/chat/completions, /v1/models, /v1/feedback, "
            "/v1/conversations",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            min_compression_size=cdk.Size.bytes(1024),
            api_key_source_type=apigateway.ApiKeySourceType.HEADER,
            cloud_watch_role=False,  # the account-level role is managed below (scoped, customer-managed)
            fail_on_warnings=True,
            deploy=True,
            domain_name=apigateway.DomainNameOptions(
                domain_name=props.domain_name,
                certificate=acm.Certificate.from_certificate_arn(self, "Certificate", props.certificate_arn),
                endpoint_type=apigateway.EndpointType.REGIONAL,
                security_policy=apigateway.SecurityPolicy.TLS_1_2,
            )
            if props.domain_name and props.certificate_arn
            else None,
            # With a custom domain, callers must come through it (one hostname, one TLS policy).
            disable_execute_api_endpoint=bool(props.domain_name),
            deploy_options=apigateway.StageOptions(
                stage_name=props.stage_name,
                description="Live stage of the LLM front door",
                access_log_destination=apigateway.LogGroupLogDestination(access_logs),
                access_log_format=apigateway.AccessLogFormat.custom(
                    json.dumps(_ACCESS_LOG_FIELDS, separators=(",", ":"))
                ),
                tracing_enabled=True,
                logging_level=apigateway.MethodLoggingLevel.INFO,
                data_trace_enabled=False,  # never log request/response bodies (prompts may contain PHI)
                metrics_enabled=True,
                throttling_rate_limit=props.throttle_rate,
                throttling_burst_limit=props.throttle_burst,
            ),
        )
        stage = api.deployment_stage
        #: The custom domain (``props.domain_name``), or None.
        self.domain: apigateway.DomainName | None = api.domain_name
        if self.domain is not None:
            cdk.CfnOutput(
                self,
                "DomainTarget",
                value=self.domain.domain_name_alias_domain_name,
                description="Point a DNS alias (A/AAAA) or CNAME for the API's custom domain here",
            )
        # API Gateway creates the execution log group on first use, unencrypted and kept forever:
        # create it first, with the pipeline key and retention.
        execution_logs = encrypted_log_group(
            self,
            "ExecutionLogs",
            self.data_lake.key,
            props,
            name=f"API-Gateway-Execution-Logs_{api.rest_api_id}/{props.stage_name}",
        )
        stage.node.add_dependency(execution_logs)
        if props.manage_account_logging_role:
            stage.node.add_dependency(self._account_logging_role())
        compliance.acknowledge(stage, "FrontDoor.stage")

        authorizer: apigateway.IAuthorizer | None = None
        authorization_type = apigateway.AuthorizationType.IAM
        if props.auth == "cognito":
            authorization_type = apigateway.AuthorizationType.COGNITO
            if props.user_pool_arn:
                self.user_pool = cognito.UserPool.from_user_pool_arn(self, "ExistingUserPool", props.user_pool_arn)
            else:
                self.user_pool = props.user_pool or self._user_pool(props)
            if isinstance(self.user_pool, cognito.UserPool):
                self.user_pool_client = self.user_pool.add_client(
                    "WebClient",
                    generate_secret=False,
                    auth_flows=cognito.AuthFlow(user_srp=True),
                    prevent_user_existence_errors=True,
                    id_token_validity=cdk.Duration.hours(1),
                    access_token_validity=cdk.Duration.hours(1),
                    refresh_token_validity=cdk.Duration.days(1),
                )
            authorizer = apigateway.CognitoUserPoolsAuthorizer(
                self,
                "Authorizer",
                cognito_user_pools=[self.user_pool],
                results_cache_ttl=cdk.Duration.minutes(5),
            )

        validator = api.add_request_validator(
            "RequestValidator",
            validate_request_body=True,
            validate_request_parameters=True,
        )
        # STREAM: API Gateway invokes the function with InvokeWithResponseStream and passes bytes on as they come
        # (SSE tokens), lifting the 29 s / 10 MB limits of buffered proxy responses.
        integration = apigateway.LambdaIntegration(
            self.function,
            proxy=True,
            allow_test_invoke=False,
            timeout=props.lambda_timeout,
            response_transfer_mode=apigateway.ResponseTransferMode.STREAM,
        )
        self.models: dict[str, apigateway.Model] = {}
        for path, method, schema_name, model_name, operation in _ROUTES:
            resource = self._resource(api.root, f"v1/{path}", cors)
            request_models = None
            if schema_name and model_name:
                schema = load_request_schema(
                    schema_name,
                    schema_dir=props.schema_dir,
                    prompt_max_chars=props.max_prompt_chars if schema_name == "generate_request" else None,
                )
                model = api.add_model(
                    model_name,
                    model_name=model_name,
                    content_type="application/json",
                    description=schema.get("description"),
                    schema=to_api_gateway_schema(schema),
                )
                self.models[model_name] = model
                request_models = {"application/json": model}
            resource.add_method(
                method,
                integration,
                operation_name=operation,
                authorization_type=authorization_type,
                authorizer=authorizer,
                api_key_required=props.api_key_required,
                request_validator=validator,
                request_models=request_models,
                request_parameters={"method.request.header.Content-Type": True} if request_models else None,
            )
        if props.auth == "iam":
            for api_method in api.methods:
                if api_method.http_method != "OPTIONS":
                    compliance.acknowledge(api_method, "FrontDoor.iam_authorized_method")

        self._gateway_responses(api, props)
        return api, stage, access_logs, execution_logs

    @staticmethod
    def _resource(root: apigateway.IResource, path: str, cors: apigateway.CorsOptions | None) -> apigateway.IResource:
        """The resource at ``path`` below ``root``, created segment by segment (each with the CORS preflight)."""
        resource = root
        for segment in path.split("/"):
            child = resource.get_resource(segment)
            if child is None:
                child = resource.add_resource(segment, default_cors_preflight_options=cors)
                if cors is not None:
                    compliance.acknowledge(child.node.find_child("OPTIONS"), "FrontDoor.cors_preflight")
            resource = child
        return resource

    def _user_pool(self, props: FrontDoorProps) -> cognito.UserPool:
        pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            password_policy=cognito.PasswordPolicy(
                min_length=14,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=cdk.Duration.days(3),
            ),
            mfa=props.mfa,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=props.removal_policy == cdk.RemovalPolicy.RETAIN,
            removal_policy=props.removal_policy,
        )
        if props.mfa != cognito.Mfa.REQUIRED:
            compliance.acknowledge(pool, "FrontDoor.user_pool_mfa_optional")
        return pool

    def _account_logging_role(self) -> apigateway.CfnAccount:
        """The account's API Gateway CloudWatch Logs role, scoped to execution log groups (no AWS managed policy)."""
        role = ManagedPolicyRole(
            self,
            "ApiGatewayLogsRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="API Gateway (account setting): write REST API execution logs",
        )
        log_groups = (
            f"arn:{cdk.Aws.PARTITION}:logs:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:log-group:API-Gateway-Execution-Logs_*"
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DescribeLogGroups",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                    "logs:GetLogEvents",
                    "logs:FilterLogEvents",
                ],
                resources=[log_groups, f"{log_groups}:log-stream:*"],
            )
        )
        compliance.acknowledge(role, "FrontDoor.api_gateway_logs_role")
        # L1: there is no L2 for the account-level API Gateway settings.
        account = apigateway.CfnAccount(self, "ApiGatewayAccount", cloud_watch_role_arn=role.role_arn)
        account.node.add_dependency(role.policy)
        return account

    @staticmethod
    def _gateway_responses(api: apigateway.RestApi, props: FrontDoorProps) -> None:
        headers = {
            "Cache-Control": "'no-store'",
            "X-Content-Type-Options": "'nosniff'",
            "X-Request-Id": "context.requestId",
        }
        origins = list(props.cors_allowed_origins)
        if len(origins) == 1:
            # A gateway response has static headers: it can name one origin (several need the handler).
            headers["Access-Control-Allow-Origin"] = f"'{origins[0]}'"
            headers["Access-Control-Expose-Headers"] = "'X-Request-Id,Retry-After'"
            if origins[0] != "*":
                headers["Vary"] = "'Origin'"
        for name, code in _GATEWAY_RESPONSES.items():
            kind = _ERROR_TYPES.get(code, "invalid_request_error")
            template = (  # the OpenAI error shape of the chat API
                f'{{"error":{{"message":$context.error.messageString,"type":"{kind}","param":null,'
                f'"code":"{code}","request_id":"$context.requestId"}}}}'
            )
            api.add_gateway_response(
                f"Response{name.title().replace('_', '')}",
                type=getattr(apigateway.ResponseType, name.replace("XX", "_XX")),
                response_headers=headers,
                templates={"application/json": template},
            )

    # ------------------------------------------------------------------ usage plan

    def _usage_plan(self, props: FrontDoorProps) -> tuple[apigateway.UsagePlan, apigateway.IApiKey]:
        plan = self.api.add_usage_plan(
            "UsagePlan",
            description="Per-API-key throttling and daily quota for the LLM front door",
            throttle=apigateway.ThrottleSettings(rate_limit=props.throttle_rate, burst_limit=props.throttle_burst),
            quota=apigateway.QuotaSettings(limit=props.quota_per_day, period=apigateway.Period.DAY),
            api_stages=[apigateway.UsagePlanPerApiStage(api=self.api, stage=self.stage)],
        )
        # The key value is generated by API Gateway (never in the template); read it from the console/CLI.
        key = self.api.add_api_key("DefaultKey", description="Default client key of the LLM front door")
        plan.add_api_key(key)
        return plan, key

    # ------------------------------------------------------------------ WAF

    def _waf(self, props: FrontDoorProps, stack: cdk.Stack) -> tuple[wafv2.CfnWebACL, logs.LogGroup]:
        name = f"{stack.stack_name}-front-door"
        self._web_acl_name = name

        def visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True,
                metric_name=metric,
                sampled_requests_enabled=True,
            )

        def managed(priority: int, group: str, overrides: Sequence[str] = ()) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(
                name=f"AWS-{group}",
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS",
                        name=group,
                        rule_action_overrides=[
                            wafv2.CfnWebACL.RuleActionOverrideProperty(
                                name=rule,
                                action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={}),
                            )
                            for rule in overrides
                        ]
                        or None,
                    )
                ),
                visibility_config=visibility(f"AWS-{group}"),
            )

        # L1: no L2 exists for WAFv2.
        acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=name,
            description="LLM front door: AWS managed protections and a per-IP rate limit",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=visibility(name),
            rules=[
                managed(0, "AWSManagedRulesAmazonIpReputationList"),
                # Prompts are legitimately larger than the 8 KB body limit of SizeRestrictions_BODY:
                # count only; the API Gateway request model enforces the real prompt limit.
                managed(
                    1,
                    "AWSManagedRulesCommonRuleSet",
                    overrides=["SizeRestrictions_BODY"],
                ),
                managed(2, "AWSManagedRulesKnownBadInputsRuleSet"),
                wafv2.CfnWebACL.RuleProperty(
                    name="RateLimitPerIp",
                    priority=3,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            aggregate_key_type="IP",
                            limit=props.waf_rate_limit,
                            evaluation_window_sec=props.waf_rate_window_seconds,
                        )
                    ),
                    visibility_config=visibility("RateLimitPerIp"),
                ),
            ],
        )
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.stage.stage_arn,
            web_acl_arn=acl.attr_arn,
        )

        # WAF requires the "aws-waf-logs-" name prefix and the log group ARN without ":*".
        waf_logs = encrypted_log_group(self, "WafLogs", self.data_lake.key, props, name=f"aws-waf-logs-{name}")
        wafv2.CfnLoggingConfiguration(
            self,
            "WafLogging",
            resource_arn=acl.attr_arn,
            log_destination_configs=[
                stack.format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=waf_logs.log_group_name,
                    arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
            redacted_fields=[
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": header})
                for header in (
                    "authorization",
                    "x-api-key",
                    "x-amz-security-token",
                    "cookie",
                )
            ],
        )
        return acl, waf_logs

    # ------------------------------------------------------------------ metrics

    def metric_lambda_errors(self, **props: Any) -> cloudwatch.Metric:
        """Invocation errors of the front-door function (Sum per 5 min). Handled 4xx/5xx are not errors."""
        return self.function.metric_errors(**{"period": cdk.Duration.minutes(5), **props})

    def metric_lambda_throttles(self, **props: Any) -> cloudwatch.Metric:
        """Throttled invocations (reserved concurrency exhausted), Sum per 5 min."""
        return self.function.metric_throttles(**{"period": cdk.Duration.minutes(5), **props})

    def metric_lambda_duration_p99(self, **props: Any) -> cloudwatch.Metric:
        """p99 function duration (ms); compare with the timeout."""
        return self.function.metric_duration(**{"statistic": "p99", "period": cdk.Duration.minutes(5), **props})

    def metric_api_5xx(self, **props: Any) -> cloudwatch.Metric:
        """5XX answers of the stage (gateway and handler), Sum per 5 min."""
        return self.stage.metric_server_error(**{"statistic": "Sum", "period": cdk.Duration.minutes(5), **props})

    def metric_api_4xx(self, **props: Any) -> cloudwatch.Metric:
        """4XX answers of the stage (auth, validation, throttling, WAF excluded), Sum per 5 min."""
        return self.stage.metric_client_error(**{"statistic": "Sum", "period": cdk.Duration.minutes(5), **props})

    def metric_api_latency_p99(self, **props: Any) -> cloudwatch.Metric:
        """p99 end-to-end latency (ms) seen by API Gateway."""
        return self.stage.metric_latency(**{"statistic": "p99", "period": cdk.Duration.minutes(5), **props})

    def metric_api_count(self, **props: Any) -> cloudwatch.Metric:
        """Requests to the stage, Sum per 5 min."""
        return self.stage.metric_count(**{"statistic": "Sum", "period": cdk.Duration.minutes(5), **props})

    def metric_waf_blocked(self, rule: str = "ALL", **props: Any) -> cloudwatch.Metric:
        """Requests blocked by the web ACL (``rule``: a rule's metric name, or ``ALL``), Sum per 5 min."""
        return cloudwatch.Metric(
            namespace="AWS/WAFV2",
            metric_name="BlockedRequests",
            dimensions_map={
                "WebACL": self._web_acl_name,
                "Rule": rule,
                "Region": cdk.Stack.of(self).region,
            },
            **{"statistic": "Sum", "period": cdk.Duration.minutes(5), **props},
        )

    def metric_interaction_log_failures(self, **props: Any) -> cloudwatch.Metric:
        """Interactions the handler could not store (Powertools EMF ``InteractionLogFailures``), Sum per 5 min."""
        return self.handler_metric(FrontDoorMetric.INTERACTION_LOG_FAILURES, **props)

    def metric_time_to_first_token_p99(self, **props: Any) -> cloudwatch.Metric:
        """p99 time (ms) from the request to the first answer token (chat API ``TimeToFirstToken``)."""
        return self.handler_metric(FrontDoorMetric.TIME_TO_FIRST_TOKEN, **{"statistic": "p99", **props})

    def handler_metric(self, metric_name: str, **props: Any) -> cloudwatch.Metric:
        """Any EMF metric the handler emits (``GenerateRequests``, ``UpstreamThrottled``, ``ModelLatency``, ...)."""
        return cloudwatch.Metric(
            namespace=self.props.metrics_namespace,
            metric_name=metric_name,
            dimensions_map={"service": self.props.service_name},
            **{"statistic": "Sum", "period": cdk.Duration.minutes(5), **props},
        )

    def alarm_metrics(self) -> Mapping[str, cloudwatch.IMetric]:
        """The front door's health metrics by name, for the monitoring construct."""
        return {
            "LambdaErrors": self.metric_lambda_errors(),
            "LambdaThrottles": self.metric_lambda_throttles(),
            "LambdaDurationP99": self.metric_lambda_duration_p99(),
            "Api5xx": self.metric_api_5xx(),
            "Api4xx": self.metric_api_4xx(),
            "ApiLatencyP99": self.metric_api_latency_p99(),
            "WafBlocked": self.metric_waf_blocked(),
            "InteractionLogFailures": self.metric_interaction_log_failures(),
        }


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
