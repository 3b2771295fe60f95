"""The loop page and its actions. Each action validates a form, calls one service, and goes back
to the page; a refused action re-renders the page with the form's errors (status 400)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from loops import forms as loop_forms
from loops.models import Loop
from loops.selectors.cases import loop_get, loop_timeline, may_reassign, step_get
from loops.services import cases
from loops.services.followup import followup_survey_for
from surveys.models import Account
from vocplatform.models import User
from vocplatform.permissions import staff_required
from vocplatform.visibility import visible

FORMS: dict[str, type[forms.Form]] = {
    "contact": loop_forms.ContactForm,
    "status": loop_forms.StatusForm,
    "pause": loop_forms.PauseForm,
    "resume": forms.Form,
    "details": loop_forms.DetailsForm,
    "waive": loop_forms.WaiveForm,
    "reassign": loop_forms.ReassignForm,
    "close": loop_forms.CloseForm,
    "reopen": loop_forms.ReopenForm,
    "note": loop_forms.NoteForm,
    "step": loop_forms.StepForm,
}


def _ids(form_name: str) -> str:
    """Field ids of their own per form: the page holds several forms with a field called "reason"."""
    return f"id_{form_name}_%s"


def _details_initial(loop: Loop) -> dict[str, Any]:
    return {
        "priority": loop.priority,
        "reason_for_engagement": loop.reason_for_engagement,
        "effort_hours": loop.effort_hours,
        "expenses": loop.expenses,
        "root_causes": list(loop.root_causes.all()),
    }


def _page(
    request: HttpRequest, loop: Loop, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    built = {name: form_class(auto_id=_ids(name)) for name, form_class in FORMS.items()}
    built["details"] = loop_forms.DetailsForm(initial=_details_initial(loop), auto_id=_ids("details"))
    built["reassign"] = loop_forms.ReassignForm(initial={"owner": loop.owner_id}, auto_id=_ids("reassign"))
    built["step"] = loop_forms.StepForm(
        initial={"owner": user.pk, "due_on": timezone.localdate()}, auto_id=_ids("step")
    )
    built.update(bound or {})
    # The folded panel opens when one of its forms comes back with an error to read.
    panel_open = any(name in (bound or {}) for name in ("status", "pause", "resume", "details", "waive", "reassign"))
    context = {
        "loop": loop,
        "forms": built,
        "timeline": loop_timeline(loop=loop),
        "now": timezone.now(),
        "today": timezone.localdate(),
        "can_reassign": may_reassign(user, loop),
        "panel_open": panel_open,
        # Watchers and plan-step owners see the loop, not always its account and response pages.
        "sees_account": visible(Account.objects.filter(pk=loop.account_id), user).exists(),
        "watching": any(w.pk == user.pk for w in loop.watchers.all()),
        "followup_available": followup_survey_for(loop) is not None,
        "step_statuses": loop.steps.model.Status.choices,
    }
    return render(request, "loops/loop_detail.html", context, status=status)


@staff_required
def loop_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, loop_get(viewer=request.user, pk=pk))


def _run(request: HttpRequest, loop: Loop, data: dict[str, Any], user: User, action: str) -> str:
    """Call the service behind one action; returns the message to show."""
    actions: dict[str, Callable[[], object]] = {
        "contact": lambda: cases.loop_log_contact(
            loop_id=loop.pk, actor=user, channel=data["channel"], text=data["text"]
        ),
        "status": lambda: cases.loop_set_status(loop_id=loop.pk, actor=user, status=data["status"]),
        "pause": lambda: cases.loop_pause(loop_id=loop.pk, actor=user, reason=data["reason"]),
        "resume": lambda: cases.loop_resume(loop_id=loop.pk, actor=user),
        "details": lambda: cases.loop_update(loop_id=loop.pk, actor=user, **data),
        "waive": lambda: cases.loop_waive_sla(loop_id=loop.pk, actor=user, stage=data["stage"], reason=data["reason"]),
        "reassign": lambda: cases.loop_reassign(
            loop_id=loop.pk, actor=user, owner=data["owner"], reason=data["reason"]
        ),
        "close": lambda: cases.loop_close(
            loop_id=loop.pk,
            actor=user,
            resolution_summary=data["resolution_summary"],
            root_causes=data["root_causes"],
            reason_without_contact=data["reason"],
            send_followup=data["send_followup"],
        ),
        "reopen": lambda: cases.loop_reopen(loop_id=loop.pk, actor=user, reason=data["reason"]),
        "note": lambda: cases.note_add(loop_id=loop.pk, actor=user, text=data["text"]),
        "step": lambda: cases.step_add(
            loop_id=loop.pk, actor=user, description=data["description"], owner=data["owner"], due_on=data["due_on"]
        ),
    }
    actions[action]()
    return {
        "contact": _("Contact logged."),
        "close": _("Loop closed."),
        "reopen": _("Loop reopened."),
        "step": _("Plan step added."),
        "reassign": _("Loop reassigned."),
        "note": _("Note added."),
    }.get(action, _("Saved."))


@staff_required
@require_POST
def loop_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in FORMS:
        raise Http404
    loop = loop_get(viewer=request.user, pk=pk)
    user = request.user
    assert isinstance(user, User)
    if action == "reassign" and not may_reassign(user, loop):
        raise Http404
    form = FORMS[action](request.POST, auto_id=_ids(action))
    if form.is_valid():
        try:
            message = _run(request, loop, form.cleaned_data, user, action)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, message)
            return redirect("loops:loop_detail", pk=loop.pk)
    # A refusal of the whole action (the loop changed meanwhile, in another tab, say) is said at the
    # top: the form that was sent may no longer be on the page.
    refusals = [str(refusal) for refusal in form.non_field_errors()]
    messages.error(request, " ".join(refusals) if refusals else _("That did not work; see the form below."))
    return _page(request, loop_get(viewer=request.user, pk=pk), {action: form}, status=400)


@staff_required
@require_POST
def loop_watch(request: HttpRequest, pk: int) -> HttpResponse:
    loop = loop_get(viewer=request.user, pk=pk)
    user = request.user
    assert isinstance(user, User)
    watching = cases.loop_watch(loop_id=loop.pk, actor=user, watch=request.POST.get("watch") == "1")
    messages.success(request, _("You are watching this loop.") if watching else _("You no longer watch this loop."))
    return redirect("loops:loop_detail", pk=loop.pk)


@staff_required
@require_POST
def step_update(request: HttpRequest, pk: int) -> HttpResponse:
    step = step_get(viewer=request.user, pk=pk)
    user = request.user
    assert isinstance(user, User)
    form = loop_forms.StepUpdateForm(request.POST)
    if form.is_valid():
        try:
            cases.step_update(
                step_id=step.pk,
                actor=user,
                status=form.cleaned_data["status"] or None,
                due_on=form.cleaned_data["due_on"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Plan step updated."))
    else:
        messages.error(request, _("Choose a valid status and date."))
    return redirect("loops:loop_detail", pk=step.loop_id)
