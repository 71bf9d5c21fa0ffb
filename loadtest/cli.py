"""Command line: ``python -m loadtest run ...`` (a load test) and ``python -m loadtest report DIR`` (re-render).

Exit codes: 0 done; 1 ``--fail-on-errors`` and the run had errors (never for timing); 2 bad arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

from loadtest.profiles import PROFILES, ProfileSpec, build_profile
from loadtest.prompts import DEFAULT_PROMPTS, load_prompts

DEFAULT_TARGET = "http://127.0.0.1:8000/v1"
DEFAULT_OUT = Path("loadtest-results")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m loadtest", description="LLM load tests (Locust, headless).")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a load profile against an OpenAI-compatible base URL")
    target = run.add_argument_group("target")
    target.add_argument(
        "--target",
        default=os.environ.get("LOADTEST_TARGET", DEFAULT_TARGET),
        help=f"base URL ending in /v1 (default $LOADTEST_TARGET or {DEFAULT_TARGET})",
    )
    target.add_argument("--model", help="model id (default: the first of GET /models)")
    target.add_argument("--max-tokens", type=int, default=64, help="max_tokens per request (default 64)")
    target.add_argument("--temperature", type=float)
    target.add_argument(
        "--no-usage", action="store_true", help="do not ask for the usage chunk (count output tokens as content chunks)"
    )
    target.add_argument("--extra-body", default="{}", help="JSON merged into every request body")
    target.add_argument("--timeout-s", type=float, default=120.0, help="read timeout per request (default 120)")
    target.add_argument(
        "--serve",
        metavar="CMD",
        help="start this server command first, wait until GET <target>/models "
        "answers, stop it at the end (its output: <out>/server.log)",
    )
    target.add_argument("--serve-timeout-s", type=float, default=120.0, help="how long to wait for --serve")

    load = run.add_argument_group("load profile")
    load.add_argument("--profile", choices=PROFILES, help="default smoke (step with --autoscaling-endpoint)")
    load.add_argument("--users", type=int, help="peak concurrency (smoke 2, step 8, spike 16, endurance 4)")
    load.add_argument("--step-s", type=float, help="seconds per step/spike stage (default 60)")
    load.add_argument("--duration-s", type=float, help="length of smoke (30) / endurance (3600)")
    load.add_argument("--step-users", type=int, default=1, help="increment between step levels (default 1)")
    load.add_argument("--levels", help="explicit step levels, e.g. 1,2,4,8 (overrides --users/--step-users)")
    load.add_argument("--baseline-users", type=int, default=1, help="spike profile's low level (default 1)")
    load.add_argument("--think-time-s", type=float, default=0.0, help="pause between a user's requests")
    load.add_argument("--prompts", type=Path, default=DEFAULT_PROMPTS, help="JSON Lines prompt file")
    load.add_argument(
        "--prompt-set",
        default="medium",
        help="comma-separated sets from the prompt file (short, medium, long; default medium)",
    )
    load.add_argument("--seed", type=int, default=0)

    auth = run.add_argument_group("auth (secrets from the environment; see docs/loadtest.md)")
    auth.add_argument("--auth", choices=("none", "api-key", "bearer", "sigv4"), default="none")
    auth.add_argument("--api-key-header", default="x-api-key")
    auth.add_argument(
        "--token-url", help="OAuth token endpoint, e.g. https://<domain>.auth.<region>.amazoncognito.com/oauth2/token"
    )
    auth.add_argument("--scope", help="OAuth scope(s) for the client-credentials flow")
    auth.add_argument("--token-use", choices=("id", "access"), help="token of the OAuth answer to send")
    auth.add_argument("--auth-scheme", default="Bearer", help="Authorization scheme ('' = bare token)")
    auth.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
    auth.add_argument("--service", default="execute-api", help="SigV4 service name (default execute-api)")

    scaling = run.add_argument_group("autoscaling check")
    scaling.add_argument(
        "--autoscaling-endpoint", help="SageMaker endpoint name to watch (implies --profile step unless given)"
    )
    scaling.add_argument("--autoscaling-variant", help="production variant (default: the endpoint's first)")
    scaling.add_argument(
        "--autoscaling-inference-component", help="watch this inference component's copies (scale-to-zero endpoints)"
    )
    scaling.add_argument("--autoscaling-poll-s", type=float, default=30.0, help="DescribeEndpoint poll interval")
    scaling.add_argument(
        "--autoscaling-tail-s",
        type=float,
        default=120.0,
        help="keep watching after the load (scale-in, CloudWatch lag; default 120)",
    )

    output = run.add_argument_group("output")
    output.add_argument("--out", type=Path, help="output directory (default loadtest-results/<profile>-<UTC time>)")
    output.add_argument("--no-html", action="store_true", help="JSON + CSV only")
    output.add_argument("--png", action="store_true", help="also write each chart as charts/<name>.png")
    output.add_argument("--progress-s", type=float, default=10.0, help="seconds between progress lines (0: per stage)")
    output.add_argument(
        "--fail-on-errors",
        action="store_true",
        help="exit 1 when any request failed (or none succeeded); never on timing",
    )
    output.add_argument("--allow-429", action="store_true", help="with --fail-on-errors: 429s do not fail the run")

    report = sub.add_parser("report", help="re-render report.html from a results directory")
    report.add_argument("directory", type=Path)
    report.add_argument("--png", action="store_true", help="also write each chart as charts/<name>.png")
    return parser


def _spec(args: argparse.Namespace) -> ProfileSpec:
    levels = [int(x) for x in args.levels.split(",") if x.strip()] if args.levels else None
    return ProfileSpec(
        users=args.users,
        step_s=args.step_s,
        duration_s=args.duration_s,
        step_users=args.step_users,
        levels=levels,
        baseline_users=args.baseline_users,
    )


def failure_reasons(results: dict[str, Any], allow_429: bool = False) -> list[str]:
    """Why ``--fail-on-errors`` fails a run (``results.json`` content); empty when it passes."""
    overall = results["overall"]
    reasons = []
    if overall["errors"]:
        reasons.append(f"{overall['errors']} failed requests ({overall['errors_by_status']})")
    if overall["throttled"] and not allow_429:
        reasons.append(f"{overall['throttled']} throttled requests (429; --allow-429 to accept)")
    if not overall["ok"]:
        reasons.append("no successful request")
    return reasons


def _run(args: argparse.Namespace) -> int:
    from loadtest.auth import build_auth

    try:
        profile = args.profile or ("step" if args.autoscaling_endpoint else "smoke")
        stages = build_profile(profile, _spec(args))
        prompts = load_prompts(args.prompts, [s.strip() for s in args.prompt_set.split(",") if s.strip()])
        extra_body = json.loads(args.extra_body)
        if not isinstance(extra_body, dict):
            raise ValueError("--extra-body must be a JSON object")
        auth = build_auth(
            args.auth,
            os.environ,
            api_key_header=args.api_key_header,
            token_url=args.token_url,
            scope=args.scope,
            token_use=args.token_use,
            scheme=args.auth_scheme,
            region=args.region,
            service=args.service,
        )
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    # Locust (and gevent's monkey-patching) only from here on
    from loadtest import runner

    observer = None
    if args.autoscaling_endpoint:
        from loadtest.autoscaling import AutoscalingObserver

        observer = AutoscalingObserver.from_boto3(
            args.autoscaling_endpoint,
            region=args.region,
            variant=args.autoscaling_variant,
            inference_component=args.autoscaling_inference_component,
        )
    out_dir = args.out or DEFAULT_OUT / f"{profile}-{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%SZ')}"
    from loadtest.serve import ServedProcess, ServeError

    served: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
    if args.serve:
        ready = args.target.rstrip("/") + "/models"
        served = ServedProcess(args.serve, ready, out_dir / "server.log", timeout_s=args.serve_timeout_s)
    try:
        with served:
            return _execute(args, runner, profile, stages, prompts, extra_body, auth, observer, out_dir)
    except ServeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _execute(
    args: argparse.Namespace,
    runner: Any,
    profile: str,
    stages: list[Any],
    prompts: list[Any],
    extra_body: dict[str, Any],
    auth: Any,
    observer: Any,
    out_dir: Path,
) -> int:
    """Discover the model, run the load, write the reports; the exit code."""
    from loadtest.report import summary_table, write_reports

    notes = []
    model = args.model or runner.discover_model(args.target, auth)
    if model is None:
        model = "default"
        notes.append("GET /models gave no model id; sent model='default'")
    report_config = {
        "profile": profile,
        "target": args.target,
        "model": model,
        "max_tokens": args.max_tokens,
        "include_usage": not args.no_usage,
        "prompt_sets": args.prompt_set,
        "prompts_file": str(args.prompts),
        "auth": args.auth + (" + api key" if os.environ.get("LOADTEST_API_KEY") and args.auth != "none" else ""),
        "think_time_s": args.think_time_s,
        "stages": ", ".join(f"{s.name}:{s.users}u x {s.duration_s:g}s" for s in stages),
        "autoscaling_endpoint": args.autoscaling_endpoint or "",
        "autoscaling_inference_component": args.autoscaling_inference_component or "",
    }
    config = runner.RunConfig(
        target=args.target,
        stages=stages,
        prompts=prompts,
        model=model,
        max_tokens=args.max_tokens,
        include_usage=not args.no_usage,
        temperature=args.temperature,
        extra_body=extra_body,
        auth=auth,
        timeout_s=args.timeout_s,
        think_time_s=args.think_time_s,
        seed=args.seed,
        progress_s=args.progress_s,
        autoscaling=observer,
        autoscaling_poll_s=args.autoscaling_poll_s,
        autoscaling_tail_s=args.autoscaling_tail_s,
        report_config=report_config,
    )
    result = runner.run(config)
    result.notes[:0] = notes
    paths = write_reports(result, out_dir, html_report=not args.no_html, png=args.png)
    print(summary_table([*result.stage_summaries(), result.overall()]))
    for kind, path in paths.items():
        print(f"{kind}: {path}")
    if args.fail_on_errors:
        reasons = failure_reasons(result.as_dict(), allow_429=args.allow_429)
        if reasons:
            print("FAILED (--fail-on-errors): " + "; ".join(reasons), file=sys.stderr)
            return 1
    return 0


def _report(args: argparse.Namespace) -> int:
    from loadtest.report import RunResult, render_html, summary_table

    directory: Path = args.directory
    try:
        result = RunResult.from_files(directory / "results.json", directory / "requests.csv")
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    png_dir = directory / "charts" if args.png else None
    (directory / "report.html").write_text(render_html(result, png_dir), encoding="utf-8")
    print(summary_table([*result.stage_summaries(), result.overall()]))
    print(f"html: {directory / 'report.html'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = _parser().parse_args(argv)
    if args.command == "report":
        return _report(args)
    return _run(args)
