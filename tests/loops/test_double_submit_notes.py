"""The same loop form posted twice (a double click) records one contact, one note."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import login
from loops.models import Loop, Note

pytestmark = pytest.mark.django_db


@pytest.fixture
def loop(answer, contact):  # type: ignore[no-untyped-def]
    return Loop.objects.get(response=answer(contact, 2, "Support never called back"))


@pytest.mark.parametrize(
    ("action", "form"),
    [
        ("contact", {"channel": "phone", "text": "Called Jane; she will send the invoice number"}),
        ("note", {"text": "Finance says the credit note goes out Friday"}),
    ],
)
def test_a_double_clicked_loop_form_records_one_entry(loop, manager, action, form):
    client = login(manager)
    url = reverse("loops:loop_action", args=[loop.pk, action])
    assert client.post(url, form).status_code == 302
    assert client.post(url, form).status_code == 302
    assert Note.objects.filter(loop=loop, text=form["text"]).count() == 1
