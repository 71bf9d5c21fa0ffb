"""ModelEndpoint: a SageMaker real-time endpoint for the pipeline's LLM (GPU or Inferentia2).

Only L1 resources exist for SageMaker hosting in aws-cdk-lib (``CfnModel``, ``CfnEndpointConfig``,
``CfnEndpoint``, ``CfnInferenceComponent``). The alpha L2 (``aws-cdk.aws-sagemaker-alpha``) is not
used: it cannot express deployment guardrails, inference components, managed instance scaling or
``ModelDataSource`` (uncompressed artifacts), and an alpha dependency would pin the whole library
to its release train. Everything else is L2 (IAM, logs, alarms, Application Auto Scaling).

Three shapes, one construct:

* **instances** (default): model + endpoint config with ``instance_count`` instances, blue/green
  deployments (canary / linear / all-at-once) rolled back on the latency and 5xx alarms, target
  tracking on ``SageMakerVariantInvocationsPerInstance``;
* **scale_to_zero**: the model runs as an *inference component* on an endpoint with managed
  instance scaling ``MinInstanceCount: 0``; copies scale in to 0 when idle, and an alarm on
  ``NoCapacityInvocationFailures`` drives a step policy that scales out from zero;
* **serverless**: a serverless variant (no GPU: small CPU models with a custom image only).

Usage::

    endpoint = ModelEndpoint(self, "Endpoint", data_lake=lake,
                             props=ModelEndpointProps(endpoint_name="my-llm", model_package_arn="grp/3"))
    endpoint.grant_invoke(fn)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from pipeline_contract import NO_MODEL, FrontDoorEnv
from pipeline_stacks import compliance, validation
from pipeline_stacks.constructs.backend import backend_metric
from pipeline_stacks.constructs.data_lake import DataLake
from pipeline_stacks.iam import ManagedPolicyRole, vpc_network_interface_statement
from pipeline_stacks.images import (
    accelerator_family,
    instance_family,
    neuron_region_rule,
    serving_image_uri,
)

VARIANT_NAME = "AllTraffic"
#: Front-door variable carrying the live package ARN, or ``NO_MODEL`` (no model deployed yet: 503 no_model_deployed).
LIVE_MODEL_ENV = FrontDoorEnv.LIVE_MODEL_PACKAGE_ARN
DATA_CAPTURE_PREFIX = "data-capture"
#: Where the model artifacts land in the container; LMI and TGI load a local path from here.
MODEL_DIR = "/opt/ml/model"

_SIZE_DEVICES = {
    "xlarge": 1,
    "2xlarge": 1,
    "4xlarge": 1,
    "8xlarge": 1,
    "16xlarge": 1,
    "12xlarge": 4,
    "24xlarge": 4,
    "48xlarge": 8,
}
_FIXED_DEVICES = {"ml.p4d.24xlarge": 8, "ml.p5.48xlarge": 8}
#: NeuronCores per Inferentia2 instance (2 per Inferentia2 chip).
_INF2_CORES = {"xlarge": 2, "8xlarge": 2, "24xlarge": 12, "48xlarge": 24}
#: Families whose instances carry local NVMe instance storage: SageMaker encrypts it in hardware and
#: refuses a ``KmsKeyId`` on the endpoint config (CreateEndpointConfig fails if one is given).
NVME_FAMILIES = frozenset({"g4dn", "g5", "g6", "g6e", "p4d", "p4de", "p5", "p5e", "p5en", "p6"})


def accelerator_devices(instance_type: str) -> int:
    """GPUs (or NeuronCores for ml.inf2.*) of a serving instance type: the default tensor-parallel degree."""
    if instance_type in _FIXED_DEVICES:
        return _FIXED_DEVICES[instance_type]
    size = instance_type.rsplit(".", 1)[-1]
    family = instance_family(instance_type)
    if family == "inf2":
        return _INF2_CORES[size]
    if accelerator_family(instance_type) == "gpu":
        return _SIZE_DEVICES.get(size, 1)
    return 0


def supports_volume_kms_key(instance_type: str) -> bool:
    """False for instance types with local NVMe storage (hardware-encrypted; ``KmsKeyId`` is rejected)."""
    return instance_family(instance_type) not in NVME_FAMILIES


@dataclass(frozen=True, kw_only=True)
class DeploymentGuardrails:
    """Blue/green traffic shifting for endpoint updates, rolled back by the construct's alarms.

    ``strategy``: ``canary`` (``step_percent`` of capacity first, then the rest), ``linear``
    (``step_percent`` at a time) or ``all_at_once``; ``wait_seconds`` bakes after each shift.
    """

    strategy: Literal["canary", "linear", "all_at_once"] = "canary"
    step_percent: int = 10
    wait_seconds: int = 600
    rollback_latency_p99_ms: int = 20000
    rollback_5xx_per_minute: int = 5

    def __post_init__(self) -> None:
        if not 1 <= self.step_percent <= 50:
            raise ValueError(f"DeploymentGuardrails.step_percent={self.step_percent}; allowed: 1-50")
        if not 0 <= self.wait_seconds <= 3600:
            raise ValueError(f"DeploymentGuardrails.wait_seconds={self.wait_seconds}; allowed: 0-3600")


@dataclass(frozen=True, kw_only=True)
class ServerlessSettings:
    """A serverless variant instead of instances. No GPU/Inferentia: small CPU models only."""

    memory_mb: int = 4096
    max_concurrency: int = 5

    def __post_init__(self) -> None:
        if self.memory_mb not in (1024, 2048, 3072, 4096, 5120, 6144):
            raise ValueError(f"ServerlessSettings.memory_mb={self.memory_mb}; allowed: 1024-6144 in 1024 steps")


@dataclass(frozen=True, kw_only=True)
class ModelEndpointProps:
    """Properties of :class:`ModelEndpoint`.

    Model source, exactly one: ``model_package_arn`` (a versioned model package ARN, or
    ``GROUP/VERSION`` in this stack's account and region) or ``model_data_prefix`` in the lake's
    artifacts bucket (``models/NAME/model.tar.gz`` compressed, or ``models/NAME/`` uncompressed).
    The container is the pinned LMI/TGI image for the instance's accelerator family unless
    ``image_uri`` is given.
    """

    endpoint_name: str
    model_package_arn: str | None = None
    model_data_prefix: str | None = None
    instance_type: str = "ml.g5.2xlarge"
    server: Literal["lmi", "tgi"] = "lmi"
    image_uri: str | None = None
    tensor_parallel_degree: int | None = None
    max_sequence_length: int = 4096
    max_batch_size: int = 8
    extra_environment: Mapping[str, str] = field(default_factory=dict)
    network_isolation: bool = True
    vpc_subnet_ids: tuple[str, ...] = ()
    vpc_security_group_ids: tuple[str, ...] = ()
    initial_instance_count: int = 1
    min_instance_count: int = 1
    max_instance_count: int = 2
    target_invocations_per_instance: int = 20
    data_capture_percent: int = 0  # raw payloads: off unless asked for (nothing unredacted persisted by default)
    deployment: DeploymentGuardrails = field(default_factory=DeploymentGuardrails)
    scale_to_zero: bool = False
    serverless: ServerlessSettings | None = None
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9](?:-*[a-z0-9]){0,62}", self.endpoint_name):
            raise ValueError(
                f"ModelEndpointProps.endpoint_name={self.endpoint_name!r}; "
                "allowed: lowercase letters, digits, '-', <= 63"
            )
        if (self.model_package_arn is None) == (self.model_data_prefix is None):
            raise ValueError("ModelEndpointProps: set exactly one of model_package_arn / model_data_prefix")
        if self.model_data_prefix is not None and not (
            self.model_data_prefix.endswith("/") or self.model_data_prefix.endswith(".tar.gz")
        ):
            raise ValueError(
                f"ModelEndpointProps.model_data_prefix={self.model_data_prefix!r}; allowed: "
                "'models/NAME/' (uncompressed) or 'models/NAME/model.tar.gz'"
            )
        if not 1 <= self.min_instance_count <= self.max_instance_count:
            raise ValueError(
                f"ModelEndpointProps: need 1 <= min_instance_count ({self.min_instance_count}) <= "
                f"max_instance_count ({self.max_instance_count})"
            )
        if not 0 <= self.data_capture_percent <= 100:
            raise ValueError(f"ModelEndpointProps.data_capture_percent={self.data_capture_percent}; allowed: 0-100")
        if self.scale_to_zero and self.serverless is not None:
            raise ValueError("ModelEndpointProps: scale_to_zero and serverless are alternatives")
        if self.serverless is not None and self.image_uri is None:
            raise ValueError("ModelEndpointProps.serverless needs image_uri (serverless has no GPU: a CPU image)")
        validation.check_vpc_pair(
            self.vpc_subnet_ids,
            self.vpc_security_group_ids,
            where="ModelEndpointProps.vpc_subnet_ids and vpc_security_group_ids",
        )

    @property
    def mode(self) -> Literal["instances", "scale_to_zero", "serverless"]:
        if self.serverless is not None:
            return "serverless"
        return "scale_to_zero" if self.scale_to_zero else "instances"

    @property
    def model_version(self) -> str:
        """Label reported with every answer: ``GROUP/VERSION`` of the package, or the data prefix."""
        if self.model_package_arn is not None:
            return self.model_package_arn.split("model-package/", 1)[-1]
        return str(self.model_data_prefix).removeprefix("models/").removesuffix("/model.tar.gz").rstrip("/")


class ModelEndpoint(Construct):
    """A SageMaker endpoint serving the LLM; implements :class:`~pipeline_stacks.constructs.backend.InferenceBackend`.

    Attributes: ``role`` (execution role), ``model``, ``endpoint_config``, ``endpoint``,
    ``inference_component`` (scale_to_zero only), ``log_group``, ``latency_alarm`` and
    ``errors_5xx_alarm`` (the rollback triggers), ``scalable_target`` (None for serverless),
    ``scale_out_from_zero_alarm`` (scale_to_zero only), ``image_uri``, ``region_rule`` (env-agnostic
    Inferentia2 only). Hooks for monitoring: :meth:`alarm_metrics`, :meth:`metric`,
    :meth:`deployment_event_pattern`, :meth:`failure_event_pattern`.
    """

    backend_name = "sagemaker"

    def __init__(self, scope: Construct, construct_id: str, *, data_lake: DataLake, props: ModelEndpointProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.data_lake = data_lake
        stack = cdk.Stack.of(self)
        region = None if cdk.Token.is_unresolved(stack.region) else stack.region
        self.endpoint_name = props.endpoint_name
        self.inference_component_name: str | None = (
            f"{props.endpoint_name}-ic" if props.mode == "scale_to_zero" else None
        )

        self.image_uri = props.image_uri or serving_image_uri(self, props.instance_type, region, server=props.server)
        self.accelerator = "cpu" if props.mode == "serverless" else accelerator_family(props.instance_type)
        #: Env-agnostic synth on Inferentia2: fail the change set early, with a clear message, outside inf2 regions.
        self.region_rule: cdk.CfnRule | None = None
        if region is None and self.accelerator == "neuron":
            self.region_rule = neuron_region_rule(
                self,
                "Inferentia2Region",
                instance_type=props.instance_type,
                config_key="serving.instance_type",
                family="Inferentia2",
            )

        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/sagemaker/Endpoints/{props.endpoint_name}",
            encryption_key=data_lake.key,
            retention=props.log_retention,
        )
        self.role = ManagedPolicyRole(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"SageMaker execution role of endpoint {props.endpoint_name}",
        )
        self._grant_execution(stack)

        self.model = self._model(stack)
        self.latency_alarm, self.errors_5xx_alarm = self._rollback_alarms()
        self.endpoint_config = self._endpoint_config()
        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=props.endpoint_name,
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
            deployment_config=None if props.mode == "scale_to_zero" else self._deployment_config(),
        )
        self.inference_component: sagemaker.CfnInferenceComponent | None = None
        if props.mode == "scale_to_zero":
            self.inference_component = self._inference_component()
        self.scalable_target: appscaling.ScalableTarget | None = None
        self.scale_out_from_zero_alarm: cloudwatch.Alarm | None = None
        if props.mode == "instances":
            self.scalable_target = self._instance_autoscaling()
        elif props.mode == "scale_to_zero":
            self.scalable_target = self._copy_autoscaling()
        #: Deploy-time "is a model live?" when the package ARN is a token (the live-model SSM parameter, see
        #: constructs/promotion.py): until the first promotion it reads ``none`` and no SageMaker resource is created.
        self.has_model: cdk.CfnCondition | None = None
        if props.model_package_arn is not None and cdk.Token.is_unresolved(props.model_package_arn):
            self._condition_on_live_model(props.model_package_arn)

    # ------------------------------------------------------------------ InferenceBackend

    @property
    def environment(self) -> Mapping[str, str]:
        """Front-door Lambda variables: ``BACKEND``, ``ENDPOINT_NAME``, ``MODEL_VERSION``
        (+ ``INFERENCE_COMPONENT_NAME``; + ``LIVE_MODEL_PACKAGE_ARN`` = the live package ARN, or ``none``, when the
        model comes from the live-model parameter: ``none`` means no model is deployed yet, answer 503
        ``no_model_deployed``)."""
        env = {"BACKEND": "sagemaker", "ENDPOINT_NAME": self.endpoint_name, "MODEL_VERSION": self.props.model_version}
        if self.inference_component_name:
            env["INFERENCE_COMPONENT_NAME"] = self.inference_component_name
        if self.has_model is not None:
            env[LIVE_MODEL_ENV] = str(self.props.model_package_arn)
        return env

    @property
    def endpoint_arn(self) -> str:
        if self.has_model is not None:  # the endpoint may not exist (no model yet): its ARN by name
            return cdk.Stack.of(self).format_arn(
                service="sagemaker", resource="endpoint", resource_name=self.endpoint_name
            )
        return self.endpoint.attr_endpoint_arn

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """``sagemaker:InvokeEndpoint`` on exactly this endpoint (and its inference component)."""
        resources = [self.endpoint_arn]
        if self.inference_component is not None:
            resources.append(
                cdk.Stack.of(self).format_arn(
                    service="sagemaker",
                    resource="inference-component",
                    resource_name=str(self.inference_component_name),
                )
                if self.has_model is not None
                else self.inference_component.attr_inference_component_arn
            )
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["sagemaker:InvokeEndpoint"], resource_arns=resources
        )

    def alarm_metrics(self) -> Mapping[str, cloudwatch.IMetric]:
        """Health metrics: ``ModelLatencyP99``, ``Invocation5XXErrors``, ``Invocation4XXErrors``,
        ``CPUUtilization`` and ``GPUMemoryUtilization`` (GPU instances) / ``MemoryUtilization``."""
        out: dict[str, cloudwatch.IMetric] = {
            "ModelLatencyP99": self.metric_model_latency(),
            "Invocation5XXErrors": self.metric_invocation_5xx_errors(),
            "Invocation4XXErrors": self.metric("Invocation4XXErrors", statistic="Sum"),
            "CPUUtilization": self.metric_utilization("CPUUtilization"),
        }
        if self.accelerator == "gpu":
            out["GPUMemoryUtilization"] = self.metric_utilization("GPUMemoryUtilization")
        elif self.props.mode != "serverless":
            out["MemoryUtilization"] = self.metric_utilization("MemoryUtilization")
        return out

    # ------------------------------------------------------------------ events

    def deployment_event_pattern(self) -> events.EventPattern:
        """EventBridge pattern for this endpoint's blue/green deployment state changes (incl. rollbacks)."""
        return events.EventPattern(
            source=["aws.sagemaker"],
            detail_type=["SageMaker Endpoint Deployment State Change"],
            detail={"EndpointName": [self.endpoint_name]},
        )

    def failure_event_pattern(self) -> events.EventPattern:
        """EventBridge pattern matching this endpoint entering ``FAILED``."""
        return events.EventPattern(
            source=["aws.sagemaker"],
            detail_type=["SageMaker Endpoint State Change"],
            detail={"EndpointName": [self.endpoint_name], "EndpointStatus": ["FAILED"]},
        )

    # ------------------------------------------------------------------ metrics

    def _dimensions(self) -> dict[str, str]:
        if self.inference_component_name:
            return {"InferenceComponentName": self.inference_component_name}
        return {"EndpointName": self.endpoint_name, "VariantName": VARIANT_NAME}

    def metric(
        self, metric_name: str, *, statistic: str = "Average", period: cdk.Duration | None = None
    ) -> cloudwatch.Metric:
        """An ``AWS/SageMaker`` invocation metric of this endpoint (or its inference component)."""
        return backend_metric("AWS/SageMaker", metric_name, self._dimensions(), statistic=statistic, period=period)

    def metric_model_latency(self, statistic: str = "p99") -> cloudwatch.Metric:
        """``ModelLatency`` (microseconds), p99 by default."""
        return self.metric("ModelLatency", statistic=statistic)

    def metric_invocation_5xx_errors(self) -> cloudwatch.Metric:
        """``Invocation5XXErrors`` per minute (Sum)."""
        return self.metric("Invocation5XXErrors", statistic="Sum")

    def metric_utilization(self, metric_name: str) -> cloudwatch.Metric:
        """Instance utilisation (``CPUUtilization``, ``GPUMemoryUtilization``, ...), Average per minute."""
        namespace = (
            "/aws/sagemaker/InferenceComponents" if self.inference_component_name else "/aws/sagemaker/Endpoints"
        )
        return cloudwatch.Metric(
            namespace=namespace,
            metric_name=metric_name,
            dimensions_map=self._dimensions(),
            statistic="Average",
            period=cdk.Duration.minutes(1),
        )

    def _condition_on_live_model(self, package_arn: str) -> None:
        """Create the SageMaker model, config, endpoint (and their scaling) only when a model is live."""
        self.has_model = cdk.CfnCondition(
            self,
            "HasModel",
            expression=cdk.Fn.condition_not(cdk.Fn.condition_equals(package_arn, NO_MODEL)),
        )
        conditioned = (
            "AWS::SageMaker::Model",
            "AWS::SageMaker::EndpointConfig",
            "AWS::SageMaker::Endpoint",
            "AWS::SageMaker::InferenceComponent",
            "AWS::ApplicationAutoScaling::ScalableTarget",
            "AWS::ApplicationAutoScaling::ScalingPolicy",
        )
        for child in self.node.find_all():
            if isinstance(child, cdk.CfnResource) and child.cfn_resource_type in conditioned:
                child.cfn_options.condition = self.has_model
        if self.scale_out_from_zero_alarm is not None:  # its action is a (conditioned) scaling policy
            alarm = self.scale_out_from_zero_alarm.node.default_child
            assert isinstance(alarm, cdk.CfnResource)
            alarm.cfn_options.condition = self.has_model

    # ------------------------------------------------------------------ model

    def _grant_execution(self, stack: cdk.Stack) -> None:
        props, lake = self.props, self.data_lake
        if props.model_data_prefix is not None:
            prefix = props.model_data_prefix.removesuffix("model.tar.gz").rstrip("/")
        else:  # the registry's packages point at model artifacts under models/
            prefix = DataLake.MODELS_PREFIX.rstrip("/")
        lake.grant_read_artifacts(self.role, prefix=prefix)
        if props.data_capture_percent and props.mode == "instances":
            lake.grant_write_interactions(self.role, prefix=DATA_CAPTURE_PREFIX)
        self.log_group.grant_write(self.role)
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="PullServingImage",
                actions=["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                resources=[_ecr_repository_arn(self.image_uri)],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="NoResourceLevelPermissions",
                actions=["ecr:GetAuthorizationToken"],
                resources=["*"],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="PublishEndpointMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "AWS/SageMaker"]}},
            )
        )
        if props.vpc_subnet_ids:
            self.role.add_to_principal_policy(vpc_network_interface_statement("ModelInVpc"))
        compliance.acknowledge(self.role, "ModelEndpoint.execution_role_actions")
        compliance.acknowledge(self.role, "ModelEndpoint.execution_role_service")
        compliance.acknowledge_objects(
            self.role, "ModelEndpoint.execution_role_objects", lake.artifacts_bucket, [prefix]
        )
        if props.data_capture_percent and props.mode == "instances":
            compliance.acknowledge_objects(
                self.role, "ModelEndpoint.execution_role_objects", lake.interactions_bucket, [DATA_CAPTURE_PREFIX]
            )

    def container_environment(self) -> dict[str, str]:
        """Serving-container variables for the accelerator family and server (LMI / TGI, GPU / Neuron)."""
        p = self.props
        tp = p.tensor_parallel_degree or accelerator_devices(p.instance_type) or 1
        env: dict[str, str] = {"HF_MODEL_ID": MODEL_DIR, "HF_HUB_OFFLINE": "1"}
        if p.image_uri is not None and p.mode == "serverless":
            pass
        elif self.accelerator == "neuron" and p.server == "lmi":
            env |= {
                "OPTION_ENTRYPOINT": "djl_python.transformers_neuronx",
                "OPTION_ROLLING_BATCH": "auto",
                "OPTION_TENSOR_PARALLEL_DEGREE": str(tp),
                "OPTION_N_POSITIONS": str(p.max_sequence_length),
                "OPTION_MAX_ROLLING_BATCH_SIZE": str(p.max_batch_size),
                "OPTION_DTYPE": "fp16",
                "OPTION_NEURON_OPTIMIZE_LEVEL": "2",
                "OPTION_MODEL_LOADING_TIMEOUT": "3600",
                "NEURON_CC_FLAGS": "--model-type=transformer",
            }
        elif self.accelerator == "neuron":  # TGI on optimum-neuron
            env |= {
                "HF_NUM_CORES": str(tp),
                "HF_AUTO_CAST_TYPE": "bf16",
                "MAX_BATCH_SIZE": str(p.max_batch_size),
                "MAX_INPUT_TOKENS": str(p.max_sequence_length * 3 // 4),
                "MAX_TOTAL_TOKENS": str(p.max_sequence_length),
            }
        elif p.server == "lmi":
            env |= {
                "OPTION_ROLLING_BATCH": "vllm",
                "OPTION_TENSOR_PARALLEL_DEGREE": str(tp),
                "OPTION_MAX_MODEL_LEN": str(p.max_sequence_length),
                "OPTION_MAX_ROLLING_BATCH_SIZE": str(p.max_batch_size),
            }
        else:  # TGI on GPU
            env |= {
                "SM_NUM_GPUS": str(tp),
                "MAX_INPUT_TOKENS": str(p.max_sequence_length * 3 // 4),
                "MAX_TOTAL_TOKENS": str(p.max_sequence_length),
                "MAX_BATCH_SIZE": str(p.max_batch_size),
            }
        return env | dict(p.extra_environment)

    def _model(self, stack: cdk.Stack) -> sagemaker.CfnModel:
        p = self.props
        env = self.container_environment()
        if p.model_package_arn is not None:
            package = p.model_package_arn
            # A deploy-time token (e.g. the live-model SSM parameter, promotion.live_model_package_arn) is a full ARN.
            if not cdk.Token.is_unresolved(package) and not package.startswith("arn:"):
                package = stack.format_arn(service="sagemaker", resource="model-package", resource_name=package)
            container = sagemaker.CfnModel.ContainerDefinitionProperty(model_package_name=package, environment=env)
        else:
            bucket = self.data_lake.artifacts_bucket.bucket_name
            uri = f"s3://{bucket}/{p.model_data_prefix}"
            if str(p.model_data_prefix).endswith(".tar.gz"):
                container = sagemaker.CfnModel.ContainerDefinitionProperty(
                    image=self.image_uri, model_data_url=uri, environment=env
                )
            else:  # uncompressed: SageMaker copies the prefix as-is, no tar extraction (much faster for LLMs)
                container = sagemaker.CfnModel.ContainerDefinitionProperty(
                    image=self.image_uri,
                    environment=env,
                    model_data_source=sagemaker.CfnModel.ModelDataSourceProperty(
                        s3_data_source=sagemaker.CfnModel.S3DataSourceProperty(
                            s3_uri=uri, s3_data_type="S3Prefix", compression_type="None"
                        )
                    ),
                )
        vpc = (
            sagemaker.CfnModel.VpcConfigProperty(
                subnets=list(p.vpc_subnet_ids), security_group_ids=list(p.vpc_security_group_ids)
            )
            if p.vpc_subnet_ids
            else None
        )
        model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=self.role.role_arn,
            primary_container=container,
            # serverless endpoints reject network isolation
            enable_network_isolation=p.network_isolation and p.mode != "serverless",
            vpc_config=vpc,
        )
        model.node.add_dependency(self.role.policy)
        return model

    # ------------------------------------------------------------------ endpoint config

    def _endpoint_config(self) -> sagemaker.CfnEndpointConfig:
        p = self.props
        key_arn = self.data_lake.key.key_arn
        routing = sagemaker.CfnEndpointConfig.RoutingConfigProperty(routing_strategy="LEAST_OUTSTANDING_REQUESTS")
        slow_start = 3600 if self.accelerator == "neuron" else 1200  # Neuron compiles on first load
        volume_key = key_arn if p.mode == "serverless" or supports_volume_kms_key(p.instance_type) else None
        capture = None
        if p.mode == "serverless":
            variant = sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                variant_name=VARIANT_NAME,
                model_name=self.model.attr_model_name,
                serverless_config=sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
                    memory_size_in_mb=p.serverless.memory_mb,  # type: ignore[union-attr]
                    max_concurrency=p.serverless.max_concurrency,  # type: ignore[union-attr]
                ),
            )
        elif p.mode == "scale_to_zero":
            variant = sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                variant_name=VARIANT_NAME,
                instance_type=p.instance_type,
                initial_instance_count=1,
                managed_instance_scaling=sagemaker.CfnEndpointConfig.ManagedInstanceScalingProperty(
                    status="ENABLED", min_instance_count=0, max_instance_count=p.max_instance_count
                ),
                routing_config=routing,
                container_startup_health_check_timeout_in_seconds=slow_start,
                model_data_download_timeout_in_seconds=slow_start,
            )
        else:
            variant = sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                variant_name=VARIANT_NAME,
                model_name=self.model.attr_model_name,
                instance_type=p.instance_type,
                initial_instance_count=p.initial_instance_count,
                routing_config=routing,
                container_startup_health_check_timeout_in_seconds=slow_start,
                model_data_download_timeout_in_seconds=slow_start,
            )
            if p.data_capture_percent:
                capture = sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
                    enable_capture=True,
                    initial_sampling_percentage=p.data_capture_percent,
                    destination_s3_uri=f"s3://{self.data_lake.interactions_bucket.bucket_name}/{DATA_CAPTURE_PREFIX}",
                    kms_key_id=key_arn,
                    capture_options=[
                        sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Input"),
                        sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Output"),
                    ],
                    capture_content_type_header=sagemaker.CfnEndpointConfig.CaptureContentTypeHeaderProperty(
                        json_content_types=["application/json"]
                    ),
                )
        config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            production_variants=[variant],
            kms_key_id=volume_key,
            data_capture_config=capture,
            execution_role_arn=self.role.role_arn if p.mode == "scale_to_zero" else None,
        )
        if volume_key is None:
            compliance.acknowledge(config, "ModelEndpoint.nvme_instance_storage")
        return config

    def _deployment_config(self) -> sagemaker.CfnEndpoint.DeploymentConfigProperty:
        d = self.props.deployment
        size = sagemaker.CfnEndpoint.CapacitySizeProperty(type="CAPACITY_PERCENT", value=d.step_percent)
        routing = sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(
            type={"canary": "CANARY", "linear": "LINEAR", "all_at_once": "ALL_AT_ONCE"}[d.strategy],
            canary_size=size if d.strategy == "canary" else None,
            linear_step_size=size if d.strategy == "linear" else None,
            wait_interval_in_seconds=d.wait_seconds if d.strategy != "all_at_once" else None,
        )
        return sagemaker.CfnEndpoint.DeploymentConfigProperty(
            blue_green_update_policy=sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty(
                traffic_routing_configuration=routing,
                termination_wait_in_seconds=d.wait_seconds,
            ),
            auto_rollback_configuration=sagemaker.CfnEndpoint.AutoRollbackConfigProperty(
                alarms=[
                    sagemaker.CfnEndpoint.AlarmProperty(alarm_name=self.latency_alarm.alarm_name),
                    sagemaker.CfnEndpoint.AlarmProperty(alarm_name=self.errors_5xx_alarm.alarm_name),
                ]
            ),
        )

    def _rollback_alarms(self) -> tuple[cloudwatch.Alarm, cloudwatch.Alarm]:
        d = self.props.deployment

        def rollback_alarm(construct_id: str, name: str, description: str, **kwargs: Any) -> cloudwatch.Alarm:
            """``{endpoint}-{name}``: 2 breaching datapoints roll a deployment back; no data (no traffic) is fine."""
            alarm = cloudwatch.Alarm(
                self,
                construct_id,
                alarm_name=f"{self.endpoint_name}-{name}",
                alarm_description=f"{description}: rolls back a deployment",
                datapoints_to_alarm=2,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                **kwargs,
            )
            compliance.acknowledge(alarm, "ModelEndpoint.rollback_alarm")
            return alarm

        latency = rollback_alarm(
            "LatencyAlarm",
            "model-latency-p99",
            f"p99 ModelLatency above {d.rollback_latency_p99_ms} ms",
            metric=self.metric_model_latency(),
            threshold=d.rollback_latency_p99_ms * 1000,  # ModelLatency is in microseconds
            evaluation_periods=3,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )
        errors = rollback_alarm(
            "Errors5xxAlarm",
            "invocation-5xx",
            f"At least {d.rollback_5xx_per_minute} 5xx per minute",
            metric=self.metric_invocation_5xx_errors(),
            threshold=d.rollback_5xx_per_minute,
            evaluation_periods=2,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        )
        return latency, errors

    # ------------------------------------------------------------------ scale to zero

    def _inference_component(self) -> sagemaker.CfnInferenceComponent:
        p = self.props
        tp = p.tensor_parallel_degree or accelerator_devices(p.instance_type) or 1
        d = p.deployment
        ic = sagemaker.CfnInferenceComponent(
            self,
            "InferenceComponent",
            inference_component_name=self.inference_component_name,
            endpoint_name=self.endpoint.attr_endpoint_name,
            variant_name=VARIANT_NAME,
            specification=sagemaker.CfnInferenceComponent.InferenceComponentSpecificationProperty(
                model_name=self.model.attr_model_name,
                compute_resource_requirements=sagemaker.CfnInferenceComponent.InferenceComponentComputeResourceRequirementsProperty(
                    number_of_accelerator_devices_required=tp, min_memory_required_in_mb=1024
                ),
            ),
            runtime_config=sagemaker.CfnInferenceComponent.InferenceComponentRuntimeConfigProperty(copy_count=1),
            deployment_config=sagemaker.CfnInferenceComponent.InferenceComponentDeploymentConfigProperty(
                rolling_update_policy=sagemaker.CfnInferenceComponent.InferenceComponentRollingUpdatePolicyProperty(
                    maximum_batch_size=sagemaker.CfnInferenceComponent.InferenceComponentCapacitySizeProperty(
                        type="COPY_COUNT", value=1
                    ),
                    wait_interval_in_seconds=d.wait_seconds,
                ),
                auto_rollback_configuration=sagemaker.CfnInferenceComponent.AutoRollbackConfigurationProperty(
                    alarms=[
                        sagemaker.CfnInferenceComponent.AlarmProperty(alarm_name=self.latency_alarm.alarm_name),
                        sagemaker.CfnInferenceComponent.AlarmProperty(alarm_name=self.errors_5xx_alarm.alarm_name),
                    ]
                ),
            ),
        )
        return ic

    def _autoscaling_role(self) -> iam.IRole:
        """Application Auto Scaling acts through its SageMaker service-linked role (no role to create)."""
        arn = cdk.Stack.of(self).format_arn(
            service="iam",
            region="",
            resource="role",
            resource_name="aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
            "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
        )
        return iam.Role.from_role_arn(self, "AutoScalingRole", arn, mutable=False)

    def _copy_autoscaling(self) -> appscaling.ScalableTarget:
        assert self.inference_component is not None
        target = self._scalable_target(
            f"inference-component/{self.inference_component_name}",
            "sagemaker:inference-component:DesiredCopyCount",
            min_capacity=0,
            scales=self.inference_component,
            policy_id="InvocationsPerCopy",
            metric=appscaling.PredefinedMetric.SAGEMAKER_INFERENCE_COMPONENT_INVOCATIONS_PER_COPY,
            scale_out_cooldown=cdk.Duration.minutes(2),
        )
        # At zero copies nothing emits invocation metrics: a request that found no capacity is the signal.
        step = appscaling.StepScalingAction(
            self,
            "ScaleOutFromZero",
            scaling_target=target,
            adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
            metric_aggregation_type=appscaling.MetricAggregationType.MAXIMUM,
            cooldown=cdk.Duration.minutes(1),
        )
        step.add_adjustment(adjustment=1, lower_bound=0)
        self.scale_out_from_zero_alarm = cloudwatch.Alarm(
            self,
            "NoCapacityAlarm",
            alarm_name=f"{self.endpoint_name}-scale-out-from-zero",
            alarm_description="A request found no model copy: scale the inference component out from zero",
            metric=self.metric("NoCapacityInvocationFailures", statistic="Maximum"),
            threshold=1,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.MISSING,
        )
        self.scale_out_from_zero_alarm.add_alarm_action(cw_actions.ApplicationScalingAction(step))
        return target

    def _instance_autoscaling(self) -> appscaling.ScalableTarget:
        return self._scalable_target(
            f"endpoint/{self.endpoint_name}/variant/{VARIANT_NAME}",
            "sagemaker:variant:DesiredInstanceCount",
            min_capacity=self.props.min_instance_count,
            scales=self.endpoint,
            policy_id="InvocationsPerInstance",
            metric=appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
            scale_out_cooldown=cdk.Duration.minutes(3),
        )

    def _scalable_target(
        self,
        resource_id: str,
        dimension: str,
        *,
        min_capacity: int,
        scales: Construct,
        policy_id: str,
        metric: appscaling.PredefinedMetric,
        scale_out_cooldown: cdk.Duration,
    ) -> appscaling.ScalableTarget:
        """The scalable target of ``resource_id`` (created after ``scales``), between ``min_capacity`` and
        ``max_instance_count``, with a target-tracking policy ``policy_id`` holding the predefined ``metric`` at
        ``target_invocations_per_instance``; scale-in waits 10 minutes."""
        target = appscaling.ScalableTarget(
            self,
            "ScalableTarget",
            role=self._autoscaling_role(),
            service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
            resource_id=resource_id,
            scalable_dimension=dimension,
            min_capacity=min_capacity,
            max_capacity=self.props.max_instance_count,
        )
        target.node.add_dependency(scales)
        target.scale_to_track_metric(
            policy_id,
            target_value=self.props.target_invocations_per_instance,
            predefined_metric=metric,
            scale_in_cooldown=cdk.Duration.minutes(10),
            scale_out_cooldown=scale_out_cooldown,
        )
        return target


def _ecr_repository_arn(image_uri: str) -> str:
    """``ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG`` -> the repository ARN (works on tokens too)."""
    if not cdk.Token.is_unresolved(image_uri):
        host, path = image_uri.split("/", 1)
        account, _, _, region = host.split(".")[:4]
        repo = re.split(r"[:@]", path, maxsplit=1)[0]
        return f"arn:{cdk.Aws.PARTITION}:ecr:{region}:{account}:repository/{repo}"
    account = cdk.Fn.select(0, cdk.Fn.split(".", image_uri))
    region = cdk.Fn.select(3, cdk.Fn.split(".", image_uri))
    repo = cdk.Fn.select(0, cdk.Fn.split(":", cdk.Fn.select(1, cdk.Fn.split("/", image_uri))))
    return cdk.Fn.join("", ["arn:", cdk.Aws.PARTITION, ":ecr:", region, ":", account, ":repository/", repo])
