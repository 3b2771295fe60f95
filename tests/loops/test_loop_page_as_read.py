"""The queue and the loop page as their users read them: time left before a deadline, an error shown
where it can be read, a field id per field, and no link to a page the viewer may not open."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import login
from loops.models import Loop
from tests.factories import UserFactory
from vocplatform.models import User

pytestmark = pytest.mark.django_db


def test_the_queue_says_how_long_is_left_before_a_future_deadline(loop, manager):
    # The demo's queue shows "in 0 minutes" beside deadlines days away (2026-12-11 17:00 on 12-05).
    Loop.objects.filter(pk=loop.pk).update(first_contact_due_at=timezone.now() + dt.timedelta(days=3, hours=1))
    page = login(manager).get(reverse("loops:loop_list"))
    assert page.status_code == 200
    cell = re.search(rb"<tbody>\s*<tr>\s*<td>(.*?)</td>", page.content, re.S).group(1).decode()
    assert "in 0\xa0minutes" not in cell and "in 0 minutes" not in cell
    assert re.search(r"in 3\xa0days", cell), cell


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids[value] += 1


def test_every_field_on_the_loop_page_has_its_own_id_so_each_label_points_at_its_own_field(loop, manager):
    # Contact, note, step, close, waive, pause and reassign forms all render Django's default ids:
    # four fields are id="id_reason", so clicking the waive form's "Reason" label puts the cursor
    # in the close form's field, and a screen reader announces the wrong labels.
    page = login(manager).get(reverse("loops:loop_detail", args=[loop.pk]))
    parser = _Ids()
    parser.feed(page.content.decode())
    duplicates = {name: n for name, n in parser.ids.items() if n > 1}
    assert duplicates == {}


def test_a_refused_reassignment_shows_its_error_where_the_user_can_see_it(loop, manager):
    # The owner may hand a loop on, but to someone other than the account's manager only with a
    # reason. Without one the page comes back 400 with "That did not work; see the form below",
    # and the form with the error sits inside the <details> block, which is rendered closed.
    colleague = UserFactory(username="colleague", role=User.Role.MANAGER, team=manager.team)
    refused = login(manager).post(reverse("loops:loop_action", args=[loop.pk, "reassign"]), {"owner": colleague.pk})
    assert refused.status_code == 400
    html = refused.content.decode()
    details = re.search(r"<details[^>]*>.*?</details>", html, re.S)
    assert details is not None and "errorlist" in details.group(0)
    opening_tag = re.match(r"<details[^>]*>", details.group(0)).group(0)
    assert re.search(r"\sopen(\s|>|=)", opening_tag), opening_tag


def test_a_plan_step_owner_can_follow_every_link_on_the_loop_page(loop, manager, outsider):
    # A manager given a step on a colleague's loop sees the loop (and is notified about the step),
    # but its links to "the response" and to the account are 404s for them: 28-38 dead links per
    # account manager in the demo (loop #94 for jonas: /crm/accounts/68/, /crm/responses/294/).
    from loops.services import cases

    cases.step_add(
        loop_id=loop.pk,
        actor=manager,
        description="Ask the billing team for a credit note",
        owner=outsider,
        due_on=timezone.localdate() + dt.timedelta(days=3),
    )
    browser = login(outsider)
    page = browser.get(reverse("loops:loop_detail", args=[loop.pk]))
    assert page.status_code == 200
    links = sorted(set(re.findall(r'<a href="(/crm/[^"#?]*)"', page.content.decode())))
    dead = [link for link in links if browser.get(link).status_code == 404]
    assert dead == []
