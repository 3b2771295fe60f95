"""Comment insights for staff: which terms stand out in a filtered set, and emerging topics."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import timezone

from surveys.models import Response, Theme
from surveys.selectors.responses import ResponseFilters, Viewer, response_list
from vocplatform.visibility import visible

if TYPE_CHECKING:
    from surveys.analytics.associations import TermAssociation

# Enough comments for stable counts, few enough to answer in well under a second.
MAX_COMMENTS = 4000


def _comments(responses: object) -> list[str]:
    rows = responses.exclude(comment="").order_by("-created_at").values_list("comment", flat=True)  # type: ignore[attr-defined]
    return list(rows[:MAX_COMMENTS])


@dataclass(frozen=True)
class TermReport:
    target_size: int
    other_size: int
    words: list[TermAssociation]
    phrases: list[TermAssociation]


def term_report(*, viewer: Viewer, filters: ResponseFilters, min_count: int = 3) -> TermReport:
    """Terms over-represented in the filtered comments against the viewer's other comments."""
    target_ids = response_list(viewer=viewer, filters=filters).values("pk")
    target = _comments(response_list(viewer=viewer, filters=filters))
    other = _comments(visible(Response.objects.all(), viewer, "account").exclude(pk__in=target_ids))
    from surveys.analytics.associations import term_associations  # NLTK: loaded on first use only

    found = term_associations(target, other, min_count=min_count, limit=80) if target and other else []
    return TermReport(
        target_size=len(target),
        other_size=len(other),
        words=[t for t in found if t.kind == "word"][:40],
        phrases=[t for t in found if t.kind == "phrase"][:40],
    )


@dataclass(frozen=True)
class TopicCandidate:
    terms: tuple[str, ...]
    size: int
    examples: list[str]
    known: bool


def topic_candidates(*, viewer: Viewer, days: int, topics: int, filters: ResponseFilters) -> list[TopicCandidate]:
    from surveys.analytics.discovery import discover_topics  # scikit-learn: loaded on first use only

    since = timezone.now() - dt.timedelta(days=days)
    texts = _comments(response_list(viewer=viewer, filters=filters).filter(created_at__gte=since))
    known_words = {word.lower() for theme in Theme.objects.all() for word in [theme.name, *theme.keywords]}
    return [
        TopicCandidate(
            terms=topic.terms,
            size=topic.size,
            examples=[texts[i] for i in topic.example_indices],
            known=bool(set(topic.terms[:3]) & known_words),
        )
        for topic in discover_topics(texts, topics)
    ]
