"""``python -m local_runtime [serve|retrain]``: see :mod:`local_runtime`."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from local_runtime import lifecycle
from local_runtime.lifecycle import Paths, StageResult

ROOT = lifecycle.ROOT
for _path in (ROOT, ROOT / "lambda_src" / "front_door"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


def _progress(i: int, n: int, title: str) -> float:
    print(f"[{i}/{n}] {title} ...", flush=True)
    return time.perf_counter()


def _done(result: StageResult, t0: float) -> None:
    mark = "skipped (outputs exist)" if result.skipped else f"done in {time.perf_counter() - t0:.1f}s"
    print(f"      {mark}: {result.detail}", flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line of ``make local`` / ``make local-retrain``."""
    p = argparse.ArgumentParser(prog="python -m local_runtime", description=__doc__)
    p.add_argument(
        "command",
        nargs="?",
        choices=("serve", "retrain", "prepare"),
        default="serve",
        help="serve: run every missing stage, then serve (default); prepare: stages only; "
        "retrain: continuous learning over the local interactions",
    )
    p.add_argument("--home", default=os.environ.get("LOCAL_HOME", ".local"), help="where everything goes (.local)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--backend",
        choices=("local", "openai", "bedrock", "stub"),
        default="local",
        help="local: the tiny model on CPU; openai: any OpenAI-compatible server (--base-url); "
        "bedrock: needs AWS credentials; stub: deterministic test answers",
    )
    p.add_argument("--base-url", help="OpenAI-compatible base URL, e.g. http://localhost:11434/v1 (Ollama)")
    p.add_argument("--model", help="model id for openai/bedrock (e.g. llama3.2, anthropic.claude-3-haiku-...)")
    p.add_argument("--api-key-env", default="OPENAI_API_KEY", help="env var holding the upstream's API key")
    p.add_argument(
        "--dev-token",
        default=os.environ.get("LOCAL_DEV_TOKEN"),
        help="require Authorization: Bearer <token> (default: no auth, identity 'local')",
    )
    p.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        help="allow this browser origin (e.g. a web dev server: http://localhost:5173); repeatable",
    )
    p.add_argument("--stub-echo", action="store_true", help="stub: answer every prompt with the prompt itself")
    p.add_argument("--stub-delay-ms", type=float, default=0.0, help="stub: pause between streamed words (ms)")
    p.add_argument("--gate-threshold", type=float, default=0.2, help="quality gate threshold (pipeline default)")
    p.add_argument("--strict-gate", action="store_true", help="stop when the model fails the quality gate")
    p.add_argument("--min-rating", type=int, default=0, help="retrain: net feedback below this excludes a record")
    p.add_argument("--force", action="store_true", help="redo every stage")
    p.add_argument(
        "--no-rag",
        action="store_true",
        help="skip the knowledge stage and serve without retrieval (default: sanitize + index "
        ".local/lake/raw/knowledge/ and ground answers in it, with citations)",
    )
    return p.parse_args(argv)


def prepare(args: argparse.Namespace, paths: Paths) -> dict[str, StageResult]:
    """Raw data -> sanitize -> train + evaluate -> gate (stages whose outputs exist are skipped)."""
    results: dict[str, StageResult] = {}
    rag = not getattr(args, "no_rag", False)
    steps = (4 if args.backend == "local" else 2) + rag
    t0 = _progress(1, steps, "raw sample data")
    results["raw"] = lifecycle.make_raw(paths, args.force)
    _done(results["raw"], t0)
    t0 = _progress(2, steps, "sanitize (glue_jobs.transform.LineSanitizer, the Glue job's per-line path)")
    results["sanitize"] = lifecycle.sanitize(paths, args.force)
    _done(results["sanitize"], t0)
    if rag:
        t0 = _progress(3, steps, "knowledge documents: sanitize (glue_jobs.documents) + BM25 index (retrieval.local)")
        results["knowledge"] = lifecycle.knowledge(paths, args.force)
        _done(results["knowledge"], t0)
    if args.backend != "local":
        return results
    t0 = _progress(3 + rag, steps, "train + evaluate the tiny model on CPU (training/local_run.sh)")
    results["train"] = lifecycle.train(paths, force=args.force)
    _done(results["train"], t0)
    t0 = _progress(4 + rag, steps, "quality gate (the Step Functions rule)")
    results["gate"] = lifecycle.gate(paths, args.gate_threshold)
    _done(results["gate"], t0)
    return results


def chat_settings(args: argparse.Namespace, paths: Paths) -> object:
    """The chat app's settings for the local home."""
    from chat_api.settings import ChatSettings

    backend = args.backend
    model = args.model or {"local": "local-tiny-llama", "stub": "stub-model"}.get(backend)
    if backend == "openai" and not args.base_url:
        raise SystemExit("--backend openai needs --base-url (e.g. http://localhost:11434/v1)")
    if backend in ("openai", "bedrock") and not model:
        raise SystemExit(f"--backend {backend} needs --model")
    if backend == "bedrock":
        import boto3

        if boto3.session.Session().get_credentials() is None:
            raise SystemExit("--backend bedrock needs AWS credentials (none found)")
    if model is None:
        raise SystemExit(f"--backend {backend} needs --model")
    return ChatSettings(
        backend=backend,
        model_id=model,
        openai_base_url=args.base_url,
        openai_api_key=os.environ.get(args.api_key_env),
        local_model_dir=str(paths.model_dir),
        storage="local",
        lake_dir=str(paths.lake),
        local_bucket_name=lifecycle.INTERACTIONS,
        rag_local_index=None if args.no_rag else str(paths.rag_index),
        rag_default_on=not args.no_rag,
        conversations="sqlite",
        sqlite_path=str(paths.conversations),
        identity="dev-token" if args.dev_token else "local",
        dev_token=args.dev_token,
        static_dir=str(ROOT / "web" / "dist"),
        model_read_timeout_s=300.0,
        storage_timeout_s=5.0,
        cors_allowed_origins=tuple(args.cors_origin),
        stub_echo=args.stub_echo,
        stub_tokens_per_s=1000.0 / args.stub_delay_ms if args.stub_delay_ms > 0 else 0.0,
    )


def summary(args: argparse.Namespace, paths: Paths, results: dict[str, StageResult], url: str) -> str:
    """The one-screen summary."""
    s = results.get("sanitize")
    g = results.get("gate")
    lines = ["", "=" * 78, " secure-llm-pipeline: local mode", "=" * 78]
    if s is not None:
        lines.append(f" raw data        {paths.raw_dir}")
        lines.append(f" sanitized       {paths.sanitized_dir}  ({s.detail})")
        lines.append(f" quarantine      {paths.quarantine_dir}")
    if args.backend == "local":
        lines.append(f" model           {paths.model_dir}")
        lines.append(f" evaluation      {paths.evaluation}")
        if g is not None:
            lines.append(
                f" quality gate    {g.detail}"
                + ("" if g.data.get("passed") else "  (AWS would not register it; served anyway)")
            )
    k = results.get("knowledge")
    if k is not None:
        lines.append(f" knowledge       {paths.knowledge_raw_dir}  (add .md/.txt/.html here, restart)")
        lines.append(
            f" RAG index       {paths.rag_index}  ({k.data.get('documents', '?')} documents indexed, "
            f"{k.data.get('quarantined', 0)} quarantined; sanitized in {paths.knowledge_sanitized_dir})"
        )
        lines.append(
            " retrieval       on by default (citations in answers; --no-rag to turn off; per request: "
            '"retrieval": {"enabled": false})'
        )
    elif getattr(args, "no_rag", False):
        lines.append(" retrieval       off (--no-rag)")
    lines.append(f" backend         {args.backend}" + (f" ({args.base_url})" if args.base_url else ""))
    lines.append(f" interactions    {paths.bucket(lifecycle.INTERACTIONS)}/interactions/dt=.../  (redacted)")
    lines.append(f" feedback        {paths.bucket(lifecycle.INTERACTIONS)}/feedback/dt=.../")
    lines.append(f" conversations   {paths.conversations}")
    web = ROOT / "web" / "dist"
    lines.append(f" web UI          {url}/" + ("" if web.is_dir() else "  (not built: web/dist missing)"))
    lines.append(f" API             {url}/v1   auth: {'Bearer <dev token>' if args.dev_token else 'none'}")
    lines.append("")
    lines.append(f'   curl {url}/v1/chat/completions -H "Content-Type: application/json" \\')
    lines.append('     -d \'{"messages":[{"role":"user","content":"Hello"}],"stream":true}\'')
    lines.append(f'   OpenAI(base_url="{url}/v1", api_key="local")  # openai SDK')
    lines.append(" continuous learning: make local-retrain     stop: Ctrl+C")
    lines.append("=" * 78)
    return "\n".join(lines)


def serve(args: argparse.Namespace, paths: Paths, results: dict[str, StageResult]) -> int:
    """Build the chat app and run uvicorn in the foreground."""
    import uvicorn
    from chat_api.app import create_app

    settings = chat_settings(args, paths)
    print(f"loading the {args.backend} backend ...", flush=True)
    app = create_app(settings, serve_web=True)  # type: ignore[arg-type]
    url = f"http://{args.host}:{args.port}"
    print(summary(args, paths, results, url), flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", timeout_graceful_shutdown=2)
    return 0


def retrain(args: argparse.Namespace, paths: Paths) -> int:
    """Continuous learning: feedback-filtered, sanitized interactions + the sanitized dataset -> train -> gate."""
    if not paths.sanitized_dir.exists():
        prepare(argparse.Namespace(**{**vars(args), "backend": "stub", "no_rag": True}), paths)
    t0 = _progress(1, 3, "collect interactions + feedback (glue_jobs.feedback, LineSanitizer)")
    collected = lifecycle.interactions_to_training(paths, args.min_rating)
    _done(collected, t0)
    t0 = _progress(2, 3, "retrain + evaluate")
    result = lifecycle.train(paths, data_dir=Path(collected.data["data_dir"]), force=True)
    _done(result, t0)
    t0 = _progress(3, 3, "quality gate")
    gate = lifecycle.gate(paths, args.gate_threshold)
    _done(gate, t0)
    print(f"retrained model in {paths.model_dir}; restart `make local` to serve it", flush=True)
    return 1 if args.strict_gate and not gate.data["passed"] else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    paths = Paths(Path(args.home).resolve())
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.command == "retrain":
        return retrain(args, paths)
    results = prepare(args, paths)
    gate = results.get("gate")
    if gate is not None and not gate.data.get("passed") and args.strict_gate:
        print("quality gate failed (--strict-gate): not serving", flush=True)
        return 1
    if args.command == "prepare":
        return 0
    return serve(args, paths, results)


if __name__ == "__main__":
    sys.exit(main())
