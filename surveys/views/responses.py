"""Staff pages for browsing responses. Validate, call a selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from surveys.models import Band, ResponseAnalysis
from surveys.selectors.analysis import theme_names
from surveys.selectors.responses import ResponseFilters, response_filter_choices, response_get, response_list
from surveys.services.labels import response_flag_correct
from vocplatform.permissions import staff_required
from vocplatform.query_params import date_param, int_param

PAGE_SIZE = 50


def _filters(params: QueryDict) -> ResponseFilters:
    band = params.get("band", "")
    return ResponseFilters(
        survey=int_param(params.get("survey")),
        touchpoint=params.get("touchpoint", "").strip()[:80],
        date_from=date_param(params.get("from")),
        date_to=date_param(params.get("to")),
        segment=params.get("segment", "").strip()[:60],
        region=params.get("region", "").strip()[:60],
        owner=int_param(params.get("owner")),
        band=band if band in Band.values else "",
        q=params.get("q", "").strip()[:200],
        flag=params.get("flag", "") if params.get("flag") in {"negative", "not_negative"} else "",
        theme=params.get("theme", "").strip()[:80],
    )


@staff_required
def response_index(request: HttpRequest) -> HttpResponse:
    filters = _filters(request.GET)
    responses = response_list(viewer=request.user, filters=filters)
    page = Paginator(responses, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "surveys/response_list.html",
        {
            "page": page,
            "filters": filters,
            "choices": response_filter_choices(viewer=request.user),
            "bands": Band.choices,
            "themes": theme_names(),
            "query": query.urlencode(),
        },
    )


@staff_required
def response_detail(request: HttpRequest, pk: int) -> HttpResponse:
    response = response_get(viewer=request.user, pk=pk)
    return render(request, "surveys/response_detail.html", {"response": response})


@staff_required
@require_POST
def response_flag(request: HttpRequest, pk: int) -> HttpResponse:
    """A staff member corrects the negative flag; the correction is a training label."""
    response = response_get(viewer=request.user, pk=pk)
    if (
        request.POST.get("negative") not in {"0", "1"}
        or not ResponseAnalysis.objects.filter(response=response).exists()
    ):
        messages.error(request, _("Nothing to correct: choose negative or not negative on an analysed response."))
        return redirect("surveys:response_detail", pk=response.pk)
    negative = request.POST["negative"] == "1"
    response_flag_correct(response_id=response.pk, negative=negative, user=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Thank you: the flag is corrected and will teach the next model."))
    return redirect("surveys:response_detail", pk=response.pk)
