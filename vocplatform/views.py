from __future__ import annotations

import sys
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import defaults

from surveys.models import Account, Contact
from vocplatform.middleware import database_unavailable_response
from vocplatform.models import Heartbeat
from vocplatform.permissions import staff_required
from vocplatform.visibility import visible


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page (handler500), except for a database failure outside a view: reading the signed-in
    user in a middleware, or saving the session after the view, during a failover gets the same 503
    with Retry-After as the failure inside a view. Django calls this inside the ``except`` block
    that caught the error, which is how the error is at hand."""
    error = sys.exc_info()[1]
    if error is not None and (unavailable := database_unavailable_response(request, error)):
        return unavailable
    return defaults.server_error(request)


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
