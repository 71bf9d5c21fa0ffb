"""Validation rules shared by the app's configuration (pydantic validators) and the constructs' props.

Each rule is written once here and called from both sides: ``pipeline_stacks/config`` (where the
message names the config key) and the props dataclasses' ``__post_init__`` (where it names the props
field). Every function raises :class:`ValueError` with the offending value and what is allowed, and
returns nothing on success. No CDK import: the rules are plain Python.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = [
    "BEDROCK_MODEL_ID_PATTERN",
    "BEDROCK_PROFILE_SOURCE_PREFIXES",
    "CORS_ORIGIN_PATTERN",
    "EMBEDDING_MODELS",
    "KENDRA_INDEX_ARN_PATTERN",
    "S3_PREFIX_PATTERN",
    "arn_pattern",
    "check_cors_origins",
    "check_disjoint_prefixes",
    "check_embedding_model",
    "check_image_family",
    "check_log_retention",
    "check_s3_prefix",
    "check_spot_wait",
    "check_vpc_ids",
    "check_vpc_pair",
]

#: A browser origin: scheme, host, optional port; no path, no trailing slash. ``*`` is allowed separately.
CORS_ORIGIN_PATTERN = re.compile(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?")

#: A non-empty S3 key prefix made of "folder/" segments (S3 safe characters), ending in ``/``.
S3_PREFIX_PATTERN = re.compile(r"(?:[A-Za-z0-9!_.*'()-]+/)+")

#: Geography prefix of a Bedrock cross-region inference profile id -> source regions allowed to call it
#: (``None``: any region that offers the profile).
BEDROCK_PROFILE_SOURCE_PREFIXES: dict[str, tuple[str, ...] | None] = {
    "us": ("us-",),
    "eu": ("eu-",),
    "apac": ("ap-",),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
    "global": None,
}
#: ``[geo.]provider.model[:version[:variant]]``, e.g. ``anthropic.claude-3-haiku-20240307-v1:0``.
BEDROCK_MODEL_ID_PATTERN = (
    r"(?:(?:" + "|".join(BEDROCK_PROFILE_SOURCE_PREFIXES) + r")\.)?"
    r"(?!(?:" + "|".join(BEDROCK_PROFILE_SOURCE_PREFIXES) + r")\.)"  # a provider, not a second geography
    r"[a-z][a-z0-9-]*\.[A-Za-z0-9][A-Za-z0-9._-]*(?::[0-9A-Za-z]+){0,2}"
)

#: Bedrock text embedding models a knowledge base may use, and their allowed output dimensions.
EMBEDDING_MODELS: dict[str, tuple[int, ...]] = {
    "amazon.titan-embed-text-v2:0": (256, 512, 1024),
    "cohere.embed-english-v3": (1024,),
    "cohere.embed-multilingual-v3": (1024,),
}


def arn_pattern(service: str, resource: str, *, region: str = r"[a-z0-9-]+") -> str:
    """Regex (unanchored) of an ARN of ``service`` in any partition (aws, aws-cn, aws-us-gov), in ``region`` (a
    regex; any by default) and a 12-digit account, whose resource part matches ``resource`` (a regex)."""
    return rf"arn:aws[a-z-]*:{service}:{region}:\d{{12}}:{resource}"


#: An existing Amazon Kendra index (a 36-character index id).
KENDRA_INDEX_ARN_PATTERN = arn_pattern("kendra", "index/[a-zA-Z0-9][a-zA-Z0-9-]{35}")

_VPC_ID_PATTERNS = {"subnet": re.compile(r"subnet-[0-9a-f]{8,17}"), "sg": re.compile(r"sg-[0-9a-f]{8,17}")}


def check_vpc_pair(subnets: Sequence[str], security_groups: Sequence[str], *, where: str) -> None:
    """Subnets and security groups go together: both set or both empty.

    ``where`` names the pair in the message, e.g. ``"training.vpc_subnet_ids and training.vpc_security_group_ids"``.
    """
    if bool(subnets) != bool(security_groups):
        raise ValueError(
            f"{where} go together (both set or both empty); "
            f"got subnets={list(subnets)} security groups={list(security_groups)}"
        )


def check_vpc_ids(ids: Sequence[str], kind: str, *, where: str) -> None:
    """Every id is a ``subnet-...`` (``kind="subnet"``) or ``sg-...`` (``kind="sg"``) id with 8-17 hex digits."""
    pattern = _VPC_ID_PATTERNS[kind]
    bad = [i for i in ids if not pattern.fullmatch(i)]
    if bad:
        raise ValueError(f"{where} has invalid ids {bad!r}; allowed: '{kind}-' + 8-17 hex digits")


def check_cors_origins(origins: Sequence[str], *, where: str) -> None:
    """Each entry is ``*`` or an origin ``scheme://host[:port]`` (no path, no trailing slash). Entries holding a
    CDK token (e.g. ``https://${Token[...]}``, a CloudFront distribution's domain) resolve at deploy time and are
    not checked here."""
    for origin in origins:
        if origin != "*" and "${Token[" not in origin and not CORS_ORIGIN_PATTERN.fullmatch(origin):
            raise ValueError(
                f"{where} entry {origin!r} is not an origin; allowed: '*' or scheme://host[:port] "
                "(e.g. https://app.example.com, no path or trailing slash)"
            )


def check_spot_wait(*, use_spot: bool, max_wait_seconds: int, max_runtime_seconds: int, where: str) -> None:
    """With managed spot training, SageMaker requires ``max_wait_seconds >= max_runtime_seconds``."""
    if use_spot and max_wait_seconds < max_runtime_seconds:
        raise ValueError(
            f"{where}: max_wait_seconds={max_wait_seconds} must be >= max_runtime_seconds={max_runtime_seconds} "
            "with use_spot (SageMaker requires it)"
        )


def check_image_family(image_uri: str | None, instance_type: str, *, where: str) -> None:
    """A custom image must match the instance's accelerator family (Neuron image on Trainium, CUDA on GPU)."""
    if image_uri is None:
        return
    from pipeline_stacks.images import accelerator_family, image_accelerator_family  # no CDK import there

    family = accelerator_family(instance_type)
    image_family = image_accelerator_family(image_uri)
    if image_family is not None and image_family != family:
        allowed = "*-neuronx* (Neuron SDK) image" if family == "neuron" else "GPU (CUDA) image"
        raise ValueError(
            f"{where}: image_uri={image_uri!r} is a {image_family} image but instance_type={instance_type!r} is "
            f"{family}; allowed: a {allowed}"
        )


def check_log_retention(days: int, allowed: Sequence[int]) -> int:
    """``days`` is one of CloudWatch Logs' retention values (``allowed``); returns it (for pydantic validators)."""
    if days not in allowed:
        raise ValueError(f"allowed: {', '.join(map(str, allowed))} (CloudWatch Logs retention values)")
    return days


def check_s3_prefix(value: str | None, *, where: str, allow_empty: bool = False) -> None:
    """An S3 key prefix: ``folder/`` segments ending in ``/``, no leading ``/`` (``""`` only with ``allow_empty``).

    ``None`` means "not set" and is accepted (optional prefixes).
    """
    if value is None or (allow_empty and value == ""):
        return
    if not S3_PREFIX_PATTERN.fullmatch(value):
        allowed = "'' or " if allow_empty else ""
        raise ValueError(
            f"{where}={value!r} is not an S3 prefix; allowed: {allowed}'folder/' segments ending in '/', "
            "without a leading '/'"
        )


def check_embedding_model(model_id: str, dimensions: int, *, model_key: str, dimensions_key: str) -> None:
    """``model_id`` is one of :data:`EMBEDDING_MODELS` and ``dimensions`` one of its output sizes.

    ``model_key``/``dimensions_key`` name the two settings in the message (``rag.embedding_model``, ...).
    """
    dims = EMBEDDING_MODELS.get(model_id)
    if dims is None:
        raise ValueError(f"{model_key}={model_id!r}; allowed: {', '.join(EMBEDDING_MODELS)}")
    if dimensions not in dims:
        raise ValueError(
            f"{dimensions_key}={dimensions}; allowed: {', '.join(map(str, dims))} (for {model_key}={model_id!r})"
        )


def check_disjoint_prefixes(prefixes: dict[str, str | None], *, where: str) -> None:
    """No prefix of ``prefixes`` (name -> S3 prefix, in the same bucket) lies inside another (``None`` = unset,
    ``""`` = the whole bucket, which overlaps everything)."""
    items = [(name, value) for name, value in prefixes.items() if value is not None]
    for i, (name, value) in enumerate(items):
        for other, other_value in items[i + 1 :]:
            if value.startswith(other_value) or other_value.startswith(value):
                raise ValueError(
                    f"{where}: {name}={value!r} overlaps {other}={other_value!r}; allowed: prefixes where neither "
                    "starts with the other (each pass would read the other's objects)"
                )
