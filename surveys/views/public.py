"""Public survey pages, reached from an email link: no login, no JavaScript needed.

The token in the URL is the only key. An unknown, tampered or foreign token gets the
same 404 body on every page. Every page is sent with Referrer-Policy: no-referrer and
Cache-Control: no-store, so the token leaks neither to other sites nor into caches.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import zoneinfo
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.utils.decorators import decorator_from_middleware
from django.utils.log import log_response
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from surveys.forms.response import ResponseForm, initial_from
from surveys.models import Invitation, Response
from surveys.selectors.questions import survey_questions
from surveys.services.invitations import contact_opt_out, invitation_mark_opened
from surveys.services.responses import (
    Access,
    AnswerInvalid,
    invitation_for_token,
    response_record_score,
    response_submit,
)
from vocplatform.throttling import throttle_misses_per_ip, throttle_per_ip

View = Callable[..., HttpResponseBase]
logger = logging.getLogger("django.security.csrf")

# fullmatch with ASCII digits only: "٩", "9.5", "-1" and "09 " are not scores (\d would accept "٩").
SCORE_PARAM = re.compile(r"[0-9]{1,2}")
BAD_SCORE = "That score is not on the scale. Please choose one below."


class _NullOriginCsrf(CsrfViewMiddleware):
    """Django's CSRF check (cookie and form token must match), accepting ``Origin: null``.

    The survey page is served with Referrer-Policy: no-referrer, and under that policy
    browsers send its form's POST with ``Origin: null`` and no Referer (Fetch standard,
    "serializing a request origin"), which Django's origin check refuses as foreign.
    The token check still proves the POST came from a page we served; and a cross-site
    attacker would need the survey link's own secret token to reach this view at all.
    """

    def _origin_verified(self, request: HttpRequest) -> bool:
        # _origin_verified is Django's (5.2) own hook, missing from django-stubs.
        return request.META.get("HTTP_ORIGIN") == "null" or super()._origin_verified(request)  # type: ignore[misc]

    def _reject(self, request: HttpRequest, reason: str) -> HttpResponse:
        # Django's own failure page speaks to developers; a customer gets one they can act on.
        response = render(request, "surveys/public/expired_form.html", status=403)
        log_response("Forbidden (%s): %s", reason, request.path, response=response, request=request, logger=logger)
        return response


_survey_csrf_protect = decorator_from_middleware(_NullOriginCsrf)


def _private(view: View) -> View:
    """Headers for a page whose URL holds the token."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        response["Cache-Control"] = "no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


def _refusal(request: HttpRequest, access: Access, token: str = "") -> HttpResponse:
    if access in (Access.UNKNOWN, Access.EXPIRED):
        # Nothing from the request in this page: a forged, foreign or expired token gets the same
        # bytes after the same one lookup, so guessing links learns nothing from the answer.
        return render(request, "surveys/public/not_found.html", status=404)
    # A closed survey: the link was real, and the customer is told why nothing can change now.
    return render(request, "surveys/public/gone.html", {"token": token}, status=410)


def _stored(invitation: Invitation) -> Response | None:
    return Response.objects.filter(invitation=invitation).prefetch_related("answers").first()


def _record_link_score(invitation: Invitation, raw: str) -> tuple[str | None, int | None]:
    """Record the one-click score from the email. Returns an error message, and the score when it
    was not recorded because the customer had already sent the form with another one."""
    if not SCORE_PARAM.fullmatch(raw):
        return BAD_SCORE, None
    score = int(raw)
    if Response.objects.filter(invitation=invitation, score=score).exists():
        return None, None  # a reload, or the same button in a reminder: nothing new to record
    try:
        response = response_record_score(invitation=invitation, score=score)
    except AnswerInvalid as refused:
        return next(iter(refused.errors.values()), BAD_SCORE), None
    return None, (score if response.score != score else None)


def _closing_day(invitation: Invitation) -> dt.date | None:
    """The day the survey closes on the customer's calendar (the contact's time zone)."""
    closes_at = invitation.survey.closes_at
    if closes_at is None:
        return None
    try:
        zone = zoneinfo.ZoneInfo(invitation.contact.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return closes_at.astimezone(zone).date()


def _page(
    request: HttpRequest, token: str, invitation: Invitation, form: ResponseForm, stored: Response | None, **extra: Any
) -> HttpResponse:
    items = form.items()
    context = {
        "survey": invitation.survey,
        "closes_on": _closing_day(invitation),
        "token": token,
        "form": form,
        "items": items,
        "summary": form.summary(items),
        "answered": bool(stored and stored.submitted),
        **extra,
    }
    return render(request, "surveys/public/survey.html", context)


def _show(request: HttpRequest, token: str, invitation: Invitation) -> HttpResponse:
    questions = survey_questions(invitation.survey)
    raw_score = request.GET.get("score")
    link_error = offered = None
    # Only a GET acts: link checkers in mail systems that probe with HEAD must not open or answer.
    if request.method == "GET":
        invitation_mark_opened(invitation=invitation)
        if raw_score is not None and questions and questions[0].is_score:
            link_error, offered = _record_link_score(invitation, raw_score)
    # Only an answered invitation has a response (recording one marks it answered in the same
    # transaction): a first visit, the common case, makes no query for it.
    answered = invitation.status == Invitation.Status.ANSWERED or raw_score is not None
    stored = _stored(invitation) if answered else None
    initial = initial_from(stored)
    if offered is not None:
        initial[f"q_{questions[0].pk}"] = str(offered)  # chosen on the form, sent only by its button
    form = ResponseForm(initial=initial, questions=questions)
    if link_error:
        form.flag(questions[0], link_error)
    score_saved = raw_score is not None and not link_error and stored is not None and not stored.submitted
    return _page(request, token, invitation, form, stored=stored, score_saved=score_saved, offered=offered)


def _submit(request: HttpRequest, token: str, invitation: Invitation) -> HttpResponse:
    questions = survey_questions(invitation.survey)
    form = ResponseForm(request.POST, questions=questions)
    if form.is_valid():
        try:
            response_submit(
                invitation=invitation,
                answers=form.answers(),
                consent=form.cleaned_data["consent"],
                questions=questions,
            )
        except AnswerInvalid as refused:
            form.add_service_errors(refused.errors)
        else:
            return redirect("public:thanks", token=token)
    stored = Response.objects.filter(invitation=invitation).first()
    return _page(request, token, invitation, form, stored=stored)


@csrf_exempt  # the global check steps aside for _survey_csrf_protect, the same check (see _NullOriginCsrf)
@_private  # the 429 page too: its URL holds the token
@throttle_per_ip
@require_http_methods(["GET", "HEAD", "POST"])
@_survey_csrf_protect
def survey(request: HttpRequest, token: str) -> HttpResponse:
    access, invitation = invitation_for_token(token)
    if access is not Access.OK or invitation is None:
        return _refusal(request, access, token)
    if request.method == "POST":
        return _submit(request, token, invitation)
    return _show(request, token, invitation)


@_private  # the 429 page too: its URL holds the token
@throttle_per_ip
@require_http_methods(["GET", "HEAD"])
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    access, invitation = invitation_for_token(token)
    if access is not Access.OK or invitation is None:
        return _refusal(request, access, token)
    context = {"survey": invitation.survey, "closes_on": _closing_day(invitation), "token": token}
    return render(request, "surveys/public/thanks.html", context)


# Exempt from CSRF so that mail clients' RFC 8058 one-click POSTs ("List-Unsubscribe=One-Click",
# no cookie, no form token) work. Safe: all it can change is the customer's own opt-out, and only
# for whoever holds the link's unguessable token; it reads nothing and shows nothing about them.
@csrf_exempt
@_private  # the 429 page too: its URL holds the token
@throttle_misses_per_ip  # a mail provider relays many customers' one-click opt-outs from one address
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    # An expired link or a closed survey still unsubscribes: only an unknown token is refused.
    _access, invitation = invitation_for_token(token)
    if invitation is None:
        return _refusal(request, Access.UNKNOWN)
    if request.method == "POST":
        contact_opt_out(contact_id=invitation.contact_id)
        return render(request, "surveys/public/unsubscribe.html", {"done": True, "token": token})
    done = invitation.contact.opted_out
    return render(request, "surveys/public/unsubscribe.html", {"done": done, "token": token})
