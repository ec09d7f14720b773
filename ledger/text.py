"""Text no record can keep: a NUL character (PostgreSQL refuses it in text columns) or a lone
surrogate (no encoder writes it). Every entry point refuses such text before it is stored."""

from __future__ import annotations

__all__ = ["unstorable"]


def unstorable(text: str) -> bool:
    return "\x00" in text or any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)
