"""Kassan's core: money, accounts and the double-entry ledger, plus the web app that serves it.

The domain modules (``money``, ``errors``, ``entries``, ``chart``) import only the standard
library. ``ledger.db`` holds the schema, ``ledger.services`` the only code that writes journal
entries, and ``kassan.web`` the Flask app factory, pages and JSON API.
"""
