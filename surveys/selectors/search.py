"""Search over comments: PostgreSQL full-text search (English stemming, the GIN index of
migration 0006, highlighted matches); a plain case-insensitive word match elsewhere."""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Replace
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from surveys.models import Response

# Markers that cannot occur in a stored comment (control characters are removed on the way in),
# so the headline can be escaped as plain text and the markers turned into <mark> afterwards.
START, STOP = "\x02", "\x03"
# ts_headline drops anything shaped like an HTML tag; these stand in for < and > so the comment
# is shown exactly as typed (then escaped).
LT, GT = "\x04", "\x05"
MAX_QUERY = 200


def _words(query: str) -> list[str]:
    return [word for word in re.findall(r"\w+", query.lower()) if len(word) > 1][:10]


def comments_matching(responses: QuerySet[Response], query: str) -> QuerySet[Response]:
    query = query.strip()[:MAX_QUERY]
    if not query:
        return responses
    if connection.vendor == "postgresql":
        search = SearchQuery(query, search_type="websearch", config="english")
        # The same expression as the GIN index, so PostgreSQL can use it.
        vector = SearchVector("comment", config="english")
        return (
            responses.annotate(search=vector)
            .filter(search=search)
            .annotate(
                headline=SearchHeadline(
                    Replace(Replace("comment", Value("<"), Value(LT)), Value(">"), Value(GT)),
                    search,
                    config="english",
                    start_sel=START,
                    stop_sel=STOP,
                    max_words=40,
                    min_words=15,
                )
            )
        )
    words = _words(query)
    condition = Q()
    for word in words:
        condition &= Q(comment__icontains=word)
    return responses.filter(condition) if words else responses.none()


def highlighted(text: str, query: str, headline: str | None = None) -> SafeString:
    """The comment (or its headline) escaped, with the matched words wrapped in <mark>."""
    if headline is None:
        pattern = "|".join(re.escape(word) for word in _words(query))
        headline = re.sub(f"({pattern})", f"{START}\\1{STOP}", text, flags=re.IGNORECASE) if pattern else text
    typed = headline.replace(LT, "<").replace(GT, ">")
    safe = escape(typed).replace(START, "<mark>").replace(STOP, "</mark>")
    return mark_safe(safe)  # noqa: S308 - escaped above; only our own <mark> tags are added
