"""Front-door Lambda for the LLM serving API (``POST /v1/generate``, ``POST /v1/feedback``)."""
