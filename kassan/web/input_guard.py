"""Input that no view should ever see, refused before any view runs, with a clear 4xx answer.

* JSON nested deeper than ``MAX_JSON_DEPTH`` levels (400): nothing Kassan takes is deeper
  than a few levels, and a thousand levels cost the parser and every schema on the way.
* Text holding a NUL character or a lone surrogate, in a JSON body, a form field or the query
  string (422, the field named): PostgreSQL refuses to store NUL in text, and no encoder can
  write a lone surrogate, so further in either ends as a server error.
* Integer ids in a URL beyond the database's integer range (404 by the router, through
  ``BoundedInt``): ``/api/v1/entries/99999999999999999999`` names nothing that can exist.
* Numbers in a JSON body that no column can hold (422, the field named): any integer beyond a
  64-bit one (an amount of 10^22 öre), and an id (a key ``id`` or ending ``_id``) beyond
  ``MAX_ID``.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import BadRequest, UnprocessableEntity
from werkzeug.routing import IntegerConverter

from ledger.text import unstorable

MAX_JSON_DEPTH = 64
# PostgreSQL's integer (the id columns' type); SQLite's is wider, so the smaller one rules.
MAX_ID = 2**31 - 1
MAX_BIGINT = 2**63 - 1  # amounts are bigint columns


class BoundedInt(IntegerConverter):
    """``<int:...>`` in every route: 0 .. ``MAX_ID``; anything larger matches no route (404)."""

    def __init__(
        self,
        url_map: Any,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        upper = MAX_ID if max is None else max
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=upper, signed=signed)


class JsonTooDeep(BadRequest):
    description = f"The JSON body is nested deeper than {MAX_JSON_DEPTH} levels."


class TextRefused(UnprocessableEntity):
    """A field's text holds a character no record can keep. ``data`` is what the API's error
    answer reads (``kassan.web.errors``); ``detail`` is the Swedish sentence a page shows."""

    def __init__(self, field: str) -> None:
        field = _printable(field)
        message = f"{field}: text with a NUL character or a lone surrogate cannot be stored"
        super().__init__(message)
        self.data = {"message": message, "errors": {"json": {field: [message]}}}
        self.detail = (
            f"Fältet {field} innehåller ett tecken som inte kan sparas (ett NUL-tecken eller "
            "ett ensamt surrogattecken). Skriv in texten igen."
        )


class NumberRefused(UnprocessableEntity):
    """A number no column can hold; ``data`` for the API's answer, ``detail`` for a page."""

    def __init__(self, field: str) -> None:
        field = _printable(field)
        message = f"{field}: the number is out of range"
        super().__init__(message)
        self.data = {"message": message, "errors": {"json": {field: [message]}}}
        self.detail = f"Fältet {field}: talet är för stort."


def init_app(app: Flask) -> None:
    """Register the converter (before any route is added) and the check of every request."""
    app.url_map.converters["int"] = BoundedInt
    app.before_request(check_request)


# Signed by Stripe: the endpoint keeps a signed body it cannot book as a failed event with the
# reason (webhooks.stripe.inbox), so only the depth is checked here.
SIGNED_BODIES = frozenset({"/webhooks/stripe"})


def check_request() -> None:
    if request.is_json:
        raw = request.get_data(cache=True)
        if json_depth(raw) > MAX_JSON_DEPTH:
            raise JsonTooDeep()
        if request.path in SIGNED_BODIES:
            return
        try:
            body = json.loads(raw)
        except ValueError:
            return  # not JSON at all: the view's own parser answers that, as before
        field = bad_text_path(body)
        if field is not None:
            raise TextRefused(field)
        field = out_of_range_path(body)
        if field is not None:
            raise NumberRefused(field)
    for source in (request.args, request.form):
        for key, values in source.lists():
            if unstorable(key) or any(unstorable(value) for value in values):
                raise TextRefused(key)
    for key, upload in request.files.items(multi=True):
        if unstorable(key) or unstorable(upload.filename or ""):
            raise TextRefused(key)


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text, read without parsing it (a
    parser would recurse as deep as the text goes)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def _printable(text: str) -> str:
    """A field name fit to show and to encode: unprintable characters as "?"."""
    return "".join(ch if ch.isprintable() and not unstorable(ch) else "?" for ch in text)


def bad_text_path(value: Any, path: str = "") -> str | None:
    """The path (``lines[1].text``) of the first key or string that cannot be stored."""
    if isinstance(value, str):
        return (path or "body") if unstorable(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if unstorable(str(key)):
                return here
            found = bad_text_path(item, here)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = bad_text_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def out_of_range_path(value: Any, path: str = "", key: str = "") -> str | None:
    """The path of the first integer too large for its column (see the module's docstring)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        is_id = key == "id" or key.endswith("_id")
        limit = MAX_ID if is_id else MAX_BIGINT
        return (path or "body") if not -limit - 1 <= value <= limit else None
    if isinstance(value, dict):
        for name, item in value.items():
            found = out_of_range_path(item, f"{path}.{name}" if path else str(name), str(name))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = out_of_range_path(item, f"{path}[{index}]", key)
            if found is not None:
                return found
    return None
