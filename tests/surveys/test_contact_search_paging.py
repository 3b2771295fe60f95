"""The contact list's search survives paging, whatever characters it holds."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from conftest import login
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def _next_link(content: bytes) -> str:
    match = re.search(r'<a href="([^"]*)" rel="next">', content.decode())
    assert match, "no next-page link"
    return html.unescape(match.group(1))


def test_contact_search_with_an_ampersand_keeps_its_filter_on_the_next_page(account, manager):
    for n in range(55):
        ContactFactory(account=account, name=f"Smith & Sons {n:02d}")
    for n in range(30):
        ContactFactory(account=account, name=f"Smith Jones {n:02d}")
    browser = login(manager)
    first = browser.get(reverse("surveys:contact_list"), {"q": "Smith & Sons"})
    assert first.context["page"].paginator.count == 55
    second = browser.get(reverse("surveys:contact_list") + _next_link(first.content))
    assert second.context["q"] == "Smith & Sons"
    assert all(c.name.startswith("Smith & Sons") for c in second.context["page"].object_list)
