"""A small evaluator for the resource policies of synthesized CloudFormation templates.

Hand-written (no maintained Python library evaluates IAM policy conditions offline; moto's access control
ignores conditions): it covers what this app's topic and key policies use -- Allow/Deny, ``Principal``
(``*``, ``Service``, ``AWS``), ``Action``/``Resource`` with wildcards, and the condition operators
``StringEquals``, ``StringLike``, ``ArnEquals``, ``ArnLike``, ``Bool`` (plus ``...IfExists``). Anything
else raises, so a policy this module cannot judge fails the test instead of passing it.

Template values (``Ref``, ``Fn::GetAtt``, ``Fn::Join``, ``Fn::Sub``, ``Fn::ImportValue``, pseudo parameters) are
resolved to concrete strings by :class:`Resolver` with a fixed account, region and partition, so a
policy is judged on what it would say once deployed.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"

#: ARN shapes of the resource types whose ``Ref`` / ``GetAtt Arn`` the policies under test mention.
_ARN_SHAPES = {
    "AWS::SNS::Topic": "arn:{p}:sns:{r}:{a}:{id}",
    "AWS::Events::Rule": "arn:{p}:events:{r}:{a}:rule/{id}",
    "AWS::CloudWatch::Alarm": "arn:{p}:cloudwatch:{r}:{a}:alarm:{id}",
    "AWS::KMS::Key": "arn:{p}:kms:{r}:{a}:key/{id}",
    "AWS::S3::Bucket": "arn:{p}:s3:::{id}",
    "AWS::DynamoDB::Table": "arn:{p}:dynamodb:{r}:{a}:table/{id}",
    "AWS::IAM::Role": "arn:{p}:iam::{a}:role/{id}",
    "AWS::Logs::LogGroup": "arn:{p}:logs:{r}:{a}:log-group:{id}:*",
}
_NAME_REFS = {"AWS::S3::Bucket"}  # Ref gives the name, GetAtt Arn the ARN


@dataclass
class Resolver:
    """Resolves CloudFormation intrinsics over a set of templates (stack name -> template)."""

    templates: Mapping[str, Mapping[str, Any]]
    account: str = ACCOUNT
    region: str = REGION
    partition: str = PARTITION
    _exports: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for stack, template in self.templates.items():
            for output in template.get("Outputs", {}).values():
                name = output.get("Export", {}).get("Name")
                if isinstance(name, str):
                    self._exports[name] = (stack, output["Value"])

    def arn(self, stack: str, logical_id: str) -> str:
        """The deployed ARN of ``logical_id`` in ``stack`` (the logical id stands in for the physical name)."""
        type_ = self.templates[stack]["Resources"][logical_id]["Type"]
        shape = _ARN_SHAPES.get(type_)
        if shape is None:
            raise NotImplementedError(f"no ARN shape for {type_} ({logical_id})")
        return shape.format(p=self.partition, r=self.region, a=self.account, id=logical_id)

    def resolve(self, stack: str, value: Any) -> Any:
        """``value`` with every intrinsic function replaced by a concrete string."""
        if isinstance(value, str):
            return value
        if isinstance(value, list):
            return [self.resolve(stack, v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {k: self.resolve(stack, v) for k, v in value.items()}
        ((fn, arg),) = value.items()
        if fn == "Ref":
            pseudo = {
                "AWS::AccountId": self.account,
                "AWS::Region": self.region,
                "AWS::Partition": self.partition,
                "AWS::URLSuffix": "amazonaws.com",
            }
            if arg in pseudo:
                return pseudo[arg]
            if self.templates[stack]["Resources"][arg]["Type"] in _NAME_REFS:
                return arg.lower()
            return self.arn(stack, arg)
        if fn == "Fn::GetAtt":
            logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            if attribute != "Arn":  # e.g. EndpointArn, GuardrailArn: a stable stand-in is enough here
                return f"arn:{self.partition}:synthetic:{self.region}:{self.account}:{logical_id}.{attribute}"
            if self.templates[stack]["Resources"][logical_id]["Type"] in _NAME_REFS:
                return f"arn:{self.partition}:s3:::{logical_id.lower()}"
            return self.arn(stack, logical_id)
        if fn == "Fn::Join":
            delimiter, items = arg
            return delimiter.join(str(self.resolve(stack, i)) for i in items)
        if fn == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else arg

            def substitute(match: re.Match[str]) -> str:
                name = match.group(1)
                if name in variables:
                    return str(self.resolve(stack, variables[name]))
                if "." in name:
                    return str(self.resolve(stack, {"Fn::GetAtt": name.split(".", 1)}))
                return str(self.resolve(stack, {"Ref": name}))

            return re.sub(r"\$\{([^}!]+)\}", substitute, text)
        if fn == "Fn::GetStackOutput":  # CDK's cross-stack reference without exports
            source_stack, output = self._stack_output(arg)
            return self.resolve(source_stack, output)
        if fn == "Fn::ImportValue":
            name = self.resolve(stack, arg)
            source_stack, exported = self._exports[name]
            return self.resolve(source_stack, exported)
        return {k: self.resolve(stack, v) for k, v in value.items()}

    def reference(self, stack: str, value: Any) -> tuple[str, str] | None:
        """``(stack, logical id)`` that a ``Ref`` / ``GetAtt`` / ``ImportValue`` of one resource points to."""
        if not isinstance(value, dict) or len(value) != 1:
            return None
        ((fn, arg),) = value.items()
        if fn == "Ref" and isinstance(arg, str) and arg in self.templates[stack]["Resources"]:
            return stack, arg
        if fn == "Fn::GetAtt":
            logical_id = arg[0] if isinstance(arg, list) else arg.split(".", 1)[0]
            return stack, logical_id
        if fn == "Fn::ImportValue":
            source_stack, exported = self._exports[self.resolve(stack, arg)]
            return self.reference(source_stack, exported)
        if fn == "Fn::GetStackOutput":
            return self.reference(*self._stack_output(arg))
        return None

    def _stack_output(self, arg: Mapping[str, Any]) -> tuple[str, Any]:
        stack = arg["StackName"]
        return stack, self.templates[stack]["Outputs"][arg["OutputName"]]["Value"]


@dataclass(frozen=True)
class Request:
    """One request as the authorizing service sees it."""

    service: str  # the calling service principal, e.g. cloudwatch.amazonaws.com
    action: str
    resource: str
    context: Mapping[str, str]  # condition keys present in the request


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal: Any, service: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        raise NotImplementedError(f"Principal {principal!r}")
    if "*" in _as_list(principal.get("AWS", [])):
        return True
    return service in _as_list(principal.get("Service", []))


def _like(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def _condition_holds(conditions: Mapping[str, Mapping[str, Any]], context: Mapping[str, str]) -> bool:
    lowered = {k.lower(): v for k, v in context.items()}
    for operator, clauses in conditions.items():
        if_exists = operator.endswith("IfExists")
        base = operator.removesuffix("IfExists")
        for key, expected in clauses.items():
            actual = lowered.get(key.lower())
            if actual is None:
                if if_exists:
                    continue
                return False  # a key the request does not carry never matches
            values = [str(v) for v in _as_list(expected)]
            if base in ("StringEquals", "ArnEquals"):
                ok = actual in values
            elif base in ("StringLike", "ArnLike"):
                ok = any(_like(v, actual) for v in values)
            elif base == "Bool":
                ok = actual.lower() in (v.lower() for v in values)
            else:
                raise NotImplementedError(f"condition operator {operator}")
            if not ok:
                return False
    return True


def _statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    for unsupported in ("NotAction", "NotResource", "NotPrincipal"):
        if unsupported in statement:
            raise NotImplementedError(unsupported)
    if not _principal_matches(statement.get("Principal"), request.service):
        return False
    if not any(_like(a.lower(), request.action.lower()) for a in _as_list(statement["Action"])):
        return False
    if not any(_like(r, request.resource) for r in _as_list(statement["Resource"])):
        return False
    return _condition_holds(statement.get("Condition", {}), request.context)


def allows(document: Mapping[str, Any], request: Request) -> bool:
    """Whether the (resolved) resource policy ``document`` lets ``request`` through: an explicit
    Deny wins, otherwise an Allow is needed."""
    statements = _as_list(document["Statement"])
    if any(s["Effect"] == "Deny" and _statement_applies(s, request) for s in statements):
        return False
    return any(s["Effect"] == "Allow" and _statement_applies(s, request) for s in statements)


def resources_of_type(templates: Mapping[str, Mapping[str, Any]], type_: str) -> Iterable[tuple[str, str, Any]]:
    """``(stack, logical id, resource)`` of every resource of ``type_`` across ``templates``."""
    for stack, template in templates.items():
        for logical_id, resource in template.get("Resources", {}).items():
            if resource["Type"] == type_:
                yield stack, logical_id, resource
