"""The reference endpoints of the webhook benchmark: a bare Flask app that books one two-line
entry per request, served by gunicorn exactly like Kassan (``gunicorn -w 2
'bench.webhooks_bare:create_app()'``) with ``DATABASE_URL`` from the environment.

* ``POST /bare``: what the issue's reference is, plain SQL and nothing of Kassan's services:
  in one transaction lock the ledger head, read the series' last number, insert the two lines
  and the entry (numbered and hash-chained, so the database's triggers and ``verify`` accept
  it), add to the kept balances and move the head. No signature, no inbox, no validation.
* ``POST /bare-post``: the same entry through ``ledger.services.posting.post`` (validation,
  the source-key look-up, chart and dimension checks), to show what the ledger service adds.

Each request's JSON body carries a ``key``, which becomes the entry's source key.
"""

from __future__ import annotations

import json
import os
from datetime import date

from flask import Flask, Response, jsonify, request
from sqlalchemy import BigInteger, Connection, bindparam, text

from ledger.db.dialect import is_postgresql
from ledger.db.engine import make_engine
from ledger.db.schema.metadata import Sha256
from ledger.entries import Draft, LineDraft, PostedLine, entry_hash
from ledger.services import posting

PATH = "/bare"
POST_PATH = "/bare-post"
DAY = date(2026, 11, 20)
AMOUNT = 10_000
LINES = (
    PostedLine(1, "1930", AMOUNT, 0, "SEK", None, None),
    PostedLine(2, "3993", 0, AMOUNT, "SEK", None, None),
)


def _book_plain(conn: Connection, key: str) -> str:
    head = conn.execute(
        (
            text("SELECT last_entry_id, last_hash FROM ledger_head WHERE id = 1 FOR UPDATE")
            if is_postgresql(conn)
            else text("SELECT last_entry_id, last_hash FROM ledger_head WHERE id = 1")
        ).columns(last_entry_id=BigInteger(), last_hash=Sha256())
    ).one()
    number = (
        1
        + conn.execute(
            text(
                "SELECT COALESCE(MAX(number), 0) FROM journal_entries "
                "WHERE series = 'B' AND fiscal_year = :y"
            ),
            {"y": DAY.year},
        ).scalar_one()
    )
    entry_id = head.last_entry_id + 1
    source_key = f"bench:{key}"
    entry_text = f"Referens {key}"
    digest = entry_hash(
        id=entry_id,
        series="B",
        number=number,
        fiscal_year=DAY.year,
        date=DAY,
        text=entry_text,
        source_kind="bench",
        source_key=source_key,
        reverses_id=None,
        prev_hash=head.last_hash,
        lines=LINES,
    )
    conn.execute(
        text(
            "INSERT INTO journal_lines (entry_id, line_no, account, debit_ore, credit_ore, "
            "currency) VALUES (:e, :n, :a, :d, :c, 'SEK')"
        ),
        [
            {"e": entry_id, "n": ln.line_no, "a": ln.account, "d": ln.debit_ore, "c": ln.credit_ore}
            for ln in LINES
        ],
    )
    conn.execute(
        text(
            "INSERT INTO journal_entries (id, series, number, fiscal_year, date, text, "
            "source_kind, source_key, prev_hash, hash) "
            "VALUES (:i, 'B', :n, :y, :d, :t, 'bench', :k, :p, :h)"
        ).bindparams(bindparam("p", type_=Sha256()), bindparam("h", type_=Sha256())),
        {
            "i": entry_id,
            "n": number,
            "y": DAY.year,
            "d": DAY if is_postgresql(conn) else DAY.isoformat(),
            "t": entry_text,
            "k": source_key,
            "p": head.last_hash,
            "h": digest,
        },
    )
    conn.execute(
        text(
            "INSERT INTO account_balances "
            "(account, network_id, fiscal_year, period, currency, debit_ore, credit_ore) "
            "VALUES (:a, 0, :y, :p, 'SEK', :d, :c) "
            "ON CONFLICT (account, network_id, fiscal_year, period, currency) DO UPDATE SET "
            "debit_ore = account_balances.debit_ore + excluded.debit_ore, "
            "credit_ore = account_balances.credit_ore + excluded.credit_ore"
        ),
        [
            {"a": ln.account, "y": DAY.year, "p": DAY.month, "d": ln.debit_ore, "c": ln.credit_ore}
            for ln in LINES
        ],
    )
    conn.execute(
        text("UPDATE ledger_head SET last_entry_id = :i, last_hash = :h WHERE id = 1").bindparams(
            bindparam("h", type_=Sha256())
        ),
        {"i": entry_id, "h": digest},
    )
    return f"B{number}"


def create_app() -> Flask:
    app = Flask(__name__)
    engine = make_engine(os.environ["DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO fiscal_years (year, start_date, end_date) VALUES (:y, :s, :e) "
                "ON CONFLICT (year) DO NOTHING"
            ),
            {"y": DAY.year, "s": date(DAY.year, 1, 1), "e": date(DAY.year, 12, 31)},
        )

    @app.post(PATH)
    def book_plain() -> Response:
        key = str(json.loads(request.get_data(cache=False))["key"])
        with engine.begin() as conn:
            voucher = _book_plain(conn, key)
        return jsonify(received=True, id=key, outcome="booked", voucher=voucher)

    @app.post(POST_PATH)
    def book_with_post() -> Response:
        key = str(json.loads(request.get_data(cache=False))["key"])
        draft = Draft(
            date=DAY,
            text=f"Referens {key}",
            lines=(LineDraft("1930", AMOUNT, 0), LineDraft("3993", 0, AMOUNT)),
            series="B",
            source_kind="bench",
            source_key=f"bench:{key}",
        )
        with engine.begin() as conn:
            entry = posting.post(conn, draft)
        return jsonify(received=True, id=key, outcome="booked", voucher=entry.voucher)

    return app
