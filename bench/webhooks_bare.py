"""The reference endpoint of the webhook benchmark: a bare Flask app whose one route books one
two-line entry per request through ``ledger.services.posting.post`` (a source key per request).

Served by gunicorn exactly like Kassan (``gunicorn -w 2 'bench.webhooks_bare:create_app()'``),
with ``DATABASE_URL`` from the environment; nothing else of the app (no signature, no inbox, no
Stripe) runs, so it shows what one booking commit costs under the same server.
"""

from __future__ import annotations

import json
import os
from datetime import date

from flask import Flask, Response, jsonify, request

from ledger.db.engine import make_engine
from ledger.entries import Draft, LineDraft
from ledger.services import posting

PATH = "/bare"
DAY = date(2026, 11, 20)


def create_app() -> Flask:
    app = Flask(__name__)
    engine = make_engine(os.environ["DATABASE_URL"])

    @app.post(PATH)
    def book() -> Response:
        key = str(json.loads(request.get_data(cache=False))["key"])
        draft = Draft(
            date=DAY,
            text=f"Referens {key}",
            lines=(LineDraft("1930", 10_000, 0), LineDraft("3993", 0, 10_000)),
            series="B",
            source_kind="bench",
            source_key=f"bench:{key}",
        )
        with engine.begin() as conn:
            entry = posting.post(conn, draft)
        return jsonify(received=True, id=key, outcome="booked", voucher=entry.voucher)

    return app
