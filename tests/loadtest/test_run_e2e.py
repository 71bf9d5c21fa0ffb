"""``python -m loadtest run`` end to end (Locust in a subprocess) against the in-process stub server.

Assertions are on counts, statuses and tokens (what the stub served vs what the load generator recorded), never on
timings.
"""

from __future__ import annotations

import csv
import json
import shlex
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from loadtest.stub import StubConfig, StubServer, parse_inject, start_in_thread
from tests.processes import REPO_ROOT, run_python


@pytest.fixture
def make_stub() -> Iterator[Any]:
    servers: list[StubServer] = []

    def make(**kwargs: Any) -> StubServer:
        inject = parse_inject(kwargs.pop("inject", ""))
        server = start_in_thread(StubConfig(token_rate=400, prefill_ms=5, tokens=8, inject=inject, **kwargs))
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


def _stats(server: StubServer) -> dict[str, Any]:
    with urllib.request.urlopen(server.base_url.removesuffix("/v1") + "/stats") as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def _run(target: str, out: Path, args: str) -> subprocess.CompletedProcess[str]:
    """``python -m loadtest run --target <target> --out <out> --progress-s 1 <args>`` (``args`` as a shell would split
    them), without an API key in the environment."""
    run_args = ["run", "--target", target, "--out", str(out), "--progress-s", "1", *shlex.split(args)]
    return run_python("-m", "loadtest", *run_args, env={"LOADTEST_API_KEY": None})


def test_smoke_counts_statuses_tokens_and_fails_on_errors(make_stub: Any, tmp_path: Path) -> None:
    stub = make_stub(inject="429:5,500:7,stream:11")
    args = "--profile smoke --duration-s 2 --users 2 --prompt-set short,medium --fail-on-errors --no-html"
    done = _run(stub.base_url, tmp_path, args)
    assert done.returncode == 1, done.stderr
    assert "FAILED (--fail-on-errors)" in done.stderr
    assert "smoke (2 users) done:" in done.stderr  # progress line
    served = _stats(stub)
    results = json.loads((tmp_path / "results.json").read_text())
    overall = results["overall"]
    assert served["requests"] >= 11
    assert overall["requests"] == served["requests"]  # graceful stop: every served request is recorded
    assert overall["throttled"] == served["by_status"]["429"]
    assert overall["errors_by_status"]["500"] == served["by_status"]["500"]
    assert overall["errors_by_status"]["stream_error"] == served["stream_errors"]
    assert overall["ok"] == served["completed_streams"]
    assert overall["output_tokens"] == served["tokens_completed"]
    assert overall["token_source"] == "usage"
    assert overall["error_rate"] == pytest.approx(overall["errors"] / overall["requests"])
    with (tmp_path / "requests.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == served["requests"]
    assert {r["status"] for r in rows if r["outcome"] == "throttled"} == {"429"}
    assert all(int(r["output_tokens"]) == 8 for r in rows if r["outcome"] == "ok")
    assert {r["prompt_set"] for r in rows} <= {"short", "medium"}
    assert "overall" in done.stdout  # terminal table


def test_throttling_only_passes_with_allow_429_and_counts_chunks_without_usage(make_stub: Any, tmp_path: Path) -> None:
    stub = make_stub(inject="429:4")
    args = (
        "--profile smoke --duration-s 2 --users 1 --no-usage --fail-on-errors --allow-429 --no-html --model stub-model"
    )
    done = _run(stub.base_url, tmp_path, args)
    assert done.returncode == 0, done.stderr
    overall = json.loads((tmp_path / "results.json").read_text())["overall"]
    served = _stats(stub)
    assert overall["errors"] == 0 and overall["throttled"] == served["by_status"]["429"] > 0
    assert overall["token_source"] == "chunks"
    assert overall["output_tokens"] == served["tokens_completed"] == 8 * overall["ok"]
    assert not (tmp_path / "report.html").exists()


def test_unreachable_target_is_a_connection_error(tmp_path: Path) -> None:
    done = _run("http://127.0.0.1:9/v1", tmp_path, "--duration-s 1 --users 1 --fail-on-errors --no-html --timeout-s 2")
    assert done.returncode == 1
    overall = json.loads((tmp_path / "results.json").read_text())["overall"]
    assert overall["ok"] == 0 and set(overall["errors_by_status"]) == {"connection_error"}


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    done = _run("http://127.0.0.1:9/v1", tmp_path, "--auth api-key")
    assert done.returncode == 2 and "LOADTEST_API_KEY" in done.stderr


@pytest.mark.slow
def test_step_profile_against_a_serialising_stub(make_stub: Any, tmp_path: Path) -> None:
    """One generation at a time (a single-CPU model): every level completes, nothing fails, tokens add up."""
    stub = make_stub(slots=1)
    done = _run(stub.base_url, tmp_path, "--profile step --levels 1,3 --step-s 4 --fail-on-errors --png")
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    assert [s["users"] for s in results["steps"]] == [1, 3]
    assert all(s["ok"] > 0 and s["errors"] == 0 for s in results["steps"])
    assert results["overall"]["output_tokens"] == _stats(stub)["tokens_completed"]
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == [
        "errors.png",
        "latency.png",
        "throughput.png",
        "timeline.png",
        "ttft.png",
    ]
    html = (tmp_path / "report.html").read_text()
    for chart in ("latency", "throughput", "ttft", "errors", "timeline"):
        assert f"data-chart='{chart}'><svg" in html


AUTOSCALING_SCRIPT = """
import sys
from gevent import monkey

monkey.patch_all()
import datetime as dt

import boto3
from moto import mock_aws

with mock_aws():
    sm = boto3.client("sagemaker", region_name="eu-west-1")
    sm.create_model(ModelName="m", ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
                    PrimaryContainer={"Image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/x:1"})
    sm.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "m", "InitialInstanceCount": 1, "InstanceType": "ml.g4dn.xlarge"}])
    sm.create_endpoint(EndpointName="chat", EndpointConfigName="c")
    boto3.client("cloudwatch", region_name="eu-west-1").put_metric_data(Namespace="AWS/SageMaker", MetricData=[
        {"MetricName": "InvocationsPerInstance", "Value": 42.0, "Timestamp": dt.datetime.now(dt.UTC),
         "Dimensions": [{"Name": "EndpointName", "Value": "chat"}, {"Name": "VariantName", "Value": "AllTraffic"}]}])
    from loadtest.cli import main

    sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_autoscaling_mode_reads_the_endpoint_while_loading(make_stub: Any, tmp_path: Path) -> None:
    """--autoscaling-endpoint wiring end to end, AWS mocked by moto inside the load-test process."""
    stub = make_stub()
    script = tmp_path / "run_with_moto.py"
    script.write_text(AUTOSCALING_SCRIPT)
    aws = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "eu-west-1"}
    out = tmp_path / "out"
    args = "--region eu-west-1 --autoscaling-endpoint chat --levels 1,2 --step-s 2 --autoscaling-poll-s 1"
    args += " --autoscaling-tail-s 0 --fail-on-errors"
    run_args = ["run", "--target", stub.base_url, "--out", str(out), *shlex.split(args)]
    done = run_python(str(script), *run_args, env=aws, timeout=180)
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["config"]["profile"] == "step"  # implied by --autoscaling-endpoint
    auto = results["autoscaling"]
    assert (auto["endpoint"], auto["variant"]) == ("chat", "AllTraffic")
    assert len(auto["samples"]) >= 2 and {s["current"] for s in auto["samples"]} == {1}
    assert [v for _, v in auto["metrics"]["invocations_per_instance"]] == [42.0]
    assert "data-chart='autoscaling'><svg" in (out / "report.html").read_text()


def test_make_target_passes_profile_target_users_and_step() -> None:
    variables = "PROFILE=step TARGET=http://127.0.0.1:8000/v1 USERS=6 STEP_S=30 LOADTEST_ARGS=--png"
    done = subprocess.run(
        ["make", "-n", "loadtest", *variables.split()],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    command = done.stdout.replace("\\\n", " ").split("\n")
    run = next(line for line in command if "-m loadtest run" in line)
    expected = "-m loadtest run --profile step --target http://127.0.0.1:8000/v1 --users 6 --step-s 30 --png"
    assert " ".join(run.split()[1:]) == expected


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_starts_the_server_runs_smoke_and_stops_it(tmp_path: Path) -> None:
    """The CI shape: one command starts the server, waits for it, runs the smoke profile, stops the server."""
    port = _free_port()
    serve = f"{sys.executable} -m loadtest.stub --port {port} --token-rate 400 --prefill-ms 5 --tokens 4"
    done = _run(
        f"http://127.0.0.1:{port}/v1",
        tmp_path,
        f"--serve {shlex.quote(serve)} --duration-s 1 --users 1 --fail-on-errors --no-html",
    )
    assert done.returncode == 0, done.stderr
    overall = json.loads((tmp_path / "results.json").read_text())["overall"]
    assert overall["ok"] > 0 and overall["output_tokens"] == 4 * overall["ok"]
    assert "stub listening" in (tmp_path / "server.log").read_text()
    with pytest.raises(OSError):  # stopped
        urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2)


def test_serve_reports_a_server_that_dies(tmp_path: Path) -> None:
    serve = f"{sys.executable} -c 'import sys; print(\"no model\"); sys.exit(3)'"
    done = _run("http://127.0.0.1:9/v1", tmp_path, f"--serve {shlex.quote(serve)} --duration-s 1")
    assert done.returncode == 2
    assert "exited with 3" in done.stderr and "no model" in done.stderr
