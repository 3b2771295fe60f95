from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from surveys.models import ImportJob
from surveys.services.imports import ImportOptions, nul_line


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportJob.Kind.choices)
    file = forms.FileField(label=_("CSV file"), help_text=_("UTF-8, comma-separated, with a header row."))
    id_column = forms.CharField(
        label=_("External id column"), required=False, help_text=_("Leave empty to detect it (id, customerID…).")
    )
    label_column = forms.CharField(
        label=_("Churn outcome column"), required=False, help_text=_("Accounts only, e.g. Churn.")
    )
    churned_value = forms.CharField(label=_("Value meaning churned"), required=False, initial="Yes")
    mapping = forms.CharField(
        label=_("Column renames"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Company Name=name\nARR=annual_revenue"}),
        help_text=_("One CSV_COLUMN=FIELD per line. Unmapped columns are kept as custom attributes."),
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s bytes; the limit is %(limit)s."),
                params={"size": upload.size, "limit": settings.IMPORT_MAX_BYTES},
            )
        try:
            content = str(upload.read().decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(
                _("The file is not UTF-8 text (byte %(pos)s)."), params={"pos": exc.start}
            ) from None
        # Refused here, before the file is stored in the job: PostgreSQL cannot store a NUL character.
        line = nul_line(content)
        if line is not None:
            raise forms.ValidationError(
                _("The file holds a NUL character at line %(line)s; save it again as plain text."),
                params={"line": line},
            )
        return content

    def clean_mapping(self) -> dict[str, str]:
        mapping = {}
        for number, line in enumerate(self.cleaned_data["mapping"].splitlines(), start=1):
            if not line.strip():
                continue
            column, sep, field = line.partition("=")
            if not sep or not column.strip() or not field.strip():
                raise forms.ValidationError(_("Line %(n)s: write CSV_COLUMN=FIELD."), params={"n": number})
            mapping[column.strip()] = field.strip()
        return mapping

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("label_column") and data.get("kind") != ImportJob.Kind.ACCOUNTS:
            self.add_error("label_column", _("A churn outcome belongs to accounts, not contacts."))
        return data

    def options(self) -> ImportOptions:
        data = self.cleaned_data
        return ImportOptions(
            mapping=data["mapping"],
            id_column=data["id_column"] or None,
            label_column=data["label_column"] or None,
            churned_value=(data["churned_value"] or "Yes") if data["label_column"] else None,
        )
