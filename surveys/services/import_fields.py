"""How each CSV value becomes a typed field value for accounts and contacts.

A parser takes the stripped cell text and returns the value or raises
ValueError with a message for the person who prepared the file.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

Parser = Callable[[str], Any]

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_LOCALE = re.compile(r"^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8})*$")
_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off"}
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")


def text(limit: int) -> Parser:
    def parse(value: str) -> str:
        if len(value) > limit:
            raise ValueError(f"is longer than {limit} characters")
        return value

    return parse


def required_text(limit: int) -> Parser:
    check = text(limit)

    def parse(value: str) -> str:
        if not value:
            raise ValueError("is required")
        return check(value)

    return parse


def domain(value: str) -> str:
    cleaned = re.sub(r"^[a-z]+://", "", value.lower()).split("/")[0].removeprefix("www.")
    if not _DOMAIN.match(cleaned):
        raise ValueError(f"{value!r} is not a domain name such as example.com")
    return cleaned


def email(value: str) -> str:
    if not value:
        raise ValueError("is required")
    try:
        validate_email(value)
    except ValidationError:
        raise ValueError(f"{value!r} is not a valid email address") from None
    local, _, host = value.rpartition("@")
    return f"{local}@{host.lower()}"


def money(value: str) -> Decimal:
    cleaned = re.sub(r"[\s,$€£]", "", value)
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount of money") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{value!r} is not an amount of money of zero or more")
    if amount >= Decimal("1e14"):
        raise ValueError(f"{value!r} is too large")
    return amount.quantize(Decimal("0.01"))


def date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(f"{value!r} is not a date written as YYYY-MM-DD") from None


def boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{value!r} is not yes/no")


def time_zone(value: str) -> str:
    if value not in zoneinfo.available_timezones():
        raise ValueError(f"{value!r} is not a time zone such as Europe/Paris")
    return value


def locale(value: str) -> str:
    if not _LOCALE.match(value):
        raise ValueError(f"{value!r} is not a locale such as en or pt-BR")
    return value


def product_lines(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;|]", value) if part.strip()]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    parse: Parser
    aliases: tuple[str, ...] = ()
    required: bool = False


def normalise_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


ACCOUNT_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "external_id",
        required_text(120),
        ("id", "accountid", "customerid", "accountexternalid", "crmid"),
        required=True,
    ),
    FieldSpec("name", required_text(200), ("accountname", "company", "companyname")),
    FieldSpec("domain", domain, ("website", "emaildomain")),
    FieldSpec("segment", text(60), ()),
    FieldSpec("region", text(60), ()),
    FieldSpec("business_unit", text(80), ("bu", "businessunit")),
    FieldSpec("product_lines", product_lines, ("productlines", "products")),
    FieldSpec("owner", text(254), ("owneremail", "accountmanager", "ownerusername")),
    FieldSpec("annual_revenue", money, ("annualrevenue", "revenue")),
    FieldSpec("customer_since", date, ("customersince", "startdate")),
    FieldSpec("renewal_date", date, ("renewaldate", "renewal")),
    FieldSpec("churned_at", date, ("churnedat", "churndate")),
)

CONTACT_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("external_id", text(120), ("id", "contactid", "externalid", "contactexternalid")),
    FieldSpec("account", required_text(120), ("accountid", "accountexternalid"), required=True),
    FieldSpec("email", email, ("emailaddress",), required=True),
    FieldSpec("name", text(200), ("fullname", "contactname")),
    FieldSpec("role", text(80), ("title", "jobtitle")),
    FieldSpec("locale", locale, ("language",)),
    FieldSpec("time_zone", time_zone, ("timezone", "tz")),
    FieldSpec("opted_out", boolean, ("optedout", "optout", "unsubscribed")),
)


def infer_type(values: list[str]) -> str:
    """'int', 'float' or 'text' for a custom column, from its non-blank cells.

    A number that has no finite float (1e999 is infinity, which JSON cannot hold) or that is too long
    to convert makes the column text: its cells are kept as written."""
    present = [value for value in values if value]
    if not present:
        return "text"
    if all(_INT.match(value) and _converts_to_int(value) for value in present):
        return "int"
    if all(_FLOAT.match(value) and math.isfinite(float(value)) for value in present):
        return "float"
    return "text"


def _converts_to_int(value: str) -> bool:
    try:
        int(value)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits())
        return False
    return True


def typed(value: str, kind: str) -> int | float | str | None:
    if not value:
        return None
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    return value
