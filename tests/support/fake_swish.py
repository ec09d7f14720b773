"""A fake Swish: a real HTTPS server on 127.0.0.1 that demands a client certificate and speaks the
Swish Commerce API's shapes, so that Kassan's real TLS and HTTP code runs in the tests.

* The certificates come from ``tests.support.swish_pki.make_pki``.
* ``FakeSwish`` listens with ``ssl.CERT_REQUIRED`` against that CA: a client without a
  certificate from it never gets past the TLS handshake.
* Payment requests (``PUT /api/v2/paymentrequests/{id}``) and refunds (``PUT /api/v2/refunds/
  {id}``) are checked the way Swish checks them and refused with 422 and Swish's error codes
  (RP01, RP02, RP03, FF08, BE18, ACMT03, ACMT07, PA02, AM02, AM03, AM06; RF02, RF03, RF08 for
  refunds); accepted ones answer 201 with ``Location`` (and ``PaymentRequestToken`` without a
  payer alias: m-commerce). A second PUT of an id Swish already holds answers 409.
* The test decides the outcome: ``complete(id, "PAID")`` (or DECLINED, ERROR, CANCELLED) sets
  it and POSTs the callback, with the object as Swish sends it, to the request's callbackUrl.
  ``GET /api/v1/...`` answers with the object; ``fail_gets`` makes those answer 503.
* Recurring payments (Swish's Recurring payments API v1, on the same host without the
  ``/swish-cpcapi`` prefix): consents (``POST /recurring/merchant/v1/consents/{id}``, with
  ``/token`` for m-commerce, answering ``PaymentRequestToken``; ``GET`` and ``DELETE``) and
  payments against an ACTIVE consent (``POST .../payments/single/{id}``, ``GET .../{id}/status``).
  ``consent_outcome(id, "ACTIVE")`` (or DECLINED, ERROR, CANCELLED: the donor in the app) and
  ``charge_outcome(id, "PAID")`` (or DECLINED, ERROR) settle them and POST the callback.
  A payment against a consent that is not ACTIVE is refused (422, ``RC01``: assumed code).
* Swish refuses http callback URLs (RP03); ``allow_http_callback`` lets the tests' live app on
  http://127.0.0.1 receive them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import ssl
import threading
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.swish_pki import MERCHANT, Pki, make_pki

__all__ = ["MERCHANT", "FakeSwish", "Pki", "make_pki"]


PREFIX = "/swish-cpcapi"
_ID = re.compile(r"^[0-9A-F]{32}$")
_AMOUNT = re.compile(r"^\d{1,12}(\.\d{2})?$")
_MESSAGE = re.compile(r"^[A-Za-z0-9åäöÅÄÖéÉüÜ :;.,?!()\-\"]{0,50}$")
_PAYEE_REF = re.compile(r"^[A-Za-z0-9\-_.+*/]{1,35}$")


# --- the server --------------------------------------------------------------------------------


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error(code: str, message: str) -> dict[str, Any]:
    return {"errorCode": code, "errorMessage": message, "additionalInformation": None}


class FakeSwish:
    def __init__(self, pki: Pki, *, merchant: str = MERCHANT) -> None:
        self.merchant = merchant
        self.payments: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.consents: dict[str, dict[str, Any]] = {}
        self.recurring: dict[str, dict[str, Any]] = {}
        self.unenrolled: set[str] = {"46700000000"}  # answers ACMT03
        self.allow_http_callback = False
        self.fail_gets = False
        self.gets = 0
        self.lock = threading.Lock()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pki.server_cert, pki.server_key)
        context.load_verify_locations(pki.ca)
        context.verify_mode = ssl.CERT_REQUIRED  # mutual TLS: no certificate, no connection
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self.base = f"https://127.0.0.1:{self.port}{PREFIX}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeSwish:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- what Swish checks --------------------------------------------------------------------

    def _common(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        errors = []
        callback = str(body.get("callbackUrl") or "")
        if not (callback.startswith("https://") or (self.allow_http_callback and callback)):
            errors.append(_error("RP03", "Callback URL is missing or does not use HTTPS"))
        amount = body.get("amount")
        if not isinstance(amount, str | int | float) or not _AMOUNT.match(str(amount)):
            errors.append(_error("PA02", "Amount value is missing or not a valid number"))
        elif float(amount) < 1:
            errors.append(_error("AM06", "Specified transaction amount is less than minimum"))
        elif float(amount) > 999_999_999_999.99:
            errors.append(_error("AM02", "Amount value is too large"))
        if body.get("currency") != "SEK":
            errors.append(_error("AM03", "Invalid or missing Currency"))
        if not _MESSAGE.match(str(body.get("message") or "")):
            errors.append(_error("RP02", "Wrong formatted message"))
        return errors

    def create_payment(self, pid: str, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        errors = self._common(body)
        payee = body.get("payeeAlias")
        if not payee:
            errors.append(_error("RP01", "Missing Merchant Swish Number"))
        elif payee != self.merchant:
            errors.append(_error("ACMT07", "Payee not Enrolled"))
        ref = body.get("payeePaymentReference")
        if ref is not None and not _PAYEE_REF.match(str(ref)):
            errors.append(_error("FF08", "PayeePaymentReference is invalid"))
        payer = body.get("payerAlias")
        if payer is not None and not re.fullmatch(r"\d{8,15}", str(payer)):
            errors.append(_error("BE18", "Payer alias is invalid"))
        elif payer in self.unenrolled:
            errors.append(_error("ACMT03", "Payer not Enrolled"))
        if errors:
            return 422, errors, {}
        with self.lock:
            if pid in self.payments:
                return 409, [], {}
            self.payments[pid] = {
                "id": pid,
                "payeePaymentReference": ref,
                "paymentReference": None,
                "callbackUrl": body["callbackUrl"],
                "payerAlias": payer,
                "payeeAlias": payee,
                "amount": float(body["amount"]),
                "currency": "SEK",
                "message": body.get("message"),
                "status": "CREATED",
                "dateCreated": _now(),
                "datePaid": None,
                "errorCode": None,
                "errorMessage": None,
            }
        headers = {"Location": f"{self.base}/api/v1/paymentrequests/{pid}"}
        if payer is None:
            headers["PaymentRequestToken"] = secrets.token_hex(16)
            self.payments[pid]["token"] = headers["PaymentRequestToken"]
        return 201, None, headers

    def create_refund(self, rid: str, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        errors = self._common(body)
        original = next(
            (
                p
                for p in self.payments.values()
                if p["paymentReference"] is not None
                and p["paymentReference"] == body.get("originalPaymentReference")
            ),
            None,
        )
        if original is None:
            errors.append(_error("RF02", "Original Payment not found or more than 13 months old"))
        elif body.get("payerAlias") != original["payeeAlias"]:
            errors.append(_error("RF03", "Payer alias does not match the original payee alias"))
        elif not errors:
            taken = sum(
                r["amount"]
                for r in self.refunds.values()
                if r["originalPaymentReference"] == original["paymentReference"]
                and r["status"] != "ERROR"
            )
            if float(body["amount"]) > original["amount"] - taken + 0.001:
                errors.append(_error("RF08", "Amount exceeds what is left of the payment"))
        if errors:
            return 422, errors, {}
        with self.lock:
            if rid in self.refunds:
                return 409, [], {}
            self.refunds[rid] = {
                "id": rid,
                "paymentReference": None,
                "payerPaymentReference": body.get("payerPaymentReference"),
                "originalPaymentReference": body["originalPaymentReference"],
                "callbackUrl": body["callbackUrl"],
                "payerAlias": body["payerAlias"],
                "payeeAlias": original["payerAlias"] if original else None,
                "amount": float(body["amount"]),
                "currency": "SEK",
                "message": body.get("message"),
                "status": "CREATED",
                "dateCreated": _now(),
                "datePaid": None,
                "errorCode": None,
                "errorMessage": None,
            }
        return 201, None, {"Location": f"{self.base}/api/v1/refunds/{rid}"}

    def create_consent(
        self, cid: str, body: dict[str, Any], token: bool
    ) -> tuple[int, Any, dict[str, str]]:
        errors = []
        callback = str(body.get("callbackUrl") or "")
        if not (callback.startswith("https://") or (self.allow_http_callback and callback)):
            errors.append(_error("RP03", "Callback URL is missing or does not use HTTPS"))
        payee = (
            (body.get("payee") or {}).get("alias") if isinstance(body.get("payee"), dict) else None
        )
        if payee != self.merchant:
            errors.append(_error("ACMT07", "Payee not Enrolled"))
        payer = body.get("payer")
        alias = payer.get("alias") if isinstance(payer, dict) else None
        if token and alias is not None:
            errors.append(_error("RP02", "m-commerce consents take no payer"))
        if not token and (alias is None or not re.fullmatch(r"\d{8,15}", str(alias))):
            errors.append(_error("BE18", "Payer alias is invalid"))
        elif alias in self.unenrolled:
            errors.append(_error("ACMT03", "Payer not Enrolled"))
        ref = body.get("payeePaymentReference")
        if ref is not None and not _PAYEE_REF.match(str(ref)):
            errors.append(_error("FF08", "PayeePaymentReference is invalid"))
        if errors:
            return 422, errors, {}
        with self.lock:
            if cid in self.consents:
                return 409, [], {}
            self.consents[cid] = {
                "consentId": cid,
                "callbackUrl": callback,
                "payee": {"alias": payee},
                "payer": {"alias": alias},
                "payeePaymentReference": ref,
                "status": "PENDING",
                "dateCreated": _now(),
                "activatedAt": None,
                "dateCancelled": None,
                "errorCode": None,
                "errorMessage": None,
            }
        prefix = self.base.removesuffix(PREFIX)
        headers = {"Location": f"{prefix}/recurring/merchant/v1/consents/{cid}"}
        if token:
            headers["PaymentRequestToken"] = secrets.token_hex(16)
            self.consents[cid]["token"] = headers["PaymentRequestToken"]
        return 201, None, headers

    def delete_consent(self, cid: str) -> tuple[int, Any, dict[str, str]]:
        with self.lock:
            obj = self.consents.get(cid)
            if obj is None:
                return 404, [], {}
            if obj["status"] in ("PENDING", "ACTIVE"):
                obj["status"] = "CANCELLED"
                obj["dateCancelled"] = _now()
        return 204, None, {}

    def create_recurring(self, pid: str, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        errors = []
        callback = str(body.get("callbackUrl") or "")
        if not (callback.startswith("https://") or (self.allow_http_callback and callback)):
            errors.append(_error("RP03", "Callback URL is missing or does not use HTTPS"))
        payee = body.get("payee")
        if not isinstance(payee, dict) or payee.get("alias") != self.merchant:
            errors.append(_error("ACMT07", "Payee not Enrolled"))
        amount = body.get("amount")
        value = amount.get("value") if isinstance(amount, dict) else None
        if value is None or not _AMOUNT.match(str(value)):
            errors.append(_error("PA02", "Amount value is missing or not a valid number"))
        if not isinstance(amount, dict) or amount.get("currency") != "SEK":
            errors.append(_error("AM03", "Invalid or missing Currency"))
        if not _MESSAGE.match(str(body.get("message") or "")):
            errors.append(_error("RP02", "Wrong formatted message"))
        consent = self.consents.get(str(body.get("consentId")))
        if consent is None or consent["status"] != "ACTIVE":
            errors.append(_error("RC01", "Consent is not active"))
        if errors:
            return 422, errors, {}
        assert consent is not None
        with self.lock:
            if pid in self.recurring:
                return 409, [], {}
            self.recurring[pid] = {
                "paymentId": pid,
                "consentId": consent["consentId"],
                "callbackUrl": callback,
                "payee": {"alias": self.merchant},
                "payer": {"alias": consent["payer"]["alias"]},
                "amount": {"value": str(value), "currency": "SEK"},
                "message": body.get("message"),
                "payeePaymentReference": body.get("payeePaymentReference"),
                "paymentReference": None,
                "status": "CREATED",
                "dateCreated": _now(),
                "datePaid": None,
                "errorCode": None,
                "errorMessage": None,
            }
        prefix = self.base.removesuffix(PREFIX)
        return 201, None, {"Location": f"{prefix}/recurring/merchant/v1/payments/single/{pid}"}

    # --- what the test decides -----------------------------------------------------------------

    def complete(self, pid: str, status: str, *, error_code: str | None = None) -> int:
        """Settle a payment request as Swish would, then post its callback; the app's status."""
        obj = self.payments[pid]
        obj["status"] = status
        if status == "PAID":
            obj["paymentReference"] = uuid.uuid4().hex.upper()
            obj["datePaid"] = _now()
        else:
            obj["errorCode"] = error_code
            obj["errorMessage"] = f"test outcome {status}" if error_code else None
        return self.notify(obj)

    def complete_refund(self, rid: str, status: str = "PAID") -> int:
        obj = self.refunds[rid]
        obj["status"] = status
        if status == "PAID":
            obj["paymentReference"] = uuid.uuid4().hex.upper()
            obj["datePaid"] = _now()
        return self.notify(obj)

    def consent_outcome(self, cid: str, status: str, *, error_code: str | None = None) -> int:
        """The donor answers in the app (ACTIVE, DECLINED), Swish fails (ERROR), or the donor
        ends an active consent in the app (CANCELLED); then Swish posts the callback."""
        obj = self.consents[cid]
        obj["status"] = status
        if status == "ACTIVE":
            obj["activatedAt"] = _now()
            if obj["payer"]["alias"] is None:
                obj["payer"]["alias"] = "46701234567"  # the app that scanned the QR code
        elif status == "CANCELLED":
            obj["dateCancelled"] = _now()
        else:
            obj["errorCode"] = error_code
            obj["errorMessage"] = f"test outcome {status}" if error_code else None
        return self.notify(obj)

    def charge_outcome(self, pid: str, status: str, *, error_code: str | None = None) -> int:
        obj = self.recurring[pid]
        obj["status"] = status
        if status == "PAID":
            obj["paymentReference"] = uuid.uuid4().hex.upper()
            obj["datePaid"] = _now()
        else:
            obj["errorCode"] = error_code
            obj["errorMessage"] = f"test outcome {status}" if error_code else None
        return self.notify(obj)

    def notify(self, obj: dict[str, Any], body: dict[str, Any] | None = None) -> int:
        """POST a callback (Swish's copy of ``obj``, or ``body``) to its callbackUrl."""
        payload = {k: v for k, v in (body or obj).items() if k != "token"}
        request = urllib.request.Request(
            obj["callbackUrl"],
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            exc.close()
            return int(exc.code)


def _handler(fake: FakeSwish) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _answer(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self) -> tuple[str, str] | None:
            match = re.fullmatch(
                rf"{PREFIX}/api/(v1|v2)/(paymentrequests|refunds)/([^/]+)", self.path
            )
            if match is None or not _ID.match(match[3]):
                return None
            return f"{match[1]}/{match[2]}", match[3]

        def _recurring(self) -> tuple[str, str, str] | None:
            match = re.fullmatch(
                r"/recurring/merchant/v1/(consents|payments/single)/([^/]+)(/token|/status)?",
                self.path,
            )
            if match is None or not _ID.match(match[2]):
                return None
            return match[1], match[2], match[3] or ""

        def do_POST(self) -> None:
            route = self._recurring()
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"null")
            except ValueError:
                body = None
            if route is None or route[2] == "/status":
                return self._answer(404)
            if not isinstance(body, dict):
                return self._answer(400, [_error("RP02", "Wrong formatted message")])
            if route[0] == "consents":
                return self._answer(*fake.create_consent(route[1], body, route[2] == "/token"))
            if route[2]:
                return self._answer(404)
            self._answer(*fake.create_recurring(route[1], body))

        def do_DELETE(self) -> None:
            route = self._recurring()
            if route is None or route[0] != "consents" or route[2]:
                return self._answer(404)
            self._answer(*fake.delete_consent(route[1]))

        def do_PUT(self) -> None:
            route = self._route()
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"null")
            except ValueError:
                body = None
            if route is None or route[0] not in ("v2/paymentrequests", "v2/refunds"):
                return self._answer(404)
            if not isinstance(body, dict):
                return self._answer(400, [_error("RP02", "Wrong formatted message")])
            create = fake.create_payment if route[0] == "v2/paymentrequests" else fake.create_refund
            self._answer(*create(route[1], body))

        def do_GET(self) -> None:
            recurring = self._recurring()
            if recurring is not None:
                fake.gets += 1
                if fake.fail_gets:
                    return self._answer(503, [])
                kind, rid, tail = recurring
                store = fake.consents if kind == "consents" else fake.recurring
                if tail != ("" if kind == "consents" else "/status") or rid not in store:
                    return self._answer(404, [])
                return self._answer(200, {k: v for k, v in store[rid].items() if k != "token"})
            route = self._route()
            fake.gets += 1
            if route is None or route[0] not in ("v1/paymentrequests", "v1/refunds"):
                return self._answer(404)
            if fake.fail_gets:
                return self._answer(503, [])
            store = fake.payments if route[0] == "v1/paymentrequests" else fake.refunds
            obj = store.get(route[1])
            if obj is None:
                return self._answer(404, [])
            self._answer(200, {k: v for k, v in obj.items() if k != "token"})

    return Handler
