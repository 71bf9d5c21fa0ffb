"""Monitoring and continuous learning: every alarm has an action, every stage is on the dashboard."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from pipeline_stacks.config import ConfigError
from tests.cdk.support import SynthResult
from tests.cdk.test_config import _load

FRONT_DOOR_ALARMS = {
    "LambdaErrors", "LambdaThrottles", "LambdaDurationP99", "Api5xxRate", "Api4xxRate", "ApiLatencyP99",
    "WafBlockedSpike", "InteractionLogFailures", "FeedbackLogFailures", "ApiTrafficAnomaly", "Api4xxAnomaly",
    "ConversationWriteFailures", "MalformedEvents", "TimeToFirstTokenP99",
}  # fmt: skip
DATA_AND_TRAINING_ALARMS = {"DataPipelineFailed", "QuarantineShareHigh", "TrainingFailed", "TrainingTimedOut"}


def _alarms(result: SynthResult) -> dict[str, dict[str, Any]]:
    """Alarms of the monitoring stack by the name given in PipelineMonitoring (from the logical id)."""
    stack = result.pipeline.monitoring
    out = {}
    for name, alarm in result.pipeline.monitoring.monitoring.alarms.items():
        logical_id = stack.resolve(stack.get_logical_id(alarm.node.default_child))  # type: ignore[arg-type]
        out[name] = result.template("monitoring").to_json()["Resources"][logical_id]
    return out


def _topic_ref(result: SynthResult) -> dict[str, str]:
    return {"Ref": next(iter(result.template("monitoring").find_resources("AWS::SNS::Topic")))}


def test_every_required_alarm_exists(dev: SynthResult) -> None:
    names = set(_alarms(dev))
    assert names >= FRONT_DOOR_ALARMS | DATA_AND_TRAINING_ALARMS
    backend = dev.pipeline.serving.backend.backend_name
    expected_backend = (
        {"BackendInvocationServerErrors", "BackendInvocationThrottles"}
        if backend == "bedrock"
        else {"BackendModelLatencyP99", "BackendInvocation5XXErrors", "BackendInvocation4XXErrors"}
    )
    assert expected_backend <= names


def test_every_alarm_notifies_the_topic_and_chooses_missing_data(any_app: SynthResult) -> None:
    topic = _topic_ref(any_app)
    alarms = any_app.template("monitoring").find_resources("AWS::CloudWatch::Alarm")
    assert alarms
    for logical_id, alarm in alarms.items():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [topic], logical_id
        assert props["OKActions"] == [topic], logical_id
        assert props["TreatMissingData"] == "notBreaching", logical_id


def test_anomaly_detection_alarm_on_api_traffic(dev: SynthResult) -> None:
    alarm = _alarms(dev)["ApiTrafficAnomaly"]["Properties"]
    assert alarm["ComparisonOperator"] == "GreaterThanUpperThreshold"
    band = next(m for m in alarm["Metrics"] if m["Id"] == alarm["ThresholdMetricId"])
    assert band["Expression"].startswith("ANOMALY_DETECTION_BAND(")


def test_rate_alarms_use_metric_math_and_config_thresholds(dev: SynthResult) -> None:
    alarm = _alarms(dev)["Api5xxRate"]["Properties"]
    assert alarm["Threshold"] == dev.pipeline.config.monitoring.thresholds.api_5xx_rate_percent
    assert any("100 * part / whole" in m.get("Expression", "") for m in alarm["Metrics"])
    share = _alarms(dev)["QuarantineShareHigh"]["Properties"]
    assert share["Threshold"] == 5.0
    assert {m["MetricStat"]["Metric"]["MetricName"] for m in share["Metrics"] if "MetricStat" in m} >= {"RecordsIn"}


def test_topic_is_kms_encrypted_and_tls_only(dev: SynthResult) -> None:
    t = dev.template("monitoring")
    t.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})
    t.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    t.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            }
        },
    )


def test_glue_and_training_events_reach_the_topic(dev: SynthResult) -> None:
    rules = dev.template("monitoring").find_resources("AWS::Events::Rule")
    topic = _topic_ref(dev)
    patterns = {
        json.dumps(r["Properties"]["EventPattern"], sort_keys=True): r
        for r in rules.values()
        if "EventPattern" in r["Properties"]
    }
    glue = [p for p in patterns if '"Glue Job State Change"' in p]
    assert glue and '"FAILED"' in glue[0] and '"TIMEOUT"' in glue[0]
    for detail_type in ("ModelRejected", "TrainingPipelineFailed", "Step Functions Execution Status Change"):
        matching = [r for p, r in patterns.items() if f'"{detail_type}"' in p]
        assert matching, detail_type
        assert matching[0]["Properties"]["Targets"][0]["Arn"] == topic


def test_dashboard_shows_every_stage(dev: SynthResult) -> None:
    dashboards = dev.template("monitoring").find_resources("AWS::CloudWatch::Dashboard")
    assert len(dashboards) == 1
    body = json.dumps(next(iter(dashboards.values()))["Properties"]["DashboardBody"])
    for heading in ("## Data", "## Training", "## Model backend", "## API front door"):
        assert heading in body
    for namespace in ("AWS/States", "AWS/ApiGateway", "AWS/Lambda", "AWS/WAFV2", "RecordsQuarantined"):
        assert namespace in body
    assert "All pipeline alarms" in body


def test_continuous_learning_off_in_dev_on_in_prod(dev: SynthResult, prod: SynthResult) -> None:
    assert dev.pipeline.training.continuous_learning is None
    assert prod.pipeline.training.continuous_learning is not None
    assert "ContinuousLearningFailed" in _alarms(prod)


def test_retraining_loop_sanitizes_interactions_then_retrains(prod: SynthResult) -> None:
    t = prod.template("training")
    loop = prod.pipeline.training.continuous_learning
    assert loop is not None
    stack = prod.pipeline.training
    logical_id = stack.resolve(stack.get_logical_id(loop.state_machine.node.default_child))
    machine = t.to_json()["Resources"][logical_id]
    definition = json.dumps(machine["Properties"]["DefinitionString"])
    assert "glue:startJobRun.sync" in definition
    assert "states:startExecution.sync" in definition
    lake = prod.pipeline.data.data_lake
    interactions = prod.pipeline.data.resolve(lake.interactions_bucket.bucket_name)
    assert "--raw_path" in definition and "/interactions/" in definition
    assert "train/interactions/" in definition and "--feedback_path" in definition
    assert "job-bookmark-enable" in definition
    assert '"--text_fields":"prompt,output"' in definition.replace("\\", "").replace(" ", "")
    assert interactions  # the interactions bucket is a real resource of the data stack
    assert loop.schedule_rule is not None
    rule = t.to_json()["Resources"][stack.resolve(stack.get_logical_id(loop.schedule_rule.node.default_child))]
    assert rule["Properties"]["ScheduleExpression"] == "cron(0 4 ? * SUN *)"


def test_loop_output_must_feed_training() -> None:
    with pytest.raises(
        ConfigError, match=r"continuous_learning_output_prefix='other/' must lie under training\.train_prefix"
    ):
        _load(**{"training.continuous_learning": "true", "training.continuous_learning_output_prefix": "other/"})


def test_bad_alarm_email_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"monitoring\.alarm_email = 'oncall'"):
        _load(**{"monitoring.alarm_email": "oncall"})


def test_sagemaker_backend_gets_endpoint_alarms_and_lifecycle_events(prod: SynthResult) -> None:
    assert prod.pipeline.serving.backend.backend_name == "sagemaker"
    alarms = _alarms(prod)
    assert {"BackendModelLatencyP99", "BackendInvocation5XXErrors", "BackendInvocation4XXErrors"} <= set(alarms)
    assert "BackendCPUUtilization" not in alarms  # summed over vCPUs: dashboard only
    gpu = alarms["BackendGPUMemoryUtilization"]["Properties"]
    assert gpu["Threshold"] == 98.0
    rules = prod.pipeline.monitoring.monitoring.rules
    assert {"EndpointFailed", "EndpointDeployment", "GlueJobDelayed"} <= set(rules)


def test_every_alarm_table_row_is_an_alarm_with_its_threshold(any_app: SynthResult) -> None:
    """Table-driven: a row added to ``pipeline_stacks.alarms.ALARMS`` is covered here without a new test."""
    from pipeline_stacks.alarms import ALARMS

    alarms = _alarms(any_app)
    backend = any_app.pipeline.serving.backend
    thresholds = any_app.pipeline.config.monitoring.thresholds
    kb = any_app.pipeline.data.knowledge_base
    for spec in ALARMS:
        if spec.stage.startswith("backend:") and (
            spec.stage != f"backend:{backend.backend_name}" or spec.metric not in backend.alarm_metrics()
        ):
            continue
        if spec.stage == "knowledge_base" and (kb is None or kb.state_machine is None):
            continue  # rag.enabled=false, or a Kendra retriever (no ingestion state machine)
        props = alarms[spec.name]["Properties"]
        assert props["Threshold"] == spec.threshold_value(thresholds), spec.name
        assert props["EvaluationPeriods"] == spec.evaluation_periods, spec.name
