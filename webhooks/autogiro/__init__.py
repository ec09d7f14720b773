"""Autogiro end to end: the files Kassan sends to Bankgirot (``outgoing``). The file formats
are in ``webhooks.bankfiles.autogiro``; the register in ``ledger.services.autogiro``."""
