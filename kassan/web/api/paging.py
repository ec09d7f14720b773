"""One page of a list answer: the size a client asked for (within ``API_PAGE_SIZE_MAX``),
the offset it means, and the ``{"items", "pagination"}`` body every list endpoint returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import ceil
from typing import Any

from flask import current_app
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from kassan.web.database import get_engine
from kassan.web.input_guard import MAX_ID

DEFAULT_PAGE_SIZE = 50


class PageQuerySchema(Schema):
    """``?page=&page_size=``: the query of every list endpoint; subclasses add their filters."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_ID))
    page_size = fields.Integer(load_default=None, validate=validate.Range(min=1))


class ContributorPageQuerySchema(PageQuerySchema):
    """A page of a list that can be narrowed to one contributor (``?contributor=<id>``)."""

    contributor = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))


@dataclass(frozen=True, slots=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    def body(self, items: list[Any], total: int) -> dict[str, Any]:
        return {
            "items": items,
            "pagination": {
                "page": self.number,
                "page_size": self.size,
                "total": total,
                "total_pages": ceil(total / self.size),
            },
        }


def requested(args: dict[str, Any]) -> Page:
    """The page in a query's ``page`` and ``page_size``; 422 when the size is over the limit."""
    size_max: int = current_app.config["API_PAGE_SIZE_MAX"]
    size: int = args["page_size"] or min(DEFAULT_PAGE_SIZE, size_max)
    if size > size_max:
        abort(422, messages={"query": {"page_size": [f"page_size is at most {size_max}"]}})
    return Page(args["page"], size)


def contributor_page(
    args: dict[str, Any], list_items: Callable[..., tuple[list[Any], int]], **filters: Any
) -> dict[str, Any]:
    """The GET of a list narrowed by ``?contributor=``: ``list_items(conn, contributor_id=,
    limit=, offset=, **filters)`` read for the requested page, as its body."""
    page = requested(args)
    with get_engine(current_app).connect() as conn:
        items, total = list_items(
            conn,
            contributor_id=args["contributor"],
            limit=page.size,
            offset=page.offset,
            **filters,
        )
    return page.body(items, total)
