"""Forms of the loop page: each validates one action's input before a service runs it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loops.models import Loop, NotificationSettings, PlanStep, Priority, RootCause
from loops.selectors.cases import assignable_staff
from vocplatform.query_params import int_param

# A plan step may be recorded late, but not as due more than a year ago (a typo in the year).
STEP_DUE_MAX_DAYS_AGO = 365
CHANNELS = [("phone", _("Phone")), ("email", _("Email")), ("meeting", _("Meeting")), ("video", _("Video call"))]


class IdsChoiceField(forms.ModelMultipleChoiceField):
    """Django's, with a value that cannot be an id refused as an unknown choice before the query:
    SQLite raises OverflowError on an IN list holding a number past 64 bits."""

    def _check_values(self, value: Any) -> Any:  # Django's own step (5.2), missing from django-stubs
        for pk in value:
            if int_param(str(pk)) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                )
        return super()._check_values(value)  # type: ignore[misc]


def _root_causes() -> forms.ModelMultipleChoiceField:
    return IdsChoiceField(
        queryset=RootCause.objects.filter(active=True), required=False, widget=forms.CheckboxSelectMultiple
    )


class ContactForm(forms.Form):
    channel = forms.ChoiceField(choices=CHANNELS)
    text = forms.CharField(label=_("What was said"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=[(s, s.label) for s in Loop.Status if s != Loop.Status.CLOSED])


class PauseForm(forms.Form):
    reason = forms.CharField(label=_("Waiting for"), max_length=300)


class DetailsForm(forms.Form):
    priority = forms.ChoiceField(choices=Priority.choices)
    reason_for_engagement = forms.CharField(max_length=200, required=False)
    effort_hours = forms.DecimalField(min_value=Decimal(0), max_digits=7, decimal_places=2, label=_("Effort (hours)"))
    expenses = forms.DecimalField(min_value=Decimal(0), max_digits=12, decimal_places=2)
    root_causes = _root_causes()


class WaiveForm(forms.Form):
    stage = forms.ChoiceField(choices=[("first_contact", _("First contact")), ("resolution", _("Resolution"))])
    reason = forms.CharField(max_length=2000, help_text=_("Recorded in the policy-override log."))


class ReassignForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=assignable_staff())
    reason = forms.CharField(
        max_length=2000, required=False, help_text=_("Required when the new owner is not the account's manager.")
    )


class CloseForm(forms.Form):
    resolution_summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    root_causes = _root_causes()
    reason = forms.CharField(label=_("Reason for closing without a logged contact"), max_length=2000, required=False)
    send_followup = forms.BooleanField(label=_("Ask the customer “Did we resolve your issue?”"), required=False)

    def clean_root_causes(self) -> list[RootCause]:
        causes = list(self.cleaned_data["root_causes"])
        if not causes:
            raise forms.ValidationError(_("Choose at least one root cause."))
        return causes


class ReopenForm(forms.Form):
    reason = forms.CharField(max_length=2000)


class NoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class StepForm(forms.Form):
    description = forms.CharField(max_length=300)
    owner = forms.ModelChoiceField(queryset=assignable_staff())
    due_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def clean_due_on(self) -> dt.date:
        due = self.cleaned_data["due_on"]
        if due < timezone.localdate() - dt.timedelta(days=STEP_DUE_MAX_DAYS_AGO):
            raise forms.ValidationError(_("That date is more than a year ago."))
        return due


class StepUpdateForm(forms.Form):
    status = forms.ChoiceField(choices=PlanStep.Status.choices, required=False)
    due_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


class DeliveryForm(forms.Form):
    delivery = forms.ChoiceField(choices=NotificationSettings.Delivery.choices, widget=forms.RadioSelect)
