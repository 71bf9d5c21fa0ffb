"""Lambda entry point of the LLM front door: ``handler.lambda_handler``.

The asset root holds this file, the ``frontdoor`` package, ``schemas/`` ``pii_engine/`` and ``pipeline_contract.py``.
"""

from frontdoor.app import lambda_handler

__all__ = ["lambda_handler"]
