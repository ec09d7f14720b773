"""The one place Kassan talks to Swish from: the Swish Commerce API over mutual TLS.

Every call presents our client certificate (``SWISH_CERT`` + ``SWISH_KEY``, PEM) and trusts
only Swish's CA (``SWISH_CA``) for the server, with a connect and a read timeout. The shapes
are Swish's own (Commerce API v2 for creating, v1 for reading back)::

    PUT /api/v2/paymentrequests/{instructionUUID}  -> 201, Location; PaymentRequestToken
                                                      (m-commerce, no payerAlias)
    GET /api/v1/paymentrequests/{id}               -> 200, the payment request with status
    PUT /api/v2/refunds/{instructionUUID}          -> 201, Location
    GET /api/v1/refunds/{id}                       -> 200, the refund with status

and the Recurring payments API v1, on the same host without ``/swish-cpcapi``
(``SWISH_RECURRING_API_BASE`` when it lives elsewhere)::

    POST   /recurring/merchant/v1/consents/{id}          -> 201 (e-commerce: payer.alias given)
    POST   /recurring/merchant/v1/consents/{id}/token    -> 201, PaymentRequestToken (m-commerce)
    GET    /recurring/merchant/v1/consents/{id}          -> 200, the consent with status
    DELETE /recurring/merchant/v1/consents/{id}          -> 204, the merchant ends the consent
    POST   /recurring/merchant/v1/payments/single/{id}   -> 201, a payment against a consent
    GET    /recurring/merchant/v1/payments/single/{id}/status -> 200, the payment with status

A refusal is a 4xx with a list ``[{"errorCode": "BE18", "errorMessage": "..."}]``; it becomes
``SwishRefused`` carrying the codes. Anything that says nothing about the request itself (a
timeout, a TLS failure, a 5xx) is ``SwishUnavailable``: the caller may try again.

``SWISH_API_BASE`` is the part before ``/api`` (``https://cpc.getswish.net/swish-cpcapi`` in
production, ``https://mss.cpc.getswish.net/swish-cpcapi`` for Swish's test system, the tests'
own HTTPS server in the tests).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from ledger.errors import LedgerError
from webhooks.errors import SwishNotConfigured, SwishNotFound, SwishRefused, SwishUnavailable

DEFAULT_API_BASE = "https://cpc.getswish.net/swish-cpcapi"
_COMMERCE_SUFFIX = "/swish-cpcapi"
TIMEOUT = (5.0, 20.0)  # seconds: connect, read
INSTRUCTION_ID = re.compile(r"^[0-9A-F]{32}$")
MERCHANT_NUMBER = re.compile(r"^123\d{7}$")


@dataclass(frozen=True, slots=True)
class Created:
    id: str  # the last path segment of Location: the id Swish reads it back by
    location: str
    token: str | None  # PaymentRequestToken, m-commerce only


@dataclass(frozen=True, slots=True)
class Settings:
    base: str
    merchant_number: str
    cert: str
    key: str
    ca: str
    recurring_base: str = ""

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        number = str(config.get("SWISH_MERCHANT_NUMBER") or "")
        if not MERCHANT_NUMBER.match(number):
            raise SwishNotConfigured(
                "SWISH_MERCHANT_NUMBER must be the merchant's Swish number (10 digits, 123...)",
                "SWISH_MERCHANT_NUMBER",
            )
        paths = {}
        for name in ("SWISH_CERT", "SWISH_KEY", "SWISH_CA"):
            value = config.get(name)
            if not value:
                raise SwishNotConfigured(f"{name} is not set", name)
            paths[name] = str(value)
        base = str(config.get("SWISH_API_BASE") or DEFAULT_API_BASE).rstrip("/")
        recurring = str(config.get("SWISH_RECURRING_API_BASE") or "").rstrip("/")
        if not recurring:
            recurring = base.removesuffix(_COMMERCE_SUFFIX)
        return cls(
            base=base,
            recurring_base=recurring,
            merchant_number=number,
            cert=paths["SWISH_CERT"],
            key=paths["SWISH_KEY"],
            ca=paths["SWISH_CA"],
        )


class SwishClient:
    """Swish's calls, over one ``requests`` session with our certificate."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._session = requests.Session()
        self._session.headers["Accept"] = "application/json"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> SwishClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the API ------------------------------------------------------------------------------

    def create_payment_request(self, instruction_id: str, body: Mapping[str, Any]) -> Created:
        return self._create(f"/api/v2/paymentrequests/{_checked(instruction_id)}", body)

    def payment_request(self, payment_id: str) -> dict[str, Any]:
        return self._get(f"/api/v1/paymentrequests/{_checked(payment_id)}")

    def create_refund(self, instruction_id: str, body: Mapping[str, Any]) -> Created:
        return self._create(f"/api/v2/refunds/{_checked(instruction_id)}", body)

    def refund(self, refund_id: str) -> dict[str, Any]:
        return self._get(f"/api/v1/refunds/{_checked(refund_id)}")

    # --- recurring payments --------------------------------------------------------------------

    def create_consent(self, consent_id: str, body: Mapping[str, Any], *, token: bool) -> Created:
        """E-commerce (``token=False``: the payer's alias is in ``body``) or m-commerce (the
        answer's PaymentRequestToken opens the app on this phone or goes into a QR code)."""
        path = f"/recurring/merchant/v1/consents/{_checked(consent_id)}" + (
            "/token" if token else ""
        )
        return self._create(path, body, method="POST", recurring=True, expect_id=consent_id)

    def consent(self, consent_id: str) -> dict[str, Any]:
        return self._get(f"/recurring/merchant/v1/consents/{_checked(consent_id)}", recurring=True)

    def cancel_consent(self, consent_id: str) -> None:
        """The merchant ends the consent (the donor's stop link). 404: Swish has no such
        consent (``SwishNotFound``); any other 4xx: ``SwishRefused``."""
        path = f"/recurring/merchant/v1/consents/{_checked(consent_id)}"
        response = self._send("DELETE", path, recurring=True)
        if response.status_code == 404:
            raise SwishNotFound(f"Swish has no {path}")
        if response.status_code not in (200, 204):
            raise SwishRefused(response.status_code, _errors(response))

    def create_recurring_payment(self, payment_id: str, body: Mapping[str, Any]) -> Created:
        path = f"/recurring/merchant/v1/payments/single/{_checked(payment_id)}"
        return self._create(path, body, method="POST", recurring=True, expect_id=payment_id)

    def recurring_payment(self, payment_id: str) -> dict[str, Any]:
        path = f"/recurring/merchant/v1/payments/single/{_checked(payment_id)}/status"
        return self._get(path, recurring=True)

    # --- HTTP ---------------------------------------------------------------------------------

    def _send(
        self, method: str, path: str, *, recurring: bool = False, **kwargs: Any
    ) -> requests.Response:
        url = (self.settings.recurring_base if recurring else self.settings.base) + path
        try:
            # cert and verify per request: a session's ``verify`` loses to REQUESTS_CA_BUNDLE
            # in the environment, and only Swish's CA may vouch for Swish.
            response = self._session.request(
                method,
                url,
                timeout=TIMEOUT,
                cert=(self.settings.cert, self.settings.key),
                verify=self.settings.ca,
                **kwargs,
            )
        except requests.RequestException as exc:
            # TLS refused, connection refused, timeout: Swish may or may not have acted.
            raise SwishUnavailable(f"Swish could not be reached ({method} {path}): {exc}") from exc
        if response.status_code >= 500:
            raise SwishUnavailable(f"Swish answered {response.status_code} to {method} {path}")
        return response

    def _create(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        method: str = "PUT",
        recurring: bool = False,
        expect_id: str | None = None,
    ) -> Created:
        response = self._send(method, path, recurring=recurring, json=dict(body))
        if response.status_code != 201:
            raise SwishRefused(response.status_code, _errors(response))
        location = response.headers.get("Location", "")
        created_id = location.rstrip("/").rsplit("/", 1)[-1]
        if expect_id is not None and not created_id:
            created_id = expect_id  # the recurring API may answer without a Location
        if not INSTRUCTION_ID.match(created_id):
            raise SwishUnavailable(f"Swish's Location header is not a request's: {location!r}")
        return Created(
            id=created_id, location=location, token=response.headers.get("PaymentRequestToken")
        )

    def _get(self, path: str, *, recurring: bool = False) -> dict[str, Any]:
        response = self._send("GET", path, recurring=recurring)
        if response.status_code == 404:
            raise SwishNotFound(f"Swish has no {path}")
        if response.status_code != 200:
            raise SwishRefused(response.status_code, _errors(response))
        try:
            data = response.json()
        except ValueError as exc:
            raise SwishUnavailable(f"Swish's answer to GET {path} is not JSON") from exc
        if not isinstance(data, dict):
            raise SwishUnavailable(f"Swish's answer to GET {path} is not an object")
        return data


def _checked(instruction_id: str) -> str:
    if not INSTRUCTION_ID.match(instruction_id):
        raise LedgerError("a Swish id is 32 upper-case hexadecimal digits", "instruction_id")
    return instruction_id


def _errors(response: requests.Response) -> list[dict[str, Any]]:
    try:
        data = response.json()
    except ValueError:
        return []
    if isinstance(data, list):
        return [e for e in data if isinstance(e, dict)]
    return [data] if isinstance(data, dict) else []


def client(config: Mapping[str, Any]) -> SwishClient:
    """A client for the app's configuration (``app.config``)."""
    return SwishClient(Settings.from_config(config))
