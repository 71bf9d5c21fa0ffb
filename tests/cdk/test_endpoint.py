"""Serving backends: SageMaker ModelEndpoint (GPU / Inferentia2 / scale-to-zero / serverless) and BedrockModel.

App-level assertions use the session synths: ``prod`` (SageMaker on ml.g5.2xlarge, us-east-1, model
package, canary), ``serving_variant`` (ml.inf2.xlarge, scale-to-zero, env-agnostic) and ``dev``
(Bedrock + guardrail). Shapes that need no compliance run are synthesized as small standalone stacks.
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from pipeline_stacks.config import ConfigError, load_config
from pipeline_stacks.constructs import (
    BedrockModel,
    BedrockModelProps,
    DataLake,
    DeploymentGuardrails,
    InferenceBackend,
    ModelEndpoint,
    ModelEndpointProps,
    ServerlessSettings,
)
from pipeline_stacks.constructs.endpoint import (
    accelerator_devices,
    supports_volume_kms_key,
)
from tests.cdk.support import SynthResult, cdk_json_context

# --------------------------------------------------------------------------- helpers


def _one(template: Template, type_: str) -> dict[str, Any]:
    resources = template.find_resources(type_)
    assert len(resources) == 1, list(resources)
    return next(iter(resources.values()))


def _standalone(
    region: str | None = "us-east-1", *, caller: bool = False, **props: Any
) -> tuple[ModelEndpoint, Template]:
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "S", env=cdk.Environment(account="123456789012", region=region) if region else None)
    lake = DataLake(stack, "Lake")
    props.setdefault("endpoint_name", "test-llm")
    if "model_package_arn" not in props:
        props.setdefault("model_data_prefix", "models/llm/model.tar.gz")
    endpoint = ModelEndpoint(stack, "Endpoint", data_lake=lake, props=ModelEndpointProps(**props))
    if caller:
        endpoint.grant_invoke(iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com")))
    return endpoint, Template.from_stack(stack)


def _bedrock(model_id: str, region: str = "us-east-1", **props: Any) -> tuple[BedrockModel, list[dict[str, Any]]]:
    app = cdk.App()
    stack = cdk.Stack(app, "B", env=cdk.Environment(account="123456789012", region=region))
    lake = DataLake(stack, "Lake")
    model = BedrockModel(stack, "Model", props=BedrockModelProps(model_id=model_id, **props), key=lake.key)
    role = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    model.grant_invoke(role)
    policies = Template.from_stack(stack).find_resources("AWS::IAM::Policy")
    statements = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]
    return model, statements


# --------------------------------------------------------------------------- endpoint config (prod)


def test_endpoint_config_instances_and_no_volume_key_on_nvme(prod: SynthResult) -> None:
    config = _one(prod.template("serving"), "AWS::SageMaker::EndpointConfig")["Properties"]
    (variant,) = config["ProductionVariants"]
    assert variant["InstanceType"] == "ml.g5.2xlarge"
    assert variant["InitialInstanceCount"] == 2
    assert variant["VariantName"] == "AllTraffic"
    assert variant["RoutingConfig"] == {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}
    # ml.g5 has local NVMe storage: SageMaker rejects a volume KmsKeyId there
    assert "KmsKeyId" not in config
    assert "DataCaptureConfig" not in config  # prod is a PHI workload (serving.phi_workload): no raw capture


def test_data_capture_when_asked_for_is_encrypted_and_under_data_capture() -> None:
    _, template = _standalone(instance_type="ml.g5.2xlarge", data_capture_percent=5)
    config = _one(template, "AWS::SageMaker::EndpointConfig")["Properties"]
    capture = config["DataCaptureConfig"]
    assert capture["EnableCapture"] is True
    assert capture["InitialSamplingPercentage"] == 5
    assert {o["CaptureMode"] for o in capture["CaptureOptions"]} == {"Input", "Output"}
    destination = json.dumps(capture["DestinationS3Uri"])
    assert "LakeInteractions" in destination and destination.endswith('"/data-capture"]]}')
    assert "LakeKey" in json.dumps(capture["KmsKeyId"])


def test_model_from_package_with_network_isolation(prod: SynthResult) -> None:
    model = _one(prod.template("serving"), "AWS::SageMaker::Model")["Properties"]
    container = model["PrimaryContainer"]
    # prod promotes by approval: the package is the live-model SSM parameter's value at deploy time
    assert set(container["ModelPackageName"]) == {"Ref"}
    assert "livemodelpackage" in container["ModelPackageName"]["Ref"]
    assert "Image" not in container  # the package carries its inference image
    assert model["EnableNetworkIsolation"] is True
    assert container["Environment"]["HF_MODEL_ID"] == "/opt/ml/model"
    assert container["Environment"]["OPTION_TENSOR_PARALLEL_DEGREE"] == "1"


def test_blue_green_canary_with_rollback_alarms(prod: SynthResult) -> None:
    template = prod.template("serving")
    endpoint = _one(template, "AWS::SageMaker::Endpoint")["Properties"]
    assert endpoint["EndpointName"] == "llm-pipeline-prod-llm"
    deployment = endpoint["DeploymentConfig"]
    routing = deployment["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing == {
        "Type": "CANARY",
        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
        "WaitIntervalInSeconds": 900,
    }
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    rollback = [a["AlarmName"] for a in deployment["AutoRollbackConfiguration"]["Alarms"]]
    referenced = {r["Ref"] for r in rollback}
    assert len(referenced) == 2 and referenced <= set(alarms)
    by_metric = {alarms[r]["Properties"]["MetricName"]: alarms[r]["Properties"] for r in referenced}
    latency = by_metric["ModelLatency"]
    assert latency["ExtendedStatistic"] == "p99"
    assert latency["Threshold"] == 20000 * 1000  # microseconds
    assert latency["AlarmName"] == "llm-pipeline-prod-llm-model-latency-p99"
    assert by_metric["Invocation5XXErrors"]["Statistic"] == "Sum"
    assert {"Name": "EndpointName", "Value": "llm-pipeline-prod-llm"} in latency["Dimensions"]


@pytest.mark.parametrize(
    ("app", "resource_id", "dimension", "capacity"),
    [
        # instances behind the production variant
        ("prod", "endpoint/llm-pipeline-prod-llm/variant/AllTraffic", "sagemaker:variant:DesiredInstanceCount", (2, 6)),
        # copies of the inference component, down to zero (scale_to_zero)
        (
            "serving_variant",
            "inference-component/llm-pipeline-dev-llm-ic",
            "sagemaker:inference-component:DesiredCopyCount",
            (0, 3),
        ),
    ],
)
def test_autoscaling_target(
    app: str, resource_id: str, dimension: str, capacity: tuple[int, int], request: pytest.FixtureRequest
) -> None:
    target = _one(request.getfixturevalue(app).template("serving"), "AWS::ApplicationAutoScaling::ScalableTarget")
    props = target["Properties"]
    assert props["ServiceNamespace"] == "sagemaker"
    assert (props["ResourceId"], props["ScalableDimension"]) == (resource_id, dimension)
    assert (props["MinCapacity"], props["MaxCapacity"]) == capacity
    # the service-linked role (its ARN a join where the account is not pinned): no IAM role is created for autoscaling
    assert "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint" in json.dumps(props["RoleARN"])


def test_autoscaling_target_tracking(prod: SynthResult) -> None:
    prod.template("serving").has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                {
                    "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
                    "TargetValue": 20,
                }
            ),
        },
    )


def test_execution_role_is_scoped(prod: SynthResult) -> None:
    template = prod.template("serving")
    role = next(
        r
        for r in template.find_resources("AWS::IAM::Role").values()
        if "sagemaker.amazonaws.com" in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])
    )
    assert "Policies" not in role["Properties"]  # no inline policy
    policies = [
        p for p in template.find_resources("AWS::IAM::ManagedPolicy").values() if "ecr:BatchGetImage" in json.dumps(p)
    ]
    assert len(policies) == 1
    statements = policies[0]["Properties"]["PolicyDocument"]["Statement"]
    for s in statements:
        if s["Resource"] == "*":
            actions = {s["Action"]} if isinstance(s["Action"], str) else set(s["Action"])
            assert actions <= {"ecr:GetAuthorizationToken", "cloudwatch:PutMetricData"}, s
    pull = next(s for s in statements if s.get("Sid") == "PullServingImage")
    assert json.dumps(pull["Resource"]).endswith(':ecr:us-east-1:763104351884:repository/djl-inference"]]}')
    read = next(s for s in statements if "s3:GetObject*" in s["Action"])
    assert '"/models/*"' in json.dumps(read["Resource"])


def test_endpoint_log_group_is_encrypted(prod: SynthResult) -> None:
    prod.template("serving").has_resource_properties(
        "AWS::Logs::LogGroup",
        {"LogGroupName": "/aws/sagemaker/Endpoints/llm-pipeline-prod-llm", "KmsKeyId": Match.any_value()},
    )


def test_prod_backend_contract(prod: SynthResult) -> None:
    backend = prod.pipeline.serving.backend
    assert isinstance(backend, InferenceBackend) and isinstance(backend, ModelEndpoint)
    assert backend.backend_name == "sagemaker"
    env = dict(backend.environment)
    assert set(env) == {"BACKEND", "ENDPOINT_NAME", "MODEL_VERSION", "LIVE_MODEL_PACKAGE_ARN"}
    assert (env["BACKEND"], env["ENDPOINT_NAME"]) == ("sagemaker", "llm-pipeline-prod-llm")
    # promotion: both carry the live-model parameter's value ("none" until the first promotion)
    assert cdk.Token.is_unresolved(env["LIVE_MODEL_PACKAGE_ARN"])
    assert env["MODEL_VERSION"] == env["LIVE_MODEL_PACKAGE_ARN"]
    metrics = backend.alarm_metrics()
    assert set(metrics) == {
        "ModelLatencyP99", "Invocation5XXErrors", "Invocation4XXErrors", "CPUUtilization", "GPUMemoryUtilization",
    }  # fmt: skip
    assert metrics["GPUMemoryUtilization"].namespace == "/aws/sagemaker/Endpoints"  # type: ignore[attr-defined]
    assert metrics["ModelLatencyP99"].statistic == "p99"  # type: ignore[attr-defined]


def test_grant_invoke_is_exactly_this_endpoint() -> None:
    endpoint, template = _standalone(caller=True)
    stack = cdk.Stack.of(endpoint)
    statements = template.find_resources("AWS::IAM::Policy")
    (policy,) = [p for p in statements.values() if "sagemaker:InvokeEndpoint" in json.dumps(p)]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "sagemaker:InvokeEndpoint"
    assert statement["Resource"] == {"Fn::GetAtt": [stack.get_logical_id(endpoint.endpoint), "EndpointArn"]}


# --------------------------------------------------------------------------- image per accelerator family


def test_gpu_image_and_lmi_environment() -> None:
    _endpoint, template = _standalone(instance_type="ml.g5.12xlarge")
    container = _one(template, "AWS::SageMaker::Model")["Properties"]["PrimaryContainer"]
    assert container["Image"].startswith("763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:")
    assert "neuronx" not in container["Image"]
    assert container["Environment"]["OPTION_TENSOR_PARALLEL_DEGREE"] == "4"  # 4 x A10G
    assert container["Environment"]["OPTION_ROLLING_BATCH"] == "vllm"
    assert "ModelDataUrl" in container  # model.tar.gz


def test_gpu_tgi_environment() -> None:
    _, template = _standalone(instance_type="ml.g6e.48xlarge", server="tgi")
    container = _one(template, "AWS::SageMaker::Model")["Properties"]["PrimaryContainer"]
    assert "huggingface-pytorch-tgi-inference" in container["Image"]
    assert container["Environment"]["SM_NUM_GPUS"] == "8"
    assert container["Environment"]["MAX_TOTAL_TOKENS"] == "4096"


def test_inferentia2_neuron_image_environment_and_volume_key() -> None:
    _, template = _standalone(instance_type="ml.inf2.24xlarge", model_data_prefix="models/llm/")
    container = _one(template, "AWS::SageMaker::Model")["Properties"]["PrimaryContainer"]
    assert "neuronx" in container["Image"]
    env = container["Environment"]
    assert env["OPTION_TENSOR_PARALLEL_DEGREE"] == "12"  # NeuronCores
    assert env["OPTION_ENTRYPOINT"] == "djl_python.transformers_neuronx"
    assert env["OPTION_N_POSITIONS"] == "4096"
    assert "NEURON_CC_FLAGS" in env
    assert container["ModelDataSource"]["S3DataSource"]["CompressionType"] == "None"
    config = _one(template, "AWS::SageMaker::EndpointConfig")["Properties"]
    assert "KmsKeyId" in config  # EBS-only instance: the lake key encrypts the volume
    assert config["ProductionVariants"][0]["ContainerStartupHealthCheckTimeoutInSeconds"] == 3600


def test_env_agnostic_image_is_a_region_mapping(serving_variant: SynthResult) -> None:
    template = serving_variant.template("serving")
    container = _one(template, "AWS::SageMaker::Model")["Properties"]["PrimaryContainer"]
    assert container["Image"] == {"Fn::FindInMap": ["LlmPipelineImageMap", {"Ref": "AWS::Region"}, "servingNeuronLmi"]}
    mapping = template.to_json()["Mappings"]["LlmPipelineImageMap"]
    assert "neuronx" in mapping["us-east-1"]["servingNeuronLmi"]
    assert "ca-central-1" not in mapping  # no Inferentia2 there
    rule = next(iter(template.to_json()["Rules"].values()))
    (assertion,) = rule["Assertions"]
    assert "us-east-1" in assertion["Assert"]["Fn::Contains"][0]
    assert "Inferentia2" in assertion["AssertDescription"]


def test_event_patterns_for_deployments_and_failures() -> None:
    endpoint, _ = _standalone(endpoint_name="llm-pipeline-prod-llm")
    stack = cdk.Stack.of(endpoint)
    deployment = stack.resolve(endpoint.deployment_event_pattern())
    assert deployment["detailType"] == ["SageMaker Endpoint Deployment State Change"]
    assert deployment["detail"] == {"EndpointName": ["llm-pipeline-prod-llm"]}
    failure = stack.resolve(endpoint.failure_event_pattern())
    assert failure["detail"]["EndpointStatus"] == ["FAILED"]


@pytest.mark.parametrize(
    ("instance_type", "devices", "volume_key"),
    [
        ("ml.g5.2xlarge", 1, False),
        ("ml.g6.48xlarge", 8, False),
        ("ml.p5.48xlarge", 8, False),
        ("ml.inf2.xlarge", 2, True),
    ],
)
def test_accelerator_table(instance_type: str, devices: int, volume_key: bool) -> None:
    assert accelerator_devices(instance_type) == devices
    assert supports_volume_kms_key(instance_type) is volume_key


# --------------------------------------------------------------------------- scale to zero (serving_variant)


def test_scale_to_zero_inference_component(serving_variant: SynthResult) -> None:
    template = serving_variant.template("serving")
    config = _one(template, "AWS::SageMaker::EndpointConfig")["Properties"]
    (variant,) = config["ProductionVariants"]
    assert variant["ManagedInstanceScaling"] == {"Status": "ENABLED", "MinInstanceCount": 0, "MaxInstanceCount": 3}
    assert "ModelName" not in variant and "ExecutionRoleArn" in config
    assert "DataCaptureConfig" not in config
    component = _one(template, "AWS::SageMaker::InferenceComponent")["Properties"]
    assert component["InferenceComponentName"] == "llm-pipeline-dev-llm-ic"
    assert component["Specification"]["ComputeResourceRequirements"]["NumberOfAcceleratorDevicesRequired"] == 2
    assert len(component["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]) == 2
    assert "DeploymentConfig" not in _one(template, "AWS::SageMaker::Endpoint")["Properties"]


def test_scale_to_zero_autoscaling_out_from_zero(serving_variant: SynthResult) -> None:
    template = serving_variant.template("serving")
    steps = template.find_resources(
        "AWS::ApplicationAutoScaling::ScalingPolicy", {"Properties": {"PolicyType": "StepScaling"}}
    )
    (step_id,) = steps
    assert steps[step_id]["Properties"]["StepScalingPolicyConfiguration"]["StepAdjustments"] == [
        {"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}
    ]
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "NoCapacityInvocationFailures",
            "Namespace": "AWS/SageMaker",
            "Dimensions": [{"Name": "InferenceComponentName", "Value": "llm-pipeline-dev-llm-ic"}],
            "AlarmActions": [{"Ref": step_id}],
        },
    )
    backend = serving_variant.pipeline.serving.backend
    assert backend.environment["INFERENCE_COMPONENT_NAME"] == "llm-pipeline-dev-llm-ic"


def test_serverless_variant_has_no_instances_capture_or_autoscaling() -> None:
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/small-llm:1.0"
    endpoint, template = _standalone(image_uri=image, serverless=ServerlessSettings(memory_mb=6144, max_concurrency=3))
    config = _one(template, "AWS::SageMaker::EndpointConfig")["Properties"]
    (variant,) = config["ProductionVariants"]
    assert variant["ServerlessConfig"] == {"MemorySizeInMB": 6144, "MaxConcurrency": 3}
    assert "InstanceType" not in variant and "DataCaptureConfig" not in config
    assert _one(template, "AWS::SageMaker::Model")["Properties"]["EnableNetworkIsolation"] is False
    template.resource_count_is("AWS::ApplicationAutoScaling::ScalableTarget", 0)
    assert endpoint.scalable_target is None


def test_linear_and_all_at_once_deployments() -> None:
    _, linear = _standalone(deployment=DeploymentGuardrails(strategy="linear", step_percent=25, wait_seconds=300))
    routing = _one(linear, "AWS::SageMaker::Endpoint")["Properties"]["DeploymentConfig"]["BlueGreenUpdatePolicy"][
        "TrafficRoutingConfiguration"
    ]
    assert routing == {
        "Type": "LINEAR",
        "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
        "WaitIntervalInSeconds": 300,
    }
    _, at_once = _standalone(deployment=DeploymentGuardrails(strategy="all_at_once"))
    routing = _one(at_once, "AWS::SageMaker::Endpoint")["Properties"]["DeploymentConfig"]["BlueGreenUpdatePolicy"][
        "TrafficRoutingConfiguration"
    ]
    assert routing == {"Type": "ALL_AT_ONCE"}


# --------------------------------------------------------------------------- Bedrock


def test_dev_defaults_to_bedrock_with_guardrail(dev: SynthResult) -> None:
    backend = dev.pipeline.serving.backend
    assert isinstance(backend, InferenceBackend) and isinstance(backend, BedrockModel)
    assert set(backend.environment) == {"BACKEND", "MODEL_ID", "GUARDRAIL_ID", "GUARDRAIL_VERSION"}
    assert backend.environment["BACKEND"] == "bedrock"
    assert set(backend.alarm_metrics()) == {
        "InvocationClientErrors", "InvocationServerErrors", "InvocationThrottles", "InvocationLatency",
    }  # fmt: skip
    metric = backend.alarm_metrics()["InvocationLatency"]
    assert metric.namespace == "AWS/Bedrock" and metric.dimensions == {"ModelId": backend.model_id}  # type: ignore[attr-defined]
    dev.template("serving").resource_count_is("AWS::SageMaker::Endpoint", 0)


def test_guardrail_anonymizes_pii_with_content_filters_and_key(dev: SynthResult) -> None:
    template = dev.template("serving")
    guardrail = _one(template, "AWS::Bedrock::Guardrail")["Properties"]
    pii = {e["Type"]: e["Action"] for e in guardrail["SensitiveInformationPolicyConfig"]["PiiEntitiesConfig"]}
    for entity in ("EMAIL", "PHONE", "US_SOCIAL_SECURITY_NUMBER", "CREDIT_DEBIT_CARD_NUMBER", "NAME", "ADDRESS"):
        assert pii[entity] == "ANONYMIZE"
    assert set(pii.values()) == {"ANONYMIZE"}
    filters = {f["Type"]: f for f in guardrail["ContentPolicyConfig"]["FiltersConfig"]}
    assert filters["PROMPT_ATTACK"]["OutputStrength"] == "NONE"
    assert filters["HATE"]["InputStrength"] == "HIGH"
    assert "LakeKey" in json.dumps(guardrail["KmsKeyArn"])
    version = _one(template, "AWS::Bedrock::GuardrailVersion")["Properties"]
    assert version["GuardrailIdentifier"]["Fn::GetAtt"][1] == "GuardrailId"


def test_bedrock_plain_model_iam_is_exact() -> None:
    _model, statements = _bedrock("anthropic.claude-3-haiku-20240307-v1:0")
    invoke = next(s for s in statements if "bedrock:InvokeModel" in s["Action"])
    assert set(invoke["Action"]) == {"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"}
    assert json.dumps(invoke["Resource"]).endswith(
        ':bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"]]}'
    )
    guard = next(s for s in statements if s["Action"] == "bedrock:ApplyGuardrail")
    assert guard["Resource"]["Fn::GetAtt"][1] == "GuardrailArn"
    _assert_no_wildcards(statements)


def test_bedrock_inference_profile_iam_covers_profile_and_destinations_only() -> None:
    model, statements = _bedrock("us.anthropic.claude-3-5-haiku-20241022-v1:0", guardrail=False)
    invokes = [s for s in statements if "bedrock:InvokeModel" in s["Action"]]
    assert len(invokes) == 2
    profile = next(s for s in invokes if "Condition" not in s)
    assert json.dumps(profile["Resource"]).endswith(
        ':bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0"]]}'
    )
    models = next(s for s in invokes if "Condition" in s)
    rendered = json.dumps(models["Resource"])
    for region in ("us-east-1", "us-east-2", "us-west-2"):
        assert f":bedrock:{region}::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0" in rendered
    assert "us.anthropic" not in rendered  # the foundation model id, without the geography prefix
    assert "bedrock:InferenceProfileArn" in models["Condition"]["StringEquals"]
    assert not any(s["Action"] == "bedrock:ApplyGuardrail" for s in statements)
    assert "GUARDRAIL_ID" not in model.environment
    _assert_no_wildcards(statements)


def test_bedrock_global_profile_uses_regionless_model_arn() -> None:
    _, statements = _bedrock("global.anthropic.claude-sonnet-4-20250514-v1:0", guardrail=False)
    rendered = json.dumps(statements)
    assert ":bedrock:::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0" in rendered
    _assert_no_wildcards(statements)


def _assert_no_wildcards(statements: list[dict[str, Any]]) -> None:
    for s in statements:
        resources = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
        for r in resources:
            assert "*" not in json.dumps(r), s
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        assert all("*" not in a for a in actions if a.startswith("bedrock:")), s


@pytest.mark.parametrize(
    "model_id",
    ["arn:aws:bedrock:us-east-1::foundation-model/x", "anthropic.*", "claude", "us.claude-3", "eu.us.meta.llama3"],
)
def test_bedrock_model_id_is_validated_by_the_construct(model_id: str) -> None:
    with pytest.raises(ValueError, match=r"Bedrock model id|not 'provider"):
        BedrockModelProps(model_id=model_id)


# --------------------------------------------------------------------------- config validation


def _load(**context: Any) -> Any:
    ctx = {**cdk_json_context(), **context}
    return load_config(ctx.get, all_context=ctx)


def test_config_defaults_dev_bedrock_prod_sagemaker() -> None:
    assert _load().serving.backend == "bedrock"
    prod = _load(env="prod")
    # prod deploys before any model exists: the live model comes from promotion (the live-model parameter)
    assert prod.serving.backend == "sagemaker" and prod.serving.model_package_arn is None and prod.promotion.enabled


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"serving.instance_type": "ml.m5.xlarge"}, r"serving\.instance_type = 'ml\.m5\.xlarge'.*allowed: ml\.g5"),
        ({"serving.min_instance_count": 3}, r"min_instance_count=3 must be <= serving\.max_instance_count=2"),
        ({"serving.backend": "sagemaker"}, r"exactly one of serving\.model_package_arn.*got none"),
        (
            {
                "serving.backend": "sagemaker",
                "serving.model_package_arn": "g/1",
                "serving.model_data_prefix": "models/a/",
            },
            r"exactly one of .*'model_package_arn', 'model_data_prefix'",
        ),
        (
            {"serving.model_package_arn": "arn:aws:sagemaker:us-east-1:1:model-package/x"},
            r"model_package_arn = .*versioned",
        ),
        ({"serving.model_data_prefix": "raw/x/"}, r"model_data_prefix = 'raw/x/'.*pattern"),
        ({"serving.data_capture_percent": 101}, r"data_capture_percent = 101.*less than or equal to 100"),
        (
            {"serving.deployment_strategy": "rolling"},
            r"deployment_strategy = 'rolling'.*'canary', 'linear' or 'all_at_once'",
        ),
        ({"serving.bedrock_model_id": "anthropic.*"}, r"bedrock_model_id = 'anthropic\.\*'.*no wildcards"),
        (
            {"serving.bedrock_model_id": "eu.anthropic.claude-3-haiku-20240307-v1:0", "region": "us-east-1"},
            r"'eu' cross-region inference profile.*region is 'us-east-1'",
        ),
        (
            {
                "serving.backend": "sagemaker",
                "serving.model_package_arn": "g/1",
                "serving.instance_type": "ml.inf2.xlarge",
                "region": "ca-central-1",
            },
            r"Inferentia2\) is not available in region 'ca-central-1'; allowed regions: .*us-east-1",
        ),
        (
            {"serving.backend": "sagemaker", "serving.model_package_arn": "g/1", "serving.serverless_memory_mb": 4096},
            r"serverless_memory_mb=4096 needs serving\.image_uri",
        ),
        ({"serving.serverless_memory_mb": 1000}, r"serverless_memory_mb = 1000"),
        (
            {
                "serving.backend": "sagemaker",
                "serving.model_package_arn": "g/1",
                "serving.scale_to_zero": True,
                "serving.data_capture_percent": 20,
            },
            r"data_capture_percent=20 is not supported with serving\.scale_to_zero",
        ),
        (
            {"serving.vpc_subnet_ids": ["subnet-0123456789abcdef0"]},
            r"vpc_subnet_ids and serving\.vpc_security_group_ids go together",
        ),
    ],
)
def test_serving_config_errors_name_key_value_and_allowed(overrides: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        _load(**overrides)


def test_inferentia2_in_supported_region_and_profile_in_its_geography_are_accepted() -> None:
    config = _load(
        **{
            "serving.backend": "sagemaker",
            "serving.model_package_arn": "g/1",
            "serving.instance_type": "ml.inf2.8xlarge",
            "region": "us-east-2",
        }
    )
    assert config.serving.instance_type == "ml.inf2.8xlarge"
    assert (
        _load(**{"serving.bedrock_model_id": "eu.amazon.nova-lite-v1:0", "region": "eu-west-1"}).serving.backend
        == "bedrock"
    )


def test_props_validate_without_config() -> None:
    with pytest.raises(ValueError, match="exactly one of model_package_arn / model_data_prefix"):
        ModelEndpointProps(endpoint_name="x")
    with pytest.raises(ValueError, match="endpoint_name"):
        ModelEndpointProps(endpoint_name="Bad_Name", model_package_arn="g/1")
    with pytest.raises(ValueError, match="serverless needs image_uri"):
        ModelEndpointProps(endpoint_name="x", model_package_arn="g/1", serverless=ServerlessSettings())
