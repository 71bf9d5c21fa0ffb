"""PiiSanitization: Glue job, security configuration, least-privilege role, catalog, trigger and state machine."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Match, Template

from pipeline_stacks import bundling
from pipeline_stacks.config import ConfigError, validate_config
from pipeline_stacks.constructs import (
    DataLake,
    PiiSanitization,
    PiiSanitizationProps,
    SanitizeOptions,
)
from tests.cdk.support import SynthResult

EXISTING_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:pii-hmac-AbC123"


# --------------------------------------------------------------------------- helpers


def _ref(stack: cdk.Stack, construct: Any) -> str:
    return stack.get_logical_id(construct.node.default_child)


def _resource(template: Template, type_: str, prefix: str = "") -> dict[str, Any]:
    """The one resource of ``type_`` whose logical id starts with ``prefix`` (the data stack also holds the
    knowledge base's rule and state machine: ``prefix="Sanitization"`` picks the job's)."""
    found = {k: v for k, v in template.find_resources(type_).items() if k.startswith(prefix)}
    assert len(found) == 1, f"{type_}: {list(found)}"
    return next(iter(found.values()))["Properties"]


def _job(template: Template) -> dict[str, Any]:
    return _resource(template, "AWS::Glue::Job")


def _role_statements(template: Template, role_id: str) -> list[dict[str, Any]]:
    """Every statement of the customer-managed policies attached to the role ``role_id``."""
    statements = []
    for policy in template.find_resources("AWS::IAM::ManagedPolicy").values():
        if {"Ref": role_id} in policy["Properties"].get("Roles", []):
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    assert statements, f"no managed policy for {role_id}"
    return statements


def _definition(template: Template) -> dict[str, Any]:
    body = _resource(template, "AWS::StepFunctions::StateMachine", "Sanitization")["DefinitionString"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    return json.loads("".join(p if isinstance(p, str) else "aws" for p in parts))


@pytest.fixture(scope="module")
def data(dev: SynthResult) -> Template:
    return dev.template("data")


@pytest.fixture(scope="module")
def ids(dev: SynthResult) -> dict[str, str]:
    stack = dev.pipeline.data
    lake, sanitization = stack.data_lake, stack.sanitization
    return {
        **{role: _ref(stack, bucket) for role, bucket in lake.buckets.items()},
        "key": _ref(stack, lake.key),
        "secret": _ref(stack, sanitization.hash_key_secret),
        "job_logs": _ref(stack, sanitization.log_group),
        "role": _ref(stack, sanitization.role),
    }


# --------------------------------------------------------------------------- runtime parity


def test_job_arguments_are_ones_the_entry_script_accepts(data: Template) -> None:
    pytest.importorskip("pyspark")
    from glue_jobs.sanitize_job import OPTIONAL_ARGS, REQUIRED_ARGS

    ours = {k[2:] for k in _job(data)["DefaultArguments"] if not k.startswith("--enable") and "-" not in k[2:]}
    assert set(REQUIRED_ARGS) - {"JOB_NAME"} <= ours
    assert ours <= set(REQUIRED_ARGS) | set(OPTIONAL_ARGS)


def test_library_zip_has_the_package_at_its_root_with_package_data(
    tmp_path: Path,
) -> None:
    bundler = bundling.LocalPythonBundling(
        [bundling.Copy("glue_jobs", "glue_jobs"), *bundling.SHARED_RUNTIME_COPIES], zip_name="glue_jobs.zip"
    )
    bundler.try_bundle(str(tmp_path), image=cdk.DockerImage.from_registry("unused"))
    archive = tmp_path / "glue_jobs.zip"
    names = set(zipfile.ZipFile(archive).namelist())
    for name in (
        "glue_jobs/__init__.py",
        "glue_jobs/transform.py",
        "glue_jobs/metrics.py",
        "pipeline_contract.py",
        "pii_engine/__init__.py",
        "pii_engine/data/first_names.txt.gz",
    ):
        assert name in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    # Import from the zip only (zipimport) and read the gazetteers as package data, as Glue will.
    probe = (
        "import glue_jobs.metrics, pii_engine as p, pii_engine.recognizers.names as n; "
        f"assert p.__file__.startswith({str(archive)!r}), p.__file__; "
        "assert len(n.gazetteers().first) > 1000; "
        "assert p.detect('mail jane@example.com')"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        check=False,
        env={"PYTHONPATH": str(archive)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr


# --------------------------------------------------------------------------- the Glue job


def test_glue_job_is_pinned_sized_and_secured(data: Template) -> None:
    job = _job(data)
    assert job["GlueVersion"] == "5.0"
    assert job["Command"]["Name"] == "glueetl" and job["Command"]["PythonVersion"] == "3"
    assert job["WorkerType"] == "G.1X"
    assert job["NumberOfWorkers"] == 10  # auto scaling on: the upper bound
    assert job["Timeout"] == 120
    assert job["MaxRetries"] == 0  # retries happen in the state machine
    assert job["ExecutionProperty"] == {"MaxConcurrentRuns": 1}
    assert job["NotificationProperty"] == {"NotifyDelayAfter": 90}
    assert set(job["SecurityConfiguration"]) == {"Ref"}
    assert job["Name"] == "llm-pipeline-dev-sanitize"


def test_glue_job_arguments(data: Template, ids: dict[str, str]) -> None:
    args = _job(data)["DefaultArguments"]
    assert args["--job-bookmark-option"] == "job-bookmark-enable"
    assert args["--enable-auto-scaling"] == "true"
    assert args["--enable-continuous-cloudwatch-log"] == "true"
    assert (
        args["--custom-logGroup-prefix"] == "/aws-glue/jobs/llm-pipeline-dev-sanitize"
    )  # Glue 5: <prefix>/error|output
    assert "--continuous-log-logGroup" not in args
    assert args["--enable-metrics"] == ""
    assert args["--enable-observability-metrics"] == "true"
    assert args["--hash_key_secret_arn"] == {"Ref": ids["secret"]}
    assert args["--metrics_namespace"] == "LlmPipeline/Sanitization"
    assert args["--output_format"] == "parquet" and args["--scan_all_strings"] == "true"
    assert args["--default_mode"] == "mask"
    for name, role, prefix in (
        ("--raw_path", "raw", "/incoming/"),
        ("--sanitized_path", "sanitized", "/train/curated/"),  # inside training's train/ split
        ("--quarantine_path", "quarantine", "/records/"),
    ):
        assert args[name] == {"Fn::Join": ["", ["s3://", {"Ref": ids[role]}, prefix]]}, name
    # the job's file bookmark lives in the (never expiring) sanitized bucket, outside the table location
    assert args["--state_path"] == {
        "Fn::Join": [
            "",
            ["s3://", {"Ref": ids["sanitized"]}, "/_state/llm-pipeline-dev-sanitize/"],
        ]
    }
    extra = json.dumps(args["--extra-py-files"])
    assert extra.count(".zip") == 1 and "cdk-hnb659fds-assets" in extra
    assert json.dumps(_job(data)["Command"]["ScriptLocation"]).endswith('.py"]]}')


def test_default_pii_profile_job_argument_is_recall(data: Template) -> None:
    # the app's default (sanitization.pii_profile) reaches the job: training data is sanitized for recall
    assert _job(data)["DefaultArguments"]["--pii_profile"] == "recall"


def test_pii_profile_config_key_reaches_the_job_options() -> None:
    cfg = validate_config({"env_name": "dev", "sanitization": {"pii_profile": "balanced"}}).sanitization
    options = cfg.to_props(SanitizeOptions)
    assert options.pii_profile == "balanced" and options.job_arguments()["--pii_profile"] == "balanced"
    assert validate_config({"env_name": "dev"}).sanitization.to_props(SanitizeOptions).pii_profile == "recall"


def test_security_configuration_encrypts_s3_logs_and_bookmarks_with_the_lake_key(
    data: Template, ids: dict[str, str]
) -> None:
    key = {"Fn::GetAtt": [ids["key"], "Arn"]}
    enc = _resource(data, "AWS::Glue::SecurityConfiguration")["EncryptionConfiguration"]
    assert enc["S3Encryptions"] == [{"S3EncryptionMode": "SSE-KMS", "KmsKeyArn": key}]
    assert enc["CloudWatchEncryption"] == {
        "CloudWatchEncryptionMode": "SSE-KMS",
        "KmsKeyArn": key,
    }
    assert enc["JobBookmarksEncryption"] == {
        "JobBookmarksEncryptionMode": "CSE-KMS",
        "KmsKeyArn": key,
    }


def test_log_groups_are_kms_encrypted_with_retention(data: Template, ids: dict[str, str]) -> None:
    for name in (
        "/aws-glue/jobs/llm-pipeline-dev-sanitize/error",
        "/aws-glue/jobs/llm-pipeline-dev-sanitize/output",
        "/aws/vendedlogs/states/llm-pipeline-dev-sanitization",
    ):
        data.has_resource_properties(
            "AWS::Logs::LogGroup",
            {
                "LogGroupName": name,
                "KmsKeyId": {"Fn::GetAtt": [ids["key"], "Arn"]},
                "RetentionInDays": 365,
            },
        )


def test_hash_key_secret_is_generated_and_encrypted(data: Template, ids: dict[str, str]) -> None:
    secret = _resource(data, "AWS::SecretsManager::Secret")
    assert secret["KmsKeyId"] == {"Fn::GetAtt": [ids["key"], "Arn"]}
    assert secret["GenerateSecretString"]["PasswordLength"] == 64
    assert "SecretString" not in secret
    assert data.find_resources("AWS::SecretsManager::Secret")[ids["secret"]]["DeletionPolicy"] == "Retain"


# --------------------------------------------------------------------------- least privilege


def test_job_role_is_glue_only_without_aws_managed_policies(data: Template, ids: dict[str, str]) -> None:
    role = data.find_resources("AWS::IAM::Role")[ids["role"]]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "glue.amazonaws.com"},
        }
    ]
    assert "ManagedPolicyArns" not in role
    assert "Policies" not in role


def test_job_role_policy_is_scoped(data: Template, ids: dict[str, str]) -> None:
    statements = _role_statements(data, ids["role"])
    text = json.dumps(statements)
    assert '"s3:*"' not in text and '"kms:*"' not in text and '"glue:*"' not in text
    for st in statements:
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        if resources == ["*"]:
            assert actions == ["cloudwatch:PutMetricData"] or actions == "cloudwatch:PutMetricData"
            assert st["Condition"] == {"StringEquals": {"cloudwatch:namespace": ["LlmPipeline/Sanitization", "Glue"]}}
        if any(a.startswith("secretsmanager:") for a in actions):
            assert resources == [{"Ref": ids["secret"]}]
        if any(a.startswith("glue:") for a in actions):
            assert len(resources) == 1 and ":job/llm-pipeline-dev-sanitize" in json.dumps(resources[0])
    objects = {
        json.dumps(r)
        for st in statements
        for r in (st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]])
        if "Fn::Join" in json.dumps(r) and "GetAtt" in json.dumps(r)
    }
    scoped = (
        ("raw", "incoming"),
        ("sanitized", "train/curated"),
        ("sanitized", "_state"),
        ("quarantine", "records"),
        ("interactions", "interactions"),
    )
    for role, prefix in scoped:
        assert any(ids[role] in o and f"/{prefix}/*" in o for o in objects), role
        assert not any(ids[role] in o and o.endswith('"/*"]]}') for o in objects), f"{role} objects not prefix-scoped"
    for never in ("artifacts", "access_logs"):
        assert ids[never] not in text
    writes = [st for st in statements if "s3:DeleteObject*" in json.dumps(st["Action"])]
    assert writes and all(ids["raw"] not in json.dumps(st["Resource"]) for st in writes)


def test_asset_reads_are_single_objects(data: Template, ids: dict[str, str]) -> None:
    statements = _role_statements(data, ids["role"])
    asset_reads = [st for st in statements if "cdk-hnb659fds-assets" in json.dumps(st["Resource"])]
    assert asset_reads and all(st["Action"] == "s3:GetObject" for st in asset_reads)
    assert all(json.dumps(st["Resource"]).count("*") == 0 for st in asset_reads)


# --------------------------------------------------------------------------- catalog


def test_catalog_database_and_partition_projected_table(data: Template, ids: dict[str, str]) -> None:
    db = _resource(data, "AWS::Glue::Database")
    assert db["DatabaseInput"]["Name"] == "llm_pipeline_dev_sanitized"
    table = _resource(data, "AWS::Glue::Table")["TableInput"]
    assert table["StorageDescriptor"]["Location"] == {
        "Fn::Join": ["", ["s3://", {"Ref": ids["sanitized"]}, "/train/curated/"]]
    }
    assert table["PartitionKeys"] == [{"Name": "ingestion_date", "Type": "string", "Comment": "YYYY-MM-DD"}]
    assert table["Parameters"]["projection.enabled"] == "true"
    assert table["Parameters"]["projection.ingestion_date.format"] == "yyyy-MM-dd"
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == [
        "record",
        "source_file",
    ]


# --------------------------------------------------------------------------- trigger and state machine


def test_upload_rule_matches_object_created_in_the_raw_prefix(data: Template, ids: dict[str, str]) -> None:
    rule = _resource(data, "AWS::Events::Rule", "Sanitization")
    assert rule["EventPattern"] == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": [{"Ref": ids["raw"]}]},
            # raw knowledge documents (rag.knowledge_prefix) start the job's document pass too
            "object": {"key": [{"prefix": "incoming/"}, {"prefix": "knowledge/"}]},
        },
    }
    (target,) = rule["Targets"]
    assert "RoleArn" in target and set(target["Arn"]) == {"Ref"}


def test_state_machine_runs_the_job_sync_with_batching(data: Template) -> None:
    d = _definition(data)
    states = d["States"]
    assert d["QueryLanguage"] == "JSONata"
    assert d["TimeoutSeconds"] > 2 * 120 * 60
    run = states["SanitizeRun"]
    assert run["Resource"].endswith(":states:::glue:startJobRun.sync")
    assert run["Arguments"]["JobName"] == "llm-pipeline-dev-sanitize"
    assert run["Retry"][0] == {
        "ErrorEquals": ["Glue.ConcurrentRunsExceededException"],
        "MaxAttempts": 0,
    }
    assert run["Retry"][1]["ErrorEquals"] == ["States.TaskFailed"] and run["Retry"][1]["MaxAttempts"] == 1
    assert run["Catch"][0] == {
        "ErrorEquals": ["Glue.ConcurrentRunsExceededException"],
        "Next": "FindCoveringRun",
    }
    assert states[run["Catch"][1]["Next"]]["Type"] == "Fail"
    assert states["FindCoveringRun"]["Resource"].endswith(":states:::aws-sdk:glue:getJobRuns")
    assert states["SettleBurst"] == {
        "Type": "Wait",
        "Seconds": 300,
        "Next": "SanitizeRun",
    }
    assert states["FromUpload"]["Default"] == "SanitizeRun"  # manual starts skip the batching wait


def test_state_machine_logs_everything_but_execution_data_and_traces(
    data: Template,
) -> None:
    sm = _resource(data, "AWS::StepFunctions::StateMachine", "Sanitization")
    assert sm["LoggingConfiguration"]["Level"] == "ALL"
    assert sm["LoggingConfiguration"]["IncludeExecutionData"] is False
    assert sm["TracingConfiguration"] == {"Enabled": True}
    assert sm["StateMachineName"] == "llm-pipeline-dev-sanitization"


# --------------------------------------------------------------------------- hooks


def test_metric_and_event_hooks(dev: SynthResult) -> None:
    s = dev.pipeline.data.sanitization
    m = s.metric_records_in()
    assert (m.namespace, m.metric_name, m.dimensions) == (
        "LlmPipeline/Sanitization",
        "RecordsIn",
        {"JobName": "llm-pipeline-dev-sanitize"},
    )
    assert s.metric_records_quarantined().metric_name == "RecordsQuarantined"
    assert s.metric_records_quarantined("drop").dimensions == {
        "JobName": "llm-pipeline-dev-sanitize",
        "Reason": "drop",
    }
    assert s.metric_entities_redacted("US_SSN").dimensions["Entity"] == "US_SSN"
    assert "SEARCH(" in s.metric_entities_redacted().expression  # type: ignore[attr-defined]
    assert s.metric_failed_runs().metric_name == "ExecutionsFailed"
    assert s.metric_count_invariant_violations().statistic == "Maximum"
    pattern = s.glue_failure_event_pattern()
    assert pattern.detail == {
        "jobName": ["llm-pipeline-dev-sanitize"],
        "state": ["FAILED", "TIMEOUT", "ERROR"],
    }
    assert pattern.detail_type == ["Glue Job State Change"]


def _standalone(props: PiiSanitizationProps) -> tuple[cdk.Stack, PiiSanitization]:
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "Lib")
    lake = DataLake(stack, "Lake")
    return stack, PiiSanitization(stack, "Sanitization", data_lake=lake, props=props)


def test_start_run_task_for_continuous_learning_from_another_stack() -> None:
    stack, s = _standalone(PiiSanitizationProps())
    other = cdk.Stack(stack.node.root, "Monitoring")  # type: ignore[arg-type]
    task = s.start_run_task(
        other,
        "Sanitize",
        input_path=sfn.JsonPath.string_at("$.path"),
        ingestion_date="2026-01-01",
    )
    sfn.StateMachine(other, "Loop", definition_body=sfn.DefinitionBody.from_chainable(task))
    t = Template.from_stack(other)
    body = json.dumps(t.find_resources("AWS::StepFunctions::StateMachine"))
    for needle in (
        "glue:startJobRun.sync",
        "--raw_path.$",
        "job-bookmark-disable",
        "Glue.ConcurrentRunsExceededException",
    ):
        assert needle in body, needle
    default_run = s.start_run_task(other, "SanitizeDefaults")
    assert "Arguments" not in json.dumps(other.resolve(default_run.to_state_json()).get("Parameters", {}))
    t.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with([Match.object_like({"Action": Match.array_with(["glue:StartJobRun"])})])
            }
        },
    )


def test_start_run_task_overrides_output_state_and_arguments() -> None:
    stack, s = _standalone(PiiSanitizationProps(extra_output_prefixes=("train/interactions/",)))
    other = cdk.Stack(stack.node.root, "Loop")  # type: ignore[arg-type]
    task = s.start_run_task(
        other,
        "SanitizeInteractions",
        input_path="s3://interactions/interactions/",
        use_bookmark=True,
        sanitized_path="s3://sanitized/train/interactions/",
        extra_arguments={"--output_format": "jsonl"},
    )
    args = other.resolve(task.to_state_json())["Parameters"]["Arguments"]
    assert args["--job-bookmark-option"] == "job-bookmark-enable"
    assert args["--sanitized_path"] == "s3://sanitized/train/interactions/"
    assert args["--output_format"] == "jsonl"
    state = json.dumps(args["--state_path"])  # its own bookmark, under the job's never-expiring state prefix
    assert "/_state/Lib-sanitize/SanitizeInteractions/" in state
    statements = json.dumps(Template.from_stack(stack).find_resources("AWS::IAM::ManagedPolicy"))
    assert "/train/interactions/*" in statements and "/feedback/*" in statements


def test_on_demand_jsonl_with_existing_secret() -> None:
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "Lib")
    lake = DataLake(stack, "Lake")
    secret = secretsmanager.Secret.from_secret_complete_arn(stack, "Hmac", EXISTING_SECRET)
    PiiSanitization(
        stack,
        "Sanitization",
        data_lake=lake,
        props=PiiSanitizationProps(
            trigger_on_upload=False,
            hash_key_secret=secret,
            options=SanitizeOptions(
                output_format="jsonl",
                default_mode="hash",
                entity_modes={"US_SSN": "drop"},
            ),
            batch_window=cdk.Duration.seconds(0),
        ),
    )
    t = Template.from_stack(stack)
    t.resource_count_is("AWS::Events::Rule", 0)
    t.resource_count_is("AWS::SecretsManager::Secret", 0)
    args = _job(t)["DefaultArguments"]
    assert args["--hash_key_secret_arn"] == EXISTING_SECRET
    assert args["--output_format"] == "jsonl" and args["--entity_modes"] == "US_SSN=drop"
    assert EXISTING_SECRET in json.dumps(t.find_resources("AWS::IAM::ManagedPolicy"))
    table = _resource(t, "AWS::Glue::Table")["TableInput"]
    assert table["StorageDescriptor"]["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["record"]
    assert "SettleBurst" not in _definition(t)["States"]


def test_props_reject_inconsistent_values() -> None:
    with pytest.raises(ValueError, match="max_concurrent_runs=1"):
        PiiSanitizationProps(max_concurrent_runs=2)
    with pytest.raises(ValueError, match=r"worker_type=\'G\.025X\'"):
        PiiSanitizationProps(worker_type="G.025X")
    with pytest.raises(ValueError, match=r"unknown entity type\(s\) \['SSN'\]"):
        SanitizeOptions(entity_modes={"SSN": "drop"})
    with pytest.raises(ValueError, match="text_fields or scan_all_strings"):
        SanitizeOptions(scan_all_strings=False)
    with pytest.raises(ValueError, match="pii_profile='strict'"):
        SanitizeOptions(pii_profile="strict")
    assert SanitizeOptions().job_arguments()["--pii_profile"] == "recall"
    with pytest.raises(ValueError, match="raw_prefix"):
        PiiSanitizationProps(raw_prefix="incoming")
    with pytest.raises(ValueError, match="must not overlap"):
        PiiSanitizationProps(sanitized_prefix="data/", state_prefix="data/state/")


# --------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (
            {"worker_type": "G.025X"},
            r"sanitization\.worker_type = 'G.025X'.*only for Glue streaming jobs.*G\.1X",
        ),
        ({"worker_type": "G.3X"}, r"sanitization\.worker_type = 'G.3X'.*'G.1X'"),
        (
            {"glue_version": "4.0"},
            r"sanitization\.glue_version = '4.0'.*'5.0', '5.1' or '6.0'",
        ),
        (
            {"default_mode": "redact"},
            r"sanitization\.default_mode = 'redact'.*'mask', 'hash' or 'drop'",
        ),
        (
            {"entity_modes": {"SSN": "drop"}},
            r"sanitization\.entity_modes = .*unknown entity type\(s\) \['SSN'\].*US_SSN",
        ),
        (
            {"entity_modes": {"US_SSN": "shred"}},
            r"sanitization\.entity_modes\.US_SSN = 'shred'.*'mask', 'hash' or 'drop'",
        ),
        (
            {"entities": ["EMAIL", "PERSON"]},
            r"sanitization\.entities = .*unknown entity type\(s\) \['EMAIL'\]",
        ),
        (
            {"text_fields": ["messages[].", "a"]},
            r"sanitization\.text_fields = .*'messages\[\]\.' is not a field path",
        ),
        (
            {"scan_all_strings": False},
            r"sanitization\.text_fields is empty.*scan_all_strings=false",
        ),
        (
            {"max_retries": 11},
            r"sanitization\.max_retries = 11.*less than or equal to 10",
        ),
        (
            {"number_of_workers": 1},
            r"sanitization\.number_of_workers = 1.*greater than or equal to 2",
        ),
        (
            {"number_of_workers": 20, "max_workers": 10},
            r"max_workers=10 is below sanitization\.number_of_workers=20",
        ),
        (
            {"max_concurrent_runs": 3},
            r"max_concurrent_runs=3 is not allowed with sanitization\.trigger='object_created'",
        ),
        (
            {"log_retention_days": 42},
            r"sanitization\.log_retention_days = 42.*allowed: 1, 3, 5",
        ),
        (
            {"raw_prefix": "/incoming"},
            r"sanitization\.raw_prefix = '/incoming'.*pattern",
        ),
        (
            {"min_score": 1.5},
            r"sanitization\.min_score = 1\.5.*less than or equal to 1",
        ),
        (
            {"existing_hash_key_secret_arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:x"},
            r"pattern",
        ),
        (
            {"pii_profile": "strict"},
            r"sanitization\.pii_profile = 'strict'.*'balanced' or 'recall'",
        ),
        (
            {"trigger": "cron"},
            r"sanitization\.trigger = 'cron'.*'object_created' or 'on_demand'",
        ),
        (
            {"workers": 3},
            r"sanitization\.workers: unknown key; allowed keys here: .*worker_type",
        ),
    ],
)
def test_bad_sanitization_config_names_key_value_and_allowed(section: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        validate_config({"env_name": "dev", "sanitization": section})


def test_good_sanitization_config_passes() -> None:
    cfg = validate_config(
        {
            "env_name": "dev",
            "sanitization": {
                "trigger": "on_demand",
                "max_concurrent_runs": 3,
                "scan_all_strings": False,
                "text_fields": ["messages[].content", "notes"],
                "entity_modes": {"US_SSN": "drop", "EMAIL_ADDRESS": "hash"},
                "glue_version": 5.1,
            },
        }
    ).sanitization
    assert cfg.glue_version == "5.1" and cfg.entity_modes["US_SSN"] == "drop"


def test_prod_template_pins_account_region_in_scoped_arns(prod: SynthResult) -> None:
    text = json.dumps(prod.templates["llm-pipeline-prod-data"])
    assert "arn:aws:logs:us-east-1:123456789012:log-group:/aws-glue/jobs/*" in text
    assert "arn:aws:glue:us-east-1:123456789012:job/llm-pipeline-prod-sanitize" in text


def test_failure_pattern_is_an_event_pattern(dev: SynthResult) -> None:
    assert isinstance(dev.pipeline.data.sanitization.glue_failure_event_pattern(), events.EventPattern)
