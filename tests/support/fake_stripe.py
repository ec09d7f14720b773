"""A fake Stripe API: a real HTTP server on 127.0.0.1 in a thread, serving the objects a test
registers, in Stripe's JSON shapes, to the real ``stripe`` library.

It honours what the library sends for the reads Kassan makes: ``GET /v1/<resource>/<id>``
with ``expand[]`` (dotted paths, ids replaced by the registered objects), ``GET
/v1/<resource>`` lists filtered by their parameters (``charge=``, ``payout=``, ``invoice=``,
``payment_intent=``) and paged with ``limit``/``starting_after``, a Bearer key, and Stripe's
error shape (404 ``resource_missing`` for an unknown id). Every request is recorded.
"""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# URL path (after /v1/) -> the ``object`` of what it serves
RESOURCES = {
    "payment_intents": "payment_intent",
    "charges": "charge",
    "refunds": "refund",
    "balance_transactions": "balance_transaction",
    "invoice_payments": "invoice_payment",
    "invoices": "invoice",
    "checkout/sessions": "checkout.session",
    "disputes": "dispute",
    "payouts": "payout",
    "subscriptions": "subscription",
}
_PAGING = {"limit", "starting_after", "ending_before"}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    params: dict[str, Any]
    stripe_version: str | None


class FakeStripe:
    """Register objects with ``add``; point ``STRIPE_API_BASE`` at ``url``."""

    def __init__(self, api_key: str = "sk_test_kassan") -> None:
        self.api_key = api_key
        self.objects: dict[str, dict[str, Any]] = {}  # id -> object, in insertion order
        self.hidden: dict[str, dict[str, str]] = {}  # filters Stripe knows but does not show
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeStripe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def add(self, obj: dict[str, Any], **hidden: str) -> dict[str, Any]:
        """Serve ``obj`` (a copy); ``hidden`` are list filters it matches (``payout=po_1``)."""
        with self._lock:
            self.objects[obj["id"]] = copy.deepcopy(obj)
            if hidden:
                self.hidden[obj["id"]] = hidden
        return obj

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    # --- serving ----------------------------------------------------------------------------

    def _expand(self, obj: Any, path: list[str]) -> Any:
        if not path or not isinstance(obj, dict):
            return obj
        head, rest = path[0], path[1:]
        value = obj.get(head)
        if isinstance(value, str) and value in self.objects:
            value = copy.deepcopy(self.objects[value])
        if isinstance(value, list):
            obj[head] = [self._expand(v, rest) for v in value]
        elif value is not None:
            obj[head] = self._expand(value, rest)
        return obj

    def _matches(self, obj: dict[str, Any], filters: dict[str, str]) -> bool:
        hidden = self.hidden.get(obj["id"], {})
        for name, wanted in filters.items():
            have = hidden.get(name, obj.get(name))
            if isinstance(have, dict):
                have = have.get("id")
            if have != wanted:
                return False
        return True

    def respond(self, method: str, raw_path: str, auth: str | None) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(raw_path)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        expand = [v for k, v in pairs if k.startswith("expand[")]
        params = {k: v for k, v in pairs if not k.startswith("expand[")}
        if auth != f"Bearer {self.api_key}":
            return 401, _error("invalid_request_error", None, "Invalid API Key provided")
        if method != "GET" or not parts.path.startswith("/v1/"):
            return 404, _error(
                "invalid_request_error", None, f"Unrecognized request URL ({method}: {parts.path})"
            )
        rest = parts.path[len("/v1/") :]
        for prefix, kind in RESOURCES.items():
            if rest == prefix:
                return 200, self._list(parts.path, kind, params, expand)
            if rest.startswith(prefix + "/") and "/" not in rest[len(prefix) + 1 :]:
                return self._retrieve(kind, rest[len(prefix) + 1 :], expand)
        return 404, _error(
            "invalid_request_error", None, f"Unrecognized request URL (GET: {parts.path})"
        )

    def _retrieve(self, kind: str, obj_id: str, expand: list[str]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            obj = self.objects.get(obj_id)
            if obj is None or obj.get("object") != kind:
                return 404, _error(
                    "invalid_request_error", "resource_missing", f"No such {kind}: '{obj_id}'", "id"
                )
            out = copy.deepcopy(obj)
            for path in expand:
                out = self._expand(out, path.split("."))
        return 200, out

    def _list(
        self, url: str, kind: str, params: dict[str, str], expand: list[str]
    ) -> dict[str, Any]:
        filters = {k: v for k, v in params.items() if k not in _PAGING}
        limit = int(params.get("limit", "10"))
        with self._lock:
            found = [
                o
                for o in self.objects.values()
                if o.get("object") == kind and self._matches(o, filters)
            ]
            after = params.get("starting_after")
            if after:
                ids = [o["id"] for o in found]
                found = found[ids.index(after) + 1 :] if after in ids else []
            page = [copy.deepcopy(o) for o in found[:limit]]
            for path in expand:
                prefix, _, inner = path.partition(".")
                if prefix == "data":
                    page = [self._expand(o, inner.split(".")) for o in page]
        return {"object": "list", "data": page, "has_more": len(found) > limit, "url": url}


def _error(kind: str, code: str | None, message: str, param: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"type": kind, "message": message}
    if code:
        error["code"] = code
        error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    if param:
        error["param"] = param
    return {"error": error}


def _handler_for(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self._serve("POST")

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            params = dict(parse_qsl(parts.query, keep_blank_values=True))
            fake.requests.append(
                Request(method, parts.path, params, self.headers.get("Stripe-Version"))
            )
            status, body = fake.respond(method, self.path, self.headers.get("Authorization"))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", f"req_fake{len(fake.requests)}")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads ``fake.requests`` instead."""

    return Handler
