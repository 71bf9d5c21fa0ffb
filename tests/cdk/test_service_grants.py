"""Service principals can deliver what the app asks them to deliver, and only for this account (issue 10, defect 2).

Every SNS topic used as a CloudWatch alarm action or an EventBridge rule target is found by walking the
synthesized templates (the dev and prod apps and a small test app); its topic policy and its KMS key policy
are then EVALUATED (``tests/cdk/policy_eval.py``) for the request each service really sends:

* CloudWatch alarm -> topic: ``sns:Publish`` with ``aws:SourceAccount`` and ``aws:SourceArn`` = the alarm;
  the KMS request carries the same keys.
* EventBridge rule -> topic: ``sns:Publish`` with ``aws:SourceAccount`` and ``aws:SourceArn`` = the rule;
  the KMS request carries NEITHER (documented by AWS for encrypted SNS targets), so a key grant conditioned
  on them would drop every notification.

The same requests from another account (or another rule) must be refused.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events

from pipeline_stacks.constructs import DataLake
from pipeline_stacks.constructs.monitoring import PipelineMonitoring
from tests.cdk.policy_eval import ACCOUNT, PARTITION, REGION, Request, Resolver, allows, resources_of_type
from tests.cdk.support import SynthResult

FOREIGN = "999999999999"
Templates = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Path:
    """One notification path: ``service`` publishes to ``topic`` (stack, logical id) on behalf of ``source_arn``."""

    service: str
    source_arn: str
    stack: str
    topic: str


def notification_paths(templates: Templates) -> list[Path]:
    """Every (alarm -> topic) and (rule -> topic) edge in ``templates``."""
    resolver = Resolver(templates)
    paths: list[Path] = []
    for stack, logical_id, alarm in resources_of_type(templates, "AWS::CloudWatch::Alarm"):
        props = alarm["Properties"]
        actions = [*props.get("AlarmActions", []), *props.get("OKActions", [])]
        actions += props.get("InsufficientDataActions", [])
        for action in actions:
            target = _topic_of(resolver, templates, stack, action)
            if target is not None:
                paths.append(Path("cloudwatch.amazonaws.com", resolver.arn(stack, logical_id), *target))
    for stack, logical_id, rule in resources_of_type(templates, "AWS::Events::Rule"):
        for target_spec in rule["Properties"].get("Targets", []):
            target = _topic_of(resolver, templates, stack, target_spec["Arn"])
            if target is not None:
                assert "RoleArn" not in target_spec, "SNS targets authorize through the topic policy, not a role"
                paths.append(Path("events.amazonaws.com", resolver.arn(stack, logical_id), *target))
    return paths


def _topic_of(resolver: Resolver, templates: Templates, stack: str, value: Any) -> tuple[str, str] | None:
    if isinstance(value, str):
        assert ":sns:" not in value, f"literal topic ARN {value}: its policies cannot be checked"
        return None
    ref = resolver.reference(stack, value)
    if ref is None:
        return None
    if templates[ref[0]]["Resources"][ref[1]]["Type"] != "AWS::SNS::Topic":
        return None  # e.g. an Application Auto Scaling policy
    return ref


def problems(templates: Templates) -> list[str]:
    """What would stop (or over-allow) a notification path; empty when every path is right."""
    resolver = Resolver(templates)
    out: list[str] = []
    for path in notification_paths(templates):
        topic_arn = resolver.arn(path.stack, path.topic)
        topic_policy = _topic_policy(resolver, templates, path)
        where = f"{path.service} -> {path.topic} ({path.source_arn})"
        source = {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": path.source_arn, "aws:SecureTransport": "true"}
        publish = Request(path.service, "sns:Publish", topic_arn, source)
        if topic_policy is None:
            out.append(f"{where}: topic has no policy")
            continue
        if not allows(topic_policy, publish):
            out.append(f"{where}: topic policy refuses sns:Publish")
        foreign_arn = path.source_arn.replace(f":{ACCOUNT}:", f":{FOREIGN}:")
        foreign_source = {**source, "aws:SourceAccount": FOREIGN, "aws:SourceArn": foreign_arn}
        foreign = Request(path.service, "sns:Publish", topic_arn, foreign_source)
        if allows(topic_policy, foreign):
            out.append(f"{where}: topic policy lets another account's {path.service} publish (unconditioned)")
        if path.service == "events.amazonaws.com":
            other_rule = f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:rule/SomebodyElsesRule"
            other = Request(path.service, "sns:Publish", topic_arn, {**source, "aws:SourceArn": other_rule})
            if allows(topic_policy, other):
                out.append(f"{where}: topic policy lets any rule of the account publish")

        key = _topic_key(resolver, templates, path)
        if key is None:
            continue  # unencrypted topic: nothing more to authorize (test_topic_is_kms_encrypted covers ours)
        if isinstance(key, str):
            out.append(f"{where}: topic encrypted with {key}, whose policy cannot let {path.service} use it")
            continue
        key_stack, key_id = key
        key_arn = resolver.arn(key_stack, key_id)
        key_policy = resolver.resolve(key_stack, templates[key_stack]["Resources"][key_id]["Properties"]["KeyPolicy"])
        # What the KMS request carries: CloudWatch passes its source keys; EventBridge does not.
        kms_context = (
            {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": path.source_arn}
            if path.service == "cloudwatch.amazonaws.com"
            else {}
        )
        for action in ("kms:GenerateDataKey", "kms:Decrypt"):
            if not allows(key_policy, Request(path.service, action, key_arn, kms_context)):
                out.append(f"{where}: key policy refuses {action} (with context {sorted(kms_context)})")
        if path.service == "cloudwatch.amazonaws.com":
            foreign_kms = {"aws:SourceAccount": FOREIGN, "aws:SourceArn": foreign_arn}
            if allows(key_policy, Request(path.service, "kms:GenerateDataKey", key_arn, foreign_kms)):
                out.append(f"{where}: key policy lets another account's alarms use the key (unconditioned)")
    return out


def _topic_policy(resolver: Resolver, templates: Templates, path: Path) -> dict[str, Any] | None:
    for stack, _, policy in resources_of_type(templates, "AWS::SNS::TopicPolicy"):
        props = policy["Properties"]
        if any(resolver.reference(stack, t) == (path.stack, path.topic) for t in props["Topics"]):
            return resolver.resolve(stack, props["PolicyDocument"])
    return None


def _topic_key(resolver: Resolver, templates: Templates, path: Path) -> tuple[str, str] | str | None:
    value = templates[path.stack]["Resources"][path.topic]["Properties"].get("KmsMasterKeyId")
    if value is None:
        return None
    ref = resolver.reference(path.stack, value)
    return ref if ref is not None else str(resolver.resolve(path.stack, value))


# --------------------------------------------------------------------------- a small test app


@pytest.fixture(scope="module")
def monitoring_app() -> dict[str, dict[str, Any]]:
    """One PipelineMonitoring with one alarm and one rule (both paths), pinned to ACCOUNT/REGION."""
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "Mon", env=cdk.Environment(account=ACCOUNT, region=REGION))
    monitoring = PipelineMonitoring(stack, "Monitoring")
    monitoring.alarm("Probe", cloudwatch.Metric(namespace="Probe", metric_name="Errors"), threshold=1, description="d")
    monitoring.notify_on("Probe", events.EventPattern(source=["aws.glue"]), message="probe")
    monitoring.notify_on("Probe2", events.EventPattern(source=["aws.states"]), message="probe 2")
    return {"Mon": app.synth().get_stack_by_name("Mon").template}


def test_monitoring_construct_authorizes_both_paths(monitoring_app: dict[str, dict[str, Any]]) -> None:
    paths = notification_paths(monitoring_app)
    services = [p.service for p in paths]
    assert services.count("cloudwatch.amazonaws.com") == 2  # alarm + OK action
    assert services.count("events.amazonaws.com") == 2
    assert problems(monitoring_app) == []


@pytest.mark.parametrize("app", ["dev", "prod"])
def test_every_alarm_and_rule_topic_of_the_app_lets_its_service_publish(
    app: str, request: pytest.FixtureRequest
) -> None:
    result: SynthResult = request.getfixturevalue(app)
    templates = result.templates  # dev is env-agnostic: pseudo parameters resolve to the test account/region
    paths = notification_paths(templates)
    assert {p.service for p in paths} == {"cloudwatch.amazonaws.com", "events.amazonaws.com"}
    assert len(paths) > 20  # every alarm (alarm + OK action) and every rule of the monitoring stack
    assert problems(templates) == []


def _statement(template: dict[str, Any], type_: str, sid: str) -> dict[str, Any]:
    for resource in template["Resources"].values():
        if resource["Type"] == type_:
            document = resource["Properties"].get("PolicyDocument") or resource["Properties"].get("KeyPolicy")
            for statement in document["Statement"]:
                if statement.get("Sid") == sid:
                    return statement
    raise AssertionError(f"no statement {sid} in a {type_}")


def test_checker_catches_a_conditioned_eventbridge_key_grant(monitoring_app: dict[str, dict[str, Any]]) -> None:
    """The silent-drop configuration: the EventBridge KEY statement conditioned like the topic statement."""
    broken = copy.deepcopy(monitoring_app)
    statement = _statement(broken["Mon"], "AWS::KMS::Key", "AllowEventBridgeToUseTheKeyUnconditioned")
    statement["Condition"] = {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    found = problems(broken)
    assert found and all("events.amazonaws.com" in p and "key policy refuses" in p for p in found), found


def test_checker_catches_the_missing_cloudwatch_allow(monitoring_app: dict[str, dict[str, Any]]) -> None:
    """Today's main: the explicit topic policy has no statement for cloudwatch.amazonaws.com."""
    broken = copy.deepcopy(monitoring_app)
    for resource in broken["Mon"]["Resources"].values():
        if resource["Type"] == "AWS::SNS::TopicPolicy":
            document = resource["Properties"]["PolicyDocument"]
            document["Statement"] = [
                s for s in document["Statement"] if s.get("Sid") != "AllowCloudWatchAlarmsOfThisAccount"
            ]
    found = problems(broken)
    assert found and all("cloudwatch.amazonaws.com" in p and "refuses sns:Publish" in p for p in found), found


def test_checker_catches_unconditioned_grants(monitoring_app: dict[str, dict[str, Any]]) -> None:
    """Unconditioned service statements (what aws_events_targets.SnsTopic and Key.grant write) are flagged."""
    broken = copy.deepcopy(monitoring_app)
    for type_, sid in (
        ("AWS::SNS::TopicPolicy", "AllowCloudWatchAlarmsOfThisAccount"),
        ("AWS::SNS::TopicPolicy", "AllowEventBridgeRulesOfThisConstruct"),
        ("AWS::KMS::Key", "AllowCloudWatchAlarmsToUseTheKey"),
    ):
        _statement(broken["Mon"], type_, sid).pop("Condition")
    found = "\n".join(problems(broken))
    assert "lets another account's cloudwatch.amazonaws.com publish" in found
    assert "lets another account's events.amazonaws.com publish" in found
    assert "lets any rule of the account publish" in found
    assert "lets another account's alarms use the key" in found


# --------------------------------------------------------------------------- S3 server access logs -> lake key


def test_s3_log_delivery_may_use_the_lake_key_only_for_this_account() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Lake", env=cdk.Environment(account=ACCOUNT, region=REGION))
    lake = DataLake(stack, "Lake")
    templates = {"Lake": app.synth().get_stack_by_name("Lake").template}
    resolver = Resolver(templates)
    key_id = stack.resolve(stack.get_logical_id(lake.key.node.default_child))  # type: ignore[arg-type]
    policy = resolver.resolve("Lake", templates["Lake"]["Resources"][key_id]["Properties"]["KeyPolicy"])
    key_arn = resolver.arn("Lake", key_id)
    ours = {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": "arn:aws:s3:::source-bucket"}
    assert allows(policy, Request("logging.s3.amazonaws.com", "kms:GenerateDataKey", key_arn, ours))
    foreign = {**ours, "aws:SourceAccount": FOREIGN}
    assert not allows(policy, Request("logging.s3.amazonaws.com", "kms:GenerateDataKey", key_arn, foreign))
