"""The whole configuration of one environment: :class:`PipelineConfig`."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from pipeline_contract import Layout
from pipeline_stacks import validation
from pipeline_stacks.config._base import AWS_REGIONS, OptionalAccountId, _Section
from pipeline_stacks.config.data_lake import DataLakeConfig
from pipeline_stacks.config.delivery import DeliveryConfig
from pipeline_stacks.config.monitoring import MonitoringConfig
from pipeline_stacks.config.promotion import PromotionConfig
from pipeline_stacks.config.rag import RagConfig
from pipeline_stacks.config.sanitization import SanitizationConfig
from pipeline_stacks.config.serving import ServingConfig
from pipeline_stacks.config.training import TrainingConfig
from pipeline_stacks.config.web import WebConfig


class PipelineConfig(_Section):
    """The whole pipeline's configuration for one environment."""

    env_name: str = Field(pattern=r"^[a-z][a-z0-9]{1,9}$", description="Environment name (dev, prod, ...).")
    project_name: str = Field(
        "llm-pipeline",
        pattern=r"^[a-z][a-z0-9-]{2,23}$",
        description="Prefix for stack and resource names (3-24 chars, lowercase, digits, '-').",
    )
    account: OptionalAccountId = Field(None, description="AWS account id; omit for an environment-agnostic synth.")
    region: str | None = Field(None, description="AWS region; omit for an environment-agnostic synth.")
    tags: dict[str, str] = Field(default_factory=dict, description="Tags applied to every resource.")
    data_lake: DataLakeConfig = Field(default_factory=DataLakeConfig)
    sanitization: SanitizationConfig = Field(default_factory=SanitizationConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    serving: ServingConfig = Field(default_factory=ServingConfig)
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    rag: RagConfig = Field(default_factory=RagConfig)
    promotion: PromotionConfig = Field(default_factory=PromotionConfig)
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig)
    web: WebConfig = Field(default_factory=WebConfig)

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        if value is not None and value not in AWS_REGIONS:
            raise ValueError(f"unknown AWS region; allowed: {', '.join(sorted(AWS_REGIONS))}")
        return value

    @model_validator(mode="after")
    def _cross_section_rules(self) -> PipelineConfig:
        """Rules that span sections, in this order (the first broken one is reported, naming keys, values and what
        is allowed)."""
        self._prod_keeps_data()
        self._prod_front_door()
        self._web_signs_in_with_cognito()
        self.training.check_region(self.region)
        self.serving.check_region(self.region)
        self._loop_feeds_training()
        self._knowledge_prefix_is_its_own()
        self._model_source()
        self._delivery_accounts()
        return self

    def _prod_keeps_data(self) -> None:
        if self.is_production and self.data_lake.removal_policy != "retain":
            raise ValueError(
                "data_lake.removal_policy='destroy' is not allowed when env_name='prod'; allowed: 'retain'"
            )

    def _prod_front_door(self) -> None:
        if self.is_production and "*" in self.serving.cors_allowed_origins:
            raise ValueError(
                f"serving.cors_allowed_origins={self.serving.cors_allowed_origins!r} contains '*', which is not "
                "allowed when env_name='prod'; allowed: explicit origins such as 'https://app.example.com'"
            )
        pool = self.serving.existing_user_pool_arn
        if pool and self.region and pool.split(":")[3] != self.region:
            raise ValueError(
                f"serving.existing_user_pool_arn={pool!r} is in region {pool.split(':')[3]!r}; a Cognito "
                f"authorizer needs a user pool in the pipeline's region {self.region!r}"
            )
        cert = self.serving.custom_domain_certificate_arn
        if cert and self.region and cert.split(":")[3] != self.region:
            raise ValueError(
                f"serving.custom_domain_certificate_arn={cert!r} is in region {cert.split(':')[3]!r}; a regional "
                f"API custom domain needs a certificate in the pipeline's region {self.region!r}"
            )
        plain = [o for o in self.serving.cors_allowed_origins if o.startswith("http://")]
        if self.is_production and plain:
            raise ValueError(
                f"serving.cors_allowed_origins has non-TLS origins {plain!r}, which are not allowed when "
                "env_name='prod'; allowed: https:// origins"
            )

    def _web_signs_in_with_cognito(self) -> None:
        if self.web.enabled and self.serving.auth != "cognito":
            raise ValueError(
                f"web.enabled=true needs serving.auth='cognito' (got {self.serving.auth!r}): the browser signs in "
                "through the user pool; set web.enabled=false for an IAM-only API"
            )

    def _loop_feeds_training(self) -> None:
        out, train = self.training.continuous_learning_output_prefix, self.training.train_prefix
        if self.training.continuous_learning and not out.startswith(train):
            raise ValueError(
                f"training.continuous_learning_output_prefix={out!r} must lie under training.train_prefix={train!r} "
                "so retraining sees the sanitized interactions"
            )

    def _knowledge_prefix_is_its_own(self) -> None:
        if not self.rag.enabled:
            return
        kp, t = self.rag.knowledge_prefix, self.training
        raw = {"sanitization.raw_prefix": self.sanitization.raw_prefix}
        sanitized = {
            "training.train_prefix": t.train_prefix,
            "training.validation_prefix": t.validation_prefix,
            "training.test_prefix": t.test_prefix,
            "the job state prefix": Layout.STATE,
            "the quarantine prefix": Layout.QUARANTINE,
        }
        for name, value in {**raw, **sanitized}.items():
            validation.check_disjoint_prefixes({"rag.knowledge_prefix": kp, name: value}, where="rag.knowledge_prefix")
        kendra_region = self.rag.region_of_kendra_index()
        if kendra_region and self.region and kendra_region != self.region:
            raise ValueError(
                f"rag.kendra_index_arn={self.rag.kendra_index_arn!r} is in region {kendra_region!r}; a knowledge base "
                f"needs a Kendra index in the pipeline's region {self.region!r}"
            )

    def _model_source(self) -> None:
        s = self.serving
        sources = [k for k in ("model_package_arn", "model_data_prefix") if getattr(s, k) is not None]
        if self.promotion.enabled:
            if s.backend != "sagemaker":
                raise ValueError(
                    f"promotion.enabled=true with serving.backend={s.backend!r}: promotion deploys approved packages "
                    "to a SageMaker endpoint; allowed: serving.backend='sagemaker', or promotion.enabled=false"
                )
            if sources:
                raise ValueError(
                    f"serving.{sources[0]}={getattr(s, sources[0])!r} with promotion.enabled=true: the live model "
                    "comes from the live-model parameter (promotion.parameter_name); allowed: neither "
                    "serving.model_package_arn nor serving.model_data_prefix"
                )
        elif s.backend == "sagemaker" and not sources:
            raise ValueError(
                "serving.backend='sagemaker' needs exactly one of serving.model_package_arn "
                "(e.g. 'llm-pipeline-prod/3') or serving.model_data_prefix (e.g. 'models/NAME/'), "
                "or promotion.enabled=true (the live model from the registry); got none"
            )

    def _delivery_accounts(self) -> None:
        targets = {k: v for k, v in self.delivery.accounts.model_dump().items() if v is not None}
        if self.delivery.enabled and targets and self.account is None:
            raise ValueError(
                f"delivery.accounts={targets!r} needs account (the pipeline's account, which the stage accounts "
                "trust through cdk bootstrap --trust); allowed: set account, or leave delivery.accounts empty"
            )
        if self.training.champion_challenger and not self.promotion.enabled:
            raise ValueError(
                "training.champion_challenger=true compares candidates with the promoted (live) model, which only "
                "promotion records; allowed: promotion.enabled=true, or training.champion_challenger=false"
            )

    @property
    def live_model_parameter_name(self) -> str:
        """SSM parameter holding the live model package ARN (``promotion.parameter_name`` or its default)."""
        return self.promotion.parameter_name or f"/{self.project_name}/{self.env_name}/live-model-package"

    @property
    def model_package_group_name(self) -> str:
        """The model registry's package group (``training.model_package_group_name`` or ``<project>-<env>``)."""
        return self.training.model_package_group_name or f"{self.project_name}-{self.env_name}"

    @property
    def delivery_pipeline_name(self) -> str:
        """The delivery pipeline's name (``delivery.pipeline_name`` or ``<project_name>-delivery``)."""
        return self.delivery.pipeline_name or f"{self.project_name}-delivery"

    @property
    def is_production(self) -> bool:
        """True for the ``prod`` environment (stricter defaults, nothing is ever destroyed)."""
        return self.env_name == "prod"

    def stack_name(self, component: str) -> str:
        """CloudFormation stack name for a pipeline component, e.g. ``llm-pipeline-dev-data``."""
        return f"{self.project_name}-{self.env_name}-{component}"
