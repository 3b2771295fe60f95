"""The API's JSON parser: DRF's, with nesting too deep for Python's decoder a parse error too."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DrfJSONParser


class JSONParser(DrfJSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # A few kilobytes of "[[[[" exhaust the decoder's stack: DRF catches only ValueError.
            raise ParseError("JSON parse error - nested too deeply.") from None
