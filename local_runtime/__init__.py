"""``make local``: the whole lifecycle on a laptop, no AWS account.

Raw sample data -> sanitization (the Glue transform's pure-Python path) -> tiny model training + evaluation
(``training/local_run.sh``) -> the quality gate (the Step Functions rule) -> the chat API (the same ASGI app as on
Lambda) on http://127.0.0.1:8000 with a local lake, SQLite conversations and the local model. ``retrain`` runs
continuous learning over the interactions and feedback the local server stored. Run ``python -m local_runtime -h``.
"""
