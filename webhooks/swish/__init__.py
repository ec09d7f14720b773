"""Swish Handel: payment requests and refunds through the Swish Commerce API (mutual TLS)."""
