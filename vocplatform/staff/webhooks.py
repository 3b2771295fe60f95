"""Webhook subscriptions: create, edit, delete; the delivery log; resend one delivery; replay a time range."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from vocplatform.models import User
from vocplatform.permissions import admin_required
from vocplatform.staff.forms import ReplayForm, WebhookForm
from vocplatform.webhooks.delivery import deliveries_replay, delivery_resend
from vocplatform.webhooks.models import WebhookAllowedNetwork, WebhookAttempt, WebhookDelivery, WebhookSubscription
from vocplatform.webhooks.subscriptions import subscription_create, subscription_list, subscription_update

PAGE_SIZE = 50


def _secret_page(request: HttpRequest, subscription: WebhookSubscription, secret: str) -> HttpResponse:
    page = render(request, "vocplatform/webhook_secret.html", {"subscription": subscription, "secret": secret})
    page["Cache-Control"] = "no-store"  # the secret is on this page and nowhere else
    return page


@admin_required
def subscription_index(request: HttpRequest) -> HttpResponse:
    context = {"subscriptions": subscription_list(), "networks": WebhookAllowedNetwork.objects.all()}
    return render(request, "vocplatform/webhook_list.html", context)


@admin_required
@require_http_methods(["GET", "POST"])
def subscription_new(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        assert isinstance(request.user, User)
        data = form.cleaned_data
        subscription, secret = subscription_create(
            url=data["url"],
            event_types=data["event_types"],
            description=data["description"],
            active=data["active"],
            created_by=request.user,
        )
        return _secret_page(request, subscription, secret)
    return render(request, "vocplatform/webhook_form.html", {"form": form}, status=400 if form.errors else 200)


@admin_required
@require_http_methods(["GET", "POST"])
def subscription_edit(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    form = WebhookForm(request.POST or None, instance=subscription)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        secret = subscription_update(
            subscription_id=pk,
            url=data["url"],
            event_types=data["event_types"],
            description=data["description"],
            active=data["active"],
            rotate_secret=data.get("rotate_secret", False),
        )
        if secret:
            return _secret_page(request, subscription, secret)
        messages.success(request, _("The subscription is saved."))
        return redirect("integrations:webhook_list")
    context = {"form": form, "subscription": subscription}
    return render(request, "vocplatform/webhook_form.html", context, status=400 if form.errors else 200)


@admin_required
@require_http_methods(["GET", "POST"])
def subscription_delete(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    if request.method == "POST":
        subscription.delete()
        messages.success(request, _("The subscription and its delivery log are deleted."))
        return redirect("integrations:webhook_list")
    return render(request, "vocplatform/webhook_delete.html", {"subscription": subscription})


@admin_required
def delivery_index(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    deliveries = (
        WebhookDelivery.objects.filter(subscription=subscription)
        .select_related("event")
        .prefetch_related(Prefetch("log", queryset=WebhookAttempt.objects.order_by("number")))
        .order_by("-created_at", "-pk")
    )
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"subscription": subscription, "page": page, "replay": ReplayForm()}
    return render(request, "vocplatform/webhook_deliveries.html", context)


@admin_required
@require_POST
def delivery_resend_view(request: HttpRequest, delivery_id: str) -> HttpResponse:
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_id)
    if delivery_resend(delivery_id=str(delivery.pk)):
        messages.success(request, _("The delivery is being sent again, with the same delivery id."))
    else:
        messages.error(request, _("That delivery is being sent right now; try again in a moment."))
    return redirect("integrations:webhook_deliveries", pk=delivery.subscription_id)


@admin_required
@require_POST
def subscription_replay(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    form = ReplayForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("integrations:webhook_deliveries", pk=pk)
    count = deliveries_replay(
        subscription_id=subscription.pk, start=form.cleaned_data["start"], end=form.cleaned_data["end"]
    )
    messages.success(request, _("%(count)d event(s) are being sent again as new deliveries.") % {"count": count})
    return redirect("integrations:webhook_deliveries", pk=pk)
