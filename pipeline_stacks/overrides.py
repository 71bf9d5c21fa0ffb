"""Merge a user's override props over a construct's secure defaults (security-relevant values win).

The one helper every construct uses when it accepts an ``*_overrides`` object (an L2 props struct such
as ``s3.BucketProps`` or ``lambda_.FunctionOptions``), in the spirit of aws-solutions-constructs'
``consolidateProps(defaultProps, clientProps, constructProps)``::

    kwargs = consolidate_props(
        self,
        defaults={"versioned": True, "lifecycle_rules": rules},      # ours, the user may change them
        overrides=bucket_overrides,                                   # the user's s3.BucketProps or None
        enforced={"enforce_ssl": True, "encryption_key": key},       # ours, security-relevant: always win
        what="bucket_overrides",
    )
    s3.Bucket(self, "Bucket", **kwargs)

An override that tries to change an enforced value is ignored and reported as a synth-time warning on
the construct (``cdk synth`` prints it), so the secure value is what deploys and the user learns why.
"""

from __future__ import annotations

import inspect
from collections.abc import Collection, Mapping
from typing import Any

import aws_cdk as cdk
from constructs import Construct

__all__ = ["consolidate_props", "struct_values"]


def struct_values(struct: object | None) -> dict[str, Any]:
    """The fields a jsii props struct (or a plain mapping) was given, by their Python (snake_case) names.

    Only fields that are set (not ``None``) are returned, so an override never blanks one of our defaults.
    """
    if struct is None:
        return {}
    if isinstance(struct, Mapping):
        return {str(k): v for k, v in struct.items() if v is not None}
    names = [n for n in inspect.signature(type(struct).__init__).parameters if n != "self"]
    return {name: value for name in names if (value := getattr(struct, name, None)) is not None}


def consolidate_props(
    scope: Construct,
    *,
    defaults: Mapping[str, Any],
    overrides: object | None,
    enforced: Mapping[str, Any] | None = None,
    merge_maps: Collection[str] = (),
    what: str = "overrides",
) -> dict[str, Any]:
    """``defaults``, then the user's ``overrides``, then ``enforced`` (our security-relevant values).

    Returns the keyword arguments for the L2 constructor. An override of an enforced key with a different
    value is dropped and reported with ``Annotations.add_warning_v2`` on ``scope``. Keys in ``merge_maps``
    (mapping-valued, e.g. a Lambda ``environment``) are merged entry by entry instead: the user's entries
    first, ours win on a clash.
    """
    enforced = dict(enforced or {})
    user = struct_values(overrides)
    for key in merge_maps:
        if key in user and key in enforced:
            enforced[key] = {**user.pop(key), **enforced[key]}
    merged = {**defaults, **user}
    for key, value in user.items():
        if key in enforced and value is not enforced[key] and value != enforced[key]:
            cdk.Annotations.of(scope).add_warning_v2(
                f"llm-pipeline:{what}:{key}",
                f"{what}.{key} is ignored: {type(scope).__name__} enforces this security-relevant setting",
            )
    merged.update(enforced)
    return merged
