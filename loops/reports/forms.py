"""Asking for a pack from the staff app."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from loops.models import ReportKind
from surveys.models import Account
from vocplatform.models import Team, User
from vocplatform.visibility import visible

MAX_PERIOD_DAYS = 366


def teams_for(user: User) -> QuerySet[Team]:
    """Admins may render any team's pack; supervisors the teams they lead."""
    teams = Team.objects.order_by("name")
    return teams if user.is_cx_admin else teams.filter(supervisor=user)


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Pack"), choices=ReportKind.choices)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("All I can see")
    )
    account = forms.CharField(
        label=_("Account id"), required=False, max_length=120, help_text=_("The CRM id, for an account report.")
    )
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["team"].queryset = teams_for(user)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if isinstance(start, dt.date) and isinstance(end, dt.date):
            if start > end:
                raise ValidationError({"date_to": _("The period ends before it starts.")})
            if (end - start).days >= MAX_PERIOD_DAYS:
                raise ValidationError({"date_to": _("A pack covers at most a year.")})
        if data.get("kind") == ReportKind.ACCOUNT:
            account = visible(Account.objects.all(), self.user).filter(external_id=data.get("account", "")).first()
            if account is None:
                raise ValidationError({"account": _("No account with this id among the accounts you can see.")})
            data["account_obj"] = account
        return data
