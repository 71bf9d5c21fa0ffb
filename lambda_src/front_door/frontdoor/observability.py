"""Process-wide Powertools Logger, Metrics (EMF) and Tracer shared by the handler modules."""

from __future__ import annotations

import logging
import os
from functools import cache

from aws_lambda_powertools import Logger, Metrics, Tracer

from pipeline_contract import FrontDoorEnv, FrontDoorMetric

SERVICE = os.environ.get(FrontDoorEnv.POWERTOOLS_SERVICE_NAME) or "front-door"
NAMESPACE = os.environ.get(FrontDoorEnv.POWERTOOLS_METRICS_NAMESPACE) or FrontDoorMetric.NAMESPACE

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


@cache
def tracer() -> Tracer:
    """X-Ray tracer, built on first use: building it imports aws_xray_sdk and botocore and patches botocore."""
    return Tracer(service=SERVICE, patch_modules=("botocore",))


# botocore/urllib3 DEBUG records contain request bodies (prompts): keep them out of CloudWatch even when
# the function's log level is lowered to DEBUG.
for _name in ("botocore", "boto3", "urllib3"):
    logging.getLogger(_name).setLevel(logging.WARNING)
