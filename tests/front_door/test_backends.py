"""Backend payload mapping and answer parsing, and request-id selection."""

from __future__ import annotations

import json
from typing import Any

import pytest
from front_door_support import FakeContext


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"max_new_tokens": 512}),
        ({"temperature": 0.7}, {"max_new_tokens": 512, "temperature": 0.7, "do_sample": True}),
        ({"top_p": 0.9, "max_tokens": 5}, {"max_new_tokens": 5, "top_p": 0.9, "do_sample": True}),
        ({"top_p": 1, "temperature": 1}, {"max_new_tokens": 512, "temperature": 1.0, "do_sample": True}),
        ({"top_p": 1}, {"max_new_tokens": 512}),
        ({"temperature": 0, "top_p": 0.5}, {"max_new_tokens": 512, "do_sample": False}),
        ({"top_p": 0}, {"max_new_tokens": 512, "do_sample": False}),
        ({"stop": ["\n\n"]}, {"max_new_tokens": 512, "stop": ["\n\n"]}),
    ],
)
def test_tgi_parameters(params: dict[str, Any], expected: dict[str, Any]) -> None:
    from frontdoor.backends import tgi_parameters

    assert tgi_parameters(params) == {"return_full_text": False, "details": True, **expected}


@pytest.mark.parametrize(
    ("answer", "parsed"),
    [
        ([{"generated_text": "a"}], ("a", None, None, None)),
        ({"generated_text": "a", "details": {"finish_reason": "length", "generated_tokens": 9}},
         ("a", "length", None, 9)),
        ({"generated_text": "a", "usage": {"prompt_tokens": 3, "completion_tokens": 2}}, ("a", None, 3, 2)),
        ({"generated_text": "a", "details": {"generated_tokens": "9"}}, ("a", None, None, None)),
    ],
)
def test_parse_tgi(answer: Any, parsed: tuple[Any, ...]) -> None:
    from frontdoor.backends import parse_tgi

    assert parse_tgi(json.dumps(answer).encode()) == parsed


@pytest.mark.parametrize("raw", [b"", b"[]", b"{}", b'{"generated_text": 1}', b'"text"', b"\xff"])
def test_parse_tgi_rejects_unusable_answers(raw: bytes) -> None:
    from frontdoor.backends import parse_tgi
    from frontdoor.errors import ApiError

    with pytest.raises(ApiError) as info:
        parse_tgi(raw)
    assert info.value.status == 502


def test_request_id_selection() -> None:
    from frontdoor.app import request_id_of

    ctx = FakeContext()
    api_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    assert request_id_of({"requestContext": {"requestId": api_id}}, ctx) == api_id
    assert request_id_of({"requestContext": {"requestId": "../../x"}}, ctx) == ctx.aws_request_id
    assert request_id_of({}, ctx) == ctx.aws_request_id
    generated = request_id_of({"requestContext": None}, object())
    assert len(generated) == 36
