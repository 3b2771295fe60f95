from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from surveys.models import Response
from surveys.selectors.search import highlighted

register = template.Library()


@register.simple_tag
def comment_highlight(response: Response, query: str) -> SafeString:
    """The response's comment with the search words marked, escaped like any customer text."""
    return highlighted(response.comment, query, getattr(response, "headline", None))
