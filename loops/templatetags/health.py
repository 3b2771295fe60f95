"""How a health score is written beside its band."""

from __future__ import annotations

import math

from django import template

register = template.Library()


@register.filter
def score_figure(score: float | None) -> str:
    """The score in whole points, rounded down: the band comes from the exact score, and 49.7 is red,
    so it reads "49", never "50" (the first yellow point). Empty for no score."""
    return "" if score is None else str(math.floor(score))
