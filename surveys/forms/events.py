"""The CSV upload of events: a file becomes a list of `EventInput`, or every bad line is reported."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from surveys.api import EventInputSerializer
from surveys.services.events import MAX_BATCH, EventInput

REQUIRED_COLUMNS = ("external_id", "type")
KNOWN_COLUMNS = ("external_id", "type", "contact_external_id", "contact_email", "account_external_id", "occurred_at")


@dataclass(frozen=True)
class EventsFile:
    """The events of a file and the file line each came from (blank lines and multi-line cells count)."""

    items: list[EventInput]
    lines: list[int]

    def line_for(self, position: int) -> int:
        return self.lines[position] if 0 <= position < len(self.lines) else position + 2


def line_error(line: int, field: str, message: str) -> str:
    return gettext("line %(line)s: %(field)s: %(message)s") % {"line": line, "field": field, "message": message}


def _item(line: int, row: dict[str, str], extra_columns: list[str]) -> EventInput | list[str]:
    """The row checked by the events API's own serializer, so a CSV line and an API call obey one rule."""
    given = {name: row[name] for name in KNOWN_COLUMNS if row[name] or name in REQUIRED_COLUMNS}
    # Blank cells are "not given", so a rule never has to match an empty string.
    properties = {column: row[column] for column in extra_columns if row[column]}
    serializer = EventInputSerializer(data=given | {"properties": properties})
    if not serializer.is_valid():
        return [
            line_error(line, field, str(message))
            for field, messages in serializer.errors.items()
            for message in messages
        ]
    return EventInput(**serializer.validated_data)


def _header(raw: list[str]) -> tuple[list[str], list[str]]:
    """Column names (known ones in lower case) and the columns that become properties."""
    header = [name.strip().lower() if name.strip().lower() in KNOWN_COLUMNS else name.strip() for name in raw]
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        raise forms.ValidationError(_("The header repeats %(columns)s."), params={"columns": ", ".join(repeated)})
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise forms.ValidationError(_("The header lacks %(columns)s."), params={"columns": ", ".join(missing)})
    if "contact_external_id" not in header and "contact_email" not in header:
        raise forms.ValidationError(_("The header needs contact_external_id or contact_email."))
    return header, [name for name in header if name and name not in KNOWN_COLUMNS]


def _records(content: str) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank CSV record with the file line it starts on."""
    reader = csv.reader(io.StringIO(content))
    start = 1
    for record in reader:
        if any(cell.strip() for cell in record):
            yield start, record
        start = reader.line_num + 1


def parse_events_csv(content: str) -> EventsFile:
    """Every row as an EventInput, or a ValidationError listing each bad line."""
    records = list(_records(content))
    if not records:
        raise forms.ValidationError(_("The file is empty."))
    header, extra_columns = _header(records[0][1])
    data = records[1:]
    if not data:
        raise forms.ValidationError(_("The file has a header but no events."))
    if len(data) > MAX_BATCH:
        raise forms.ValidationError(
            _("The file holds %(count)s events; upload at most %(max)s per file."),
            params={"count": len(data), "max": MAX_BATCH},
        )
    parsed = EventsFile(items=[], lines=[])
    errors: list[str] = []
    for line, cells in data:
        if len(cells) > len(header):
            errors.append(line_error(line, "row", gettext("More values than the header has columns.")))
            continue
        # A row shorter than the header (trailing cells left off) leaves those cells blank.
        row = dict.fromkeys([*KNOWN_COLUMNS, *extra_columns], "") | {
            name: value.strip() for name, value in zip(header, cells, strict=False)
        }
        item = _item(line, row, extra_columns)
        if isinstance(item, list):
            errors.extend(item)
        else:
            parsed.items.append(item)
            parsed.lines.append(line)
    if errors:
        raise forms.ValidationError(errors)
    return parsed


class EventUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8 with a header row. Required columns: external_id, type, and contact_external_id or "
            "contact_email. Optional: account_external_id, occurred_at (ISO 8601; in your time zone unless it "
            "has an offset). Any other column becomes a property of the event."
        ),
    )

    def clean_file(self) -> EventsFile:
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s bytes; the limit is %(limit)s."),
                params={"size": upload.size, "limit": settings.IMPORT_MAX_BYTES},
            )
        try:
            content = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(
                _("The file is not UTF-8 text (byte %(pos)s)."), params={"pos": exc.start}
            ) from None
        try:
            return parse_events_csv(content)
        except csv.Error as exc:
            raise forms.ValidationError(_("The file is not valid CSV: %(error)s"), params={"error": exc}) from None
