"""Every staff route that takes an object id, walked from the URLconf: the account's manager and
the team's supervisor get through, a teammate and an outsider get a 404 (never a 403 that
confirms the object exists, never a 200). A new route with an id fails this test until it is
listed here with who may use it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import login
from loops.models import Loop, PlanStep, PolicyOverride
from surveys.models import ImportJob, OutboxMessage
from surveys.services.outbox import outbox_message_build

pytestmark = pytest.mark.django_db

OWNERS = {"manager", "supervisor"}
NOBODY: set[str] = set()
# route name -> (object, method, form data, who of the four may use it; admins may use all)
ROUTES = {
    "loops:loop_detail": ("loop", "get", {}, OWNERS),
    "loops:loop_watch": ("loop", "post", {"watch": "1"}, OWNERS),
    "loops:loop_action": ("loop", "post", {"text": "Called them"}, OWNERS),  # the "note" action
    "loops:step_update": ("step", "post", {"status": "done"}, OWNERS),
    "loops:override_review": ("override", "post", {}, {"supervisor"}),  # reviewing is for supervisors
    "loops:account_health": ("account", "get", {}, OWNERS),
    "loops:account_health_recompute": ("account", "post", {}, OWNERS),
    "surveys:account_detail": ("account", "get", {}, OWNERS),
    "surveys:contact_detail": ("contact", "get", {}, OWNERS),
    "surveys:response_detail": ("response", "get", {}, OWNERS),
    "surveys:response_flag": ("response", "post", {"negative": "1"}, OWNERS),
    "surveys:import_detail": ("import", "get", {}, NOBODY),  # imports are for admins
    "surveys:import_status": ("import", "get", {}, NOBODY),
    "surveys:import_confirm": ("import", "post", {}, NOBODY),
    "surveys:outbox_detail": ("outbox", "get", {}, NOBODY),  # so is the outbox
}
NOT_STAFF_ROUTES = {"password_reset_confirm", "public:survey", "public:thanks", "public:unsubscribe"}


def _routes(patterns, namespace=None):  # type: ignore[no-untyped-def]
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.pattern.converters:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_route_with_an_id_is_listed_here():
    found = {name for name in _routes(get_resolver().url_patterns) if not name.startswith("admin:")}
    assert found - NOT_STAFF_ROUTES == set(ROUTES)


@pytest.fixture
def objects(answer, contact, manager, admin_user):  # type: ignore[no-untyped-def]
    response = answer(contact, 2, "It broke")
    loop = Loop.objects.get(response=response)
    step = PlanStep.objects.create(loop=loop, description="Call", owner=manager, due_on=dt.date.today())
    override = PolicyOverride.objects.create(loop=loop, kind="waive_sla", actor=manager, reason="x", at=loop.opened_at)
    job = ImportJob.objects.create(kind="accounts", filename="a.csv", content="id\n", created_by=admin_user)
    message, _created = outbox_message_build(
        invitation=response.invitation, kind=OutboxMessage.Kind.INVITATION, sequence=0
    )
    return {
        "loop": loop.pk,
        "step": step.pk,
        "override": override.pk,
        "account": contact.account_id,
        "contact": contact.pk,
        "response": response.pk,
        "import": job.pk,
        "outbox": message.pk,
    }


@pytest.mark.parametrize("who", ["manager", "supervisor", "teammate", "outsider", "admin_user"])
def test_each_route_lets_through_exactly_who_may_use_it(request, objects, who):
    browser = login(request.getfixturevalue(who))
    for name, (kind, method, data, allowed) in ROUTES.items():
        args = [objects[kind], "note"] if name == "loops:loop_action" else [objects[kind]]
        response = getattr(browser, method)(reverse(name, args=args), data)
        if who == "admin_user" or who in allowed:
            assert response.status_code < 400, (name, who, response.status_code)
        else:
            assert response.status_code == 404, (name, who, response.status_code)
