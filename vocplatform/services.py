from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from vocplatform.models import Heartbeat


def heartbeat_record(*, name: str) -> None:
    now = timezone.now()
    updated = Heartbeat.objects.filter(name=name).update(last_seen=now, beats=F("beats") + 1)
    if not updated:
        Heartbeat.objects.get_or_create(name=name, defaults={"last_seen": now, "beats": 1})
