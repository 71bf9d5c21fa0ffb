"""Process-wide Powertools Logger, Tracer and Metrics (EMF) shared by the handler modules."""

from __future__ import annotations

import logging
import os

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME") or "front-door"
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "SecureLlmPipeline/FrontDoor"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE, patch_modules=("botocore",))
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

# botocore/urllib3 DEBUG records contain request bodies (prompts): keep them out of CloudWatch even when
# the function's log level is lowered to DEBUG.
for _name in ("botocore", "boto3", "urllib3"):
    logging.getLogger(_name).setLevel(logging.WARNING)
