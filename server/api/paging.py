"""Keyset paging: newest first, with an opaque cursor naming the last row of a page."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_

from server.api.errors import ApiError

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def encode_cursor(created_at: datetime, row_id: str) -> str:
    """Returns the opaque cursor of a row (its creation time and id)."""
    raw = json.dumps([created_at.isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Reads a cursor made by `encode_cursor`.

    Raises:
        ApiError: 400 for a cursor this API did not make.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, row_id = json.loads(raw)
        parsed = datetime.fromisoformat(created_at)
        if parsed.tzinfo is None or not isinstance(row_id, str):
            raise ValueError(cursor)
        return parsed, row_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ApiError(
            400,
            "invalid_cursor",
            "The `cursor` parameter is not a cursor from a previous page's `next`. "
            f"Received: cursor={cursor!r}",
            {"cursor": cursor},
        ) from None


def paginate(query: Select, model: Any, cursor: str | None, limit: int) -> Select:
    """Orders `query` newest first and restricts it to the page after `cursor` (limit + 1 rows).

    The extra row tells whether there is a next page (see `page_of`).
    """
    if cursor:
        created_at, row_id = decode_cursor(cursor)
        query = query.where(
            or_(
                model.created_at < created_at,
                and_(model.created_at == created_at, model.id < row_id),
            )
        )
    return query.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)


def page_of(rows: list[Any], limit: int) -> tuple[list[Any], str | None]:
    """Splits `limit + 1` fetched rows into the page and the cursor of the next one."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].created_at, rows[-1].id)
