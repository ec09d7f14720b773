"""Bank-file parsers: camt.053/054, BgMax and the bank's Swish report, as pure functions from
bytes to the records of ``webhooks.bankfiles.records``; they never touch the database.

``parse(data, filename, format=None)`` reads any of them whole; ``CamtReader`` streams a large
camt file line by line.
"""

from webhooks.bankfiles.camt import CamtReader, parse_camt
from webhooks.bankfiles.detect import FORMATS, detect, parse
from webhooks.bankfiles.records import (
    Balance,
    BankFile,
    BankLine,
    ControlTotal,
    ExtraReference,
    ParsedFile,
)

__all__ = [
    "FORMATS",
    "Balance",
    "BankFile",
    "BankLine",
    "CamtReader",
    "ControlTotal",
    "ExtraReference",
    "ParsedFile",
    "detect",
    "parse",
    "parse_camt",
]
