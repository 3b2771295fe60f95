"""Cursor pagination for every list endpoint: stable under inserts, no COUNT(*) on big tables."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor as CursorPosition
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

MAX_ID = 2**63 - 1  # the largest id either database stores


class Cursor(CursorPagination):
    """Newest first by default; a view names another order with `cursor_ordering`."""

    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> tuple[str, ...]:
        ordering = getattr(view, "cursor_ordering", self.ordering)
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)

    def decode_cursor(self, request: Request) -> CursorPosition | None:
        """DRF's reading, and the position must be an id (every list here is ordered by id): a
        hand-made cursor with another position is the same "Invalid cursor" as a garbled one."""
        cursor = super().decode_cursor(request)
        position = str(cursor.position) if cursor and cursor.position is not None else None
        if position is not None and not (position.isascii() and position.isdigit() and int(position) <= MAX_ID):
            raise NotFound(self.invalid_cursor_message)
        return cursor
