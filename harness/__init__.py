"""Chaos and load testing harness for AI agent services."""

__version__ = "0.1.0"
