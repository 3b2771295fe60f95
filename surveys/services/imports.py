"""CSV import of accounts and contacts: upsert by external id, all or nothing.

`import_plan` reads and checks the whole file without writing; `import_apply`
writes a plan in one transaction. A bad cell is reported with its line (the
header is line 1) and column; nothing of a bad file is written unless the
caller asks to skip the bad rows.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from surveys.models import Account, Contact
from surveys.services.import_fields import (
    ACCOUNT_FIELDS,
    CONTACT_FIELDS,
    FieldSpec,
    infer_type,
    normalise_header,
    typed,
)
from vocplatform.models import User

Kind = Literal["accounts", "contacts"]
Progress = Callable[[int, int], None]
BATCH_SIZE = 500


class ImportRefused(Exception):
    """The file has errors and the caller did not ask to skip them."""

    def __init__(self, plan: ImportPlan) -> None:
        super().__init__(f"{len(plan.errors)} error(s) in {len(plan.bad_lines)} row(s); nothing was imported.")
        self.plan = plan


@dataclass(frozen=True)
class CellError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column!r}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class ImportOptions:
    mapping: dict[str, str] = field(default_factory=dict)
    id_column: str | None = None
    label_column: str | None = None
    churned_value: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportOptions:
        return cls(
            mapping=dict(data.get("mapping") or {}),
            id_column=data.get("id_column") or None,
            label_column=data.get("label_column") or None,
            churned_value=data.get("churned_value") or None,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "mapping": self.mapping,
            "id_column": self.id_column,
            "label_column": self.label_column,
            "churned_value": self.churned_value,
        }


@dataclass
class PlannedRow:
    line: int
    values: dict[str, Any]
    custom: dict[str, Any]


@dataclass
class ImportPlan:
    kind: Kind
    columns: dict[str, str]
    custom_types: dict[str, str]
    rows: list[PlannedRow]
    errors: list[CellError]
    notices: list[str]
    rows_total: int

    @property
    def bad_lines(self) -> set[int]:
        return {error.line for error in self.errors}

    @property
    def good_rows(self) -> list[PlannedRow]:
        bad = self.bad_lines
        return [row for row in self.rows if row.line not in bad]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "dry_run": self.dry_run,
        }


def nul_line(content: str) -> int | None:
    """The line of the file's first NUL character, if it has one: no text column stores it
    (PostgreSQL refuses it), so a file holding one is refused whole."""
    position = content.find("\x00")
    return None if position < 0 else content.count("\n", 0, position) + 1


def _read_csv(content: str) -> tuple[list[str], list[list[str]]]:
    line = nul_line(content)
    if line is not None:
        raise ValueError(f"The file holds a NUL character at line {line}; save it again as plain text.")
    reader = csv.reader(io.StringIO(content.lstrip("\ufeff"), newline=""))
    try:
        header = [cell.strip() for cell in next(reader)]
    except StopIteration:
        raise ValueError("The file is empty: it needs a header row.") from None
    except csv.Error as exc:
        raise ValueError(f"The file is not readable as CSV: {exc}") from None
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ValueError(f"The file is not readable as CSV at line {reader.line_num}: {exc}") from None
    return header, rows


def _map_columns(header: list[str], specs: tuple[FieldSpec, ...], options: ImportOptions) -> dict[str, str]:
    """CSV column -> field name, from --map, --id-column, the field names and their aliases."""
    by_key = {normalise_header(spec.name): spec.name for spec in specs}
    for spec in specs:
        for alias in spec.aliases:
            by_key.setdefault(alias, spec.name)
    known = {spec.name for spec in specs}
    explicit = dict(options.mapping)
    if options.id_column:
        explicit[options.id_column] = "external_id"
    for column, target in explicit.items():
        if column not in header:
            raise ValueError(f"Column {column!r} named in the mapping is not in the file.")
        if target not in known:
            raise ValueError(f"{target!r} is not a field; choose one of {', '.join(sorted(known))}.")
    columns: dict[str, str] = {}
    taken = set(explicit.values())
    for column in header:
        if column == options.label_column:
            continue
        if column in explicit:
            columns[column] = explicit[column]
            continue
        guessed = by_key.get(normalise_header(column))
        if guessed and guessed not in taken:
            columns[column] = guessed
            taken.add(guessed)
    return columns


def _check_header(
    header: list[str], specs: tuple[FieldSpec, ...], columns: dict[str, str], options: ImportOptions
) -> None:
    blank = [index + 1 for index, column in enumerate(header) if not column]
    if blank:
        raise ValueError(f"Column(s) {blank} have no name in the header row.")
    repeated = [column for column, count in Counter(header).items() if count > 1]
    if repeated:
        raise ValueError(f"The header repeats column(s): {', '.join(repeated)}.")
    missing = [spec.name for spec in specs if spec.required and spec.name not in columns.values()]
    if missing:
        raise ValueError(f"No column for required field(s) {', '.join(missing)}; name one with --map COLUMN=FIELD.")
    if options.label_column and options.label_column not in header:
        raise ValueError(f"The label column {options.label_column!r} is not in the file.")


def import_plan(*, kind: Kind, content: str, options: ImportOptions, progress: Progress | None = None) -> ImportPlan:
    """Read and check every row; write nothing. Raises ValueError for a file that cannot be read at all."""
    specs = ACCOUNT_FIELDS if kind == "accounts" else CONTACT_FIELDS
    header, raw_rows = _read_csv(content)
    columns = _map_columns(header, specs, options)
    _check_header(header, specs, columns, options)
    spec_by_name = {spec.name: spec for spec in specs}
    custom_columns = [c for c in header if c not in columns and c != options.label_column]
    index = {column: position for position, column in enumerate(header)}
    custom_types = {c: infer_type([_cell(row, index[c]) for row in raw_rows]) for c in custom_columns}

    errors: list[CellError] = []
    rows: list[PlannedRow] = []
    blanks: Counter[str] = Counter()
    for offset, raw in enumerate(raw_rows):
        line = offset + 2
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) > len(header):
            errors.append(CellError(line, "(row)", f"has {len(raw)} cells but the header has {len(header)}"))
            continue
        values: dict[str, Any] = {}
        for column, name in columns.items():
            cell = _cell(raw, index[column])
            if not cell and not spec_by_name[name].required and name != "name":
                continue
            try:
                values[name] = spec_by_name[name].parse(cell)
            except ValueError as exc:
                errors.append(CellError(line, column, str(exc)))
        custom = {}
        for column in custom_columns:
            cell = _cell(raw, index[column])
            if not cell:
                blanks[column] += 1
            custom[column] = typed(cell, custom_types[column])
        if options.label_column:
            label = _cell(raw, index[options.label_column])
            values["outcome"] = Account.Outcome.CHURNED if label == options.churned_value else Account.Outcome.RETAINED
        rows.append(PlannedRow(line=line, values=values, custom=custom))
        if progress and offset % BATCH_SIZE == 0:
            progress(offset, len(raw_rows))
    if progress:
        progress(len(raw_rows), len(raw_rows))

    notices = [
        f"Column {column!r}: {count} blank value(s) stored as missing."
        for column, count in blanks.items()
        if count and custom_types[column] != "text"
    ]
    errors.extend(_check_duplicates(rows, kind))
    errors.extend(_resolve_references(rows, kind, columns))
    if kind == "contacts":
        bad = {error.line for error in errors}
        matches = _contact_matches([row for row in rows if row.line not in bad], columns)
        errors.extend(matches.errors)
        kept = sum(
            1
            for row in rows
            if row.values.get("opted_out") is False and (c := matches.contacts.get(row.line)) and c.opted_out
        )
        if kept:
            notices.append(f"{kept} contact(s) stay opted out: an import never takes an opt-out back.")
    errors.sort(key=lambda error: (error.line, error.column))
    return ImportPlan(kind, columns, custom_types, rows, errors, notices, rows_total=len(rows))


def _cell(row: list[str], position: int) -> str:
    return row[position].strip() if position < len(row) else ""


def _column_of(columns: dict[str, str], name: str) -> str:
    return next((column for column, target in columns.items() if target == name), name)


def _check_duplicates(rows: list[PlannedRow], kind: Kind) -> Iterable[CellError]:
    keys: list[tuple[str, Callable[[PlannedRow], Any]]] = [("external_id", lambda r: r.values.get("external_id"))]
    if kind == "contacts":
        keys.append(("email", lambda r: (r.values.get("account"), str(r.values.get("email", "")).lower() or None)))
    for name, key in keys:
        first_seen: dict[Any, int] = {}
        for row in rows:
            value = key(row)
            if value is None or value == (row.values.get("account"), None):
                continue
            if value in first_seen:
                shown = value[1] if isinstance(value, tuple) else value
                yield CellError(row.line, name, f"{shown!r} repeats line {first_seen[value]}")
            else:
                first_seen[value] = row.line


def _resolve_references(rows: list[PlannedRow], kind: Kind, columns: dict[str, str]) -> Iterable[CellError]:
    """Turn owner emails/usernames and account external ids into objects, or report them."""
    if kind == "accounts":
        wanted = {str(row.values["owner"]).lower() for row in rows if row.values.get("owner")}
        users = (
            User.objects.annotate(email_key=Lower("email"), username_key=Lower("username")).filter(
                Q(email_key__in=wanted) | Q(username_key__in=wanted)
            )
            if wanted
            else User.objects.none()
        )
        by_key: dict[str, User] = {}
        for user in users:
            by_key[user.username.lower()] = user
            if user.email:
                by_key[user.email.lower()] = user
        for row in rows:
            if row.values.get("owner"):
                owner = by_key.get(str(row.values["owner"]).lower())
                if owner is None:
                    message = f"{row.values['owner']!r} is not a staff user"
                    yield CellError(row.line, _column_of(columns, "owner"), message)
                row.values["owner"] = owner
        return
    accounts = _existing_accounts(sorted({row.values["account"] for row in rows if row.values.get("account")}))
    for row in rows:
        if "account" not in row.values:
            continue
        account = accounts.get(row.values["account"])
        if account is None:
            yield CellError(
                row.line, _column_of(columns, "account"), f"no account with external id {row.values['account']!r}"
            )
        row.values["account"] = account


@dataclass
class _ContactMatches:
    """The stored contact each row updates, by line (a row without one adds a contact), and the rows
    that cannot be applied."""

    contacts: dict[int, Contact]
    errors: list[CellError]


def _email_key(account_id: int, email: str) -> tuple[int, str]:
    return account_id, email.lower()


def _stored_contacts(rows: list[PlannedRow]) -> dict[int, Contact]:
    """The stored contacts the rows may match (those of their accounts and those of their external ids), by pk."""
    account_ids = sorted({row.values["account"].pk for row in rows})
    stored: dict[int, Contact] = {}
    for start in range(0, len(account_ids), BATCH_SIZE):
        found = Contact.objects.filter(account_id__in=account_ids[start : start + BATCH_SIZE])
        stored.update((contact.pk, contact) for contact in found)
    # Only the ids not found under the rows' accounts: a row that moves a contact from another account.
    known = {contact.external_id for contact in stored.values()}
    elsewhere = sorted({row.values["external_id"] for row in rows if row.values.get("external_id")} - known)
    for start in range(0, len(elsewhere), BATCH_SIZE):
        found = Contact.objects.filter(external_id__in=elsewhere[start : start + BATCH_SIZE])
        stored.update((contact.pk, contact) for contact in found)
    return stored


def _contact_matches(rows: list[PlannedRow], columns: dict[str, str]) -> _ContactMatches:
    """Match the rows in file order, as they will be applied: by external id, else by email within the account.

    One object per stored contact (by pk), so a second row matching it is an error on that row rather
    than an update that overwrites the first. A row that moves a contact to another address frees the
    old one for the rows after it. A row may not take the email that another stored contact of its
    account holds: the database refuses it, even when an earlier row moves that contact away, since
    the updates of a batch are one statement that checks the addresses row by row.
    """
    stored = _stored_contacts(rows)
    by_external = {contact.external_id: pk for pk, contact in stored.items() if contact.external_id}
    holders = {_email_key(contact.account_id, contact.email): pk for pk, contact in stored.items()}
    by_email = dict(holders)
    matches = _ContactMatches(contacts={}, errors=[])
    first_line: dict[int, int] = {}
    for row in rows:
        key = _email_key(row.values["account"].pk, row.values["email"])
        external_id = row.values.get("external_id")
        pk = by_external.get(external_id) if external_id else None
        column = _column_of(columns, "external_id" if pk is not None else "email")
        pk = pk if pk is not None else by_email.get(key)
        if pk is None:
            continue
        if pk in first_line:
            matches.errors.append(CellError(row.line, column, f"matches the same contact as line {first_line[pk]}"))
            continue
        holder = holders.get(key)
        if holder is not None and holder != pk:
            message = f"{row.values['email']!r} is the email of another contact of this account"
            matches.errors.append(CellError(row.line, _column_of(columns, "email"), message))
            continue
        first_line[pk] = row.line
        contact = matches.contacts[row.line] = stored[pk]
        by_email.pop(_email_key(contact.account_id, contact.email), None)
        by_email[key] = pk
    return matches


@transaction.atomic
def import_apply(
    *, plan: ImportPlan, skip_invalid: bool = False, dry_run: bool = False, progress: Progress | None = None
) -> ImportResult:
    """Write a checked plan. Refuses a plan with errors unless skip_invalid."""
    if plan.errors and not skip_invalid:
        raise ImportRefused(plan)
    rows = plan.good_rows
    result = ImportResult(skipped=len(plan.bad_lines), dry_run=dry_run)
    if plan.kind == "accounts":
        _upsert(Account, rows, result, key=lambda r: r.values["external_id"], progress=progress, dry_run=dry_run)
    else:
        # Matched again here: the API's upsert builds its plans without import_plan, and a contact
        # may have changed since the plan was checked.
        matches = _contact_matches(rows, plan.columns)
        if matches.errors and not skip_invalid:
            raise ImportRefused(replace(plan, errors=matches.errors))
        bad = {error.line for error in matches.errors}
        result.skipped += len(bad)
        rows = [row for row in rows if row.line not in bad]
        _upsert_contacts(rows, matches.contacts, result, progress=progress, dry_run=dry_run)
    if dry_run:
        transaction.set_rollback(True)
    return result


def _existing_accounts(keys: list[str]) -> dict[str, Account]:
    found: dict[str, Account] = {}
    for start in range(0, len(keys), BATCH_SIZE):
        for account in Account.objects.filter(external_id__in=keys[start : start + BATCH_SIZE]):
            found[account.external_id] = account
    return found


def _apply_values(obj: Account | Contact, row: PlannedRow) -> bool:
    """Set the row's values on the object; True when anything changed."""
    changed = False
    for name, value in row.values.items():
        if name == "opted_out" and not value and getattr(obj, "opted_out", False):
            # An opt-out stands: it may be the customer's own, which only they (or an admin, by
            # hand in the Django admin) may take back, never a CRM's "no".
            continue
        attribute = "account_id" if name == "account" else "owner_id" if name == "owner" else name
        new = value.pk if name in {"account", "owner"} and value is not None else value
        if getattr(obj, attribute) != new:
            setattr(obj, attribute, new)
            changed = True
    if isinstance(obj, Account) and obj.churned_at and obj.outcome != Account.Outcome.CHURNED:
        obj.outcome = Account.Outcome.CHURNED
        changed = True
    if isinstance(obj, Contact) and obj.opted_out and obj.opted_out_at is None:
        obj.opted_out_at = timezone.now()
        changed = True
    if isinstance(obj, Contact) and not obj.opted_out and obj.opted_out_at is not None:
        obj.opted_out_at = None
        changed = True
    merged = {**obj.custom_attributes, **row.custom}
    if merged != obj.custom_attributes:
        obj.custom_attributes = merged
        changed = True
    return changed


def _upsert(
    model: type[Account],
    rows: list[PlannedRow],
    result: ImportResult,
    *,
    key: Callable[[PlannedRow], str],
    progress: Progress | None,
    dry_run: bool,
) -> None:
    existing = _existing_accounts([key(row) for row in rows])
    fields = {"updated_at", "custom_attributes", "outcome"} | {
        ("owner" if name == "owner" else name) for row in rows for name in row.values
    }
    now = timezone.now()
    for start in range(0, len(rows), BATCH_SIZE):
        batch = rows[start : start + BATCH_SIZE]
        new: list[Account] = []
        changed: list[Account] = []
        for row in batch:
            current = existing.get(key(row))
            if current is None:
                obj = model(name=row.values.get("name") or key(row))
                _apply_values(obj, row)
                new.append(obj)
            elif _apply_values(current, row):
                current.updated_at = now
                changed.append(current)
            else:
                result.unchanged += 1
        if not dry_run:
            model.objects.bulk_create(new, batch_size=BATCH_SIZE)
            if changed:
                model.objects.bulk_update(changed, sorted(fields - {"external_id"}), batch_size=BATCH_SIZE)
        result.created += len(new)
        result.updated += len(changed)
        if progress:
            progress(min(start + BATCH_SIZE, len(rows)), len(rows))


def _upsert_contacts(
    rows: list[PlannedRow],
    matched: dict[int, Contact],
    result: ImportResult,
    *,
    progress: Progress | None,
    dry_run: bool,
) -> None:
    fields = ["account", "name", "email", "role", "locale", "time_zone", "opted_out", "opted_out_at"]
    fields += ["custom_attributes", "external_id", "updated_at"]
    now = timezone.now()
    for start in range(0, len(rows), BATCH_SIZE):
        new: list[Contact] = []
        changed: list[Contact] = []
        for row in rows[start : start + BATCH_SIZE]:
            current = matched.get(row.line)
            if current is None:
                obj = Contact()
                _apply_values(obj, row)
                new.append(obj)
            elif _apply_values(current, row):
                current.updated_at = now
                changed.append(current)
            else:
                result.unchanged += 1
        if not dry_run:
            # Updates first: a row may move a stored contact off the address that a later row gives a new one.
            if changed:
                Contact.objects.bulk_update(changed, fields, batch_size=BATCH_SIZE)
            Contact.objects.bulk_create(new, batch_size=BATCH_SIZE)
        result.created += len(new)
        result.updated += len(changed)
        if progress:
            progress(min(start + BATCH_SIZE, len(rows)), len(rows))
