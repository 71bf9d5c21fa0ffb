"""Secure LLM pipeline on AWS: CDK stacks, reusable constructs, typed config and compliance."""

__version__ = "0.1.0"
