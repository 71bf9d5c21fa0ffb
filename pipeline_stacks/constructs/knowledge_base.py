"""KnowledgeBase: an Amazon Bedrock Knowledge Base over the *sanitized* ``knowledge/`` prefix, with batched ingestion.

Raw documents land under ``knowledge/`` of the raw bucket, the sanitization job redacts them whole
(``glue_jobs/documents.py``) into ``knowledge/`` of the sanitized bucket with a Bedrock metadata sidecar each, and
only that redacted output is embedded: the KB role can read nothing else. New sanitized objects -> EventBridge
``Object Created`` -> a Step Functions state machine that batches a burst into one single-flight
``StartIngestionJob`` (SDK integration) and polls ``GetIngestionJob`` until the job ends; a failed job fails the
execution, which :meth:`KnowledgeBase.metric_failed_ingestions` counts for alarms.

Usage::

    kb = KnowledgeBase(self, "Knowledge", data_lake=lake, props=KnowledgeBaseProps(vector_store="s3_vectors"))
    kb.knowledge_base_id            # -> the chat app's KNOWLEDGE_BASE_ID
    kb.grant_retrieve(front_door.function)
    monitoring.monitor_knowledge_base(kb)

Vector stores (``KnowledgeBaseProps.vector_store``; CloudFormation L1 resources, no L2 exists in aws-cdk-lib 2.275):

* ``s3_vectors`` (default): an S3 vector bucket and index (``AWS::S3Vectors::VectorBucket``/``Index``), SSE-KMS
  with this construct's key. No idle cost: storage, PUTs and queries are billed per use.
* ``kendra``: an existing Amazon Kendra GenAI index (``kendra_index_arn``) as a retriever; Kendra's own
  connectors ingest the documents, so there is no Bedrock data source or ingestion trigger here.
* ``opensearch_serverless``: a VECTORSEARCH collection (``AWS::OpenSearchServerless::Collection``) encrypted with
  this construct's key (encryption policy), reachable publicly with IAM auth or only from the VPC endpoints in
  ``opensearch_vpc_endpoint_ids`` (network policy), a data-access policy for the KB role and for the CloudFormation
  execution role (which creates the ``AWS::OpenSearchServerless::Index``: faiss/HNSW ``knn_vector`` field, chunk text,
  metadata). Bills at least 1 OCU for indexing and 1 for search around the clock (0.5 each without standby replicas).
* ``aurora_pgvector``: Aurora PostgreSQL Serverless v2 (L2 ``rds.DatabaseCluster``, Data API, encrypted with this
  construct's key) in ``vpc`` or an isolated VPC of its own without NAT; the pgvector table is created by SQL run
  through the RDS Data API (``AwsCustomResource``) before the knowledge base. ``aurora_min_capacity=0`` auto-pauses
  the cluster when idle (storage is still billed).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_opensearchserverless as aoss
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3vectors as s3vectors
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from aws_cdk import custom_resources as cr
from constructs import Construct

from pipeline_stacks import compliance, validation
from pipeline_stacks.constructs.data_lake import DataLake
from pipeline_stacks.iam import ManagedPolicyRole
from pipeline_stacks.log_groups import encrypted_log_group
from pipeline_stacks.stepfunctions import (
    batched_single_flight_state_machine,
    fail_on_error,
    join_active_run,
    object_created_rule,
)

VECTOR_STORES = ("s3_vectors", "opensearch_serverless", "aurora_pgvector", "kendra")
CHUNKING_STRATEGIES = ("FIXED_SIZE", "SEMANTIC", "HIERARCHICAL", "NONE")
#: Embedding models and their allowed output dimensions (declared once, with the rule, in ``validation``).
EMBEDDING_MODELS = validation.EMBEDDING_MODELS
#: Bedrock KB metadata keys that must not be filterable in an S3 vector index (the chunk text and Bedrock's own
#: metadata exceed the 2 KB filterable-metadata limit); our sidecar attributes stay filterable.
NON_FILTERABLE_METADATA_KEYS = ("AMAZON_BEDROCK_TEXT", "AMAZON_BEDROCK_METADATA")
#: Ingestion job states (``GetIngestionJob``) that end a job unsuccessfully.
INGESTION_FAILED_STATES = ("FAILED", "STOPPED")
#: StartIngestionJob errors meaning another ingestion job of the data source is running (single flight).
_START_CONFLICTS = ("BedrockAgent.ConflictException", "BedrockAgent.ServiceQuotaExceededException")
_KENDRA_INDEX_ARN = re.compile(validation.KENDRA_INDEX_ARN_PATTERN)
#: OpenSearch Serverless index and field names (the names the Bedrock console uses for a quick-created store).
AOSS_INDEX_NAME = "bedrock-knowledge-base-default-index"
AOSS_VECTOR_FIELD = "bedrock-knowledge-base-default-vector"
AOSS_TEXT_FIELD = "AMAZON_BEDROCK_TEXT_CHUNK"
AOSS_METADATA_FIELD = "AMAZON_BEDROCK_METADATA"
#: Data-access permissions Bedrock needs on the collection and its index (Bedrock user guide, "Prerequisites for
#: your own vector store": OpenSearch Serverless), and what CloudFormation needs to create/update/delete the index.
AOSS_KB_COLLECTION_PERMISSIONS = (
    "aoss:DescribeCollectionItems",
    "aoss:CreateCollectionItems",
    "aoss:UpdateCollectionItems",
)
AOSS_KB_INDEX_PERMISSIONS = ("aoss:DescribeIndex", "aoss:ReadDocument", "aoss:WriteDocument")
AOSS_DEPLOYER_INDEX_PERMISSIONS = ("aoss:CreateIndex", "aoss:DescribeIndex", "aoss:UpdateIndex", "aoss:DeleteIndex")
_AOSS_VPC_ENDPOINT_ID = re.compile(r"vpce-[0-9a-z]{8,17}")
#: Aurora pgvector layout (the one Bedrock documents for Aurora PostgreSQL knowledge bases).
PGVECTOR_DATABASE = "bedrock_vectors"
PGVECTOR_SCHEMA = "bedrock_integration"
PGVECTOR_TABLE = f"{PGVECTOR_SCHEMA}.bedrock_kb"
PGVECTOR_PORT = 5433


@dataclass(frozen=True, kw_only=True)
class KnowledgeBaseProps:
    """Properties of :class:`KnowledgeBase`; every field has a safe default.

    ``knowledge_prefix``: the sanitized-bucket prefix that is indexed (the KB role reads only that).
    ``embedding_model_id``/``embedding_dimensions``: a Bedrock text embedding model (:data:`EMBEDDING_MODELS`).
    ``chunking_strategy``: ``FIXED_SIZE`` (``chunk_max_tokens``, ``chunk_overlap_percent``), ``SEMANTIC``
    (``chunk_max_tokens``), ``HIERARCHICAL`` (parent ``chunk_max_tokens * 3``, child ``chunk_max_tokens``) or
    ``NONE`` (one chunk per document: the sanitization job keeps paragraphs, so small pages work well whole).
    ``trigger_on_upload``: start ingestion when sanitized documents land, after ``batch_window``.
    ``aurora_min_capacity``/``aurora_max_capacity``: Aurora Serverless v2 ACUs (``aurora_pgvector``; 0 = auto-pause).
    """

    name_prefix: str | None = None
    knowledge_prefix: str = "knowledge/"
    vector_store: str = "s3_vectors"
    kendra_index_arn: str | None = None
    embedding_model_id: str = "amazon.titan-embed-text-v2:0"
    embedding_dimensions: int = 1024
    distance_metric: str = "cosine"
    chunking_strategy: str = "FIXED_SIZE"
    chunk_max_tokens: int = 300
    chunk_overlap_percent: int = 20
    trigger_on_upload: bool = True
    batch_window: cdk.Duration = field(default_factory=lambda: cdk.Duration.minutes(5))
    poll_interval: cdk.Duration = field(default_factory=lambda: cdk.Duration.minutes(1))
    ingestion_timeout: cdk.Duration = field(default_factory=lambda: cdk.Duration.hours(2))
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR
    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN
    #: OpenSearch Serverless only: standby replicas in a second AZ (doubles the minimum OCUs; off = dev sizing).
    opensearch_standby_replicas: bool = False
    #: OpenSearch Serverless only: OpenSearch Serverless VPC endpoint ids (``vpce-...``); set -> the collection is
    #: reachable only from them (and Bedrock), unset -> public endpoint, IAM/data-access-policy authenticated.
    opensearch_vpc_endpoint_ids: tuple[str, ...] = ()
    #: OpenSearch Serverless only: the role CloudFormation deploys with (it creates the index, so the data-access
    #: policy names it); None -> the execution role of the stack's ``DefaultStackSynthesizer``.
    opensearch_deployer_role_arn: str | None = None
    aurora_min_capacity: float = 0
    aurora_max_capacity: float = 2

    def __post_init__(self) -> None:
        def fail(key: str, value: Any, allowed: str) -> None:
            raise ValueError(f"KnowledgeBaseProps.{key}={value!r}; allowed: {allowed}")

        if self.vector_store not in VECTOR_STORES:
            fail("vector_store", self.vector_store, ", ".join(VECTOR_STORES))
        if self.vector_store == "kendra" and not _KENDRA_INDEX_ARN.fullmatch(self.kendra_index_arn or ""):
            fail(
                "kendra_index_arn",
                self.kendra_index_arn,
                "the ARN of an existing Kendra GenAI index (vector_store='kendra')",
            )
        if self.vector_store != "kendra" and self.kendra_index_arn:
            fail("kendra_index_arn", self.kendra_index_arn, "None unless vector_store='kendra'")
        prefix = self.knowledge_prefix
        if not prefix or prefix.startswith("/") or not prefix.endswith("/"):
            fail("knowledge_prefix", prefix, "a non-empty prefix ending with '/' and not starting with '/'")
        validation.check_embedding_model(
            self.embedding_model_id,
            self.embedding_dimensions,
            model_key="KnowledgeBaseProps.embedding_model_id",
            dimensions_key="KnowledgeBaseProps.embedding_dimensions",
        )
        if self.distance_metric not in ("cosine", "euclidean"):
            fail("distance_metric", self.distance_metric, "cosine, euclidean")
        if self.chunking_strategy not in CHUNKING_STRATEGIES:
            fail("chunking_strategy", self.chunking_strategy, ", ".join(CHUNKING_STRATEGIES))
        if not 20 <= self.chunk_max_tokens <= 8192:
            fail("chunk_max_tokens", self.chunk_max_tokens, "20..8192")
        if not 1 <= self.chunk_overlap_percent <= 99:
            fail("chunk_overlap_percent", self.chunk_overlap_percent, "1..99")
        if self.poll_interval.to_seconds() < 10:
            fail("poll_interval", self.poll_interval.to_human_string(), ">= 10 seconds")
        for endpoint in self.opensearch_vpc_endpoint_ids:
            if not _AOSS_VPC_ENDPOINT_ID.fullmatch(endpoint):
                fail("opensearch_vpc_endpoint_ids", endpoint, "OpenSearch Serverless VPC endpoint ids (vpce-...)")
        if self.vector_store != "opensearch_serverless" and (
            self.opensearch_vpc_endpoint_ids or self.opensearch_standby_replicas or self.opensearch_deployer_role_arn
        ):
            fail("opensearch_*", self.vector_store, "opensearch_* props only with vector_store='opensearch_serverless'")
        for key, capacity, low in (
            ("aurora_min_capacity", self.aurora_min_capacity, 0),
            ("aurora_max_capacity", self.aurora_max_capacity, 1),
        ):
            if not low <= capacity <= 256 or (capacity * 2) % 1:
                fail(key, capacity, f"{low}..256 in steps of 0.5 (Aurora Serverless v2 ACUs; 0 = auto-pause)")
        if self.aurora_max_capacity < self.aurora_min_capacity:
            fail(
                "aurora_max_capacity", self.aurora_max_capacity, f">= aurora_min_capacity ({self.aurora_min_capacity})"
            )


class KnowledgeBase(Construct):
    """A Bedrock Knowledge Base over sanitized documents, its vector store, data source and ingestion trigger.

    Attributes: ``knowledge_base`` (L1 ``CfnKnowledgeBase``), ``knowledge_base_id``, ``knowledge_base_arn``,
    ``data_source`` (L1 ``CfnDataSource``; None for Kendra), ``data_source_id``, ``role`` (the KB service role),
    ``key`` (KMS key of the vector store and of transient ingestion data), ``vector_bucket``/``vector_index``
    (L1, S3 Vectors only), ``state_machine`` (ingestion; None for Kendra), ``state_machine_log_group``,
    ``upload_rule`` (None without ``trigger_on_upload``); Aurora only (else None/empty): ``vpc``,
    ``database_cluster``, ``database_secret``, ``table_statements`` (the SQL), ``table_setup`` (its custom resources).

    Monitoring hooks: :meth:`metric_failed_ingestions`, :meth:`metric_timed_out_ingestions`,
    :meth:`metric_succeeded_ingestions`. Runtime access: :meth:`grant_retrieve`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data_lake: DataLake,
        key: kms.IKey | None = None,
        vpc: ec2.IVpc | None = None,
        props: KnowledgeBaseProps | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        props = props or KnowledgeBaseProps()
        if vpc is not None and props.vector_store != "aurora_pgvector":
            raise ValueError(f"vpc is only used by vector_store='aurora_pgvector', not {props.vector_store!r}")
        self.props = props
        self.data_lake = data_lake
        stack = cdk.Stack.of(self)
        prefix = props.name_prefix or stack.stack_name
        self.name = f"{prefix}-knowledge"

        self.key: kms.IKey = key or kms.Key(
            self,
            "Key",
            description=f"{self.name}: vector store and transient knowledge-base ingestion data",
            enable_key_rotation=True,
            removal_policy=props.removal_policy,
        )
        self.role = ManagedPolicyRole(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(
                "bedrock.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="bedrock", resource="knowledge-base", resource_name="*"
                        )
                    },
                },
            ),
            description=f"Bedrock knowledge base {self.name}: reads sanitized {props.knowledge_prefix} only",
        )
        self.vector_bucket: s3vectors.CfnVectorBucket | None = None
        self.vector_index: s3vectors.CfnIndex | None = None
        self.data_source: bedrock.CfnDataSource | None = None
        self.state_machine: sfn.StateMachine | None = None
        self.state_machine_log_group: logs.LogGroup | None = None
        self.upload_rule: events.Rule | None = None
        self.collection: aoss.CfnCollection | None = None
        self.opensearch_index: aoss.CfnIndex | None = None
        self.opensearch_policies: dict[str, aoss.CfnSecurityPolicy | aoss.CfnAccessPolicy] = {}
        self.vpc: ec2.IVpc | None = None
        self.database_cluster: rds.DatabaseCluster | None = None
        self.table_setup: list[cr.AwsCustomResource] = []
        self.table_statements: tuple[str, ...] = ()
        self.database_secret: secretsmanager.ISecret | None = None

        if props.vector_store == "kendra":
            assert props.kendra_index_arn
            self._grant_kendra(props.kendra_index_arn)
            configuration = bedrock.CfnKnowledgeBase.KnowledgeBaseConfigurationProperty(
                type="KENDRA",
                kendra_knowledge_base_configuration=bedrock.CfnKnowledgeBase.KendraKnowledgeBaseConfigurationProperty(
                    kendra_index_arn=props.kendra_index_arn
                ),
            )
            storage = None
        elif props.vector_store == "opensearch_serverless":
            configuration, storage = self._opensearch_store(props)
        elif props.vector_store == "aurora_pgvector":
            storage = self._pgvector_store(props, vpc)
            configuration = self._vector_configuration_and_grants(props)
        else:
            configuration, storage = self._s3_vectors_store(props)

        self.knowledge_base = bedrock.CfnKnowledgeBase(
            self,
            "KnowledgeBase",
            name=self.name,
            description="Retrieval over PII/PHI-sanitized knowledge documents (redacted before embedding)",
            role_arn=self.role.role_arn,
            knowledge_base_configuration=configuration,
            storage_configuration=storage,
        )
        self.knowledge_base.node.add_dependency(self.role.policy)
        if self.opensearch_index is not None:
            self.knowledge_base.node.add_dependency(self.opensearch_index)
        if self.table_setup:
            self.knowledge_base.node.add_dependency(self.table_setup[-1])
        self.knowledge_base_id = self.knowledge_base.attr_knowledge_base_id
        self.knowledge_base_arn = self.knowledge_base.attr_knowledge_base_arn
        self.data_source_id: str | None = None

        if props.vector_store != "kendra":
            self.data_source = self._data_source(props)
            self.data_source_id = self.data_source.attr_data_source_id
            self.state_machine_log_group = encrypted_log_group(
                self, "IngestionLogs", data_lake.key, props, name=f"/aws/vendedlogs/states/{self.name}-ingestion"
            )
            self.state_machine = self._state_machine(props)
            if props.trigger_on_upload:
                self.upload_rule = self._upload_rule(props)
        if props.vector_store in ("s3_vectors", "opensearch_serverless", "aurora_pgvector"):
            compliance.acknowledge(self.role, "KnowledgeBase.role_actions")
            compliance.acknowledge_objects(
                self.role, "KnowledgeBase.role_objects", data_lake.sanitized_bucket, (props.knowledge_prefix,)
            )

    # ------------------------------------------------------------------ vector store: S3 Vectors

    def _s3_vectors_store(
        self, props: KnowledgeBaseProps
    ) -> tuple[
        bedrock.CfnKnowledgeBase.KnowledgeBaseConfigurationProperty,
        bedrock.CfnKnowledgeBase.StorageConfigurationProperty,
    ]:
        stack = cdk.Stack.of(self)
        encryption = {"sse_type": "aws:kms", "kms_key_arn": self.key.key_arn}
        self.vector_bucket = s3vectors.CfnVectorBucket(
            self,
            "VectorBucket",
            encryption_configuration=s3vectors.CfnVectorBucket.EncryptionConfigurationProperty(**encryption),
        )
        self.vector_bucket.apply_removal_policy(props.removal_policy)
        self.vector_index = s3vectors.CfnIndex(
            self,
            "VectorIndex",
            vector_bucket_arn=self.vector_bucket.attr_vector_bucket_arn,
            data_type="float32",
            dimension=props.embedding_dimensions,
            distance_metric=props.distance_metric,
            metadata_configuration=s3vectors.CfnIndex.MetadataConfigurationProperty(
                non_filterable_metadata_keys=list(NON_FILTERABLE_METADATA_KEYS)
            ),
            encryption_configuration=s3vectors.CfnIndex.EncryptionConfigurationProperty(**encryption),
        )
        self.vector_index.apply_removal_policy(props.removal_policy)
        if isinstance(self.key, kms.Key):
            # S3 Vectors maintains indexes in the background with its own service principal.
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AllowS3VectorsIndexing",
                    principals=[iam.ServicePrincipal("indexing.s3vectors.amazonaws.com")],
                    actions=["kms:Decrypt"],
                    resources=["*"],
                    conditions={
                        "StringEquals": {"aws:SourceAccount": stack.account},
                        "ArnLike": {
                            "aws:SourceArn": stack.format_arn(service="s3vectors", resource="bucket", resource_name="*")
                        },
                    },
                )
            )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="VectorIndexReadWrite",
                actions=[
                    "s3vectors:GetIndex",
                    "s3vectors:PutVectors",
                    "s3vectors:GetVectors",
                    "s3vectors:DeleteVectors",
                    "s3vectors:QueryVectors",
                ],
                resources=[self.vector_index.attr_index_arn],
            )
        )
        storage = bedrock.CfnKnowledgeBase.StorageConfigurationProperty(
            type="S3_VECTORS",
            s3_vectors_configuration=bedrock.CfnKnowledgeBase.S3VectorsConfigurationProperty(
                index_arn=self.vector_index.attr_index_arn,
                vector_bucket_arn=self.vector_bucket.attr_vector_bucket_arn,
            ),
        )
        return self._vector_configuration_and_grants(props), storage

    def _vector_configuration_and_grants(
        self, props: KnowledgeBaseProps
    ) -> bedrock.CfnKnowledgeBase.KnowledgeBaseConfigurationProperty:
        """The VECTOR configuration (embedding model) and the role's ingestion grants, shared by vector stores."""
        stack = cdk.Stack.of(self)
        configuration = bedrock.CfnKnowledgeBase.KnowledgeBaseConfigurationProperty(
            type="VECTOR",
            vector_knowledge_base_configuration=bedrock.CfnKnowledgeBase.VectorKnowledgeBaseConfigurationProperty(
                embedding_model_arn=self._embedding_model_arn(),
                embedding_model_configuration=bedrock.CfnKnowledgeBase.EmbeddingModelConfigurationProperty(
                    bedrock_embedding_model_configuration=bedrock.CfnKnowledgeBase.BedrockEmbeddingModelConfigurationProperty(
                        dimensions=props.embedding_dimensions, embedding_data_type="FLOAT32"
                    )
                ),
            ),
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="InvokeEmbeddingModel", actions=["bedrock:InvokeModel"], resources=[self._embedding_model_arn()]
            )
        )
        # Read the sanitized knowledge prefix (and decrypt it with the lake key); nothing else of the lake. Exact
        # actions instead of the lake's read helper (GetObject*/GetBucket*/List*): ListBucket only lists key names.
        bucket = self.data_lake.sanitized_bucket
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadSanitizedKnowledge",
                actions=["s3:GetObject"],
                resources=[bucket.arn_for_objects(f"{props.knowledge_prefix}*")],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ListSanitizedBucket",
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringEquals": {"aws:ResourceAccount": stack.account}},
            )
        )
        self.data_lake.key.grant_decrypt(self.role)
        # Vectors and transient ingestion data are encrypted with this construct's key.
        self.key.grant_encrypt_decrypt(self.role)
        return configuration

    # ------------------------------------------------------------------ vector store: Aurora PostgreSQL (pgvector)

    def _pgvector_store(
        self, props: KnowledgeBaseProps, vpc: ec2.IVpc | None
    ) -> bedrock.CfnKnowledgeBase.StorageConfigurationProperty:
        """Aurora PostgreSQL Serverless v2 with the Data API, the pgvector table created by SQL before the KB.

        The layout is the one Bedrock documents for Aurora (schema ``bedrock_integration``, table ``bedrock_kb``:
        ``id uuid``, ``embedding vector(<dims>)``, ``chunks text``, ``metadata json``; an HNSW cosine index on the
        vectors and a GIN full-text index on the chunks). Bedrock and the table-creating custom resource reach the
        cluster through the RDS Data API only, so the cluster lives in isolated subnets without NAT.
        """
        stack = cdk.Stack.of(self)
        if vpc is None:
            self.vpc = ec2.Vpc(
                self,
                "Vpc",
                max_azs=2,
                nat_gateways=0,
                subnet_configuration=[
                    ec2.SubnetConfiguration(name="db", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24)
                ],
                restrict_default_security_group=False,
            )
            self.vpc.add_flow_log(
                "FlowLogs",
                destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                    encrypted_log_group(self, "FlowLogGroup", self.data_lake.key, props),
                    ManagedPolicyRole(
                        self,
                        "FlowLogRole",
                        assumed_by=iam.ServicePrincipal(
                            "vpc-flow-logs.amazonaws.com",
                            conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
                        ),
                        description=f"VPC flow logs of {self.name}: write to its flow-log group",
                    ),
                ),
            )
            compliance.acknowledge(self.vpc, "KnowledgeBase.pgvector_vpc")
        else:
            self.vpc = vpc
        retain = props.removal_policy == cdk.RemovalPolicy.RETAIN
        cluster_identifier = f"{self.name}-vectors".lower()
        # The exported PostgreSQL log, created here: encrypted, with our retention (no LogRetention function).
        self.database_log_group = encrypted_log_group(
            self, "DatabaseLogs", self.data_lake.key, props, name=f"/aws/rds/cluster/{cluster_identifier}/postgresql"
        )
        self.database_cluster = rds.DatabaseCluster(
            self,
            "Database",
            cluster_identifier=cluster_identifier,
            engine=rds.DatabaseClusterEngine.aurora_postgres(version=rds.AuroraPostgresEngineVersion.VER_16_9),
            credentials=rds.Credentials.from_generated_secret(
                "bedrock_admin", encryption_key=self.key, secret_name=f"{self.name}-aurora-credentials"
            ),
            default_database_name=PGVECTOR_DATABASE,
            writer=rds.ClusterInstance.serverless_v2("Writer", auto_minor_version_upgrade=True),
            serverless_v2_min_capacity=props.aurora_min_capacity,
            serverless_v2_max_capacity=props.aurora_max_capacity,
            vpc=self.vpc,
            # isolated subnets (ours, or the caller's when it has them), else the caller's private subnets: the
            # Data API needs no network path from us, so no subnet needs egress
            vpc_subnets=ec2.SubnetSelection(
                subnet_type=ec2.SubnetType.PRIVATE_ISOLATED
                if vpc is None or vpc.isolated_subnets
                else ec2.SubnetType.PRIVATE_WITH_EGRESS
            ),
            port=PGVECTOR_PORT,
            enable_data_api=True,
            storage_encrypted=True,
            storage_encryption_key=self.key,
            iam_authentication=True,
            deletion_protection=retain,
            removal_policy=props.removal_policy,
            cloudwatch_logs_exports=["postgresql"],
            backup=rds.BackupProps(retention=cdk.Duration.days(7)),
            monitoring_interval=cdk.Duration.seconds(60),
            copy_tags_to_snapshot=True,
        )
        self.database_cluster.node.add_dependency(self.database_log_group)
        compliance.acknowledge(self.database_cluster, "KnowledgeBase.pgvector_cluster")
        secret = self.database_cluster.secret
        assert secret is not None
        self.database_secret = secret
        cluster_arn = self.database_cluster.cluster_arn

        dims = props.embedding_dimensions
        table = PGVECTOR_TABLE
        self.table_statements = (
            "CREATE EXTENSION IF NOT EXISTS vector",
            f"CREATE SCHEMA IF NOT EXISTS {PGVECTOR_SCHEMA}",
            f"CREATE TABLE IF NOT EXISTS {table} (id uuid PRIMARY KEY, embedding vector({dims}), chunks text, "
            "metadata json)",
            f"CREATE INDEX IF NOT EXISTS bedrock_kb_embedding_idx ON {table} USING hnsw (embedding vector_cosine_ops)",
            f"CREATE INDEX IF NOT EXISTS bedrock_kb_chunks_idx ON {table} USING gin (to_tsvector('simple', chunks))",
        )
        # One role for the (stack-singleton) SDK-call function: only these statements, no AWS-managed policy.
        sql_logs = encrypted_log_group(self, "TableSetupLogs", self.data_lake.key, props)
        self.table_setup_role = ManagedPolicyRole(
            self,
            "TableSetupRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{self.name}: creates the pgvector table through the RDS Data API at deployment",
        )
        for statement in (
            iam.PolicyStatement(sid="RunTableSql", actions=["rds-data:ExecuteStatement"], resources=[cluster_arn]),
            iam.PolicyStatement(
                sid="ReadDatabaseSecret", actions=["secretsmanager:GetSecretValue"], resources=[secret.secret_arn]
            ),
            iam.PolicyStatement(sid="DecryptDatabaseSecret", actions=["kms:Decrypt"], resources=[self.key.key_arn]),
            iam.PolicyStatement(
                sid="WriteLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[sql_logs.log_group_arn],
            ),
        ):
            self.table_setup_role.add_to_policy(statement)
        previous: Construct = self.database_cluster
        for index, sql in enumerate(self.table_statements):
            call = cr.AwsSdkCall(
                service="rds-data",
                action="ExecuteStatement",
                parameters={
                    "resourceArn": cluster_arn,
                    "secretArn": secret.secret_arn,
                    "database": PGVECTOR_DATABASE,
                    "sql": sql,
                },
                physical_resource_id=cr.PhysicalResourceId.of(f"{self.name}-pgvector-{index}"),
            )
            step = cr.AwsCustomResource(
                self,
                f"TableSetup{index}",
                on_create=call,
                on_update=call,
                role=self.table_setup_role,
                install_latest_aws_sdk=False,
                log_group=sql_logs,
                timeout=cdk.Duration.minutes(5),
            )
            step.node.add_dependency(previous)
            step.node.add_dependency(self.table_setup_role.policy)
            previous = step
            self.table_setup.append(step)
        # The custom resources share one singleton provider function per stack.
        provider = stack.node.find_child("AWS" + cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace("-", ""))
        compliance.acknowledge(provider, "KnowledgeBase.pgvector_sql_function")

        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="DescribeVectorCluster", actions=["rds:DescribeDBClusters"], resources=[cluster_arn]
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="QueryVectorTable",
                actions=["rds-data:ExecuteStatement", "rds-data:BatchExecuteStatement"],
                resources=[cluster_arn],
            )
        )
        secret.grant_read(self.role)
        return bedrock.CfnKnowledgeBase.StorageConfigurationProperty(
            type="RDS",
            rds_configuration=bedrock.CfnKnowledgeBase.RdsConfigurationProperty(
                resource_arn=cluster_arn,
                credentials_secret_arn=secret.secret_arn,
                database_name=PGVECTOR_DATABASE,
                table_name=table,
                field_mapping=bedrock.CfnKnowledgeBase.RdsFieldMappingProperty(
                    primary_key_field="id",
                    vector_field="embedding",
                    text_field="chunks",
                    metadata_field="metadata",
                ),
            ),
        )

    # ------------------------------------------------------------------ vector store: OpenSearch Serverless

    def _opensearch_store(
        self, props: KnowledgeBaseProps
    ) -> tuple[
        bedrock.CfnKnowledgeBase.KnowledgeBaseConfigurationProperty,
        bedrock.CfnKnowledgeBase.StorageConfigurationProperty,
    ]:
        """A VECTORSEARCH collection, its encryption/network/data-access policies and the vector index."""
        stack = cdk.Stack.of(self)
        name = self._aoss_name()
        collection_rule = {"ResourceType": "collection", "Resource": [f"collection/{name}"]}
        encryption = aoss.CfnSecurityPolicy(
            self,
            "CollectionEncryptionPolicy",
            name=name,
            type="encryption",
            description=f"{self.name}: encrypt the vector collection with the knowledge base's KMS key",
            policy=stack.to_json_string({"Rules": [collection_rule], "AWSOwnedKey": False, "KmsARN": self.key.key_arn}),
        )
        network_rule: dict[str, Any] = {"Rules": [collection_rule]}
        if props.opensearch_vpc_endpoint_ids:
            network_rule |= {
                "AllowFromPublic": False,
                "SourceVPCEs": list(props.opensearch_vpc_endpoint_ids),
                "SourceServices": ["bedrock.amazonaws.com"],
            }
        else:
            network_rule["AllowFromPublic"] = True
        network = aoss.CfnSecurityPolicy(
            self,
            "CollectionNetworkPolicy",
            name=name,
            type="network",
            description=f"{self.name}: collection endpoint only (no dashboards); IAM-authenticated",
            policy=stack.to_json_string([network_rule]),
        )
        self.collection = aoss.CfnCollection(
            self,
            "Collection",
            name=name,
            type="VECTORSEARCH",
            description=f"{self.name}: vectors of PII/PHI-sanitized knowledge documents",
            standby_replicas="ENABLED" if props.opensearch_standby_replicas else "DISABLED",
        )
        self.collection.node.add_dependency(encryption)
        self.collection.node.add_dependency(network)
        self.collection.apply_removal_policy(props.removal_policy)
        deployer = props.opensearch_deployer_role_arn or self._deployer_role_arn()
        index_resource = f"index/{name}/*"
        access = aoss.CfnAccessPolicy(
            self,
            "CollectionAccessPolicy",
            name=name,
            type="data",
            description=f"{self.name}: the knowledge base reads/writes vectors; CloudFormation manages the index",
            policy=stack.to_json_string(
                [
                    {
                        "Description": "Bedrock knowledge base role",
                        "Rules": [
                            {**collection_rule, "Permission": list(AOSS_KB_COLLECTION_PERMISSIONS)},
                            {
                                "ResourceType": "index",
                                "Resource": [index_resource],
                                "Permission": list(AOSS_KB_INDEX_PERMISSIONS),
                            },
                        ],
                        "Principal": [self.role.role_arn],
                    },
                    {
                        "Description": "CloudFormation execution role (AWS::OpenSearchServerless::Index)",
                        "Rules": [
                            {
                                "ResourceType": "index",
                                "Resource": [index_resource],
                                "Permission": list(AOSS_DEPLOYER_INDEX_PERMISSIONS),
                            }
                        ],
                        "Principal": [deployer],
                    },
                ]
            ),
        )
        self.opensearch_policies = {"encryption": encryption, "network": network, "data": access}
        field_type = aoss.CfnIndex.PropertyMappingProperty
        self.opensearch_index = aoss.CfnIndex(
            self,
            "VectorIndex",
            collection_endpoint=self.collection.attr_collection_endpoint,
            index_name=AOSS_INDEX_NAME,
            settings=aoss.CfnIndex.IndexSettingsProperty(
                index=aoss.CfnIndex.IndexProperty(knn=True, knn_algo_param_ef_search=512)
            ),
            mappings=aoss.CfnIndex.MappingsProperty(
                properties={
                    AOSS_VECTOR_FIELD: field_type(
                        type="knn_vector",
                        dimension=props.embedding_dimensions,
                        method=aoss.CfnIndex.MethodProperty(
                            name="hnsw",
                            engine="faiss",
                            # Bedrock's embeddings are unit-length: inner product ranks as cosine does.
                            space_type="innerproduct" if props.distance_metric == "cosine" else "l2",
                            parameters=aoss.CfnIndex.ParametersProperty(ef_construction=512, m=16),
                        ),
                    ),
                    AOSS_TEXT_FIELD: field_type(type="text", index=True),
                    AOSS_METADATA_FIELD: field_type(type="text", index=False),
                }
            ),
        )
        self.opensearch_index.node.add_dependency(self.collection)
        self.opensearch_index.node.add_dependency(access)
        self.opensearch_index.apply_removal_policy(props.removal_policy)
        # IAM side of OpenSearch Serverless: data-plane calls need aoss:APIAccessAll on the collection.
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="CollectionDataPlane", actions=["aoss:APIAccessAll"], resources=[self.collection.attr_arn]
            )
        )
        configuration = self._vector_configuration_and_grants(props)
        storage = bedrock.CfnKnowledgeBase.StorageConfigurationProperty(
            type="OPENSEARCH_SERVERLESS",
            opensearch_serverless_configuration=bedrock.CfnKnowledgeBase.OpenSearchServerlessConfigurationProperty(
                collection_arn=self.collection.attr_arn,
                vector_index_name=AOSS_INDEX_NAME,
                field_mapping=bedrock.CfnKnowledgeBase.OpenSearchServerlessFieldMappingProperty(
                    vector_field=AOSS_VECTOR_FIELD, text_field=AOSS_TEXT_FIELD, metadata_field=AOSS_METADATA_FIELD
                ),
            ),
        )
        return configuration, storage

    def _aoss_name(self) -> str:
        """Collection/policy name: ``^[a-z][a-z0-9-]{2,31}$``, from ``self.name`` (hashed when too long)."""
        name = "" if cdk.Token.is_unresolved(self.name) else re.sub(r"[^a-z0-9-]+", "-", self.name.lower())
        name = name.strip("-")
        if not re.fullmatch(r"[a-z][a-z0-9-]{2,31}", name):
            digest = hashlib.sha256((name or self.node.path).encode()).hexdigest()[:8]
            name = f"{(name if name[:1].isalpha() else 'kb-' + name)[:23].rstrip('-')}-{digest}"
        return name

    def _deployer_role_arn(self) -> str:
        synthesizer = cdk.Stack.of(self).synthesizer
        if not isinstance(synthesizer, cdk.DefaultStackSynthesizer):
            raise ValueError(
                "KnowledgeBaseProps.opensearch_deployer_role_arn=None with a stack synthesizer that is not "
                "DefaultStackSynthesizer; allowed: the ARN of the role CloudFormation deploys with"
            )
        return cdk.Fn.sub(synthesizer.cloud_formation_execution_role_arn)

    def _embedding_model_arn(self) -> str:
        return cdk.Stack.of(self).format_arn(
            service="bedrock", account="", resource="foundation-model", resource_name=self.props.embedding_model_id
        )

    def _grant_kendra(self, index_arn: str) -> None:
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="RetrieveFromKendraIndex",
                actions=["kendra:Retrieve", "kendra:DescribeIndex"],
                resources=[index_arn],
            )
        )

    def _data_source(self, props: KnowledgeBaseProps) -> bedrock.CfnDataSource:
        cfn = bedrock.CfnDataSource
        chunking: dict[str, Any] = {"chunking_strategy": props.chunking_strategy}
        if props.chunking_strategy == "FIXED_SIZE":
            chunking["fixed_size_chunking_configuration"] = cfn.FixedSizeChunkingConfigurationProperty(
                max_tokens=props.chunk_max_tokens, overlap_percentage=props.chunk_overlap_percent
            )
        elif props.chunking_strategy == "SEMANTIC":
            chunking["semantic_chunking_configuration"] = cfn.SemanticChunkingConfigurationProperty(
                max_tokens=props.chunk_max_tokens, buffer_size=0, breakpoint_percentile_threshold=95
            )
        elif props.chunking_strategy == "HIERARCHICAL":
            chunking["hierarchical_chunking_configuration"] = cfn.HierarchicalChunkingConfigurationProperty(
                level_configurations=[
                    cfn.HierarchicalChunkingLevelConfigurationProperty(max_tokens=props.chunk_max_tokens * 3),
                    cfn.HierarchicalChunkingLevelConfigurationProperty(max_tokens=props.chunk_max_tokens),
                ],
                overlap_tokens=max(1, props.chunk_max_tokens * props.chunk_overlap_percent // 100),
            )
        return cfn(
            self,
            "DataSource",
            knowledge_base_id=self.knowledge_base.attr_knowledge_base_id,
            name=f"{self.name}-sanitized",
            description=f"Sanitized documents under {props.knowledge_prefix} (metadata sidecars: *.metadata.json)",
            data_deletion_policy="DELETE",
            data_source_configuration=cfn.DataSourceConfigurationProperty(
                type="S3",
                s3_configuration=cfn.S3DataSourceConfigurationProperty(
                    bucket_arn=self.data_lake.sanitized_bucket.bucket_arn,
                    bucket_owner_account_id=cdk.Stack.of(self).account,
                    inclusion_prefixes=[props.knowledge_prefix],
                ),
            ),
            server_side_encryption_configuration=cfn.ServerSideEncryptionConfigurationProperty(
                kms_key_arn=self.key.key_arn
            ),
            vector_ingestion_configuration=cfn.VectorIngestionConfigurationProperty(
                chunking_configuration=cfn.ChunkingConfigurationProperty(**chunking)
            ),
        )

    # ------------------------------------------------------------------ ingestion: trigger + state machine

    def _state_machine(self, props: KnowledgeBaseProps) -> sfn.StateMachine:
        """Batched single-flight ingestion, the same shape as the sanitization trigger.

        Upload executions wait ``batch_window`` for the rest of a burst, then call ``StartIngestionJob``. Bedrock runs
        one ingestion job per data source at a time: of N simultaneous executions one starts the job, the others get
        a conflict, look for an active job that started after their object landed (it will read it: they finish
        ``CoveredByActiveJob``) or wait ``poll_interval`` and try again. The starter polls ``GetIngestionJob`` and
        fails the execution (``IngestionFailed``) when the job ends FAILED/STOPPED or failed documents.
        Manual start: any input without ``detail-type`` skips the batching wait.
        """
        assert self.data_source_id is not None
        kb_arn = self.knowledge_base_arn
        ids = {"KnowledgeBaseId": self.knowledge_base_id, "DataSourceId": self.data_source_id}

        def bedrock_agent_call(construct_id: str, action: str, **kwargs: Any) -> tasks.CallAwsService:
            """A ``bedrockagent`` API call on this knowledge base (IAM action ``bedrock:<Action>``)."""
            return tasks.CallAwsService.jsonata(
                self,
                construct_id,
                service="bedrockagent",
                action=action,
                iam_action=f"bedrock:{action[0].upper()}{action[1:]}",
                iam_resources=[kb_arn],
                **kwargs,
            )

        start = bedrock_agent_call(
            "StartIngestionJob",
            "startIngestionJob",
            parameters={**ids, "Description": "Triggered by new sanitized knowledge documents"},
            assign={"jobId": "{% $states.result.IngestionJob.IngestionJobId %}"},
            comment="One ingestion job per data source at a time; a conflict means one is running.",
        )
        covering = (
            "(Status in ['STARTING', 'IN_PROGRESS']) and "
            "($type(StartedAt) = 'number' ? StartedAt : $toMillis(StartedAt)) > $requestedAt + 1000"
        )
        find_covering = bedrock_agent_call(
            "FindCoveringJob",
            "listIngestionJobs",
            parameters={
                **ids,
                "MaxResults": 10,
                "SortBy": {"Attribute": "STARTED_AT", "Order": "DESCENDING"},
            },
            outputs={"covered": f"{{% $count($states.result.IngestionJobSummaries[{covering}]) > 0 %}}"},
            comment="Does an active job that started after this request exist? Then it reads our documents.",
        )
        join_active_run(
            self, start, find_covering, props.poll_interval, conflicts=_START_CONFLICTS, active="ingestion job"
        )
        failed = sfn.Fail.jsonata(
            self,
            "IngestionFailed",
            error="IngestionFailed",
            cause="{% 'ingestion job ' & $jobId & ' ended ' & $string($states.input.status) & ' (failed documents: ' & "
            "$string($states.input.failedDocuments) & ')' %}",
        )
        fail_on_error(self, start, "StartFailed", error="IngestionStartFailed")
        poll_wait = sfn.Wait.jsonata(self, "WaitForJob", time=sfn.WaitTime.duration(props.poll_interval))
        poll = bedrock_agent_call(
            "GetIngestionJob",
            "getIngestionJob",
            parameters={**ids, "IngestionJobId": "{% $jobId %}"},
            outputs={
                "status": "{% $states.result.IngestionJob.Status %}",
                "failedDocuments": "{% $exists($states.result.IngestionJob.Statistics.NumberOfDocumentsFailed) ? "
                "$states.result.IngestionJob.Statistics.NumberOfDocumentsFailed : 0 %}",
            },
        )
        for task in (start, poll):
            task.add_retry(
                errors=["BedrockAgent.ThrottlingException", "BedrockAgent.InternalServerException"],
                interval=cdk.Duration.seconds(20),
                backoff_rate=2,
                max_attempts=3,
            )
        done = (
            sfn.Choice.jsonata(self, "JobDone")
            .when(sfn.Condition.jsonata(f"{{% $states.input.status in {list(INGESTION_FAILED_STATES)} %}}"), failed)
            .when(
                sfn.Condition.jsonata("{% $states.input.status = 'COMPLETE' and $states.input.failedDocuments > 0 %}"),
                failed,
            )
            .when(
                sfn.Condition.jsonata("{% $states.input.status = 'COMPLETE' %}"),
                sfn.Succeed.jsonata(self, "Ingested"),
            )
            .otherwise(poll_wait)
        )
        start.next(poll_wait)
        poll_wait.next(poll)
        poll.next(done)

        assert self.state_machine_log_group is not None
        return batched_single_flight_state_machine(
            self,
            "IngestionStateMachine",
            first=start,
            batch_window=props.batch_window,
            assign={"jobId": ""},
            state_machine_name=f"{self.name}-ingestion",
            comment="Knowledge base: batched single-flight ingestion of new sanitized documents",
            role_description=f"State machine {self.name}-ingestion: starts and watches knowledge-base ingestion jobs",
            timeout=cdk.Duration.seconds(
                props.batch_window.to_seconds() + 2 * props.ingestion_timeout.to_seconds() + 3600
            ),
            log_group=self.state_machine_log_group,
            acknowledgment="KnowledgeBase.state_machine_role",
        )

    def _upload_rule(self, props: KnowledgeBaseProps) -> events.Rule:
        state_machine = self.state_machine
        assert state_machine is not None
        return object_created_rule(
            self,
            "UploadRule",
            role_id="UploadRuleRole",
            role_description=f"EventBridge: start the ingestion state machine of {self.name}",
            description="New sanitized knowledge documents start (batched) knowledge-base ingestion",
            detail={
                "bucket": {"name": [self.data_lake.sanitized_bucket.bucket_name]},
                "object": {"key": [{"prefix": props.knowledge_prefix}]},
            },
            target=lambda role: targets.SfnStateMachine(state_machine, role=role),
        )

    # ------------------------------------------------------------------ hooks

    def grant_retrieve(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` (the chat app) call ``bedrock:Retrieve`` on this knowledge base only."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["bedrock:Retrieve"], resource_arns=[self.knowledge_base_arn]
        )

    def _executions_metric(self, name: str, **kwargs: Any) -> cloudwatch.Metric:
        if self.state_machine is None:
            raise ValueError(
                "vector_store='kendra' has no ingestion state machine (Kendra ingests with its connectors)"
            )
        return getattr(self.state_machine, name)(**kwargs)

    def metric_failed_ingestions(self, **kwargs: Any) -> cloudwatch.Metric:
        """Failed ingestion executions (``ExecutionsFailed``, Sum): a job FAILED/STOPPED or failed documents."""
        return self._executions_metric("metric_failed", **kwargs)

    def metric_timed_out_ingestions(self, **kwargs: Any) -> cloudwatch.Metric:
        """Ingestion executions that hit the state machine timeout (``ExecutionsTimedOut``, Sum)."""
        return self._executions_metric("metric_timed_out", **kwargs)

    def metric_succeeded_ingestions(self, **kwargs: Any) -> cloudwatch.Metric:
        """Successful ingestion executions, including ones covered by an active job (``ExecutionsSucceeded``)."""
        return self._executions_metric("metric_succeeded", **kwargs)
