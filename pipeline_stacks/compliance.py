"""Compliance harness: cdk-nag packs and every suppression, each with its reason, in one place.

Packs: AWS Solutions, HIPAA Security and NIST 800-53 rev 5 (cdk-nag 3, run as CDK validation
plugins at synth). Constructs mark where a suppression applies with :func:`acknowledge` and a
key from :data:`SUPPRESSIONS`; the rule ids, the finding-level scope (cdk-nag's
``Rule[Finding]`` ids, the v3 equivalent of ``applies_to``) and the reasons live only here, so a
reviewer audits one table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import aws_cdk as cdk
import jsii
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks
from constructs import IConstruct, IValidation

#: The packs every pipeline app runs.
PACKS = (AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks)


@dataclass(frozen=True)
class Suppression:
    """One acknowledged rule. ``applies_to`` narrows it to specific findings (``Rule[Finding]``)."""

    rule: str
    reason: str
    applies_to: tuple[str, ...] = ()

    def ids(self) -> tuple[str, ...]:
        """The cdk-nag ids to acknowledge: the bare rule, or one ``Rule[Finding]`` per ``applies_to``."""
        return tuple(f"{self.rule}[{a}]" for a in self.applies_to) or (self.rule,)


_ACCESS_LOG_BUCKET_REASON = (
    "This is the S3 server-access-log destination bucket itself; logging it into itself would "
    "create a feedback loop of log objects (AWS recommends a separate target). All other lake "
    "buckets log here."
)

_NO_REPLICATION_REASON = (
    "Replication needs a destination bucket and KMS key in a second region, which this stack "
    "cannot create; it is opt-in per bucket with config data_lake.replication. Versioning, "
    "noncurrent-version retention and RETAIN removal protect the data in-region."
)

_DATA_LAKE: dict[str, tuple[Suppression, ...]] = {
    "DataLake.access_logs_bucket": (
        Suppression("AwsSolutions-S1", _ACCESS_LOG_BUCKET_REASON),
        Suppression("HIPAA.Security-S3BucketLoggingEnabled", _ACCESS_LOG_BUCKET_REASON),
        Suppression("NIST.800.53.R5-S3BucketLoggingEnabled", _ACCESS_LOG_BUCKET_REASON),
    ),
    "DataLake.bucket_without_replication": (
        Suppression("HIPAA.Security-S3BucketReplicationEnabled", _NO_REPLICATION_REASON),
        Suppression("NIST.800.53.R5-S3BucketReplicationEnabled", _NO_REPLICATION_REASON),
    ),
    "DataLake.replication_role": (
        Suppression(
            "AwsSolutions-IAM5",
            "S3 replication must read every object version of a replicated bucket and write every "
            "key of its replica, so object ARNs end in /*; scoped to exactly those buckets.",
        ),
    ),
}

_HASH_KEY_ROTATION_REASON = (
    "The secret is the HMAC key behind hash-mode pseudonyms: rotating it changes every pseudonym, so "
    "records sanitized before and after no longer join. It is rotated deliberately, together with a "
    "full re-sanitization (see docs/sanitization-job.md), never on a schedule."
)

_GRANT_ACTION_GROUPS = tuple(
    f"Action::{a}"
    for a in (
        "s3:GetObject*",
        "s3:GetBucket*",
        "s3:List*",
        "s3:DeleteObject*",
        "s3:Abort*",
        "kms:GenerateDataKey*",
        "kms:ReEncrypt*",
    )
)

_SANITIZATION: dict[str, tuple[Suppression, ...]] = {
    "PiiSanitization.hash_key_secret": (
        Suppression("AwsSolutions-SMG4", _HASH_KEY_ROTATION_REASON),
        Suppression("HIPAA.Security-SecretsManagerRotationEnabled", _HASH_KEY_ROTATION_REASON),
        Suppression("NIST.800.53.R5-SecretsManagerRotationEnabled", _HASH_KEY_ROTATION_REASON),
    ),
    "PiiSanitization.job_role_actions": (
        Suppression(
            "AwsSolutions-IAM5",
            "The action groups come from the DataLake grant helpers (CDK bucket/key grants: read = "
            "GetObject*/GetBucket*/List*, Spark output adds DeleteObject*/Abort*, SSE-KMS and the Glue "
            "security configuration need GenerateDataKey*/ReEncrypt*); each is scoped to one lake prefix or the lake "
            "key.",
            _GRANT_ACTION_GROUPS,
        ),
    ),
    "PiiSanitization.job_role_objects": (
        Suppression(
            "AwsSolutions-IAM5",
            "The Glue job reads every new object under the raw (and, for continuous learning, the "
            "interactions) prefix and Spark writes partitioned files with generated names under the "
            "sanitized and quarantine prefixes; each grant is limited to exactly that prefix.",
        ),
    ),
    "PiiSanitization.job_role_services": (
        Suppression(
            "AwsSolutions-IAM5",
            "cloudwatch:PutMetricData has no resource-level permissions (the statement is conditioned on "
            "the job's own and Glue's metric namespaces); Glue creates the job's output/error log groups "
            "under /aws-glue/jobs/ with names derived from the security configuration and role.",
        ),
    ),
    "PiiSanitization.state_machine_role": (
        Suppression(
            "AwsSolutions-IAM5",
            "Step Functions log delivery (logs:*LogDelivery*, logs:DescribeResourcePolicies, ...) and X-Ray "
            "tracing (xray:PutTraceSegments, GetSamplingRules, ...) have no resource-level permissions.",
            ("Resource::*",),
        ),
    ),
}


_TRAINING: dict[str, tuple[Suppression, ...]] = {
    "TrainingPipeline.state_machine_role": (
        Suppression(
            "AwsSolutions-IAM5",
            "Step Functions log delivery (logs:*LogDelivery*, DescribeResourcePolicies) and X-Ray tracing "
            "(xray:PutTraceSegments, GetSamplingRules) have no resource-level permissions, so they need "
            "Resource '*'. Training job names are generated per execution, so jobs are scoped by the "
            "pipeline's job-name prefix; model package versions are numbered by SageMaker inside the "
            "pipeline's own package group.",
        ),
    ),
    "TrainingPipeline.execution_role_actions": (
        Suppression(
            "AwsSolutions-IAM5",
            "The action groups come from the DataLake grant helpers (CDK's bucket/key grants: read = "
            "GetObject*/GetBucket*/List*, write adds DeleteObject*/Abort*, SSE-KMS needs "
            "GenerateDataKey*/ReEncrypt*); every statement is scoped to one lake prefix or the lake key.",
            _GRANT_ACTION_GROUPS,
        ),
    ),
    "TrainingPipeline.execution_role_objects": (
        Suppression(
            "AwsSolutions-IAM5",
            "SageMaker jobs read the data splits and write checkpoints, model artifacts and evaluation "
            "output under fixed lake prefixes whose object keys are chosen per job, and read the training "
            "source tarball from the CDK asset bucket; each grant is limited to that prefix.",
        ),
    ),
    "TrainingPipeline.execution_role_service": (
        Suppression(
            "AwsSolutions-IAM5",
            "cloudwatch:PutMetricData (conditioned on the /aws/sagemaker/* namespace), VPC ENI management "
            "for jobs in subnets and ecr:GetAuthorizationToken have no resource-level permissions; job "
            "log streams are created per job under the /aws/sagemaker/TrainingJobs log group.",
        ),
    ),
}

_NVME_REASON = (
    "GPU instance types with local NVMe instance storage (ml.g5/g6/g6e/p4d/p5) are encrypted by a "
    "hardware module on the instance, and SageMaker rejects a KmsKeyId on their endpoint config "
    "(CreateEndpointConfig fails). Data capture is still written with the lake CMK."
)
_ROLLBACK_ALARM_REASON = (
    "This alarm is a SageMaker deployment-guardrail rollback trigger (referenced by the endpoint's "
    "AutoRollbackConfiguration); notification alarms on the same metrics live in the monitoring "
    "stack, which cannot be referenced from here (references only flow forward)."
)

_SYNC_LAMBDA_REASON = (
    "The front door is invoked synchronously by API Gateway (proxy integration): failures are returned "
    "to the caller as HTTP errors; there is no asynchronous event a dead-letter queue could keep."
)
_NO_VPC_REASON = (
    "No VPC is configured for the front door (serving.lambda_vpc_id unset): it only calls AWS APIs "
    "(SageMaker/Bedrock runtime, S3) over TLS with IAM auth; set the subnets to run it in a VPC."
)
_UNRESERVED_REASON = (
    "serving.reserved_concurrency is null by configuration (e.g. accounts whose concurrency quota cannot "
    "spare a reservation); API Gateway stage and usage-plan throttling still cap the front door's load."
)
_NO_CACHE_REASON = (
    "Responses are per-caller model generations that may contain PHI and are never valid for another "
    "caller; caching POST generations would leak one caller's output to another."
)
_NO_CLIENT_CERT_REASON = (
    "A stage client certificate authenticates API Gateway to HTTP backends; this API only has Lambda "
    "proxy integrations (invoked through AWS's signed, TLS-protected API), so there is no backend to present it to."
)

_SERVING: dict[str, tuple[Suppression, ...]] = {
    "ModelEndpoint.execution_role_actions": (
        Suppression(
            "AwsSolutions-IAM5",
            "The action groups come from the DataLake grant helpers (read = GetObject*/GetBucket*/List* "
            "on the model's artifacts prefix, data-capture write adds Abort*, SSE-KMS needs "
            "GenerateDataKey*/ReEncrypt*); every statement is scoped to one lake prefix or the lake key.",
            _GRANT_ACTION_GROUPS,
        ),
    ),
    "ModelEndpoint.execution_role_objects": (
        Suppression(
            "AwsSolutions-IAM5",
            "SageMaker downloads every file of the model under its artifacts prefix (models/NAME/) and "
            "writes data-capture files with generated keys under data-capture/ of the interactions "
            "bucket; each grant is limited to that one prefix.",
        ),
    ),
    "ModelEndpoint.execution_role_service": (
        Suppression(
            "AwsSolutions-IAM5",
            "ecr:GetAuthorizationToken, cloudwatch:PutMetricData (conditioned on the /aws/sagemaker/ "
            "namespaces) and, for models in a VPC, ENI management have no resource-level permissions; "
            "image layer pulls are scoped to the one serving repository.",
            ("Resource::*",),
        ),
    ),
    "ModelEndpoint.nvme_instance_storage": (
        Suppression("HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured", _NVME_REASON),
        Suppression("NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured", _NVME_REASON),
    ),
    "ModelEndpoint.rollback_alarm": (
        Suppression("HIPAA.Security-CloudWatchAlarmAction", _ROLLBACK_ALARM_REASON),
        Suppression("NIST.800.53.R5-CloudWatchAlarmAction", _ROLLBACK_ALARM_REASON),
    ),
    # front door ------------------------------------------------------------------------------
    "FrontDoor.function": (
        Suppression(
            "AwsSolutions-L1",
            "The front-door handler is pinned to python3.12: its wheels are bundled for cp312 "
            "(manylinux2014_x86_64) and the handler and PII engine are tested on 3.12; moving to a newer "
            "runtime is a deliberate change of runtime, bundling and tests together.",
        ),
        Suppression("HIPAA.Security-LambdaDLQ", _SYNC_LAMBDA_REASON),
        Suppression("NIST.800.53.R5-LambdaDLQ", _SYNC_LAMBDA_REASON),
    ),
    "FrontDoor.function_outside_vpc": (
        Suppression("HIPAA.Security-LambdaInsideVPC", _NO_VPC_REASON),
        Suppression("NIST.800.53.R5-LambdaInsideVPC", _NO_VPC_REASON),
    ),
    "FrontDoor.function_unreserved": (
        Suppression("HIPAA.Security-LambdaConcurrency", _UNRESERVED_REASON),
        Suppression("NIST.800.53.R5-LambdaConcurrency", _UNRESERVED_REASON),
    ),
    "FrontDoor.function_role": (
        Suppression(
            "AwsSolutions-IAM5",
            "xray:PutTraceSegments/PutTelemetryRecords support no resource-level permissions (Resource *); "
            "the KMS/S3 action wildcards (kms:GenerateDataKey*, kms:ReEncrypt*, s3:Abort*) come from the "
            "lake's grant_write_interactions helper and are scoped to the lake key and the interactions bucket.",
            ("Resource::*", "Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*", "Action::s3:Abort*"),
        ),
    ),
    "FrontDoor.conversations_table": tuple(
        Suppression(
            rule,
            "Conversations are a convenience copy for the chat UI: redacted, per caller, expiring by TTL. "
            "Point-in-time "
            "recovery (35 days) is the backup; an AWS Backup plan would keep them beyond their TTL and deletion.",
        )
        for rule in ("HIPAA.Security-DynamoDBInBackupPlan", "NIST.800.53.R5-DynamoDBInBackupPlan")
    ),
    "FrontDoor.function_role_objects": (
        Suppression(
            "AwsSolutions-IAM5",
            "The handler writes one object per interaction/feedback under date-partitioned keys it derives "
            "at run time, so puts are allowed under exactly the interactions/ and feedback/ prefixes.",
        ),
    ),
    "FrontDoor.function_role_vpc": (
        Suppression(
            "AwsSolutions-IAM4",
            "A VPC-attached Lambda needs ENI management (ec2:CreateNetworkInterface and friends, no "
            "resource-level scoping); AWSLambdaENIManagementAccess is the minimal AWS managed policy for that.",
            ("Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaENIManagementAccess",),
        ),
    ),
    "FrontDoor.api_gateway_logs_role": (
        Suppression(
            "AwsSolutions-IAM5",
            "The account-level API Gateway logging role writes the execution logs of every REST API of "
            "the account, whose log groups are named API-Gateway-Execution-Logs_<api id>/<stage>: the "
            "role is scoped to exactly that name prefix instead of the AWS managed policy's Resource *.",
            (
                "Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:"
                "API-Gateway-Execution-Logs_*",
                "Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:"
                "API-Gateway-Execution-Logs_*:log-stream:*",
            ),
        ),
    ),
    "FrontDoor.stage": (
        Suppression("HIPAA.Security-APIGWCacheEnabledAndEncrypted", _NO_CACHE_REASON),
        Suppression("NIST.800.53.R5-APIGWCacheEnabledAndEncrypted", _NO_CACHE_REASON),
        Suppression("HIPAA.Security-APIGWSSLEnabled", _NO_CLIENT_CERT_REASON),
        Suppression("NIST.800.53.R5-APIGWSSLEnabled", _NO_CLIENT_CERT_REASON),
    ),
    "FrontDoor.cors_preflight": (
        Suppression(
            "AwsSolutions-APIG4",
            "CORS preflight (OPTIONS) requests never carry credentials by the Fetch standard, so they cannot "
            "be authorized; the mock integration only returns the allowed origins, methods and headers.",
        ),
        Suppression(
            "AwsSolutions-COG4",
            "CORS preflight (OPTIONS) requests never carry credentials by the Fetch standard, so they cannot "
            "be authorized by Cognito; the mock integration only returns the CORS headers.",
        ),
    ),
    "FrontDoor.iam_authorized_method": (
        Suppression(
            "AwsSolutions-COG4",
            "serving.auth='iam': callers are authorized with SigV4-signed requests (AWS_IAM authorization) "
            "plus an API key, which is the configured alternative to a Cognito user pool authorizer.",
        ),
    ),
    "FrontDoor.user_pool_mfa_optional": (
        Suppression(
            "AwsSolutions-COG2",
            "serving.mfa='optional' is an explicit configuration choice (e.g. dev pools with test users); "
            "TOTP MFA stays available to every user and prod deployments use the default 'required'.",
        ),
    ),
}

_MONITORING: dict[str, tuple[Suppression, ...]] = {
    "ContinuousLearning.role": (
        Suppression(
            "AwsSolutions-IAM5",
            "Step Functions log delivery (logs:CreateLogDelivery, ...) and X-Ray trace submission have no "
            "resource-level permissions, so they need Resource '*'.",
            applies_to=("Resource::*",),
        ),
    ),
    "ContinuousLearning.retrain_executions": (
        Suppression(
            "AwsSolutions-IAM5",
            "A .sync StartExecution must describe and stop the execution it started, whose name is only "
            "known at run time: the ARN is execution:<training state machine name>:*, one state machine.",
        ),
    ),
}

_KNOWLEDGE_BASE: dict[str, tuple[Suppression, ...]] = {
    "KnowledgeBase.role_actions": (
        Suppression(
            "AwsSolutions-IAM5",
            "kms:GenerateDataKey*/kms:ReEncrypt* come from the CDK grant on the knowledge base's own vector-store "
            "key (SSE-KMS vectors and transient ingestion data) and are scoped to that one key.",
            ("Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*"),
        ),
    ),
    "KnowledgeBase.role_objects": (
        Suppression(
            "AwsSolutions-IAM5",
            "Bedrock ingestion reads every sanitized document and its metadata sidecar under the knowledge/ "
            "prefix, whose keys are chosen by uploaders; the grant is limited to exactly that prefix.",
        ),
    ),
    "KnowledgeBase.pgvector_vpc": tuple(
        Suppression(
            f"{pack}-VPCDefaultSecurityGroupClosed",
            "The knowledge base's own isolated VPC (no internet or NAT gateway) holds only the Aurora cluster, "
            "which uses its own security group; nothing is placed in the default group. Closing it needs "
            "CDK's restrict-default-security-group custom-resource Lambda, one more function for no reachable path.",
        )
        for pack in ("HIPAA.Security", "NIST.800.53.R5")
    ),
    "KnowledgeBase.pgvector_cluster": (
        *(
            Suppression(
                rule,
                "The Aurora master secret is read only by Bedrock and the deploy-time table setup through the "
                "Data API. Single-user rotation needs the Secrets Manager rotation Lambda (a Serverless "
                "Application Repository app) with a network path to both Secrets Manager and the cluster, which "
                "this NAT-less isolated VPC does not have; rotate by redeploying with a new secret.",
            )
            for rule in (
                "AwsSolutions-SMG4",
                "HIPAA.Security-SecretsManagerRotationEnabled",
                "NIST.800.53.R5-SecretsManagerRotationEnabled",
            )
        ),
        *(
            Suppression(
                rule,
                "The cluster holds only embeddings derived from sanitized documents, rebuilt by re-running "
                "ingestion; Aurora's automated backups (7 days, encrypted with the knowledge-base key) cover "
                "point-in-time restore without an AWS Backup plan.",
            )
            for rule in ("HIPAA.Security-RDSInBackupPlan", "NIST.800.53.R5-RDSInBackupPlan")
        ),
        Suppression(
            "AwsSolutions-IAM4",
            "Enhanced monitoring's role uses the AWS-managed AmazonRDSEnhancedMonitoringRole, the policy AWS "
            "documents for it; it only writes OS metrics to the RDSOSMetrics log group.",
            ("Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",),
        ),
    ),
    "KnowledgeBase.pgvector_sql_function": tuple(
        Suppression(
            rule,
            "CDK's AwsCustomResource provider: run only by CloudFormation at deployment to create the pgvector "
            "table through the RDS Data API (an HTTPS endpoint, no VPC path needed); CloudFormation reports a "
            "failed call as a failed deployment, so a DLQ or reserved concurrency adds nothing.",
        )
        for rule in (
            "HIPAA.Security-LambdaConcurrency",
            "HIPAA.Security-LambdaDLQ",
            "HIPAA.Security-LambdaInsideVPC",
            "NIST.800.53.R5-LambdaConcurrency",
            "NIST.800.53.R5-LambdaDLQ",
            "NIST.800.53.R5-LambdaInsideVPC",
        )
    ),
    "KnowledgeBase.state_machine_role": (
        Suppression(
            "AwsSolutions-IAM5",
            "Step Functions log delivery (logs:*LogDelivery*, DescribeResourcePolicies) and X-Ray tracing "
            "(xray:PutTraceSegments, GetSamplingRules) have no resource-level permissions.",
            ("Resource::*",),
        ),
    ),
}

_WEB_NO_REPLICATION_REASON = (
    "The web bucket holds only the built single-page app and its config.json, rebuilt and redeployed from source "
    "by every deployment; the CloudFront log bucket holds request logs kept in-region. Cross-region replication "
    "would copy nothing that cannot be recreated."
)
_WEB_SSE_S3_REASON = (
    "{what} is encrypted with S3-managed keys (SSE-S3): {why} It holds no prompts, answers or personal data."
)

_WEB: dict[str, tuple[Suppression, ...]] = {
    "WebApp.site_bucket": (
        Suppression("HIPAA.Security-S3BucketReplicationEnabled", _WEB_NO_REPLICATION_REASON),
        Suppression("NIST.800.53.R5-S3BucketReplicationEnabled", _WEB_NO_REPLICATION_REASON),
        *(
            Suppression(
                f"{pack}-S3DefaultEncryptionKMS",
                _WEB_SSE_S3_REASON.format(
                    what="The web bucket",
                    why="its objects are the public static files of the UI, served to anyone who loads the site, so "
                    "a customer-managed key adds no confidentiality while CloudFront's OAC would need key-policy "
                    "grants for every read.",
                ),
            )
            for pack in ("HIPAA.Security", "NIST.800.53.R5")
        ),
    ),
    "WebApp.cloudfront_log_bucket": (
        Suppression("HIPAA.Security-S3BucketReplicationEnabled", _WEB_NO_REPLICATION_REASON),
        Suppression("NIST.800.53.R5-S3BucketReplicationEnabled", _WEB_NO_REPLICATION_REASON),
        *(
            Suppression(
                f"{pack}-S3DefaultEncryptionKMS",
                _WEB_SSE_S3_REASON.format(
                    what="The CloudFront access-log bucket",
                    why="CloudFront standard logging writes through the awslogsdelivery account with bucket ACLs and "
                    "sends no SSE-KMS parameters, so a KMS default would need a key policy open to the log-delivery "
                    "service for every distribution.",
                ),
            )
            for pack in ("HIPAA.Security", "NIST.800.53.R5")
        ),
    ),
    "WebApp.deployment_role_actions": (
        Suppression(
            "AwsSolutions-IAM5",
            "CDK's BucketDeployment grants its handler the bucket grant action groups (read the CDK asset: "
            "GetObject*/GetBucket*/List*; write the web bucket: also DeleteObject*/Abort*) and CloudFront "
            "CreateInvalidation/GetInvalidation, which support no resource-level permissions (Resource *).",
            (
                "Action::s3:GetObject*",
                "Action::s3:GetBucket*",
                "Action::s3:List*",
                "Action::s3:DeleteObject*",
                "Action::s3:Abort*",
                "Resource::*",
            ),
        ),
    ),
    "WebApp.deployment_role_objects": (
        Suppression(
            "AwsSolutions-IAM5",
            "The deployment handler reads every object of the one CDK asset it deploys (asset bucket objects) and "
            "writes every file of the built UI into the web bucket, whose object keys come from the build.",
        ),
    ),
    "WebApp.deployment_handler": (
        Suppression(
            "AwsSolutions-L1",
            "The BucketDeployment handler's runtime is pinned by aws-cdk-lib together with its bundled AWS CLI; "
            "it moves with CDK upgrades, not with this project.",
        ),
        *(
            Suppression(
                f"{pack}-{rule}",
                "The BucketDeployment handler is a CloudFormation custom resource: CloudFormation invokes it "
                f"synchronously during deployments only and receives its failures, {why}",
            )
            for pack in ("HIPAA.Security", "NIST.800.53.R5")
            for rule, why in (
                ("LambdaDLQ", "so there is no asynchronous event a dead-letter queue could keep."),
                (
                    "LambdaConcurrency",
                    "once per deployment, so reserved concurrency would only withhold capacity from the account.",
                ),
                ("LambdaInsideVPC", "and it only calls S3 and CloudFront APIs over TLS with IAM auth."),
            )
        ),
    ),
    "WebApp.deployment_logs_without_key": (
        Suppression(
            "HIPAA.Security-CloudWatchLogGroupEncrypted",
            "No KMS key was given to WebApp (key=...): the deployment handler's logs list file names of the public "
            "UI build and hold no data; CloudWatch Logs encrypts them at rest with service keys.",
        ),
        Suppression(
            "NIST.800.53.R5-CloudWatchLogGroupEncrypted",
            "No KMS key was given to WebApp (key=...): the deployment handler's logs list file names of the public "
            "UI build and hold no data; CloudWatch Logs encrypts them at rest with service keys.",
        ),
    ),
    "WebApp.distribution_no_geo_restriction": (
        Suppression(
            "AwsSolutions-CFR1",
            "The chat UI serves an organisation's users wherever they are; sign-in (Cognito) and the API's WAF "
            "decide who gets in. WebAppProps.geo_allowlist restricts countries when a deployment needs it.",
        ),
    ),
    "WebApp.distribution_without_waf": (
        Suppression(
            "AwsSolutions-CFR2",
            "No CloudFront web ACL was given (WebAppProps.web_acl_arn): a CLOUDFRONT-scope ACL must live in us-east-1, "
            "outside this stack's region. The distribution only serves static files; the API behind it has its "
            "own WAF.",
        ),
    ),
    "WebApp.distribution_default_certificate": (
        Suppression(
            "AwsSolutions-CFR4",
            "No custom domain was configured, so the distribution uses CloudFront's *.cloudfront.net certificate, "
            "whose security policy CloudFront fixes; give WebAppProps.domain_names + certificate_arn to enforce "
            "TLSv1.2_2021 on your own certificate.",
        ),
    ),
}

_PIPELINE_LOG_BUCKET_REASON = (
    "This is the delivery pipeline's S3 server-access-log destination bucket: logging it into itself would loop, "
    "and S3 log delivery only writes to SSE-S3 encrypted targets (SSE-KMS default encryption is not supported "
    "for server access log target buckets). It holds access logs only; artifacts use the pipeline's CMK."
)
_PIPELINE_NO_REPLICATION_REASON = (
    "Pipeline artifacts, the source zip and access logs are rebuilt from the repository on every run; a "
    "second-region replica (bucket + key) adds cost and nothing to recover. Versioning and RETAIN protect them."
)
_PIPELINE_INLINE_REASON = (
    "CDK Pipelines creates this role and writes its grants into the role's own DefaultPolicy (the self-mutation "
    "project, stage actions); it has no option to route them to a managed policy. The policy is attached to "
    "exactly this one role and carries only what CDK Pipelines needs for that action."
)
_CODEPIPELINE_SOURCE_REASON = (
    "The project's source is CODEPIPELINE (the pipeline's KMS-encrypted artifacts), not a GitHub/Bitbucket URL: "
    "there is no repository URL or credential in the project; the repository is reached through CodeConnections."
)
#: Wildcards CDK Pipelines' generated grants carry, as regexes over cdk-nag finding ids (resources rendered).
#: One ARN field: a literal (``us-east-1``) or, in an env-agnostic stack, a pseudo parameter (``<AWS::Region>``).
_ARN_FIELD = r"(?:<AWS::[A-Za-z]+>|[^:<>]+)"
PIPELINE_WILDCARD_FINDINGS = (
    r"Action::s3:(GetObject|GetBucket|List|DeleteObject|Abort)\*",
    r"Action::kms:(GenerateDataKey|ReEncrypt)\*",
    r"Resource::<[A-Za-z0-9]+\.Arn>/\*",
    rf"Resource::arn:{_ARN_FIELD}:codebuild:{_ARN_FIELD}:{_ARN_FIELD}:report-group/<[A-Za-z0-9]+>-\*",
    rf"Resource::arn:{_ARN_FIELD}:logs:{_ARN_FIELD}:{_ARN_FIELD}:log-group:/aws/codebuild/<[A-Za-z0-9]+>:\*",
    rf"Resource::arn:\*:iam::{_ARN_FIELD}:role/\*",
    # The shared asset-publishing CodeBuild role (Assets/FileRole) is generated for all asset projects at once.
    rf"Resource::arn:{_ARN_FIELD}:logs:{_ARN_FIELD}:{_ARN_FIELD}:log-group:/aws/codebuild/\*",
    rf"Resource::arn:{_ARN_FIELD}:codebuild:{_ARN_FIELD}:{_ARN_FIELD}:report-group/\*",
    r"Resource::\*",
)

_PROMOTION_SYNC_REASON = (
    "The promotion steps are invoked synchronously by the promotion state machine, which retries and catches "
    "every failure and emits ModelPromotionFailed; there is no asynchronous event a dead-letter queue could keep."
)
_PROMOTION_NO_VPC_REASON = (
    "The promotion function only calls the SageMaker and SSM control-plane APIs over TLS with IAM auth; it reads "
    "no data and has no network path to the model."
)
_PROMOTION_UNRESERVED_REASON = (
    "Promotions are rare (one execution per approval, a few invocations each); reserving concurrency would fail "
    "deployment in accounts whose unreserved concurrency cannot spare it. Set reserved_concurrency to reserve."
)

_DELIVERY: dict[str, tuple[Suppression, ...]] = {
    "DeliveryPipeline.access_logs_bucket": (
        Suppression("AwsSolutions-S1", _PIPELINE_LOG_BUCKET_REASON),
        Suppression("HIPAA.Security-S3BucketLoggingEnabled", _PIPELINE_LOG_BUCKET_REASON),
        Suppression("NIST.800.53.R5-S3BucketLoggingEnabled", _PIPELINE_LOG_BUCKET_REASON),
        Suppression("HIPAA.Security-S3DefaultEncryptionKMS", _PIPELINE_LOG_BUCKET_REASON),
        Suppression("NIST.800.53.R5-S3DefaultEncryptionKMS", _PIPELINE_LOG_BUCKET_REASON),
        Suppression("HIPAA.Security-S3BucketReplicationEnabled", _PIPELINE_NO_REPLICATION_REASON),
        Suppression("NIST.800.53.R5-S3BucketReplicationEnabled", _PIPELINE_NO_REPLICATION_REASON),
    ),
    "DeliveryPipeline.bucket": (
        Suppression("HIPAA.Security-S3BucketReplicationEnabled", _PIPELINE_NO_REPLICATION_REASON),
        Suppression("NIST.800.53.R5-S3BucketReplicationEnabled", _PIPELINE_NO_REPLICATION_REASON),
    ),
    "DeliveryPipeline.generated_role": (
        Suppression("HIPAA.Security-IAMNoInlinePolicy", _PIPELINE_INLINE_REASON),
        Suppression("NIST.800.53.R5-IAMNoInlinePolicy", _PIPELINE_INLINE_REASON),
    ),
    "DeliveryPipeline.role_wildcards": (
        Suppression(
            "AwsSolutions-IAM5",
            "Grants CDK Pipelines writes for its actions: artifact read/write (CDK's bucket/key grant groups "
            "s3:GetObject*/List*/..., kms:GenerateDataKey*/ReEncrypt*) on objects of the pipeline's own artifact "
            "bucket, CodeBuild report groups and log streams named after each project (for the shared asset-publishing "
            "role, generated by CDK Pipelines for all asset projects: any CodeBuild project's), and for self-mutation "
            "cloudformation:DescribeStacks (no resource scoping) and sts:AssumeRole on role/* conditioned on the "
            "CDK bootstrap role tag (aws-cdk:bootstrap-role). Only findings of exactly these shapes are acknowledged.",
        ),
    ),
    "DeliveryPipeline.build_project": (
        Suppression("HIPAA.Security-CodeBuildProjectSourceRepoUrl", _CODEPIPELINE_SOURCE_REASON),
        Suppression("NIST.800.53.R5-CodeBuildProjectSourceRepoUrl", _CODEPIPELINE_SOURCE_REASON),
    ),
    "PromotionWorkflow.state_machine_role": (
        Suppression(
            "AwsSolutions-IAM5",
            "Step Functions log delivery and X-Ray tracing have no resource-level permissions (Resource '*'); "
            "DescribeModelPackage is allowed on the versions of the one promoted package group (group/*: SageMaker "
            "numbers the versions); lambda:InvokeFunction on the promotion function's versions (<arn>:*).",
        ),
    ),
    "PromotionWorkflow.function_role": (
        Suppression(
            "AwsSolutions-IAM5",
            "X-Ray (PutTraceSegments/PutTelemetryRecords) has no resource-level permissions; packages are the "
            "versions of the one promoted group; the live model and endpoint config were named by CloudFormation "
            "(no common prefix), so reading them is allowed on any name (Describe only); the models and configs a "
            "promotion creates are named <endpoint name>-v<version>-<hash>, so creating is limited to that prefix.",
        ),
    ),
    "PromotionWorkflow.function": (
        Suppression("HIPAA.Security-LambdaDLQ", _PROMOTION_SYNC_REASON),
        Suppression("NIST.800.53.R5-LambdaDLQ", _PROMOTION_SYNC_REASON),
        Suppression("HIPAA.Security-LambdaInsideVPC", _PROMOTION_NO_VPC_REASON),
        Suppression("NIST.800.53.R5-LambdaInsideVPC", _PROMOTION_NO_VPC_REASON),
    ),
    "PromotionWorkflow.function_unreserved": (
        Suppression("HIPAA.Security-LambdaConcurrency", _PROMOTION_UNRESERVED_REASON),
        Suppression("NIST.800.53.R5-LambdaConcurrency", _PROMOTION_UNRESERVED_REASON),
    ),
    "GitHubDeployRole.role": (
        Suppression(
            "AwsSolutions-IAM5",
            "cdk deploy assumes the CDK bootstrap roles of the target account (deploy, file-publishing, "
            "image-publishing, lookup), all named cdk-<qualifier>-<purpose>-<account>-<region>: the wildcard stands "
            "for the purpose only, so the role reaches exactly those bootstrap roles and nothing else.",
        ),
    ),
    "SmokeTestAccess.role": (
        Suppression(
            "AwsSolutions-IAM5",
            "The smoke test lists the alarms whose names start with the stage's prefix (DescribeAlarms with "
            "AlarmNamePrefix): the resource is alarm:<prefix>*, the alarms of this one deployment.",
        ),
    ),
}

#: Every suppression in the project, keyed by the place a construct acknowledges it.
SUPPRESSIONS: dict[str, tuple[Suppression, ...]] = {
    **_DATA_LAKE,
    **_SANITIZATION,
    **_TRAINING,
    **_SERVING,
    **_MONITORING,
    **_KNOWLEDGE_BASE,
    **_WEB,
    **_DELIVERY,
}


def acknowledge(scope: IConstruct, key: str, *, applies_to: Iterable[str] = ()) -> None:
    """Apply the suppressions registered under ``key`` to ``scope`` (and its children).

    ``applies_to`` narrows registered suppressions that have no static findings to the given
    findings (e.g. :func:`objects_finding` of the exact buckets a role may touch).
    """
    try:
        suppressions = SUPPRESSIONS[key]
    except KeyError:
        raise KeyError(f"no suppressions registered under {key!r}; add them to compliance.SUPPRESSIONS") from None
    dynamic = tuple(applies_to)
    acks: list[cdk.Acknowledgment] = []
    for s in suppressions:
        scoped = s if s.applies_to or not dynamic else Suppression(s.rule, s.reason, dynamic)
        acks.extend(cdk.Acknowledgment(id=rule_id, reason=s.reason) for rule_id in scoped.ids())
    cdk.Validations.of(scope).acknowledge(*acks)


def acknowledge_matching(scope: IConstruct, key: str, patterns: Iterable[str]) -> None:
    """Acknowledge ``key`` for the IAM5 findings of the policies under ``scope`` that fullmatch one of ``patterns``.

    For grants a library generates (CDK Pipelines): the findings are computed at validation time from the
    rendered policy statements, the way cdk-nag names them, and only those matching a pattern are acknowledged,
    so a new, unexpected wildcard still fails synth.
    """
    import re

    from aws_cdk import aws_iam as iam

    compiled = tuple(re.compile(p) for p in patterns)

    def findings() -> list[str]:
        stack = cdk.Stack.of(scope)
        found: set[str] = set()
        for child in scope.node.find_all():
            # only this stack's policies (a CDK Pipelines construct holds the Stages it deploys, other stacks)
            if isinstance(child, (iam.CfnPolicy, iam.CfnManagedPolicy)) and cdk.Stack.of(child) is stack:
                document = stack.resolve(child.policy_document)
                for statement in document.get("Statement", []):
                    for field in ("Action", "Resource"):
                        values = statement.get(field, [])
                        for value in values if isinstance(values, list) else [values]:
                            rendered = flatten_reference(value)
                            if "*" in rendered:
                                found.add(f"{field}::{rendered}")
        return sorted(f for f in found if any(p.fullmatch(f) for p in compiled))

    scope.node.add_validation(_DeferredAcknowledgment(scope, key, findings))


def objects_finding(bucket: s3.IBucket, prefix: str = "") -> str:
    """The cdk-nag IAM5 finding id for "every object in ``bucket``" (``<bucket ARN>/*``), or every
    object under ``prefix`` (``<bucket ARN>/prefix/*``, the shape of the DataLake grants' ``prefix=``).

    A bucket of this app renders as ``<LogicalId.Arn>``; an imported bucket as its literal ARN.
    """
    resolved = flatten_reference(cdk.Stack.of(bucket).resolve(bucket.bucket_arn))
    scoped = prefix.strip("/")
    return f"Resource::{resolved}/{scoped}/*" if scoped else f"Resource::{resolved}/*"


def flatten_reference(value: object) -> str:
    """Render a resolved CloudFormation value the way cdk-nag names it in findings.

    A port of cdk-nag's ``flattenCfnReference``: ``Fn::Join`` is joined, ``Fn::GetAtt`` becomes
    ``<LogicalId.Attribute>``, ``Ref`` becomes ``<Name>``, ``Fn::ImportValue`` its export name, anything
    else (e.g. ``Fn::GetStackOutput``) its compact JSON.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict):
        if "Fn::Join" in value:
            delimiter, items = value["Fn::Join"]
            return delimiter.join(flatten_reference(i) for i in items)
        if "Fn::Sub" in value:
            return flatten_reference(value["Fn::Sub"])
        if "Fn::GetAtt" in value:
            resource, attribute = value["Fn::GetAtt"]
            return f"<{flatten_reference(resource)}.{flatten_reference(attribute)}>"
        if "Fn::ImportValue" in value:
            return flatten_reference(value["Fn::ImportValue"])
        if "Ref" in value:
            return f"<{flatten_reference(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@jsii.implements(IValidation)
class _DeferredAcknowledgment:
    def __init__(self, scope: IConstruct, key: str, findings: Callable[[], Iterable[str]]) -> None:
        self.scope, self.key, self.findings = scope, key, findings

    def validate(self) -> list[str]:
        findings = tuple(self.findings())
        if findings:  # nothing matched: acknowledge nothing (never the bare rule)
            acknowledge(self.scope, self.key, applies_to=findings)
        return []


def acknowledge_objects(scope: IConstruct, key: str, bucket: s3.IBucket, prefixes: Iterable[str]) -> None:
    """Acknowledge ``key`` for the IAM5 findings ``<bucket ARN>/<prefix>/*`` of each prefix, as ``scope`` sees them.

    Works for buckets of other stacks too: the finding is computed when CDK validates the tree, after
    cross-stack references were resolved (to ``Fn::ImportValue`` / ``Fn::GetStackOutput``) in ``scope``'s stack.
    """
    prefixes = tuple(p.strip("/") for p in prefixes)

    def findings() -> list[str]:
        arn = flatten_reference(cdk.Stack.of(scope).resolve(bucket.bucket_arn))
        return [f"Resource::{arn}/{p}/*" if p else f"Resource::{arn}/*" for p in prefixes]

    scope.node.add_validation(_DeferredAcknowledgment(scope, key, findings))


def acknowledge_resources(scope: IConstruct, key: str, arns: Iterable[str]) -> None:
    """Acknowledge ``key`` for the IAM5 findings ``Resource::<arn>`` of each ARN, as ``scope`` sees them.

    Like :func:`acknowledge_objects`, the findings are computed at validation time, so ARNs that refer
    to other stacks render exactly as cdk-nag prints them.
    """
    arns = tuple(arns)

    def findings() -> list[str]:
        stack = cdk.Stack.of(scope)
        return [f"Resource::{flatten_reference(stack.resolve(arn))}" for arn in arns]

    scope.node.add_validation(_DeferredAcknowledgment(scope, key, findings))


def resource_finding(scope: IConstruct, arn: str) -> str:
    """The cdk-nag IAM5 finding id (``Resource::...``) for an ARN of ``scope``'s own stack (tokens
    rendered by :func:`flatten_reference`). For ARNs of other stacks use :func:`acknowledge_resources`."""
    return f"Resource::{flatten_reference(cdk.Stack.of(scope).resolve(arn))}"


def acknowledge_findings(scope: IConstruct, key: str, findings: Callable[[], Iterable[str]]) -> None:
    """Acknowledge ``key`` for the findings ``findings()`` returns when CDK validates the tree (e.g. read from a
    policy document CDK grants filled in), scoped like :func:`acknowledge_objects`."""
    scope.node.add_validation(_DeferredAcknowledgment(scope, key, findings))


def add_compliance_checks(app: cdk.App) -> None:
    """Run all three packs over every stack of ``app`` at synth.

    Acknowledged rules are also written into each resource's ``Metadata.cdk_nag`` so the
    audit trail travels with the CloudFormation templates.
    """
    cdk.Validations.of(app).add_plugins(*(pack(app, write_suppressions_to_cloud_formation=True) for pack in PACKS))
