"""API keys: create (the key is shown once, on the page that answers the form), list, revoke."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from vocplatform.apikeys import apikey_create, apikey_list, apikey_revoke
from vocplatform.models import ApiKey, User
from vocplatform.permissions import admin_required
from vocplatform.staff.forms import ApiKeyForm

PAGE_SIZE = 50


@admin_required
def apikey_index(request: HttpRequest) -> HttpResponse:
    page = Paginator(apikey_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "vocplatform/apikey_list.html", {"page": page, "now": timezone.now()})


@admin_required
@require_http_methods(["GET", "POST"])
def apikey_new(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        assert isinstance(request.user, User)
        created = apikey_create(
            name=form.cleaned_data["name"],
            user=form.cleaned_data["user"],
            scopes=form.cleaned_data["scopes"],
            expires_at=form.expires_at(),
            created_by=request.user,
        )
        page = render(request, "vocplatform/apikey_created.html", {"api_key": created.api_key, "key": created.key})
        page["Cache-Control"] = "no-store"  # the key is on this page and nowhere else
        return page
    return render(request, "vocplatform/apikey_form.html", {"form": form}, status=400 if form.errors else 200)


@admin_required
@require_POST
def apikey_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    api_key = get_object_or_404(ApiKey, pk=pk)
    assert isinstance(request.user, User)
    if apikey_revoke(api_key_id=api_key.pk, actor=request.user):
        messages.success(request, _("The key “%(name)s” is revoked.") % {"name": api_key.name})
    return redirect("integrations:apikey_list")
