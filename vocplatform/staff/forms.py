from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vocplatform.models import ApiKey, User
from vocplatform.webhooks.addresses import AddressRefused, checked_addresses
from vocplatform.webhooks.models import EventType, WebhookSubscription


def _default_expiry() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=90)


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=120, label=_("Name"), help_text=_("Which system uses it, e.g. “Helpdesk”."))
    user = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).exclude(role="").order_by("username"),
        label=_("Acts as"),
        help_text=_("The key sees and may change what this person may. Integrations usually act as a CX admin."),
    )
    scopes = forms.MultipleChoiceField(
        choices=ApiKey.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Read: GET requests. Write: changes. Events only: sending events and bounces, nothing else."),
    )
    expires_on = forms.DateField(
        initial=_default_expiry, widget=forms.DateInput(attrs={"type": "date"}), label=_("Expires on")
    )

    def clean_expires_on(self) -> dt.date:
        value: dt.date = self.cleaned_data["expires_on"]
        if value <= timezone.localdate():
            raise forms.ValidationError(_("Choose a day after today."))
        return value

    def expires_at(self) -> dt.datetime:
        day = self.cleaned_data["expires_on"]
        return dt.datetime.combine(day, dt.time.min, timezone.get_current_timezone())


class WebhookForm(forms.ModelForm):  # type: ignore[type-arg]
    url = forms.URLField(max_length=500, assume_scheme="https", label=_("URL"))
    event_types = forms.MultipleChoiceField(choices=EventType.choices, widget=forms.CheckboxSelectMultiple)
    rotate_secret = forms.BooleanField(
        required=False, label=_("Make a new secret"), help_text=_("The old one stops working at once.")
    )

    class Meta:
        model = WebhookSubscription
        fields = ["url", "description", "event_types", "active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            del self.fields["rotate_secret"]

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        try:
            checked_addresses(url)
        except AddressRefused as refused:
            raise forms.ValidationError(str(refused)) from None
        return url


class ReplayForm(forms.Form):
    start = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), label=_("From"))
    end = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), label=_("Until"))

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            raise forms.ValidationError(_("The start must come before the end."))
        return data
