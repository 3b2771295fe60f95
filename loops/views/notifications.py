"""The person's notifications and how they want them delivered; the policy-override log for review."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from loops.forms import DeliveryForm
from loops.models import NotificationSettings, PolicyOverride
from loops.selectors.cases import notifications_for, overrides_to_review
from loops.services.notifications import delivery_for, notifications_mark_read
from vocplatform.models import User
from vocplatform.permissions import staff_required
from vocplatform.query_params import int_param

PAGE_SIZE = 50


@staff_required
def notification_index(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if request.method == "POST":
        form = DeliveryForm(request.POST)
        if form.is_valid():
            NotificationSettings.objects.update_or_create(user=user, defaults=form.cleaned_data)
            messages.success(request, _("Delivery preference saved."))
            return redirect("loops:notification_list")
    else:
        form = DeliveryForm(initial={"delivery": delivery_for(user)})
    page = Paginator(notifications_for(user=user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "loops/notification_list.html", {"page": page, "form": form})


@staff_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    ids = [pk for value in request.POST.getlist("id") if (pk := int_param(value)) is not None]
    notifications_mark_read(user=user, ids=ids or None)
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return HttpResponseRedirect(target if safe and target.startswith("/") else reverse("loops:notification_list"))


def _reviewer(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not (user.is_supervisor or user.is_cx_admin):
        raise Http404
    return user


@staff_required
def override_index(request: HttpRequest) -> HttpResponse:
    user = _reviewer(request)
    reviewed = request.GET.get("reviewed") == "1"
    page = Paginator(overrides_to_review(viewer=user, reviewed=reviewed), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "loops/override_list.html", {"page": page, "reviewed": reviewed, "query": f"reviewed={int(reviewed)}"}
    )


@staff_required
@require_POST
def override_review(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reviewer(request)
    override = overrides_to_review(viewer=user).filter(pk=pk).first()
    if override is None:
        raise Http404
    PolicyOverride.objects.filter(pk=override.pk, reviewed_at__isnull=True).update(
        reviewed_by=user, reviewed_at=timezone.now()
    )
    messages.success(request, _("Marked as reviewed."))
    return redirect("loops:override_list")
