"""The demo season: realistic volumes, consistent rows the sweepers leave alone, and a second load adds nothing."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.db.models import Count
from django.utils import timezone

from surveys.demo.organisation import demo_load
from surveys.demo.season import demo_season_load
from surveys.models import Answer, Event, Invitation, Question, Response, Survey, TriggerRule, score_band
from surveys.services.invitations import invitations_due, invitations_expire, reminders_due

S = Invitation.Status
MODELS = (Survey, Question, TriggerRule, Event, Invitation, Response, Answer)


@pytest.fixture
def season(db) -> tuple[dt.datetime, dict[str, int]]:  # type: ignore[no-untyped-def]
    demo_load(password="x")
    now = timezone.now()
    return now, demo_season_load(rng=random.Random(1), now=now)


def test_the_season_has_realistic_volumes_statuses_scores_and_comments(season):
    _now, counts = season
    assert (counts["surveys"], counts["trigger_rules"]) == (4, 4)
    assert set(Survey.objects.values_list("status", flat=True)) == {Survey.Status.ACTIVE}
    assert 1200 <= counts["invitations"] <= 1800
    assert counts["events"] >= counts["invitations"]  # renewals of small accounts match no rule
    statuses = Counter(Invitation.objects.values_list("status", flat=True))
    share = {status: statuses[status] / counts["invitations"] for status in S.values}
    assert 0.35 <= share[S.ANSWERED] <= 0.55
    assert 0.05 <= share[S.SENT] + share[S.OPENED] <= 0.4
    assert 0.1 <= share[S.EXPIRED] <= 0.45
    assert 0 < share[S.BOUNCED] <= 0.05
    assert 0 < share[S.SUPPRESSED] <= 0.12
    assert 1 <= statuses[S.SCHEDULED] <= 10
    assert Invitation.objects.filter(status__in=[S.SENT, S.OPENED], reminders_sent=1).exists()
    assert {"contact_gap", "opted_out"} <= set(Invitation.objects.values_list("suppressed_by", flat=True))
    assert not Invitation.objects.filter(status=S.SUPPRESSED, suppression_detail="").exists()
    assert counts["responses"] == statuses[S.ANSWERED] == Response.objects.count()
    _assert_bands_match_scores_and_some_accounts_are_clearly_unhappy()
    _assert_comments_are_many_and_varied()


def test_every_row_is_consistent_and_the_sweepers_find_nothing_to_do(season):
    now, _counts = season
    _assert_each_response_has_its_answered_invitation_and_one_answer_per_answered_question(now)
    _assert_the_sweepers_find_nothing_to_do(now)


def test_loading_twice_adds_nothing(season):
    now, _counts = season
    before = {model.__name__: model.objects.count() for model in MODELS}
    again = demo_season_load(rng=random.Random(2), now=now + dt.timedelta(days=1))
    assert set(again.values()) == {0}
    assert {model.__name__: model.objects.count() for model in MODELS} == before


def _assert_each_response_has_its_answered_invitation_and_one_answer_per_answered_question(now: dt.datetime) -> None:
    questions = {q.pk: q for q in Question.objects.all()}
    answers: dict[int, list[Answer]] = {}
    for answer in Answer.objects.all():
        answers.setdefault(answer.response_id, []).append(answer)
    for response in Response.objects.select_related("invitation", "survey"):
        invitation = response.invitation
        assert invitation.status == S.ANSWERED
        assert (invitation.survey_id, invitation.contact_id, invitation.account_id) == (
            response.survey_id,
            response.contact_id,
            response.account_id,
        )
        assert response.submitted and response.touchpoint == response.survey.touchpoint
        assert invitation.sent_at <= invitation.opened_at <= invitation.answered_at == response.created_at < now
        given = {a.question_id: a for a in answers.get(response.pk, [])}
        expected = {
            q.pk
            for q in questions.values()
            if q.survey_id == response.survey_id and (q.kind != Question.Kind.TEXT or response.comment)
        }
        assert set(given) == expected, response.pk
        first_score = min((a for a in given.values() if questions[a.question_id].is_score), key=lambda a: a.question_id)
        assert (first_score.number, questions[first_score.question_id].kind) == (response.score, response.score_kind)
        for answer in given.values():
            question = questions[answer.question_id]
            if question.is_score:
                low, high = question.scale
                assert low <= answer.number <= high
            elif question.kind == Question.Kind.TEXT:
                assert answer.text == response.comment
            else:
                assert answer.choices and set(answer.choices) <= set(question.choices)


def _assert_bands_match_scores_and_some_accounts_are_clearly_unhappy() -> None:
    for kind, score, band in Response.objects.values_list("score_kind", "score", "score_band"):
        assert band == score_band(kind, score)
    per_account = Response.objects.values("account").annotate(n=Count("pk"))
    detractors = dict(Response.objects.filter(score_band="detractor").values_list("account").annotate(n=Count("pk")))
    unhappy = [row for row in per_account if row["n"] >= 3 and detractors.get(row["account"], 0) / row["n"] >= 0.5]
    assert len(unhappy) >= 10
    consent = Response.objects.filter(consent_to_attribution=True).count() / Response.objects.count()
    assert 0.5 <= consent <= 0.7


def _assert_the_sweepers_find_nothing_to_do(now: dt.datetime) -> None:
    assert not Invitation.objects.filter(status=S.SCHEDULED, scheduled_for__lte=now).exists()
    assert invitations_due(now=now) == []
    assert reminders_due(now=now) == []
    assert invitations_expire(now=now) == 0
    for invitation in Invitation.objects.filter(status__in=[S.SENT, S.OPENED, S.EXPIRED, S.BOUNCED, S.ANSWERED]):
        assert invitation.created_at <= invitation.sent_at <= now
        assert invitation.sent_at < invitation.expires_at
    for invitation in Invitation.objects.filter(status=S.SUPPRESSED, suppressed_by="opted_out").select_related(
        "contact"
    ):
        assert invitation.contact.opted_out and invitation.contact.opted_out_at <= invitation.scheduled_for


def _assert_comments_are_many_and_varied() -> None:
    comments = list(Response.objects.values_list("comment", flat=True))
    assert len({c for c in comments if c}) >= 120
    assert 0.2 <= comments.count("") / len(comments) <= 0.6  # customers often leave none
    lengths = [len(c) for c in comments if c]
    assert min(lengths) < 15 and max(lengths) > 150


def test_setting_demo_password_changes_the_password_of_an_already_loaded_demo(db):
    # The first `make run` loaded the demo with the default password; the newcomer then sets
    # DEMO_PASSWORD and runs `make run` again, which prints the new password as the demo logins'.
    demo_load(password="vocdemo-2026")
    demo_load(password="a-new-demo-password", reset_passwords=True)

    assert authenticate(username="sam", password="a-new-demo-password") is not None


def test_a_real_person_named_like_a_demo_user_keeps_their_password(db):
    from vocplatform.models import User

    User.objects.create_user(username="sam", email="sam@acme.example", password="sams-own-secret", role="manager")
    demo_load(password="vocdemo-2026", reset_passwords=True)
    assert authenticate(username="sam", password="sams-own-secret") is not None
