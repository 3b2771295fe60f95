"""Every staff route that takes an object id, walked from the URLconf: the account's manager and
the team's supervisor get through, a teammate and an outsider get a 404 (never a 403 that
confirms the object exists, never a 200). A new route with an id fails this test until it is
listed here with who may use it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import login
from loops.models import DistributionList, GeneratedReport, Loop, PlanStep, PolicyOverride, ReportSchedule
from surveys.models import ImportJob, OutboxMessage
from surveys.services.outbox import outbox_message_build
from tests.factories import InvitationFactory
from vocplatform.apikeys import apikey_create
from vocplatform.webhooks.models import WebhookDelivery, WebhookEvent, WebhookSubscription

pytestmark = pytest.mark.django_db

OWNERS = {"manager", "supervisor"}
NOBODY: set[str] = set()
EVERYONE = {"manager", "supervisor", "teammate", "outsider"}
# route name -> (object, method, form data, who of the four may use it; admins may use all)
ROUTES = {
    "loops:loop_detail": ("loop", "get", {}, OWNERS),
    "loops:loop_watch": ("loop", "post", {"watch": "1"}, OWNERS),
    "loops:loop_action": ("loop", "post", {"text": "Called them"}, OWNERS),  # the "note" action
    "loops:step_update": ("step", "post", {"status": "done"}, OWNERS),
    "loops:override_review": ("override", "post", {}, {"supervisor"}),  # reviewing is for supervisors
    # Generated reports belong to whom they were rendered for (here the supervisor) and admins.
    "loops:report_detail": ("report", "get", {}, {"supervisor"}),
    "loops:report_status": ("report", "get", {}, {"supervisor"}),
    "loops:report_download": ("report", "get", {}, {"supervisor"}),
    "loops:schedule_send": ("schedule", "post", {}, {"supervisor"}),
    "loops:account_report": ("account", "get", {}, OWNERS),
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
    # The REST API (session auth here; API keys follow the same rule, see tests/api).
    "api:account-detail": ("account", "get", {}, OWNERS),
    "api:account-health": ("account", "get", {}, OWNERS),
    "api:contact-detail": ("contact", "get", {}, OWNERS),
    "api:survey-detail": ("survey", "get", {}, EVERYONE),  # surveys are shared configuration
    "api:invitation-detail": ("invitation", "get", {}, OWNERS),
    "api:invitation-cancel": ("open_invitation", "post", {}, OWNERS),
    "api:response-detail": ("response", "get", {}, OWNERS),
    "api:loop-detail": ("loop", "get", {}, OWNERS),
    "api:loop-status": ("loop", "post", {"status": "in_progress"}, OWNERS),
    "api:loop-notes": ("loop", "post", {"text": "Called them"}, OWNERS),
    "api:loop-steps": ("loop", "post", {"description": "Call back", "owner": "max", "due_on": "2030-01-01"}, OWNERS),
    "api:loop-close": (
        "loop",
        "post",
        {"resolution_summary": "Done", "root_causes": ["Product defect"], "reason_without_contact": "Asked"},
        OWNERS,
    ),  # last of the loop routes: a closed loop takes no new plan step
    # Integrations are for admins.
    "integrations:apikey_revoke": ("apikey", "post", {}, NOBODY),
    "integrations:webhook_edit": ("webhook", "get", {}, NOBODY),
    "integrations:webhook_delete": ("webhook", "get", {}, NOBODY),
    "integrations:webhook_deliveries": ("webhook", "get", {}, NOBODY),
    "integrations:webhook_replay": ("webhook", "post", {}, NOBODY),
    "integrations:webhook_resend": ("delivery", "post", {}, NOBODY),
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
def objects(answer, contact, manager, supervisor, admin_user):  # type: ignore[no-untyped-def]
    response = answer(contact, 2, "It broke")
    loop = Loop.objects.get(response=response)
    step = PlanStep.objects.create(loop=loop, description="Call", owner=manager, due_on=dt.date.today())
    override = PolicyOverride.objects.create(loop=loop, kind="waive_sla", actor=manager, reason="x", at=loop.opened_at)
    job = ImportJob.objects.create(kind="accounts", filename="a.csv", content="id\n", created_by=admin_user)
    message, _created = outbox_message_build(
        invitation=response.invitation, kind=OutboxMessage.Kind.INVITATION, sequence=0
    )
    api_key = apikey_create(
        name="CRM",
        user=admin_user,
        scopes=["read"],
        expires_at=loop.opened_at + dt.timedelta(days=9),
        created_by=admin_user,
    ).api_key
    webhook = WebhookSubscription.objects.create(
        url="https://hooks.example.com/voc", secret="s", event_types=["loop.opened"]
    )
    event = WebhookEvent.objects.create(type="loop.opened", key="k", payload={}, occurred_at=loop.opened_at)
    delivery = WebhookDelivery.objects.create(
        event=event, subscription=webhook, retry_until=loop.opened_at, created_at=loop.opened_at
    )
    open_invitation = InvitationFactory(survey=response.survey, contact=contact)
    report = GeneratedReport.objects.create(
        kind="weekly",
        title="Weekly",
        rendered_as=supervisor,
        period_start=dt.date.today(),
        period_end=dt.date.today(),
        status="done",
        pdf=b"%PDF-1.7",
        created_at=loop.opened_at,
    )
    schedule = ReportSchedule.objects.create(
        name="Weekly",
        distribution_list=DistributionList.objects.create(name="Leads"),
        rendered_as=supervisor,
        time=dt.time(8),
    )
    return {
        "report": report.pk,
        "schedule": schedule.pk,
        "survey": response.survey_id,
        "invitation": response.invitation_id,
        "open_invitation": open_invitation.pk,
        "apikey": api_key.pk,
        "webhook": webhook.pk,
        "delivery": delivery.pk,
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
