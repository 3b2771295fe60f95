"""The feedback figures against hand-computed values on the crafted organisation (conftest)."""

from __future__ import annotations

import dataclasses

import pytest

from loops.reports import feedback
from loops.reports.feedback import NpsFigure, nps_margin, nps_points, nps_value
from loops.reports.filters import ReportFilters
from surveys.models import Theme
from tests.loops.reports.conftest import at, make_response
from vocplatform.models import Team

pytestmark = pytest.mark.django_db


def test_nps_and_its_margin_of_error_follow_the_textbook_formula():
    # 50 promoters, 20 detractors of 100: NPS 30; variance 0.5 + 0.2 - 0.3² = 0.61; 1.96·√(0.61/100) = 15.31 points.
    assert nps_value(50, 20, 100) == 30
    assert nps_margin(50, 20, 100) == pytest.approx(15.308, abs=0.001)
    assert nps_margin(1, 0, 1) is None and nps_value(0, 0, 0) is None


def test_a_change_smaller_than_the_margins_is_flagged_as_noise_and_a_large_one_is_not(settings, period):
    from loops.reports.periods import buckets

    first, second, third = buckets(ReportFilters(date_from=period.date_from, date_to=period.date_to.replace(day=23)))
    big = [
        (first, NpsFigure(1000, 500, 300, 200)),  # NPS 30 ± 2.8
        (second, NpsFigure(1000, 600, 300, 100)),  # NPS 50: +20, far outside the margins
        (third, NpsFigure(1000, 610, 290, 100)),  # NPS 51: +1, within them
    ]
    scores = [(b, feedback.Scores(f, 0, 0, 0, None)) for b, f in big]
    assert [p.noise for p in nps_points(scores)] == [False, False, True]
    settings.REPORTS_MIN_NPS_SAMPLE = 2000
    assert all(p.noise for p in nps_points(scores)), "every point of a small sample is noise"


def test_feedback_figures_for_an_admin(crafted, admin_user, period):
    scores = feedback.scores(viewer=admin_user, filters=period)
    # NPS answers in the period: 10 9 3 6 (Acme), 7 0 9 (Beta), 10 9 (Gamma): 5 promoters, 3 detractors of 9.
    assert (scores.nps.n, scores.nps.promoters, scores.nps.passives, scores.nps.detractors) == (9, 5, 1, 3)
    assert round(scores.nps.nps, 1) == 22.2
    # p = 5/9, d = 3/9: 1.96 · √((8/9 − (2/9)²) / 9) = 59.9 points, and 9 answers are noise.
    assert round(scores.nps.margin, 1) == 59.9 and scores.nps.small_sample
    assert (scores.csat_n, scores.csat_satisfied, round(scores.csat, 1)) == (3, 2, 66.7)  # 5, 2, 4
    assert (scores.ces_n, scores.ces_average) == (2, 4.0)  # 2 and 6
    rate = feedback.response_rate(viewer=admin_user, filters=period)
    # 14 answered in the period + 1 sent on the last day and answered after it; 4 never answered.
    assert (rate.sent, rate.answered, round(rate.percent, 1)) == (19, 15, 78.9)


def test_the_response_rate_counts_answered_invitations_without_reading_the_responses(crafted, admin_user, period):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # Answering marks the invitation in the same transaction as the response is stored, so the
    # status alone says whether it was answered: no join with the responses on a large period.
    with CaptureQueriesContext(connection) as queries:
        rate = feedback.response_rate(viewer=admin_user, filters=period)
    assert (rate.sent, rate.answered) == (19, 15)
    assert len(queries) == 1 and "surveys_response" not in queries[0]["sql"], queries[0]["sql"]


def test_nps_trend_by_week_with_sample_sizes(crafted, admin_user, period):
    points = nps_points(feedback.score_trend(viewer=admin_user, filters=period))
    assert [p.bucket.first.isoformat() for p in points] == ["2025-03-03", "2025-03-10"]
    # Week 1: 10 9 3 7 0 10 → 3 promoters, 2 detractors of 6. Week 2: 6 9 9 → 2 and 1 of 3.
    assert [(p.figure.n, round(p.figure.nps, 1)) for p in points] == [(6, 16.7), (3, 33.3)]
    assert all(p.noise for p in points)


def test_score_distribution_counts_every_point_of_the_scale(crafted, admin_user, period):
    distribution = dict(feedback.score_distribution(viewer=admin_user, filters=period))
    assert list(distribution) == list(range(11))
    assert distribution == {0: 1, 1: 0, 2: 0, 3: 1, 4: 0, 5: 0, 6: 1, 7: 1, 8: 0, 9: 3, 10: 2}


def test_themes_by_frequency_and_share_among_detractors(crafted, admin_user, period):
    rows = {r.name: r for r in feedback.themes(viewer=admin_user, filters=period)}
    # Detractors in the period (all scales): NPS 3, 6, 0, CSAT 2, CES 6 = 5 of 14 answers.
    billing, support = rows["Billing"], rows["Support"]
    assert (billing.mentions, billing.detractor_mentions, billing.detractors, billing.responses) == (3, 3, 5, 14)
    assert round(billing.detractor_share, 1) == 60.0 and round(billing.share, 1) == 21.4
    assert (support.mentions, support.detractor_mentions, round(support.detractor_share, 1)) == (3, 2, 40.0)
    assert rows["Ease of use"].mentions == 1 and rows["Pricing"].mentions == 0
    assert [r.name for r in feedback.themes(viewer=admin_user, filters=period)][:3] == [
        "Billing",
        "Support",
        "Ease of use",
    ]
    trend = feedback.theme_trend(viewer=admin_user, filters=period, names=["Billing", "Support"])
    assert [counts for _bucket, counts in trend] == [{"Billing": 2, "Support": 2}, {"Billing": 1, "Support": 1}]


def test_theme_counts_follow_the_viewer_and_the_slicers(crafted, admin_user, supervisor, period):
    def counts(viewer, **slicer):  # type: ignore[no-untyped-def]
        rows = feedback.themes(viewer=viewer, filters=dataclasses.replace(period, **slicer))
        return {r.name: (r.mentions, r.detractor_mentions, r.detractors, r.responses) for r in rows if r.mentions}

    # Acme and Beta: 12 answers, 5 detractors (NPS 3, 6, 0, CSAT 2, CES 6); Gamma's Support is not theirs.
    assert counts(supervisor) == {"Billing": (3, 3, 5, 12), "Support": (2, 2, 5, 12), "Ease of use": (1, 0, 5, 12)}
    # SMB is Beta and Gamma: 7 answers, 3 detractors (NPS 0, CSAT 2, CES 6).
    assert counts(admin_user, segment="SMB") == {"Billing": (2, 2, 3, 7), "Support": (1, 0, 3, 7)}


def test_a_viewer_who_may_see_nothing_gets_empty_theme_counts(crafted, period):
    from django.contrib.auth.models import AnonymousUser

    rows = feedback.themes(viewer=AnonymousUser(), filters=period)
    assert rows and all((r.mentions, r.detractor_mentions, r.responses) == (0, 0, 0) for r in rows)


def test_a_theme_whose_name_holds_the_separator_is_counted_whole(crafted, admin_user, period):
    Theme.objects.create(name="Billing | refunds")
    account, survey = crafted.accounts["acme"], crafted.surveys["nps"]
    make_response(account, survey, 2, at(5), themes=("Billing | refunds",))
    rows = {r.name: r for r in feedback.themes(viewer=admin_user, filters=period)}
    assert (rows["Billing | refunds"].mentions, rows["Billing | refunds"].detractor_mentions) == (1, 1)
    assert (rows["Billing"].mentions, rows["Billing"].responses) == (3, 15)
    trend = feedback.theme_trend(viewer=admin_user, filters=period, names=["Billing | refunds"])
    assert sum(counts["Billing | refunds"] for _bucket, counts in trend) == 1


def test_a_supervisor_sees_only_the_answers_of_their_teams_accounts(crafted, supervisor, manager, outsider, period):
    # Acme and Beta: 10 9 3 6 7 0 9 → 3 promoters, 3 detractors of 7.
    nps = feedback.scores(viewer=supervisor, filters=period).nps
    assert (nps.n, nps.promoters, nps.detractors, nps.nps) == (7, 3, 3, 0.0)
    rate = feedback.response_rate(viewer=supervisor, filters=period)
    assert (rate.sent, rate.answered) == (16, 13)
    assert feedback.scores(viewer=manager, filters=period).nps.n == 4  # Acme only
    assert feedback.scores(viewer=outsider, filters=period).nps.nps == 100.0  # Gamma: 10 and 9


@pytest.mark.parametrize(
    ("slicer", "n", "nps"),
    [
        ({"segment": "SMB"}, 5, 40.0),  # Beta 7 0 9, Gamma 10 9
        ({"region": "APAC"}, 2, 100.0),
        ({"business_unit": "Cloud"}, 4, 0.0),
        ({"product_line": "Analytics"}, 6, 33.3),  # Acme and Gamma
        ({"product_line": "Storage"}, 7, 0.0),  # Acme and Beta
        ({"touchpoint": "onboarding"}, 0, None),  # CSAT only
    ],
)
def test_each_slicer_narrows_the_figures(crafted, admin_user, period, slicer, n, nps):
    figure = feedback.scores(viewer=admin_user, filters=dataclasses.replace(period, **slicer)).nps
    assert figure.n == n
    assert (None if figure.nps is None else round(figure.nps, 1)) == nps


def test_team_owner_and_survey_slicers(crafted, admin_user, manager, period):
    south = Team.objects.get(name="South")
    assert feedback.scores(viewer=admin_user, filters=dataclasses.replace(period, team=south.pk)).nps.n == 2
    assert feedback.scores(viewer=admin_user, filters=dataclasses.replace(period, owner=manager.pk)).nps.n == 4
    csat = crafted.surveys["csat"]
    assert feedback.scores(viewer=admin_user, filters=dataclasses.replace(period, survey=csat.pk)).csat_n == 3
    rate = feedback.response_rate(viewer=admin_user, filters=dataclasses.replace(period, survey=csat.pk))
    assert (rate.sent, rate.answered) == (3, 3)
