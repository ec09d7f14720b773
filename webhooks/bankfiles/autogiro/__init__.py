"""Autogiro, Bankgirot's direct debit: every file to and from Bankgirot (new layout), read as
pure functions from bytes to the records of ``records``, and written by ``writer``.

``parse_autogiro(data, filename)`` reads any of them and checks its own totals;
``detect_autogiro(data)`` tells which kind a file is.
"""

from webhooks.bankfiles.autogiro.codes import (
    Direction,
    FileKind,
    MandateOutcome,
    PaymentStatus,
)
from webhooks.bankfiles.autogiro.parse import detect_autogiro, parse_autogiro
from webhooks.bankfiles.autogiro.records import AutogiroFile

__all__ = [
    "AutogiroFile",
    "Direction",
    "FileKind",
    "MandateOutcome",
    "PaymentStatus",
    "detect_autogiro",
    "parse_autogiro",
]
