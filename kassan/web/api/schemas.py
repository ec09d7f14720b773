"""The JSON API's request and response shapes (marshmallow), documented in its OpenAPI file.

Amounts are whole öre and strictly JSON integers: ``100.0``, ``"100"`` and ``true`` are refused
by the schema before the ledger sees them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from kassan.web.input_guard import MAX_ID
from ledger.chart import BANK, SERIES
from ledger.entries import MAX_LINES, MAX_ORE, Draft, LineDraft

# API entries carry their own source kind, and a client's idempotency key is kept under it,
# so a client key can never take the place of a Stripe event or bank line booked later.
API_SOURCE_KIND = "api"

_ACCOUNT = validate.Regexp(r"^\d{4}$", error="account must be a four-digit BAS account")
_CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error="currency must be an ISO 4217 code")
_ORE = validate.Range(min=0, max=MAX_ORE)


def api_source_key(client_key: str) -> str:
    return f"{API_SOURCE_KIND}:{client_key}"


# --- requests -----------------------------------------------------------------------------


class NewLineSchema(Schema):
    account = fields.String(required=True, validate=_ACCOUNT, metadata={"example": BANK})
    debit_ore = fields.Integer(strict=True, load_default=0, validate=_ORE)
    credit_ore = fields.Integer(strict=True, load_default=0, validate=_ORE)
    currency = fields.String(load_default="SEK", validate=_CURRENCY)
    network = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=60),
        metadata={"description": "network slug (the SIE project)", "example": "palestina"},
    )
    contributor = fields.Integer(
        strict=True, load_default=None, allow_none=True, validate=validate.Range(min=1)
    )


class NewEntrySchema(Schema):
    date = fields.Date(required=True, metadata={"description": "accounting date"})
    text = fields.String(required=True, validate=validate.Length(min=1, max=500))
    series = fields.String(load_default="M", validate=validate.OneOf(list(SERIES)))
    source_key = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=200 - len(API_SOURCE_KIND) - 1),
        metadata={
            "description": "idempotency key: a retry with the same key returns the entry "
            "booked the first time (200); stored as 'api:<key>'"
        },
    )
    lines = fields.List(
        fields.Nested(NewLineSchema), required=True, validate=validate.Length(min=2, max=MAX_LINES)
    )

    @post_load
    def to_draft(self, data: dict[str, Any], **_: Any) -> Draft:
        key = data["source_key"]
        return Draft(
            date=data["date"],
            text=data["text"],
            series=data["series"],
            source_kind=API_SOURCE_KIND,
            source_key=api_source_key(key) if key is not None else None,
            lines=tuple(
                LineDraft(
                    account=ln["account"],
                    debit_ore=ln["debit_ore"],
                    credit_ore=ln["credit_ore"],
                    currency=ln["currency"],
                    network=ln["network"],
                    contributor_id=ln["contributor"],
                )
                for ln in data["lines"]
            ),
        )


class ReversalSchema(Schema):
    date = fields.Date(load_default=None, metadata={"description": "default: today"})
    text = fields.String(load_default=None, validate=validate.Length(min=1, max=500))


class EntryQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_ID))
    page_size = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1),
        metadata={"description": "default 50, at most API_PAGE_SIZE_MAX (500)"},
    )
    date_from = fields.Date(load_default=None)
    date_to = fields.Date(load_default=None)
    account = fields.String(load_default=None, validate=_ACCOUNT)
    network = fields.String(load_default=None, metadata={"description": "network slug"})
    series = fields.String(load_default=None, validate=validate.OneOf(list(SERIES)))

    @validates_schema
    def _dates_in_order(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("date_from"), data.get("date_to")
        if start is not None and end is not None and start > end:
            raise ValidationError("date_to is before date_from", "date_to")


class TrialBalanceQuerySchema(Schema):
    year = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1900, max=9999),
        metadata={"description": "one fiscal year; default all years"},
    )


# --- responses ----------------------------------------------------------------------------
# Response schemas dump the service records themselves (attribute access, ``attribute=`` for a
# renamed or dotted one), so no hand-written dict stands between a record and its schema.


_F = TypeVar("_F", bound=fields.Field)


def computed(field: _F, value: Callable[[Any], Any]) -> _F:
    """``field`` as documented, its value worked out from the whole record (``value(record)``)
    where no one attribute holds it; unlike ``fields.Function`` the document keeps its type."""

    def get_value(obj: Any, attr: str, accessor: Any = None, default: Any = None) -> Any:
        return value(obj)

    field.get_value = get_value  # type: ignore[method-assign]
    return field


class LineSchema(Schema):
    line_no = fields.Integer()
    account = fields.String()
    debit_ore = fields.Integer()
    credit_ore = fields.Integer()
    currency = fields.String()
    network = fields.String(allow_none=True)
    contributor = fields.Integer(allow_none=True)


class EntrySchema(Schema):
    id = fields.Integer()
    series = fields.String()
    number = fields.Integer()
    voucher = fields.String(metadata={"example": "M12"})
    fiscal_year = fields.Integer()
    date = fields.Date()
    text = fields.String()
    source_kind = fields.String()
    source_key = fields.String()
    reverses_id = fields.Integer(allow_none=True)
    reversed_by_id = fields.Integer(allow_none=True)
    prev_hash = fields.String()
    hash = fields.String()
    lines = fields.List(fields.Nested(LineSchema))


class PaginationSchema(Schema):
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer(metadata={"description": "entries matching the filters"})
    total_pages = fields.Integer()


class EntryPageSchema(Schema):
    items = fields.List(fields.Nested(EntrySchema))
    pagination = fields.Nested(PaginationSchema)


class AccountSchema(Schema):
    code = fields.String()
    name = fields.String()
    type = fields.String()
    normal_side = fields.String()


class TrialBalanceAccountSchema(Schema):
    account = fields.String()
    name = fields.String()
    debit_ore = fields.Integer()
    credit_ore = fields.Integer()
    balance_ore = fields.Integer()


class TrialBalanceTotalsSchema(Schema):
    debit_ore = fields.Integer()
    credit_ore = fields.Integer()


class TrialBalanceSchema(Schema):
    year = fields.Integer(allow_none=True)
    accounts = fields.List(fields.Nested(TrialBalanceAccountSchema))
    totals = fields.Nested(TrialBalanceTotalsSchema)


class ErrorDetailSchema(Schema):
    status = fields.Integer()
    code = fields.String(
        metadata={"description": "LedgerError class, ValidationError, or the HTTP error name"}
    )
    message = fields.String()
    field = fields.String(
        allow_none=True, metadata={"description": "first offending field, e.g. lines[0].debit_ore"}
    )
    all_fields = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "every offending field with its messages"},
    )


class ErrorSchema(Schema):
    """Every API error (see ``kassan.web.errors``)."""

    error = fields.Nested(ErrorDetailSchema)
