from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from surveys.models import Account, Contact
from vocplatform.models import Heartbeat
from vocplatform.permissions import staff_required
from vocplatform.visibility import visible


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    accounts = visible(Account.objects.all(), request.user).aggregate(
        total=Count("pk"),
        no_owner=Count("pk", filter=Q(owner__isnull=True)),
        churned=Count("pk", filter=Q(outcome=Account.Outcome.CHURNED)),
    )
    contacts = visible(Contact.objects.all(), request.user, "account").count()
    return render(request, "home.html", {"accounts": accounts, "contacts": contacts})


@staff_required
def status(request: HttpRequest) -> HttpResponse:
    """Whether the background worker and the scheduler are alive, from their last heartbeat."""
    stale_after = timedelta(seconds=settings.HEARTBEAT_SECONDS * 3)
    now = timezone.now()
    beats = {beat.name: beat for beat in Heartbeat.objects.all()}
    processes = [
        {
            "name": name,
            "label": label,
            "beat": beats.get(name),
            "alive": name in beats and now - beats[name].last_seen < stale_after,
        }
        for name, label in (("worker", "Celery worker"), ("beat", "Celery beat (scheduler)"))
    ]
    return render(
        request, "status.html", {"processes": processes, "broker": settings.CELERY_BROKER_URL.split("://")[0]}
    )
