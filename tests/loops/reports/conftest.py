"""A small organisation with every figure worked out by hand (see `crafted`), for the
dashboards, the drill-downs, the exports and the packs.

The period is Monday 3 to Sunday 16 March 2025 (two weekly buckets), "now" is Monday 17 March
12:00 UTC, and every user's time zone is UTC. Accounts: Acme (max, team North, Enterprise,
EMEA, Cloud, Analytics + Storage), Beta (tina, North, SMB, EMEA, Retail, Storage), Gamma
(otto, South, SMB, APAC, Retail, Analytics) and Delta (tina, SMB, churned on 10 March).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from loops.models import Escalation, Loop, LoopEvent, PlanStep, PolicyOverride, RootCause, SlaPolicy
from loops.reports.filters import ReportFilters
from surveys.models import Account, Response, ResponseAnalysis, Survey, score_band
from surveys.models.responses import theme_names_text
from tests.factories import AccountFactory, ContactFactory, InvitationFactory, SurveyFactory

UTC = dt.UTC
NOW = dt.datetime(2025, 3, 17, 12, 0, tzinfo=UTC)
FIRST, LAST = dt.date(2025, 3, 3), dt.date(2025, 3, 16)


def at(day: int, hour: int = 9, month: int = 3) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def period() -> ReportFilters:
    return ReportFilters(date_from=FIRST, date_to=LAST, zone=UTC)


@dataclass
class Crafted:
    accounts: dict[str, Account]
    responses: dict[str, Response] = field(default_factory=dict)
    loops: dict[str, Loop] = field(default_factory=dict)
    surveys: dict[str, Survey] = field(default_factory=dict)


def make_response(
    account: Account,
    survey: Survey,
    score: int,
    when: dt.datetime,
    *,
    comment: str = "",
    themes: tuple[str, ...] = (),
    consent: bool = False,
    contact: Any = None,
) -> Response:
    contact = contact or ContactFactory(account=account)
    invitation = InvitationFactory(
        survey=survey, contact=contact, account=account, sent_at=when - dt.timedelta(hours=1), status="answered"
    )
    kind = survey.touchpoint_kind  # type: ignore[attr-defined]
    response = Response.objects.create(
        invitation=invitation,
        survey=survey,
        contact=contact,
        account=account,
        touchpoint=survey.touchpoint,
        score_kind=kind,
        score=score,
        score_band=score_band(kind, score),
        comment=comment,
        consent_to_attribution=consent,
        submitted=True,
    )
    Response.objects.filter(pk=response.pk).update(created_at=when, theme_names=theme_names_text(themes))
    if themes:
        ResponseAnalysis.objects.create(
            response=response, themes=[{"name": t, "confidence": 0.9} for t in themes], analysed_at=when
        )
    response.refresh_from_db()
    return response


def _unanswered(account: Account, survey: Survey, sent: dt.datetime) -> None:
    InvitationFactory(
        survey=survey, contact=ContactFactory(account=account), account=account, sent_at=sent, status="sent"
    )


def _surveys() -> dict[str, Survey]:
    surveys = {}
    for kind, touchpoint in (("nps", "support ticket"), ("csat", "onboarding"), ("ces", "renewal")):
        survey = SurveyFactory(name=f"{kind.upper()} survey", touchpoint=touchpoint)
        survey.touchpoint_kind = kind  # type: ignore[attr-defined]
        surveys[kind] = survey
    return surveys


def _accounts(manager: Any, teammate: Any, outsider: Any) -> dict[str, Account]:
    return {
        "acme": AccountFactory(
            name="Acme Corp", owner=manager, segment="Enterprise", region="EMEA", business_unit="Cloud",
            product_lines=["Analytics", "Storage"],
        ),
        "beta": AccountFactory(
            name="Beta Ltd", owner=teammate, segment="SMB", region="EMEA", business_unit="Retail",
            product_lines=["Storage"],
        ),
        "gamma": AccountFactory(
            name="Gamma GmbH", owner=outsider, segment="SMB", region="APAC", business_unit="Retail",
            product_lines=["Analytics"],
        ),
        "delta": AccountFactory(
            name="Delta Inc", owner=teammate, segment="SMB", region="EMEA", churned_at=dt.date(2025, 3, 10)
        ),
    }  # fmt: skip


def _responses(c: Crafted) -> None:
    a, s, r = c.accounts, c.surveys, c.responses
    jane = ContactFactory(account=a["acme"], name="Jane Doe", email="jane@acme.example")
    r["acme10"] = make_response(a["acme"], s["nps"], 10, at(4), themes=("Ease of use",), consent=True, contact=jane)
    r["acme9"] = make_response(a["acme"], s["nps"], 9, at(5))
    r["acme3"] = make_response(
        a["acme"], s["nps"], 3, at(6), comment='=HYPERLINK("http://evil") billing twice', themes=("Support", "Billing")
    )
    r["acme6"] = make_response(a["acme"], s["nps"], 6, at(11), comment="Support was slow", themes=("Support",))
    r["beta7"] = make_response(a["beta"], s["nps"], 7, at(6, 12))
    r["beta0"] = make_response(a["beta"], s["nps"], 0, at(7), comment="Invoice wrong again", themes=("Billing",))
    r["beta9"] = make_response(a["beta"], s["nps"], 9, at(12))
    r["gamma10"] = make_response(a["gamma"], s["nps"], 10, at(4), themes=("Support",))
    r["gamma9"] = make_response(a["gamma"], s["nps"], 9, at(12, 11), comment="Gamma secret outage")
    r["csat5"] = make_response(a["acme"], s["csat"], 5, at(5, 10))
    r["csat2"] = make_response(a["beta"], s["csat"], 2, at(12, 10), themes=("Billing",))
    r["csat4"] = make_response(a["acme"], s["csat"], 4, at(13))
    r["ces2"] = make_response(a["acme"], s["ces"], 2, at(5, 11))
    r["ces6"] = make_response(a["beta"], s["ces"], 6, at(12, 11))
    # Outside the period: before it, and after it (its invitation was sent on the last day).
    r["before"] = make_response(a["acme"], s["nps"], 0, at(1))
    r["after"] = make_response(a["acme"], s["nps"], 10, at(17, 8) - dt.timedelta(hours=7, minutes=30))
    for account, sent in (("acme", at(8)), ("acme", at(8, 10)), ("beta", at(10)), ("gamma", at(10))):
        _unanswered(a[account], s["nps"], sent)


def _loop(response: Response, **fields: Any) -> Loop:
    opened = fields.pop("opened_at")
    causes = fields.pop("causes", [])
    loop = Loop.objects.create(
        response=response,
        account=response.account,
        sla_policy=SlaPolicy.objects.get(name="Urgent (on the clock)"),
        opened_at=opened,
        first_contact_due_at=fields.pop("fc_due"),
        first_contact_warn_at=opened,
        resolution_due_at=fields.pop("res_due"),
        resolution_warn_at=opened,
        **fields,
    )
    loop.root_causes.set(causes)
    return loop


def _loops(c: Crafted, manager: Any, teammate: Any, outsider: Any, team: Any) -> None:
    r, lo = c.responses, c.loops
    billing, process, outage = (
        RootCause.objects.get_or_create(name=n)[0] for n in ("Invoicing", "Process gap", "Outage")
    )
    lo["L1"] = _loop(
        r["acme3"],
        owner=manager,
        opened_at=at(6, 10),
        fc_due=at(7, 10),
        first_contact_at=at(6, 14),
        res_due=at(10, 10),
        resolved_at=at(9, 10),
        closed_at=at(9, 12),
        status="closed",
        recovered=True,
        reason_for_engagement="Billing error",
        effort_hours=Decimal("2.5"),
        expenses=Decimal("100"),
        causes=[billing],
    )
    lo["L2"] = _loop(
        r["acme6"],
        owner=manager,
        opened_at=at(11),
        fc_due=at(12),
        first_contact_at=at(12, 15),
        res_due=at(15),
        status="in_progress",
        reason_for_engagement="Slow support",
        effort_hours=Decimal("1"),
        causes=[process],
    )
    lo["L3"] = _loop(
        r["beta0"],
        owner=teammate,
        opened_at=at(7),
        fc_due=at(8),
        first_contact_at=at(7, 11),
        res_due=at(11),
        resolved_at=at(12),
        closed_at=at(12, 10),
        status="closed",
        recovered=False,
        reason_for_engagement="Billing error",
        effort_hours=Decimal("4"),
        expenses=Decimal("250.50"),
        causes=[billing, process],
    )
    lo["L4"] = _loop(r["csat2"], queue_team=team, opened_at=at(12, 10), fc_due=at(20, 10), res_due=at(25), status="new")
    lo["L5"] = _loop(
        r["gamma9"],
        owner=outsider,
        opened_at=at(12, 12),
        fc_due=at(13, 12),
        res_due=at(17, 12),
        status="new",
        reason_for_engagement="Outage",
        effort_hours=Decimal("3"),
        expenses=Decimal("10"),
        causes=[outage],
    )
    lo["L6"] = _loop(
        r["before"],
        owner=manager,
        opened_at=at(1),
        fc_due=at(2),
        first_contact_at=at(1, 10),
        res_due=at(5),
        resolution_sla_waived=True,
        status="in_progress",
        reason_for_engagement="Old case",
        causes=[process],
    )
    lo["L7"] = _loop(
        r["ces6"], owner=teammate, opened_at=at(12, 11), fc_due=at(13, 11), res_due=at(17, 11), status="new",
        waiting_since=at(12, 12), reason_for_engagement="Slow support", effort_hours=Decimal("0.5"),
    )  # fmt: skip
    Escalation.objects.create(loop=lo["L2"], stage="resolution", level=1, recipient=team.supervisor, at=at(15, 10))
    Escalation.objects.create(loop=lo["L5"], stage="first_contact", level=0, recipient=outsider, at=at(13, 8))
    Escalation.objects.create(loop=lo["L6"], stage="resolution", level=1, recipient=team.supervisor, at=at(28, 9, 2))
    PolicyOverride.objects.create(loop=lo["L3"], kind="reassign", actor=manager, reason="Tina knows them", at=at(7, 10))
    PolicyOverride.objects.create(loop=lo["L6"], kind="waive_sla", actor=manager, reason="Customer on leave", at=at(4))
    LoopEvent.objects.create(loop=lo["L6"], actor=manager, action="status changed", field="status",
                             before="new", after="in_progress", at=at(10))  # fmt: skip
    PlanStep.objects.create(
        loop=lo["L6"], description="Send the corrected contract", owner=manager, due_on=dt.date(2025, 3, 20)
    )
    PlanStep.objects.create(
        loop=lo["L5"], description="Gamma restore plan", owner=outsider, due_on=dt.date(2025, 3, 19)
    )


@pytest.fixture
def crafted(manager, teammate, outsider, supervisor, team, admin_user) -> Crafted:  # type: ignore[no-untyped-def]
    c = Crafted(accounts=_accounts(manager, teammate, outsider), surveys=_surveys())
    _responses(c)
    _loops(c, manager, teammate, outsider, team)
    return c
