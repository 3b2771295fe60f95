"""HTML to PDF with WeasyPrint, fetching nothing but the project's own static files.

WeasyPrint's default fetcher opens any URL it meets, `file://` included: a stylesheet link or an
image in a template (or in text that escaped escaping) could read local files into the PDF or
call hosts from inside the network. `StaticOnlyFetcher` serves the static files from the
staticfiles finders and `data:` URLs, and refuses everything else.
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)
# WeasyPrint narrates every step, and fontTools every glyph subset, at INFO: a pack would bury the
# worker's log. Their warnings and errors (a refused URL among them) still come through.
for _name in ("weasyprint", "weasyprint.progress", "fontTools"):
    logging.getLogger(_name).setLevel(logging.WARNING)

# Templates link static files as usual ({% static %}: "/static/..."); resolved against this base
# they become https://vocplatform.invalid/static/..., a host that cannot exist (RFC 2606).
BASE_URL = "https://vocplatform.invalid/"
STATIC_HOST = "vocplatform.invalid"

Progress = Callable[[int], None]


class RefusedURL(ValueError):
    pass


class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no type hints
    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data", "https"), allow_redirects=False, timeout=1)
        self.served: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        path = self._static_path(url)
        if path is None:
            self.refused.append(url)
            logger.warning("PDF rendering refused to fetch %s", url[:200])
            raise RefusedURL(f"Only the project's static files may be fetched, not {url[:200]}")
        self.served.append(url)
        with open(path, "rb") as handle:
            body = handle.read()
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=body, headers={"Content-Type": content_type})

    @staticmethod
    def _static_path(url: str) -> str | None:
        parts = urlsplit(url)
        prefix = urlsplit(settings.STATIC_URL).path
        if parts.scheme != "https" or parts.netloc != STATIC_HOST or not parts.path.startswith(prefix):
            return None
        relative = posixpath.normpath(unquote(parts.path[len(prefix) :]))
        if relative.startswith(("..", "/")) or "\x00" in relative:
            return None
        found = finders.find(relative)
        if isinstance(found, str):
            return found
        try:  # collected (and perhaps hashed) files in STATIC_ROOT
            return staticfiles_storage.path(relative) if staticfiles_storage.exists(relative) else None
        except NotImplementedError:  # a storage without local paths
            return None


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int


def html_to_pdf(html: str, *, progress: Progress | None = None, fetcher: StaticOnlyFetcher | None = None) -> Rendered:
    fetcher = fetcher or StaticOnlyFetcher()
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render()
    if progress:
        progress(90)
    pdf = document.write_pdf()
    if progress:
        progress(100)
    return Rendered(pdf=pdf, pages=len(document.pages))


def render_pdf(template: str, context: dict[str, Any], *, progress: Progress | None = None) -> Rendered:
    """An ordinary Django template (autoescaped like every page) rendered to PDF bytes."""
    html = render_to_string(template, context)
    if progress:
        progress(45)
    return html_to_pdf(html, progress=progress)
