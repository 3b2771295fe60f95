from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from surveys.models import Theme


@transaction.atomic
def theme_accept(*, name: str, keywords: list[str]) -> Theme:
    """Add a discovered topic to the taxonomy as a theme seeded with its top terms.

    Raises ValueError with a message for the admin; the theme obeys the taxonomy admin's rules.
    """
    if not name or len(name) > 80:
        raise ValueError("Give the theme a name of at most 80 characters.")
    if not keywords:
        raise ValueError("A theme needs at least one keyword.")
    theme = Theme(name=name, keywords=keywords[:20], discovered=True, description="Found by topic discovery.")
    try:
        theme.full_clean()
    except ValidationError as error:
        raise ValueError(" ".join(error.messages)) from error
    theme.save()
    return theme
