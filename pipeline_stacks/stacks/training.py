"""Training stack: the Step Functions training pipeline (sanitize -> train -> evaluate -> gate -> register)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from pipeline_stacks.config import PipelineConfig
from pipeline_stacks.constructs import DataLake


class TrainingStack(cdk.Stack):
    """Consumes the data stack's lake (and sanitization job); feeds the serving stack."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PipelineConfig,
        data_lake: DataLake,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.data_lake = data_lake
