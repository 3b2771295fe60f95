from __future__ import annotations

from django.db import transaction

from surveys.models import Theme


@transaction.atomic
def theme_accept(*, name: str, keywords: list[str]) -> Theme:
    """Add a discovered topic to the taxonomy as a theme seeded with its top terms."""
    if not name or len(name) > 80:
        raise ValueError("Give the theme a name of at most 80 characters.")
    if not keywords:
        raise ValueError("A theme needs at least one keyword.")
    if Theme.objects.filter(name__iexact=name).exists():
        raise ValueError(f"A theme called “{name}” already exists.")
    return Theme.objects.create(
        name=name, keywords=keywords[:20], discovered=True, description="Found by topic discovery."
    )
