"""A small real HTTP server in Stripe's shape, for Checkout Sessions and subscription cancels.

The real ``stripe`` library talks to it over loopback (``STRIPE_API_BASE``): it parses the
form-encoded body the way Stripe does (``line_items[0][price_data][currency]=sek``), checks the
bearer key, records every request with its ``Idempotency-Key``, and answers a repeated key with
the first answer (a different body under the same key is Stripe's ``idempotency_error``).
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest

_KEY = re.compile(r"([^\[\]]+)|\[([^\[\]]*)\]")


def decode_form(body: str) -> dict[str, Any]:
    """Stripe's bracketed form encoding as nested dicts and lists."""
    root: dict[str, Any] = {}
    for name, value in parse_qsl(body, keep_blank_values=True):
        parts = [a or b for a, b in _KEY.findall(name)]
        node: Any = root
        for here, nxt in itertools.pairwise(parts):
            default: Any = [] if nxt.isdigit() else {}
            if isinstance(node, list):
                index = int(here)
                while len(node) <= index:
                    node.append(type(default)())
                node = node[index]
            else:
                node = node.setdefault(here, default)
        last = parts[-1]
        if isinstance(node, list):
            index = int(last)
            while len(node) <= index:
                node.append(None)
            node[index] = value
        else:
            node[last] = value
    return root


@dataclass
class Recorded:
    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    stripe_version: str | None


@dataclass
class FakeStripe:
    secret_key: str = "sk_test_fake_checkout"
    requests: list[Recorded] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_next: int = 0  # answer this many requests with a 500 api_error
    _replies: dict[str, tuple[str, int, dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def add_subscription(self, status: str = "active") -> str:
        sub_id = "sub_" + secrets.token_hex(8)
        self.subscriptions[sub_id] = {"id": sub_id, "object": "subscription", "status": status}
        return sub_id

    def posts(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def handle(
        self, method: str, path: str, body: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        params = decode_form(body)
        key = headers.get("idempotency-key")
        with self._lock:
            self.requests.append(Recorded(method, path, params, key, headers.get("stripe-version")))
            if headers.get("authorization") != f"Bearer {self.secret_key}":
                return 401, _error("invalid_request_error", "Invalid API Key provided")
            if self.fail_next:
                self.fail_next -= 1
                return 500, _error("api_error", "Something went wrong on Stripe's end")
            if key and key in self._replies:
                first_body, status, reply = self._replies[key]
                if first_body != body:
                    return 400, _error(
                        "idempotency_error",
                        "Keys for idempotent requests can only be used with the same parameters",
                    )
                return status, reply
            status, reply = self._route(method, path, params)
            if key and status < 500:
                self._replies[key] = (body, status, reply)
            return status, reply

    def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "POST" and path == "/v1/checkout/sessions":
            return self._create_session(params)
        match = re.fullmatch(r"/v1/subscriptions/([^/]+)", path)
        if method == "DELETE" and match:
            sub = self.subscriptions.get(match.group(1))
            if sub is None:
                return 404, _error(
                    "invalid_request_error",
                    f"No such subscription: '{match.group(1)}'",
                    code="resource_missing",
                )
            sub["status"] = "canceled"
            return 200, dict(sub)
        return 404, _error("invalid_request_error", f"Unrecognized request URL ({method} {path})")

    def _create_session(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        mode = params.get("mode")
        if mode == "subscription" and "submit_type" in params:
            return 400, _error(
                "invalid_request_error",
                "You can not pass `submit_type` in `subscription` mode.",
                param="submit_type",
            )
        for required in ("success_url", "line_items", "mode"):
            if required not in params:
                return 400, _error(
                    "invalid_request_error", f"Missing required param: {required}.", param=required
                )
        session_id = "cs_test_" + secrets.token_hex(12)
        item = params["line_items"][0]["price_data"]
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_total": int(item["unit_amount"]),
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "currency": item["currency"],
            "customer": None,
            "customer_email": params.get("customer_email"),
            "livemode": False,
            "locale": params.get("locale"),
            "metadata": params.get("metadata", {}),
            "mode": mode,
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "submit_type": params.get("submit_type"),
            "subscription": None,
            "success_url": params["success_url"],
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
        }
        self.sessions[session_id] = session
        return 200, session


def _error(kind: str, message: str, **extra: str) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, **extra}}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeStripe

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        path, _, query = self.path.partition("?")
        body = raw or query
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, reply = self.fake.handle(self.command, path, body, headers)
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", "req_" + secrets.token_hex(6))
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_GET = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # quiet in test output
        pass


class FakeStripeServer:
    """``with FakeStripeServer() as fake: ... fake.url``."""

    def __init__(self) -> None:
        self.fake = FakeStripe()
        handler = type("Handler", (_Handler,), {"fake": self.fake})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeStripe:
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.fake.url = f"http://{host}:{port}"
        return self.fake

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture(name="stripe_fake")
def stripe_fake_fixture(app: Any) -> Iterator[FakeStripeServer]:
    """The app's Stripe is this fake, and its pages' return addresses are public ones."""
    with FakeStripeServer() as fake:
        app.config["STRIPE_SECRET_KEY"] = fake.secret_key
        app.config["STRIPE_API_BASE"] = fake.url
        app.config["PUBLIC_BASE_URL"] = "https://ge.kassan.test"
        yield fake
