"""Alert rules decide which responses open a loop: a detractor opens exactly one, for the
account's manager, due 24 business hours later; re-analysis never opens a second."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.utils import timezone

from loops.models import AlertCheck, AlertRule, Loop, Notification, SlaPolicy
from loops.services.alerts import response_alert, responses_awaiting_alert, rule_matches
from surveys.models import ResponseAnalysis
from surveys.services.analysis import response_analyse
from tests.factories import AccountFactory, ContactFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_a_detractor_opens_exactly_one_loop_for_the_accounts_manager(answer, contact, manager):
    response = answer(contact, 3, "Nobody called me back about the outage")
    loop = Loop.objects.get(response=response)
    assert loop.owner == manager
    assert loop.account == contact.account
    assert loop.rule.name == "Detractor score"
    assert loop.priority == "high"
    assert loop.status == Loop.Status.NEW
    assert Loop.objects.count() == 1
    assert Notification.objects.filter(recipient=manager, loop=loop, kind="loop_opened").count() == 1


def test_the_first_contact_is_due_24_business_hours_later(answer, contact):
    response = answer(contact, 1)
    loop = Loop.objects.get(response=response)
    policy = SlaPolicy.objects.get(name="Standard")
    assert loop.sla_policy == policy
    from loops.business_time import business_time_between

    calendar = policy.business_calendar()
    assert business_time_between(calendar, loop.opened_at, loop.first_contact_due_at) == dt.timedelta(hours=24)
    assert business_time_between(calendar, loop.opened_at, loop.resolution_due_at) == dt.timedelta(hours=80)
    assert loop.first_contact_warn_at == loop.first_contact_due_at - dt.timedelta(hours=4)


def test_reanalysis_and_a_repeated_alert_never_open_a_second_loop(answer, contact, django_capture_on_commit_callbacks):
    response = answer(contact, 2, "Terrible")
    with django_capture_on_commit_callbacks(execute=True):
        response_analyse(response_id=response.pk, again=True)
    response_alert(response_id=response.pk)
    assert Loop.objects.filter(response=response).count() == 1
    assert Notification.objects.filter(kind="loop_opened").count() == 1


def test_the_database_refuses_a_second_loop_for_one_response(answer, contact):
    loop = Loop.objects.get(response=answer(contact, 0))
    with pytest.raises(IntegrityError):
        Loop.objects.create(
            response=loop.response,
            account=loop.account,
            sla_policy=loop.sla_policy,
            opened_at=loop.opened_at,
            first_contact_due_at=loop.first_contact_due_at,
            first_contact_warn_at=loop.first_contact_warn_at,
            resolution_due_at=loop.resolution_due_at,
            resolution_warn_at=loop.resolution_warn_at,
        )


def test_a_promoter_with_kind_words_opens_no_loop(answer, contact):
    answer(contact, 10, "Brilliant support, thank you")
    assert not Loop.objects.exists()


def test_a_passive_with_a_flagged_comment_opens_a_normal_priority_loop(answer, contact):
    response = answer(contact, 7, "The invoice was wrong again and support never replied, very frustrating")
    assert ResponseAnalysis.objects.get(response=response).negative
    loop = Loop.objects.get(response=response)
    assert loop.rule.name == "Flagged negative comment"
    assert loop.priority == "normal"


def test_an_account_without_a_manager_goes_to_the_rules_team_queue(answer, supervisor):
    north = TeamFactory(name="North")
    AlertRule.objects.filter(name="Detractor score").update(fallback_team=north)
    orphan = ContactFactory(account=AccountFactory(owner=None))
    loop = Loop.objects.get(response=answer(orphan, 4))
    assert loop.owner is None
    assert loop.queue_team == north
    assert Notification.objects.filter(recipient=supervisor, loop=loop).exists()


def test_a_notify_only_rule_tells_the_manager_and_opens_nothing(answer, contact, manager, admin_user):
    AlertRule.objects.update(active=False)
    rule = AlertRule.objects.create(name="Mentions a lawyer", keywords=["LAWYER"], action=AlertRule.Action.NOTIFY)
    rule.extra_recipients.add(admin_user)
    answer(contact, 9, "Great, but my lawyer has questions about the contract")
    assert not Loop.objects.exists()
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"max", "ada"}


def test_a_notify_only_rule_tells_nobody_who_may_not_see_the_account(answer, contact, outsider):
    """There is no loop to watch, so someone off the account is not told of it (nor of its name)."""
    AlertRule.objects.update(active=False)
    rule = AlertRule.objects.create(name="Mentions a lawyer", keywords=["LAWYER"], action=AlertRule.Action.NOTIFY)
    rule.extra_recipients.add(outsider)
    answer(contact, 9, "Great, but my lawyer has questions about the contract")
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"max"}


def test_every_condition_of_a_rule_must_hold(answer, contact):
    AlertRule.objects.update(active=False)
    response = answer(contact, 5, "The portal keeps logging me out")
    analysis = ResponseAnalysis.objects.get(response=response)
    policy = SlaPolicy.objects.first()
    enterprise_only = AlertRule(name="x", score_bands=["detractor"], segments=["Enterprise"], sla_policy=policy)
    assert not rule_matches(enterprise_only, response, analysis)
    response.account.segment = "Enterprise"
    response.account.annual_revenue = Decimal(2_000_000)
    assert rule_matches(enterprise_only, response, analysis)
    big = AlertRule(name="y", min_revenue=Decimal(5_000_000), sla_policy=policy)
    assert not rule_matches(big, response, analysis)
    onboarding = AlertRule(name="z", touchpoints=["onboarding"], sla_policy=policy)
    assert not rule_matches(onboarding, response, analysis)
    keyword = AlertRule(name="k", keywords=["logging me OUT"], sla_policy=policy)
    assert rule_matches(keyword, response, analysis)


def test_the_sweeper_finds_analysed_responses_whose_alert_task_was_lost(answer, contact):
    checked = answer(contact, 9)
    response = answer(contact, 2)
    Loop.objects.all().delete()
    AlertCheck.objects.filter(response=response).delete()  # as if the worker died before the rules ran
    later = timezone.now() + dt.timedelta(minutes=5)
    assert responses_awaiting_alert(now=later) == [response.pk]
    assert checked.pk not in responses_awaiting_alert(now=later)
    for pk in responses_awaiting_alert(now=later):
        response_alert(response_id=pk)
    assert Loop.objects.filter(response=response).exists()
    assert responses_awaiting_alert(now=later) == []
    assert responses_awaiting_alert(now=later + dt.timedelta(days=2)) == []  # older than a day: left alone


def test_a_fresh_analysis_is_seen_by_the_rules_again(answer, contact, django_capture_on_commit_callbacks):
    response = answer(contact, 9, "Fine")
    AlertCheck.objects.filter(response=response).update(analysed_at=timezone.now() - dt.timedelta(hours=1))
    assert responses_awaiting_alert(now=timezone.now() + dt.timedelta(minutes=5)) == [response.pk]
