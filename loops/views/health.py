"""Account health and churn risk pages: the list by risk, and one account's explanation."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from loops.health.scoring import HealthScore, what_moved
from loops.selectors.health import BANDS, account_for_health, accounts_by_health
from loops.services.churn import churn_score
from loops.services.health import health_history, health_recompute, snapshot_date
from vocplatform.permissions import staff_required

PAGE_SIZE = 50


@staff_required
def health_index(request: HttpRequest) -> HttpResponse:
    band = request.GET.get("band", "")
    today = snapshot_date()
    page = Paginator(accounts_by_health(viewer=request.user, band=band, today=today), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "loops/health_list.html",
        {"page": page, "band": band if band in BANDS else "", "bands": BANDS, "query": urlencode({"band": band})},
    )


def _as_score(snapshot) -> HealthScore | None:  # type: ignore[no-untyped-def]
    from loops.health.scoring import ComponentValue

    if snapshot is None:
        return None
    return HealthScore(
        score=snapshot.score,
        band=snapshot.band,
        components=tuple(ComponentValue(**c) for c in snapshot.components),
        based_on=snapshot.based_on,
    )


@staff_required
def account_health(request: HttpRequest, pk: int) -> HttpResponse:
    account = account_for_health(viewer=request.user, pk=pk)
    latest, earlier = health_history(account_id=account.pk, today=snapshot_date())
    current, before = _as_score(latest), _as_score(earlier)
    risk = getattr(account, "churn_risk", None)
    context = {
        "account": account,
        "snapshot": latest,
        "earlier": earlier,
        "trend": None
        if not (latest and earlier and latest.score is not None and earlier.score is not None)
        else round(latest.score - earlier.score, 1),
        "moved": what_moved(current, before) if current and before else [],
        "risk": risk,
    }
    return render(request, "loops/account_health.html", context)


@staff_required
@require_POST
def account_health_recompute(request: HttpRequest, pk: int) -> HttpResponse:
    account = account_for_health(viewer=request.user, pk=pk)
    health_recompute(account_ids=[account.pk])
    churn_score(account_ids=[account.pk])
    messages.success(request, _("Health recomputed."))
    return redirect("loops:account_health", pk=account.pk)
