"""KnowledgeBase: S3 Vectors store, least-privilege KB role, data source, batched ingestion trigger, monitoring."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from pipeline_stacks import compliance
from pipeline_stacks.constructs import (
    DataLake,
    KnowledgeBase,
    KnowledgeBaseProps,
    PiiSanitization,
    PiiSanitizationProps,
    PipelineMonitoring,
)
from tests.cdk.support import cfn_lint_errors, nag_findings

ENV = cdk.Environment(account="123456789012", region="us-east-1")
KENDRA_INDEX = "arn:aws:kendra:us-east-1:123456789012:index/0123abcd-0123-4567-89ab-0123456789ab"


@dataclass
class KbApp:
    kb: KnowledgeBase
    data: Template
    serving: Template
    monitoring: Template
    outdir: Path

    def findings(self) -> list[str]:
        return nag_findings(self.outdir)


def _synth(outdir: Path, props: KnowledgeBaseProps | None = None) -> KbApp:
    """Data stack (lake + sanitization with the knowledge pass) -> serving stack (KB) -> monitoring stack."""
    app = cdk.App(
        outdir=str(outdir),
        context={"aws:cdk:bundling-stacks": [], "@aws-cdk/core:failSynthOnValidationErrors": False},
    )
    data = cdk.Stack(app, "Data", env=ENV)
    lake = DataLake(data, "Lake")
    PiiSanitization(data, "Sanitization", data_lake=lake, props=PiiSanitizationProps(knowledge_prefix="knowledge/"))
    serving = cdk.Stack(app, "Serving", env=ENV)
    kb = KnowledgeBase(serving, "Knowledge", data_lake=lake, props=props)
    monitoring_stack = cdk.Stack(app, "Monitoring", env=ENV)
    monitoring = PipelineMonitoring(monitoring_stack, "Monitoring")
    if kb.state_machine is not None:
        monitoring.monitor_knowledge_base(kb)
    compliance.add_compliance_checks(app)
    app.synth()
    return KbApp(
        kb,
        Template.from_stack(data),
        Template.from_stack(serving),
        Template.from_stack(monitoring_stack),
        outdir,
    )


@pytest.fixture(scope="module")
def s3v(tmp_path_factory: pytest.TempPathFactory) -> KbApp:
    return _synth(tmp_path_factory.mktemp("kb-s3v"))


@pytest.fixture(scope="module")
def kendra(tmp_path_factory: pytest.TempPathFactory) -> KbApp:
    return _synth(
        tmp_path_factory.mktemp("kb-kendra"), KnowledgeBaseProps(vector_store="kendra", kendra_index_arn=KENDRA_INDEX)
    )


@pytest.fixture(scope="module")
def aoss(tmp_path_factory: pytest.TempPathFactory) -> KbApp:
    return _synth(tmp_path_factory.mktemp("kb-aoss"), KnowledgeBaseProps(vector_store="opensearch_serverless"))


def _only(template: Template, type_: str) -> dict[str, Any]:
    found = template.find_resources(type_)
    assert len(found) == 1, f"{type_}: {list(found)}"
    return dict(next(iter(found.values()))["Properties"])


def _role_statements(template: Template, role_prefix: str) -> list[dict[str, Any]]:
    statements = []
    for logical_id, policy in template.find_resources("AWS::IAM::ManagedPolicy").items():
        if logical_id.startswith(role_prefix):
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    assert statements
    return statements


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def test_nag_clean_in_all_three_packs(s3v: KbApp, kendra: KbApp, aoss: KbApp) -> None:
    assert s3v.findings() == []
    assert kendra.findings() == []
    assert aoss.findings() == []


def test_cfn_lint_has_no_errors(s3v: KbApp, kendra: KbApp, aoss: KbApp) -> None:
    templates = [p for app in (s3v, kendra, aoss) for p in sorted(app.outdir.glob("*.template.json"))]
    assert cfn_lint_errors(templates) == []


def test_s3_vectors_store_is_kms_encrypted_with_bedrock_keys_not_filterable(s3v: KbApp) -> None:
    key_arn = {"Fn::GetAtt": [next(iter(s3v.serving.find_resources("AWS::KMS::Key"))), "Arn"]}
    bucket = _only(s3v.serving, "AWS::S3Vectors::VectorBucket")
    assert bucket["EncryptionConfiguration"] == {"SseType": "aws:kms", "KmsKeyArn": key_arn}
    index = _only(s3v.serving, "AWS::S3Vectors::Index")
    assert index["EncryptionConfiguration"] == {"SseType": "aws:kms", "KmsKeyArn": key_arn}
    assert (index["Dimension"], index["DistanceMetric"], index["DataType"]) == (1024, "cosine", "float32")
    assert index["MetadataConfiguration"]["NonFilterableMetadataKeys"] == [
        "AMAZON_BEDROCK_TEXT",
        "AMAZON_BEDROCK_METADATA",
    ]
    key = _only(s3v.serving, "AWS::KMS::Key")
    assert key["EnableKeyRotation"] is True
    indexing = [s for s in key["KeyPolicy"]["Statement"] if s.get("Sid") == "AllowS3VectorsIndexing"]
    assert indexing and indexing[0]["Principal"] == {"Service": "indexing.s3vectors.amazonaws.com"}
    assert indexing[0]["Action"] == "kms:Decrypt"
    assert set(indexing[0]["Condition"]) == {"StringEquals", "ArnLike"}


def test_knowledge_base_uses_s3_vectors_and_the_configured_embedding_model(s3v: KbApp) -> None:
    kb = _only(s3v.serving, "AWS::Bedrock::KnowledgeBase")
    vector = kb["KnowledgeBaseConfiguration"]["VectorKnowledgeBaseConfiguration"]
    assert "foundation-model/amazon.titan-embed-text-v2:0" in json.dumps(vector["EmbeddingModelArn"])
    assert vector["EmbeddingModelConfiguration"]["BedrockEmbeddingModelConfiguration"]["Dimensions"] == 1024
    storage = kb["StorageConfiguration"]
    assert storage["Type"] == "S3_VECTORS"
    assert set(storage["S3VectorsConfiguration"]) == {"IndexArn", "VectorBucketArn"}


def test_data_source_reads_only_the_sanitized_knowledge_prefix(s3v: KbApp) -> None:
    source = _only(s3v.serving, "AWS::Bedrock::DataSource")
    s3 = source["DataSourceConfiguration"]["S3Configuration"]
    assert s3["InclusionPrefixes"] == ["knowledge/"]
    assert "Sanitized" in json.dumps(s3["BucketArn"]) and "Raw" not in json.dumps(s3["BucketArn"])
    assert "KmsKeyArn" in source["ServerSideEncryptionConfiguration"]
    chunking = source["VectorIngestionConfiguration"]["ChunkingConfiguration"]
    assert chunking == {
        "ChunkingStrategy": "FIXED_SIZE",
        "FixedSizeChunkingConfiguration": {"MaxTokens": 300, "OverlapPercentage": 20},
    }


def test_kb_role_is_least_privilege(s3v: KbApp) -> None:
    roles = {k: v for k, v in s3v.serving.find_resources("AWS::IAM::Role").items() if k.startswith("KnowledgeRole")}
    trust = next(iter(roles.values()))["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert "knowledge-base/*" in json.dumps(trust["Condition"]["ArnLike"])
    statements = _role_statements(s3v.serving, "KnowledgeRole")
    by_action = {a: s for s in statements for a in _actions(s)}
    assert set(by_action) == {
        "s3vectors:GetIndex", "s3vectors:PutVectors", "s3vectors:GetVectors", "s3vectors:DeleteVectors",
        "s3vectors:QueryVectors", "bedrock:InvokeModel", "s3:GetObject", "s3:ListBucket", "kms:Decrypt",
        "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
    }  # fmt: skip
    assert by_action["s3vectors:QueryVectors"]["Resource"] == {"Fn::GetAtt": [
        next(iter(s3v.serving.find_resources("AWS::S3Vectors::Index"))), "IndexArn"]}  # fmt: skip
    assert json.dumps(by_action["s3:GetObject"]["Resource"]).endswith('"/knowledge/*"]]}')
    assert "foundation-model/amazon.titan-embed-text-v2:0" in json.dumps(by_action["bedrock:InvokeModel"]["Resource"])
    assert "*" not in json.dumps([s["Resource"] for s in statements]).replace("/knowledge/*", "")


def test_sanitized_uploads_start_the_batched_ingestion_state_machine(s3v: KbApp) -> None:
    rules = s3v.serving.find_resources("AWS::Events::Rule")
    (rule,) = rules.values()
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["object"] == {"key": [{"prefix": "knowledge/"}]}
    assert "Sanitized" in json.dumps(pattern["detail"]["bucket"])
    machine = _only(s3v.serving, "AWS::StepFunctions::StateMachine")
    definition = json.loads(
        "".join(p if isinstance(p, str) else "X" for p in machine["DefinitionString"]["Fn::Join"][1])
    )
    states = definition["States"]
    assert definition["StartAt"] == "ReadRequest" and states["SettleBurst"]["Seconds"] == 300
    assert states["StartIngestionJob"]["Resource"] == "arn:X:states:::aws-sdk:bedrockagent:startIngestionJob"
    catches = {tuple(c["ErrorEquals"]): c["Next"] for c in states["StartIngestionJob"]["Catch"]}
    assert (
        catches[("BedrockAgent.ConflictException", "BedrockAgent.ServiceQuotaExceededException")] == "FindCoveringJob"
    )
    assert catches[("States.ALL",)] == "StartFailed"
    assert states["GetIngestionJob"]["Next"] == "JobDone"
    assert states["IngestionFailed"]["Type"] == "Fail" and states["Ingested"]["Type"] == "Succeed"
    actions = {a for s in _role_statements(s3v.serving, "KnowledgeStateMachineRole") for a in _actions(s)}
    assert {"bedrock:StartIngestionJob", "bedrock:GetIngestionJob", "bedrock:ListIngestionJobs"} <= actions
    assert machine["LoggingConfiguration"]["IncludeExecutionData"] is False


def test_monitoring_alarms_on_failed_and_timed_out_ingestion(s3v: KbApp) -> None:
    alarms = s3v.monitoring.find_resources("AWS::CloudWatch::Alarm")
    metrics = {(a["Properties"]["MetricName"], a["Properties"]["Namespace"]) for a in alarms.values()}
    assert metrics == {("ExecutionsFailed", "AWS/States"), ("ExecutionsTimedOut", "AWS/States")}
    assert all(a["Properties"]["AlarmActions"] for a in alarms.values())


def test_sanitization_knowledge_pass_arguments_grants_and_trigger(s3v: KbApp) -> None:
    job = _only(s3v.data, "AWS::Glue::Job")
    args = job["DefaultArguments"]
    for name in ("--knowledge_raw_path", "--knowledge_sanitized_path", "--knowledge_quarantine_path"):
        assert json.dumps(args[name]).endswith('/knowledge/"]]}'), name
    rule = next(
        r
        for r in s3v.data.find_resources("AWS::Events::Rule").values()
        if "object" in r["Properties"]["EventPattern"]["detail"]
    )
    assert rule["Properties"]["EventPattern"]["detail"]["object"]["key"] == [
        {"prefix": "incoming/"},
        {"prefix": "knowledge/"},
    ]
    resources = json.dumps(
        [s["Resource"] for s in _role_statements(s3v.data, "SanitizationJobRole") if "s3:GetObject*" in _actions(s)]
    )
    assert resources.count("/knowledge/*") == 3  # raw read, sanitized read/write, quarantine read/write


def test_sanitized_bucket_sends_events_to_eventbridge(s3v: KbApp) -> None:
    buckets = s3v.data.find_resources("AWS::S3::Bucket")
    sanitized = next(v for k, v in buckets.items() if k.startswith("LakeSanitized"))
    assert sanitized["Properties"]["NotificationConfiguration"] == {
        "EventBridgeConfiguration": {"EventBridgeEnabled": True}
    }


def test_kendra_retriever_option_has_no_data_source_or_trigger(kendra: KbApp) -> None:
    kb = _only(kendra.serving, "AWS::Bedrock::KnowledgeBase")
    assert kb["KnowledgeBaseConfiguration"] == {
        "Type": "KENDRA",
        "KendraKnowledgeBaseConfiguration": {"KendraIndexArn": KENDRA_INDEX},
    }
    assert "StorageConfiguration" not in kb
    for type_ in ("AWS::Bedrock::DataSource", "AWS::S3Vectors::Index", "AWS::StepFunctions::StateMachine"):
        assert kendra.serving.find_resources(type_) == {}
    statements = _role_statements(kendra.serving, "KnowledgeRole")
    assert statements == [
        {
            "Action": ["kendra:Retrieve", "kendra:DescribeIndex"],
            "Effect": "Allow",
            "Resource": KENDRA_INDEX,
            "Sid": "RetrieveFromKendraIndex",
        }
    ]
    with pytest.raises(ValueError, match="kendra"):
        kendra.kb.metric_failed_ingestions()


def test_grant_retrieve_is_scoped_to_the_knowledge_base() -> None:
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "S", env=ENV)
    kb = KnowledgeBase(
        stack, "Kb", data_lake=DataLake(stack, "Lake"), props=KnowledgeBaseProps(trigger_on_upload=False)
    )
    from aws_cdk import aws_iam as iam

    role = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    kb.grant_retrieve(role)
    template = Template.from_stack(stack)
    policies = template.find_resources("AWS::IAM::Policy")
    statements = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]
    assert statements == [
        {
            "Action": "bedrock:Retrieve",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [stack.get_logical_id(kb.knowledge_base), "KnowledgeBaseArn"]},
        }
    ]
    assert template.find_resources("AWS::Events::Rule") == {}
    assert kb.upload_rule is None


@pytest.mark.parametrize(
    ("strategy", "key", "expected"),
    [
        (
            "SEMANTIC",
            "SemanticChunkingConfiguration",
            {"MaxTokens": 300, "BufferSize": 0, "BreakpointPercentileThreshold": 95},
        ),
        (
            "HIERARCHICAL",
            "HierarchicalChunkingConfiguration",
            {"LevelConfigurations": [{"MaxTokens": 900}, {"MaxTokens": 300}], "OverlapTokens": 60},
        ),
        ("NONE", None, None),
    ],
)
def test_chunking_strategies(strategy: str, key: str | None, expected: dict[str, Any] | None) -> None:
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "S", env=ENV)
    KnowledgeBase(stack, "Kb", data_lake=DataLake(stack, "Lake"), props=KnowledgeBaseProps(chunking_strategy=strategy))
    chunking = _only(Template.from_stack(stack), "AWS::Bedrock::DataSource")["VectorIngestionConfiguration"][
        "ChunkingConfiguration"
    ]
    assert chunking["ChunkingStrategy"] == strategy
    assert (chunking.get(key) if key else set(chunking)) == (expected if key else {"ChunkingStrategy"})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"vector_store": "pinecone"}, "vector_store='pinecone'; allowed: s3_vectors"),
        ({"vector_store": "kendra"}, "kendra_index_arn=None"),
        (
            {"vector_store": "kendra", "kendra_index_arn": "arn:aws:kendra:us-east-1:123456789012:index/short"},
            "kendra_index_arn",
        ),
        ({"kendra_index_arn": KENDRA_INDEX}, "None unless vector_store='kendra'"),
        ({"embedding_model_id": "amazon.titan-embed-text-v1"}, "embedding_model_id"),
        ({"embedding_dimensions": 768}, "embedding_dimensions=768; allowed: 256, 512, 1024"),
        ({"chunking_strategy": "PARAGRAPH"}, "chunking_strategy"),
        ({"chunk_max_tokens": 5}, "chunk_max_tokens"),
        ({"knowledge_prefix": "knowledge"}, "knowledge_prefix"),
        ({"poll_interval": cdk.Duration.seconds(1)}, "poll_interval"),
    ],
)
def test_props_validation_names_key_value_and_allowed(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[")):
        KnowledgeBaseProps(**kwargs)


def _policy(template: Template, type_: str, policy_type: str) -> Any:
    (policy,) = [
        p["Properties"] for p in template.find_resources(type_).values() if p["Properties"]["Type"] == policy_type
    ]
    document = policy["Policy"]
    if isinstance(document, dict):  # Fn::Join of JSON text and references: references become "<Ref>"
        document = "".join(p if isinstance(p, str) else "<" + next(iter(p)) + ">" for p in document["Fn::Join"][1])
    return policy["Name"], json.loads(document)


def test_opensearch_collection_policies_and_index(aoss: KbApp) -> None:
    collection = _only(aoss.serving, "AWS::OpenSearchServerless::Collection")
    assert (collection["Type"], collection["StandbyReplicas"], collection["Name"]) == (
        "VECTORSEARCH",
        "DISABLED",
        "serving-knowledge",
    )
    rule = {"ResourceType": "collection", "Resource": ["collection/serving-knowledge"]}
    name, encryption = _policy(aoss.serving, "AWS::OpenSearchServerless::SecurityPolicy", "encryption")
    assert name == "serving-knowledge"
    assert encryption == {"Rules": [rule], "AWSOwnedKey": False, "KmsARN": "<Fn::GetAtt>"}
    _, network = _policy(aoss.serving, "AWS::OpenSearchServerless::SecurityPolicy", "network")
    assert network == [{"Rules": [rule], "AllowFromPublic": True}]
    _, access = _policy(aoss.serving, "AWS::OpenSearchServerless::AccessPolicy", "data")
    kb_rules, deployer_rules = access
    assert kb_rules["Principal"] == ["<Fn::GetAtt>"]
    assert {r["ResourceType"]: r["Permission"] for r in kb_rules["Rules"]} == {
        "collection": ["aoss:DescribeCollectionItems", "aoss:CreateCollectionItems", "aoss:UpdateCollectionItems"],
        "index": ["aoss:DescribeIndex", "aoss:ReadDocument", "aoss:WriteDocument"],
    }
    assert deployer_rules["Principal"] == ["<Fn::Sub>"]
    assert deployer_rules["Rules"] == [
        {
            "ResourceType": "index",
            "Resource": ["index/serving-knowledge/*"],
            "Permission": ["aoss:CreateIndex", "aoss:DescribeIndex", "aoss:UpdateIndex", "aoss:DeleteIndex"],
        }
    ]
    (access_id,) = aoss.serving.find_resources("AWS::OpenSearchServerless::AccessPolicy")
    (deployer_arn,) = [
        p for p in aoss.serving.to_json()["Resources"][access_id]["Properties"]["Policy"]["Fn::Join"][1]
        if isinstance(p, dict) and "Fn::Sub" in p
    ]  # fmt: skip
    assert deployer_arn["Fn::Sub"].endswith(":role/cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1")
    indexes = aoss.serving.find_resources("AWS::OpenSearchServerless::Index")
    ((index_id, index),) = indexes.items()
    assert set(index["DependsOn"]) == {
        next(iter(aoss.serving.find_resources("AWS::OpenSearchServerless::Collection"))),
        access_id,
    }
    fields = index["Properties"]["Mappings"]["Properties"]
    vector = fields["bedrock-knowledge-base-default-vector"]
    assert (vector["Type"], vector["Dimension"]) == ("knn_vector", 1024)
    assert (vector["Method"]["Engine"], vector["Method"]["Name"]) == ("faiss", "hnsw")
    assert fields["AMAZON_BEDROCK_TEXT_CHUNK"]["Type"] == "text"
    assert fields["AMAZON_BEDROCK_METADATA"] == {"Type": "text", "Index": False}
    assert index["Properties"]["Settings"]["Index"]["Knn"] is True
    kb = aoss.serving.find_resources("AWS::Bedrock::KnowledgeBase")
    assert index_id in next(iter(kb.values()))["DependsOn"]


def test_opensearch_knowledge_base_storage_and_role(aoss: KbApp) -> None:
    kb = _only(aoss.serving, "AWS::Bedrock::KnowledgeBase")
    collection_id = next(iter(aoss.serving.find_resources("AWS::OpenSearchServerless::Collection")))
    assert kb["StorageConfiguration"] == {
        "Type": "OPENSEARCH_SERVERLESS",
        "OpensearchServerlessConfiguration": {
            "CollectionArn": {"Fn::GetAtt": [collection_id, "Arn"]},
            "VectorIndexName": "bedrock-knowledge-base-default-index",
            "FieldMapping": {
                "VectorField": "bedrock-knowledge-base-default-vector",
                "TextField": "AMAZON_BEDROCK_TEXT_CHUNK",
                "MetadataField": "AMAZON_BEDROCK_METADATA",
            },
        },
    }
    statements = _role_statements(aoss.serving, "KnowledgeRole")
    by_action = {a: s for s in statements for a in _actions(s)}
    assert by_action["aoss:APIAccessAll"]["Resource"] == {"Fn::GetAtt": [collection_id, "Arn"]}
    assert {"bedrock:InvokeModel", "s3:GetObject", "s3:ListBucket", "kms:Decrypt"} <= set(by_action)
    assert not any(a.startswith("s3vectors:") for a in by_action)
    assert aoss.serving.find_resources("AWS::S3Vectors::Index") == {}
    assert aoss.serving.find_resources("AWS::Bedrock::DataSource") != {}


def test_opensearch_private_network_standby_and_long_names() -> None:
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "A-Very-Long-Stack-Name-For-The-Serving-Tier", env=ENV)
    props = KnowledgeBaseProps(
        vector_store="opensearch_serverless",
        opensearch_standby_replicas=True,
        opensearch_vpc_endpoint_ids=("vpce-0123456789abcdef0",),
        opensearch_deployer_role_arn="arn:aws:iam::123456789012:role/deployer",
        distance_metric="euclidean",
    )
    KnowledgeBase(stack, "Kb", data_lake=DataLake(stack, "Lake"), props=props)
    template = Template.from_stack(stack)
    collection = _only(template, "AWS::OpenSearchServerless::Collection")
    assert collection["StandbyReplicas"] == "ENABLED"
    assert re.fullmatch(r"[a-z][a-z0-9-]{2,31}", collection["Name"]), collection["Name"]
    _, network = _policy(template, "AWS::OpenSearchServerless::SecurityPolicy", "network")
    assert network[0]["AllowFromPublic"] is False
    assert network[0]["SourceVPCEs"] == ["vpce-0123456789abcdef0"]
    _, access = _policy(template, "AWS::OpenSearchServerless::AccessPolicy", "data")
    assert access[1]["Principal"] == ["arn:aws:iam::123456789012:role/deployer"]
    index = _only(template, "AWS::OpenSearchServerless::Index")
    assert index["Mappings"]["Properties"]["bedrock-knowledge-base-default-vector"]["Method"]["SpaceType"] == "l2"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"opensearch_standby_replicas": True}, "opensearch_\\*"),
        ({"vector_store": "opensearch_serverless", "opensearch_vpc_endpoint_ids": ("sg-1",)}, "vpc_endpoint_ids"),
    ],
)
def test_opensearch_props_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KnowledgeBaseProps(**kwargs)


# ---------------------------------------------------------------- Aurora PostgreSQL (pgvector)


@pytest.fixture(scope="module")
def pgvector(tmp_path_factory: pytest.TempPathFactory) -> KbApp:
    return _synth(
        tmp_path_factory.mktemp("kb-pgvector"),
        KnowledgeBaseProps(vector_store="aurora_pgvector", embedding_dimensions=512, aurora_max_capacity=4),
    )


def test_pgvector_app_is_nag_and_cfn_lint_clean(pgvector: KbApp) -> None:
    assert pgvector.findings() == []
    assert cfn_lint_errors(sorted(pgvector.outdir.glob("*.template.json"))) == []


def test_pgvector_cluster_is_encrypted_serverless_with_the_data_api(pgvector: KbApp) -> None:
    key_arn = {"Fn::GetAtt": [next(iter(pgvector.serving.find_resources("AWS::KMS::Key"))), "Arn"]}
    cluster = _only(pgvector.serving, "AWS::RDS::DBCluster")
    assert cluster["Engine"] == "aurora-postgresql" and cluster["EngineVersion"].startswith("16.")
    assert cluster["EnableHttpEndpoint"] is True
    assert (cluster["StorageEncrypted"], cluster["KmsKeyId"]) == (True, key_arn)
    assert cluster["EnableIAMDatabaseAuthentication"] is True
    assert cluster["DeletionProtection"] is True  # RETAIN by default
    assert cluster["EnableCloudwatchLogsExports"] == ["postgresql"]
    assert cluster["BackupRetentionPeriod"] >= 7
    assert cluster["ServerlessV2ScalingConfiguration"] == {"MinCapacity": 0, "MaxCapacity": 4}
    assert _only(pgvector.serving, "AWS::RDS::DBInstance")["DBInstanceClass"] == "db.serverless"
    secret = _only(pgvector.serving, "AWS::SecretsManager::Secret")
    assert secret["KmsKeyId"] == key_arn
    # no NAT or internet gateway: Bedrock and the table setup reach the cluster through the Data API
    assert not pgvector.serving.find_resources("AWS::EC2::NatGateway")
    assert not pgvector.serving.find_resources("AWS::EC2::InternetGateway")


def _custom_resource_id(step: Any) -> str:
    cfn = next(
        c for c in step.node.find_all() if isinstance(c, cdk.CfnResource) and c.cfn_resource_type == "Custom::AWS"
    )
    return str(cdk.Stack.of(step).get_logical_id(cfn))


def test_pgvector_table_is_created_by_chained_data_api_statements(pgvector: KbApp) -> None:
    resources = pgvector.serving.find_resources("Custom::AWS")
    statements: dict[str, str] = {}
    for logical_id, resource in resources.items():
        rendered = json.dumps(resource["Properties"]["Create"])
        assert '\\"service\\":\\"rds-data\\"' in rendered and '\\"action\\":\\"ExecuteStatement\\"' in rendered
        statements[logical_id] = rendered
    assert pgvector.kb.table_statements == (
        "CREATE EXTENSION IF NOT EXISTS vector",
        "CREATE SCHEMA IF NOT EXISTS bedrock_integration",
        "CREATE TABLE IF NOT EXISTS bedrock_integration.bedrock_kb (id uuid PRIMARY KEY, embedding vector(512), "
        "chunks text, metadata json)",
        "CREATE INDEX IF NOT EXISTS bedrock_kb_embedding_idx ON bedrock_integration.bedrock_kb USING hnsw "
        "(embedding vector_cosine_ops)",
        "CREATE INDEX IF NOT EXISTS bedrock_kb_chunks_idx ON bedrock_integration.bedrock_kb USING gin "
        "(to_tsvector('simple', chunks))",
    )
    order = [_custom_resource_id(step) for step in pgvector.kb.table_setup]
    for sql, logical_id in zip(pgvector.kb.table_statements, order, strict=True):
        assert json.dumps(sql)[1:-1].replace('"', '\\"') in statements[logical_id]
    # each statement waits for the previous one; the first for the writer instance; the KB for the last
    template = pgvector.serving.to_json()["Resources"]
    for before, after in itertools.pairwise(order):
        assert before in template[after]["DependsOn"]
    writer = next(iter(pgvector.serving.find_resources("AWS::RDS::DBInstance")))
    assert writer in template[order[0]]["DependsOn"]
    kb_id = next(iter(pgvector.serving.find_resources("AWS::Bedrock::KnowledgeBase")))
    assert order[-1] in template[kb_id]["DependsOn"]


def test_pgvector_table_setup_role_is_least_privilege(pgvector: KbApp) -> None:
    statements = _role_statements(pgvector.serving, "KnowledgeTableSetupRole")
    by_sid = {s["Sid"]: s for s in statements}
    assert set(by_sid) == {"RunTableSql", "ReadDatabaseSecret", "DecryptDatabaseSecret", "WriteLogs"}
    assert by_sid["RunTableSql"]["Action"] == "rds-data:ExecuteStatement"
    assert ":cluster:" in json.dumps(by_sid["RunTableSql"]["Resource"])
    assert by_sid["ReadDatabaseSecret"]["Action"] == "secretsmanager:GetSecretValue"
    assert all("*" not in json.dumps(s["Resource"]) for s in statements)
    role = next(
        r
        for k, r in pgvector.serving.find_resources("AWS::IAM::Role").items()
        if k.startswith("KnowledgeTableSetupRole")
    )
    assert "ManagedPolicyArns" not in role["Properties"]  # no AWS-managed Lambda policy


def test_pgvector_knowledge_base_storage_and_role(pgvector: KbApp) -> None:
    kb = _only(pgvector.serving, "AWS::Bedrock::KnowledgeBase")
    storage = kb["StorageConfiguration"]
    assert storage["Type"] == "RDS"
    rds_config = storage["RdsConfiguration"]
    assert rds_config["DatabaseName"] == "bedrock_vectors"
    assert rds_config["TableName"] == "bedrock_integration.bedrock_kb"
    assert rds_config["FieldMapping"] == {
        "PrimaryKeyField": "id",
        "VectorField": "embedding",
        "TextField": "chunks",
        "MetadataField": "metadata",
    }
    vector = kb["KnowledgeBaseConfiguration"]["VectorKnowledgeBaseConfiguration"]
    assert vector["EmbeddingModelConfiguration"]["BedrockEmbeddingModelConfiguration"]["Dimensions"] == 512
    statements = _role_statements(pgvector.serving, "KnowledgeRole")
    by_sid = {s.get("Sid"): s for s in statements}
    assert by_sid["DescribeVectorCluster"]["Action"] == "rds:DescribeDBClusters"
    assert set(_actions(by_sid["QueryVectorTable"])) == {"rds-data:ExecuteStatement", "rds-data:BatchExecuteStatement"}
    cluster_arn = rds_config["ResourceArn"]
    assert by_sid["DescribeVectorCluster"]["Resource"] == cluster_arn == by_sid["QueryVectorTable"]["Resource"]
    secret_reads = [s for s in statements if "secretsmanager:GetSecretValue" in _actions(s)]
    assert [s["Resource"] for s in secret_reads] == [rds_config["CredentialsSecretArn"]]
    assert pgvector.kb.data_source is not None and pgvector.kb.state_machine is not None


def test_pgvector_capacity_props_are_validated() -> None:
    with pytest.raises(ValueError, match="aurora_min_capacity"):
        KnowledgeBaseProps(vector_store="aurora_pgvector", aurora_min_capacity=0.3)
    with pytest.raises(ValueError, match="aurora_max_capacity"):
        KnowledgeBaseProps(vector_store="aurora_pgvector", aurora_min_capacity=4, aurora_max_capacity=2)


def test_pgvector_uses_the_callers_vpc_and_refuses_a_vpc_it_would_ignore() -> None:
    from aws_cdk import aws_ec2 as ec2

    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "S", env=ENV)
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)
    lake = DataLake(stack, "Lake")
    kb = KnowledgeBase(stack, "Kb", data_lake=lake, vpc=vpc, props=KnowledgeBaseProps(vector_store="aurora_pgvector"))
    assert kb.vpc is vpc
    template = Template.from_stack(stack)
    assert len(template.find_resources("AWS::EC2::VPC")) == 1
    subnet_group = _only(template, "AWS::RDS::DBSubnetGroup")
    assert all("VpcIsolated" in json.dumps(ref) for ref in subnet_group["SubnetIds"])  # not the public ones
    with pytest.raises(ValueError, match="vpc is only used by vector_store='aurora_pgvector'"):
        KnowledgeBase(stack, "Other", data_lake=lake, vpc=vpc)
