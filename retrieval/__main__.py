"""``python -m retrieval index <folder> --out <index dir>`` | ``python -m retrieval query <index dir> "question"``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from retrieval import RetrievalFilters, citations


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m retrieval", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    index = sub.add_parser("index", help="sanitize a knowledge folder and build the local BM25 index")
    index.add_argument("folder")
    index.add_argument("--out", required=True, help="index folder (e.g. .local/rag-index)")
    query = sub.add_parser("query", help="query a local index (or a Bedrock KB with --kb-id)")
    query.add_argument("index", nargs="?", help="index folder written by 'index'")
    query.add_argument("question")
    query.add_argument("--kb-id", help="query this Bedrock Knowledge Base instead")
    query.add_argument("--top-k", type=int, default=4)
    query.add_argument("--source-prefix")
    args = parser.parse_args(argv)

    if args.command == "index":
        from retrieval.local import LocalBm25Retriever

        retriever, report = LocalBm25Retriever.from_folder(args.folder)
        retriever.save(args.out, report)
        print(
            f"indexed {report.documents} document(s), {report.chunks} chunk(s), {report.entities_redacted} PII "
            f"entities redacted, {len(report.quarantined)} quarantined -> {args.out}"
        )
        for rel, reason in sorted(report.quarantined.items()):
            print(f"  quarantined {rel}: {reason}", file=sys.stderr)
        return 0
    if args.kb_id:
        from retrieval.bedrock import BedrockKbRetriever

        retriever_q: object = BedrockKbRetriever(args.kb_id)
    elif args.index:
        from retrieval.local import LocalBm25Retriever

        retriever_q = LocalBm25Retriever.load(args.index)
    else:
        parser.error("query needs an index folder or --kb-id")
    passages = retriever_q.retrieve(  # type: ignore[attr-defined]
        args.question, top_k=args.top_k, filters=RetrievalFilters(source_prefix=args.source_prefix)
    )
    print(json.dumps(citations(passages), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
