"""The one rule for text cells written to CSV or Excel: a cell a spreadsheet would run as a
formula (it starts with = + - @, a tab or a carriage return) gets a leading quote, which makes it
plain text. Used by every export: hygiene CSV, report exports, the API's response export."""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: Any) -> Any:
    """`value` unchanged unless it is text a spreadsheet would run; then that text made plain."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
