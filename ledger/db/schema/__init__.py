"""The tables by area, one module each, all on the one ``MetaData`` in ``metadata``.

Callers read them through ``ledger.db.tables`` (``from ledger.db import tables as t``).
"""
