"""TrainingPipeline / training stack: state machine definition, IAM scoping, schedule, config validation."""

from __future__ import annotations

import json
import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from pipeline_stacks import images, training_metrics
from pipeline_stacks.config import ConfigError, validate_config
from pipeline_stacks.constructs import DataLake, TrainingPipeline, TrainingPipelineProps
from tests.cdk.support import SynthResult

TRN_SUBNETS = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
TRN_SECURITY_GROUPS = ["sg-0123456789abcdef0"]


# --------------------------------------------------------------------------- helpers


def _flatten(value: Any) -> str:
    """A definition ``Fn::Join`` rendered to one string (tokens as ``<...>``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(_flatten(part) for part in value["Fn::Join"][1])
    return "<" + json.dumps(value, sort_keys=True).replace('"', "'") + ">"


def _definition(template: Template) -> dict[str, Any]:
    # The training pipeline's machine (prod also holds the continuous-learning loop's).
    machines = {
        k: v
        for k, v in template.find_resources("AWS::StepFunctions::StateMachine").items()
        if not k.startswith("ContinuousLearning")
    }
    assert len(machines) == 1
    (machine,) = machines.values()
    text = _flatten(machine["Properties"]["DefinitionString"])
    # Tokens inside JSON strings were rendered as <{'Ref': ...}>: valid inside a JSON string.
    return json.loads(text)


def _states(template: Template) -> dict[str, dict[str, Any]]:
    return _definition(template)["States"]


def _policy_statements(template: Template, role_fragment: str) -> list[dict[str, Any]]:
    statements = []
    for logical_id, policy in template.find_resources("AWS::IAM::ManagedPolicy").items():
        if role_fragment in logical_id:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    assert statements, f"no managed policy for {role_fragment}"
    return statements


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else actions


def _standalone(**overrides: Any) -> Template:
    """A one-stack app with just a DataLake and a TrainingPipeline (no nag, env-agnostic)."""
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "Standalone")
    lake = DataLake(stack, "Lake")
    TrainingPipeline(stack, "Training", data_lake=lake, props=TrainingPipelineProps(**overrides))
    return Template.from_stack(stack)


@pytest.fixture(scope="module")
def dev_training(dev: SynthResult) -> Template:
    return dev.template("training")


@pytest.fixture(scope="module")
def trn_training(trainium: SynthResult) -> Template:
    return trainium.template("training")


# --------------------------------------------------------------------------- flow


def test_flow_order_and_sync_integrations(dev_training: Template) -> None:
    definition = _definition(dev_training)
    states = definition["States"]
    assert definition["StartAt"] == "Prepare"
    assert states["Prepare"]["Next"] == "Train"
    assert states["Train"]["Next"] == "Evaluate"
    assert states["Evaluate"]["Next"] == "MetricReported"
    for name in ("Train", "Evaluate"):
        assert states[name]["Resource"].endswith(":states:::sagemaker:createTrainingJob.sync")
    assert "Sanitize" not in states  # off by default
    assert states["RegisterModel"]["Resource"].endswith(":states:::aws-sdk:sagemaker:createModelPackage")


def test_job_names_are_unique_per_execution_and_fit_sagemaker(dev_training: Template) -> None:
    params = _states(dev_training)["Prepare"]["Parameters"]
    assert "States.Hash($$.Execution.Id, 'MD5')" in params["trainJobName.$"]
    prefix = re.search(r"'([a-z0-9-]+)-train-\{\}'", params["trainJobName.$"]).group(1)
    assert len(f"{prefix}-train-") + 32 <= 63 and len(f"{prefix}-eval-") + 32 <= 63


def test_spot_checkpoints_and_stopping_condition(dev_training: Template) -> None:
    params = _states(dev_training)["Train"]["Parameters"]
    assert params["EnableManagedSpotTraining"] is True
    stop = params["StoppingCondition"]
    assert stop["MaxWaitTimeInSeconds"] >= stop["MaxRuntimeInSeconds"]
    checkpoint = params["CheckpointConfig"]
    assert "/checkpoints/{}/" in checkpoint["S3Uri.$"] and "$.run.trainJobName" in checkpoint["S3Uri.$"]
    assert checkpoint["LocalPath"] == "/opt/ml/checkpoints"
    assert params["OutputDataConfig"]["S3OutputPath"].endswith("/models/")


def test_kms_on_volume_and_output_of_both_jobs(dev_training: Template) -> None:
    states = _states(dev_training)
    for name in ("Train", "Evaluate"):
        params = states[name]["Parameters"]
        assert "LakeKey" in params["ResourceConfig"]["VolumeKmsKeyId"]
        assert "LakeKey" in params["OutputDataConfig"]["KmsKeyId"]


def test_single_instance_has_no_inter_container_encryption_flag_set(dev_training: Template) -> None:
    params = _states(dev_training)["Train"]["Parameters"]
    assert params["ResourceConfig"]["InstanceCount"] == 1
    assert params["EnableInterContainerTrafficEncryption"] is False


def test_hyperparameters_are_strings_with_the_source_tarball(dev_training: Template) -> None:
    hp = _states(dev_training)["Train"]["Parameters"]["HyperParameters"]
    assert all(isinstance(v, str) for v in hp.values())
    assert hp["sagemaker_program"] == "train.py"
    assert "s3://cdk-" in hp["sagemaker_submit_directory"]  # the training/ source asset
    assert {"epochs", "learning-rate", "seq-len", "peft", "model-config"} <= set(hp)
    assert hp["peft"] == "lora"


def test_metric_definitions_come_from_training_metrics(dev_training: Template) -> None:
    states = _states(dev_training)
    train_spec = states["Train"]["Parameters"]["AlgorithmSpecification"]
    eval_spec = states["Evaluate"]["Parameters"]["AlgorithmSpecification"]
    assert train_spec["MetricDefinitions"] == training_metrics.TRAINING_METRIC_DEFINITIONS
    assert eval_spec["MetricDefinitions"] == training_metrics.EVALUATION_METRIC_DEFINITIONS
    assert states["Evaluate"]["Parameters"]["HyperParameters"]["sagemaker_program"] == "evaluate.py"


def test_quality_gate_choice_threshold_and_comparison(dev_training: Template) -> None:
    states = _states(dev_training)
    selector = states["Evaluate"]["ResultSelector"]["metric.$"]
    assert selector == "$.FinalMetricDataList[?(@.MetricName == 'rougeL')].Value"
    reported = states["MetricReported"]
    assert reported["Choices"][0] == {"Variable": "$.evaluation.metric[0]", "IsPresent": True, "Next": "QualityGate"}
    assert reported["Default"] == "MetricMissing"
    gate = states["QualityGate"]
    assert gate["Choices"] == [
        {"Variable": "$.evaluation.metric[0]", "NumericGreaterThanEquals": 0.2, "Next": "RegisterModel"}
    ]
    assert gate["Default"] == "EmitModelRejected"


def test_lower_is_better_metric_flips_the_comparison() -> None:
    template = _standalone(quality_gate_metric="perplexity", quality_gate_threshold=12.5, higher_is_better=False)
    gate = _states(template)["QualityGate"]
    assert gate["Choices"][0]["NumericLessThanEquals"] == 12.5
    assert "perplexity" in _states(template)["Evaluate"]["ResultSelector"]["metric.$"]


def test_model_package_group_and_registration(dev_training: Template) -> None:
    dev_training.has_resource_properties(
        "AWS::SageMaker::ModelPackageGroup", {"ModelPackageGroupName": "llm-pipeline-dev"}
    )
    params = _states(dev_training)["RegisterModel"]["Parameters"]
    assert params["ModelPackageGroupName"] == "llm-pipeline-dev"
    assert params["ModelApprovalStatus"] == "PendingManualApproval"
    container = params["InferenceSpecification"]["Containers"][0]
    assert container["ModelDataUrl.$"] == "$.training.ModelArtifacts"
    assert "servingGpuLmi" in container["Image"]  # env-agnostic: region mapping lookup
    assert params["InferenceSpecification"]["SupportedRealtimeInferenceInstanceTypes"] == ["ml.g5.2xlarge"]
    assert "States.Hash($$.Execution.Id, 'MD5')" in params["ClientToken.$"]


def test_events_for_registered_rejected_and_failed(dev_training: Template) -> None:
    states = _states(dev_training)
    expected = {
        "EmitModelRegistered": "ModelRegistered",
        "EmitModelRejected": "ModelRejected",
        "EmitFailed": "TrainingPipelineFailed",
    }
    for state, detail_type in expected.items():
        entry = states[state]["Parameters"]["Entries"][0]
        assert entry["DetailType"] == detail_type
        assert entry["Source"] == "llm-pipeline.training"
        assert entry["Detail"]["executionArn.$"] == "$$.Execution.Id"
    assert states["EmitModelRegistered"]["Parameters"]["Entries"][0]["Detail"]["modelPackageArn.$"] == (
        "$.registration.ModelPackageArn"
    )
    assert states["EmitModelRegistered"]["Next"] == "Registered"
    assert states["EmitModelRejected"]["Next"] == "Rejected"
    assert states["EmitFailed"]["Next"] == "Failed" and states["Failed"]["Type"] == "Fail"


def test_every_failure_path_emits_the_failure_event(dev_training: Template) -> None:
    states = _states(dev_training)
    task_states = [n for n, s in states.items() if s["Type"] == "Task" and n != "EmitFailed"]
    assert {"Train", "Evaluate", "RegisterModel", "EmitModelRegistered", "EmitModelRejected"} <= set(task_states)
    for name in task_states:
        catches = states[name].get("Catch", [])
        assert catches and catches[0]["ErrorEquals"] == ["States.ALL"], name
        marker = states[catches[0]["Next"]]
        assert marker["Type"] == "Pass" and marker["ResultPath"] == "$.failedStage"
        assert marker["Next"] == "EmitFailed"
    assert states["MetricMissing"]["Next"] == "QualityGateFailed"
    # The failure event is sent even when putting it fails: it then still ends in Fail.
    assert states["EmitFailed"]["Catch"][0]["Next"] == "Failed"


def test_state_machine_logging_tracing_and_timeout(dev_training: Template) -> None:
    dev_training.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "TracingConfiguration": {"Enabled": True},
            "LoggingConfiguration": Match.object_like({"IncludeExecutionData": False, "Level": "ALL"}),
        },
    )
    dev_training.has_resource_properties("AWS::Logs::LogGroup", {"KmsKeyId": Match.any_value()})
    timeout = _definition(dev_training)["TimeoutSeconds"]
    assert timeout >= 172800 + 7200  # spot max wait + evaluation


# --------------------------------------------------------------------------- IAM


def test_pass_role_is_scoped_to_the_execution_role_and_sagemaker(dev_training: Template) -> None:
    statements = _policy_statements(dev_training, "StateMachineRole")
    (passrole,) = [s for s in statements if "iam:PassRole" in _actions(s)]
    assert "ExecutionRole" in json.dumps(passrole["Resource"]) and passrole["Resource"] != "*"
    assert passrole["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


def test_sagemaker_actions_scoped_to_the_job_prefix(dev_training: Template) -> None:
    statements = _policy_statements(dev_training, "StateMachineRole")
    (jobs,) = [s for s in statements if "sagemaker:CreateTrainingJob" in _actions(s)]
    assert "training-job/llm-pipeline-dev-*" in json.dumps(jobs["Resource"])
    for statement in statements:
        assert not any(a in ("sagemaker:*", "*") for a in _actions(statement))
        if any(a.startswith("sagemaker:") for a in _actions(statement)):
            assert statement["Resource"] != "*"


def test_execution_role_reads_sanitized_writes_artifacts_prefixes(dev_training: Template) -> None:
    text = json.dumps(_policy_statements(dev_training, "ExecutionRole"))
    for prefix in ("/train/*", "/validation/*", "/test/*", "/checkpoints/*", "/models/*", "/evaluations/*"):
        assert prefix in text, prefix
    assert "kms:CreateGrant" in text and "kms:GrantIsForAWSResource" in text
    assert "neuron-cache" not in text  # GPU pipeline


# --------------------------------------------------------------------------- schedule


def test_no_schedule_by_default(dev_training: Template) -> None:
    dev_training.resource_count_is("AWS::Events::Rule", 0)


def test_schedule_when_configured(trn_training: Template) -> None:
    trn_training.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "cron(0 3 ? * SUN *)",
            "State": "ENABLED",
            "Targets": [Match.object_like({"Id": "Target0"})],
        },
    )


# --------------------------------------------------------------------------- Trainium / multi-node


def test_trainium_uses_a_literal_pinned_neuron_image(trn_training: Template) -> None:
    params = _states(trn_training)["Train"]["Parameters"]
    image = params["AlgorithmSpecification"]["TrainingImage"]
    assert image.startswith("763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-training-neuronx:")
    assert "neuronx" in image and "sdk2." in image
    assert params["Environment"]["NEURON_COMPILE_CACHE_URL"].endswith("/neuron-cache/")
    assert params["HyperParameters"]["sagemaker_torch_distributed_enabled"] == "true"


def test_multi_node_encrypts_inter_container_traffic(trn_training: Template) -> None:
    params = _states(trn_training)["Train"]["Parameters"]
    assert params["ResourceConfig"]["InstanceCount"] == 2
    assert params["ResourceConfig"]["InstanceType"] == "ml.trn1.32xlarge"
    assert params["EnableInterContainerTrafficEncryption"] is True


def test_vpc_config_from_ids(trn_training: Template) -> None:
    params = _states(trn_training)["Train"]["Parameters"]
    assert params["VpcConfig"] == {"Subnets": TRN_SUBNETS, "SecurityGroupIds": TRN_SECURITY_GROUPS}
    text = json.dumps(_policy_statements(trn_training, "ExecutionRole"))
    assert "ec2:CreateNetworkInterface" in text and "/neuron-cache/*" in text


def test_no_region_rule_when_region_is_pinned(trn_training: Template) -> None:
    assert "TrainiumRegion" not in json.dumps(trn_training.to_json().get("Rules", {}))


def test_region_rule_when_trainium_and_region_unset() -> None:
    rules = _standalone(instance_type="ml.trn1.32xlarge").to_json()["Rules"]
    (rule,) = [r for name, r in rules.items() if name.startswith("TrainingTrainiumRegion")]
    (assertion,) = rule["Assertions"]
    regions, region = assertion["Assert"]["Fn::Contains"]
    assert region == {"Ref": "AWS::Region"} and set(regions) == images.TRAINIUM_REGIONS
    assert "ml.trn1.32xlarge" in assertion["AssertDescription"] and "us-east-1" in assertion["AssertDescription"]


def test_gpu_has_no_region_rule() -> None:
    assert not any(n.startswith("TrainingTrainium") for n in _standalone().to_json().get("Rules", {}))


# --------------------------------------------------------------------------- validation


def _config_error(**training: Any) -> str:
    raw: dict[str, Any] = {"env_name": "dev", "training": training}
    if "region" in training:
        raw["region"] = training.pop("region")
    with pytest.raises(ConfigError) as info:
        validate_config(raw)
    return str(info.value)


def test_bad_instance_type_lists_allowed_ones() -> None:
    message = _config_error(instance_type="ml.m5.xlarge")
    assert "training.instance_type" in message and "ml.m5.xlarge" in message
    for allowed in (
        "ml.trn1.2xlarge",
        "ml.trn1n.32xlarge",
        "ml.trn2.48xlarge",
        "ml.g5.*",
        "ml.p4d.24xlarge",
        "ml.p5.48xlarge",
    ):
        assert allowed in message


def test_trainium_in_a_region_without_trainium() -> None:
    message = _config_error(instance_type="ml.trn1.32xlarge", region="eu-west-2")
    assert "eu-west-2" in message and "ml.trn1.32xlarge" in message and "us-east-1" in message


def test_max_wait_below_max_runtime() -> None:
    message = _config_error(max_runtime_seconds=7200, max_wait_seconds=3600)
    assert "max_wait_seconds=3600" in message and "max_runtime_seconds=7200" in message


def test_max_wait_is_ignored_without_spot() -> None:
    validate_config(
        {"env_name": "dev", "training": {"use_spot": False, "max_runtime_seconds": 7200, "max_wait_seconds": 3600}}
    )


def test_gpu_image_on_trainium_fails() -> None:
    gpu_image = (
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.8.0-gpu-py312-cu129-ubuntu22.04-sagemaker"
    )
    message = _config_error(instance_type="ml.trn1.32xlarge", image_uri=gpu_image)
    assert "gpu image" in message and "neuronx" in message


def test_trn1_2xlarge_is_single_node() -> None:
    assert "EFA" in _config_error(instance_type="ml.trn1.2xlarge", instance_count=2)


def test_network_isolation_needs_a_baked_image() -> None:
    assert "requirements" in _config_error(network_isolation=True)


def test_vpc_ids_go_together() -> None:
    assert "go together" in _config_error(vpc_subnet_ids=TRN_SUBNETS)


def test_reserved_hyperparameters_are_refused() -> None:
    assert "sagemaker_program" in _config_error(extra_hyperparameters={"sagemaker_program": "x.py"})


def test_props_refuse_wait_below_runtime() -> None:
    with pytest.raises(ValueError, match="max_wait_seconds"):
        TrainingPipelineProps(max_runtime_seconds=100, max_wait_seconds=50)


# --------------------------------------------------------------------------- images


@pytest.mark.parametrize(
    ("instance_type", "family"),
    [
        ("ml.trn1.2xlarge", "neuron"),
        ("ml.trn1n.32xlarge", "neuron"),
        ("ml.trn2.48xlarge", "neuron"),
        ("ml.inf2.xlarge", "neuron"),
        ("ml.g5.2xlarge", "gpu"),
        ("ml.g6.12xlarge", "gpu"),
        ("ml.p4d.24xlarge", "gpu"),
        ("ml.p5.48xlarge", "gpu"),
        ("ml.m5.xlarge", "cpu"),
    ],
)
def test_accelerator_family(instance_type: str, family: str) -> None:
    assert images.accelerator_family(instance_type) == family


def test_image_table_is_pinned_and_sourced() -> None:
    table = images.image_table()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", table["source"]["retrieved"]) and table["source"]["references"]
    for entry in [*table["training"].values(), *table["serving"]["gpu"].values(), *table["serving"]["neuron"].values()]:
        assert "latest" not in entry["tag"] and re.search(r"\d+\.\d+", entry["tag"])
    assert table["dlc_registry_accounts"]["af-south-1"] != table["dlc_registry_accounts"]["us-east-1"]


def test_images_literal_per_region_and_errors() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    uri = images.training_image_uri(stack, "ml.g5.2xlarge", "af-south-1")
    assert uri.startswith("626614931356.dkr.ecr.af-south-1.amazonaws.com/pytorch-training:")
    serving = images.serving_image_uri(stack, "ml.inf2.xlarge", "us-west-2", server="tgi")
    assert "neuronx" in serving
    with pytest.raises(images.ImageError, match="eu-west-2"):
        images.training_image_uri(stack, "ml.trn1.32xlarge", "eu-west-2")
    with pytest.raises(images.ImageError, match="Inferentia2"):
        images.training_image_uri(stack, "ml.inf2.xlarge", "us-east-1")
    with pytest.raises(images.ImageError, match="CPU"):
        images.serving_image_uri(stack, "ml.m5.xlarge", "us-east-1")


def test_event_patterns() -> None:
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "S")
    pipeline = TrainingPipeline(stack, "T", data_lake=DataLake(stack, "Lake"), props=TrainingPipelineProps())
    for pattern, detail_type in (
        (pipeline.registered_event_pattern(), "ModelRegistered"),
        (pipeline.rejection_event_pattern(), "ModelRejected"),
        (pipeline.failure_event_pattern(), "TrainingPipelineFailed"),
    ):
        assert pattern.source == ["llm-pipeline.training"] and pattern.detail_type == [detail_type]
    assert pipeline.metric_failed_executions().metric_name == "ExecutionsFailed"
    assert set(pipeline.alarm_metrics()) == {"failed_executions", "timed_out_executions"}


def test_sanitize_step_runs_the_glue_job_first_and_waits_out_concurrent_runs() -> None:
    states = _states(_standalone(sanitize_glue_job_name="llm-pipeline-dev-sanitize"))
    assert _definition(_standalone(sanitize_glue_job_name="x"))["StartAt"] == "Sanitize"
    sanitize = states["Sanitize"]
    assert sanitize["Resource"].endswith(":states:::glue:startJobRun.sync")
    assert sanitize["Parameters"]["JobName"] == "llm-pipeline-dev-sanitize"
    assert sanitize["Next"] == "Prepare" and states["Prepare"]["Next"] == "Train"
    assert sanitize["Retry"][0]["ErrorEquals"] == ["Glue.ConcurrentRunsExceededException"]
    assert states[sanitize["Catch"][0]["Next"]]["Next"] == "EmitFailed"


def test_sanitize_before_training_without_a_job_is_a_config_error() -> None:
    from pipeline_stacks.stacks import TrainingStack

    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    lake = DataLake(cdk.Stack(app, "Data"), "Lake")
    config = validate_config({"env_name": "dev", "training": {"sanitize_before_training": True}})
    with pytest.raises(ConfigError, match="sanitize_before_training"):
        TrainingStack(app, "Training", config=config, data_lake=lake)


def test_sanitize_before_training_runs_the_data_stacks_job_first(trn_training: Template) -> None:
    definition = _definition(trn_training)
    assert definition["StartAt"] == "Sanitize"
    sanitize = definition["States"]["Sanitize"]
    assert sanitize["Resource"].endswith(":states:::glue:startJobRun.sync")
    assert sanitize["Parameters"]["JobName"] == "llm-pipeline-dev-sanitize"
    assert sanitize["Next"] == "Prepare"
    assert definition["States"][sanitize["Catch"][0]["Next"]]["Next"] == "EmitFailed"


def test_pinned_region_gets_literal_images(prod: SynthResult) -> None:
    template = prod.template("training")
    params = _states(template)["Train"]["Parameters"]
    assert params["AlgorithmSpecification"]["TrainingImage"].startswith(
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:"
    )
    assert "-gpu-" in params["AlgorithmSpecification"]["TrainingImage"]
    assert "LlmPipelineImageMap" not in template.to_json().get("Mappings", {})


# ------------------------------------------------------------------ champion / challenger (issue 14)


def test_champion_gate_reads_the_live_package_and_rejects_a_worse_candidate() -> None:
    template = _standalone(live_model_parameter_name="/llm/prod/live-model-package", champion_max_latency_ratio=1.5)
    states = _states(template)
    assert states["Train"]["Next"] == "ReadLiveModel"
    assert states["ReadLiveModel"]["Parameters"] == {"Name": "/llm/prod/live-model-package"}
    has = states["HasChampion"]
    assert has["Choices"] == [{"Variable": "$.live.value", "StringEquals": "none", "Next": "NoChampion"}]
    assert states["NoChampion"]["Next"] == "Evaluate" and has["Default"] == "DescribeChampion"
    assert states["DescribeChampion"]["Next"] == "EvaluateVsChampion"
    vs = states["EvaluateVsChampion"]["Parameters"]
    assert {"ChannelName": "champion", "DataSource": {"S3DataSource": {
        "S3DataType": "S3Prefix", "S3DataDistributionType": "FullyReplicated", "S3Uri.$": "$.champion.modelDataUrl",
    }}} in vs["InputDataConfig"]  # fmt: skip
    assert vs["HyperParameters"]["champion-dir"] == "/opt/ml/input/data/champion"
    assert vs["HyperParameters"]["max-latency-ratio"] == "1.5"
    names = {d["Name"] for d in vs["AlgorithmSpecification"]["MetricDefinitions"]}
    assert set(training_metrics.CHAMPION_METRIC_NAMES) <= names
    assert states["EvaluateVsChampion"]["Next"] == states["Evaluate"]["Next"] == "MetricReported"
    # Threshold first, then the champion: no champion live -> register; a verdict of 0 or none -> rejected.
    assert states["QualityGate"]["Choices"][0]["Next"] == "ChampionGate"
    gate = states["ChampionGate"]
    assert gate["Choices"][0] == {"Variable": "$.champion.present", "BooleanEquals": False, "Next": "RegisterModel"}
    assert gate["Default"] == "EmitModelRejectedByChampion"
    verdict = states["ChampionVerdict"]
    assert verdict["Choices"] == [{"Variable": "$.evaluation.wins[0]", "NumericEquals": 1, "Next": "RegisterModel"}]
    assert verdict["Default"] == "EmitModelRejectedByChampion"
    detail = states["EmitModelRejectedByChampion"]["Parameters"]["Entries"][0]["Detail"]
    assert detail["reason"] == "worse_than_champion" and detail["delta.$"] == "$.evaluation.delta"
    assert states["EmitModelRejectedByChampion"]["Next"] == "RejectedByChampion"


def test_without_a_live_model_parameter_the_gate_is_unchanged() -> None:
    states = _states(_standalone())
    assert "ReadLiveModel" not in states and "ChampionGate" not in states
    assert states["EmitModelRejected"]["Parameters"]["Entries"][0]["Detail"]["reason"] == "below_threshold"
