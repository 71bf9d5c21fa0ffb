"""The interactions/feedback prefixes are configured once and reach every consumer (issue 9's prefix defect).

``sanitization.interactions_prefix`` / ``sanitization.feedback_prefix`` used to reach the Glue role's grants only:
the continuous-learning state machine and the front-door Lambda hard-coded ``interactions/`` and ``feedback/``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pipeline_contract import FrontDoorEnv, Layout
from tests.cdk.support import SynthResult, synth_pipeline

CHATS, RATINGS = "chats/", "ratings/"


@pytest.fixture(scope="module")
def custom(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return synth_pipeline(
        tmp_path_factory.mktemp("prefixes"),
        **{
            "sanitization.interactions_prefix": CHATS,
            "sanitization.feedback_prefix": RATINGS,
            "training.continuous_learning": "true",
        },
    )


def _resources(app: SynthResult, component: str, kind: str) -> dict[str, Any]:
    template = app.templates[app.pipeline.config.stack_name(component)]
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def _front_door_function(app: SynthResult) -> dict[str, Any]:
    (function,) = [
        f
        for f in _resources(app, "serving", "AWS::Lambda::Function").values()
        if FrontDoorEnv.INTERACTIONS_BUCKET in f["Properties"].get("Environment", {}).get("Variables", {})
    ]
    return function


def _policy_text(app: SynthResult, component: str, role_hint: str) -> str:
    policies = [
        json.dumps(p["Properties"]["PolicyDocument"])
        for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
        for p in _resources(app, component, kind).values()
        if role_hint in json.dumps(p["Properties"].get("Roles", []))
    ]
    assert policies, f"no policy of a role matching {role_hint!r} in {component}"
    return "\n".join(policies)


def test_continuous_learning_reads_the_configured_prefixes(custom: SynthResult) -> None:
    (machine,) = [
        m
        for k, m in _resources(custom, "training", "AWS::StepFunctions::StateMachine").items()
        if k.startswith("ContinuousLearning")
    ]
    definition = json.dumps(machine["Properties"]["DefinitionString"])
    assert f"/{CHATS}" in definition and f"/{RATINGS}" in definition
    assert f"/{Layout.FEEDBACK}" not in definition
    assert f"/{Layout.INTERACTIONS}" not in definition.replace(f"/{Layout.TRAIN_INTERACTIONS}", "/")  # output only


def test_glue_role_reads_the_configured_prefixes(custom: SynthResult) -> None:
    grants = _policy_text(custom, "data", "SanitizationJobRole").replace(f"/{Layout.TRAIN_INTERACTIONS}", "/")
    assert f"/{CHATS}*" in grants and f"/{RATINGS}*" in grants
    assert f"/{Layout.INTERACTIONS}*" not in grants and f"/{Layout.FEEDBACK}*" not in grants


def test_front_door_writes_under_the_configured_prefixes(custom: SynthResult) -> None:
    function = _front_door_function(custom)
    env = function["Properties"]["Environment"]["Variables"]
    assert env[FrontDoorEnv.INTERACTIONS_PREFIX] == CHATS
    assert env[FrontDoorEnv.FEEDBACK_PREFIX] == RATINGS
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    grants = _policy_text(custom, "serving", role_id)
    assert f"/{CHATS}*" in grants and f"/{RATINGS}*" in grants
    assert f"/{Layout.INTERACTIONS}*" not in grants and f"/{Layout.FEEDBACK}*" not in grants


def test_the_handler_writes_where_the_environment_says() -> None:
    """The Lambda side of the same contract: the key layout follows the environment variables."""
    import datetime as dt

    import pipeline_contract

    now = dt.datetime(2026, 1, 2, 3, tzinfo=dt.UTC)
    assert pipeline_contract.interaction_key("r1", now, CHATS) == "chats/dt=2026-01-02/hour=03/r1.json"
    assert pipeline_contract.feedback_key("r1", "f1", now, RATINGS) == "ratings/dt=2026-01-02/r1-f1.json"
    assert pipeline_contract.interaction_key("r1", now) == "interactions/dt=2026-01-02/hour=03/r1.json"


def test_custom_prefixes_leave_no_compliance_finding(custom: SynthResult) -> None:
    """The IAM5 acknowledgments of the object grants follow the configured prefixes too."""
    assert custom.unsuppressed_findings() == []
