"""The health score as plain functions: weights, missing components, bands and the helpers that
map raw signals onto 0–100."""

from __future__ import annotations

import math

import pytest

from loops.health.scoring import (
    Component,
    HealthScore,
    band_for,
    health_score,
    linear_score,
    nps_to_score,
    recency_weighted_mean,
    trend,
    what_moved,
)

COMPONENTS = [
    Component(key="nps", label="NPS", weight=2),
    Component(key="sentiment", label="Sentiment", weight=1),
    Component(key="silence", label="Days since last contact", weight=1),
]


def test_score_is_the_weighted_mean_of_the_components() -> None:
    health = health_score({"nps": 80, "sentiment": 60, "silence": 40}, COMPONENTS)

    assert health.score == pytest.approx((2 * 80 + 60 + 40) / 4)
    assert health.based_on == 3
    assert [part.normalised_weight for part in health.components] == pytest.approx([0.5, 0.25, 0.25])


def test_the_score_says_how_many_components_it_rests_on() -> None:
    health = health_score({"nps": 80, "silence": 40}, COMPONENTS)

    assert health.based_on == 2
    # The missing sentiment drops out and the other weights are re-normalised, not counted as 0.
    assert health.score == pytest.approx((2 * 80 + 40) / 3)
    sentiment = health.components[1]
    assert (sentiment.score, sentiment.normalised_weight, sentiment.contribution) == (None, 0.0, 0.0)
    assert sum(part.normalised_weight for part in health.components) == pytest.approx(1.0)


def test_contributions_add_up_to_the_score() -> None:
    health = health_score({"nps": 90, "sentiment": 30, "silence": None}, COMPONENTS)

    assert health.score is not None
    assert sum(part.contribution for part in health.components) == pytest.approx(health.score)


def test_nan_counts_as_missing() -> None:
    health = health_score({"nps": 80, "sentiment": math.nan}, COMPONENTS)

    assert health.based_on == 1
    assert health.score == pytest.approx(80)


def test_an_account_without_data_is_unknown() -> None:
    health = health_score({}, COMPONENTS)

    assert (health.score, health.band, health.based_on) == (None, "unknown", 0)


def test_all_zero_weights_make_the_score_unknown() -> None:
    components = [Component(key="nps", label="NPS", weight=0), Component(key="silence", label="Silence", weight=0)]

    health = health_score({"nps": 80, "silence": 20}, components)

    assert (health.score, health.band, health.based_on) == (None, "unknown", 0)


def test_a_zero_weight_component_does_not_count_as_support() -> None:
    components = [*COMPONENTS, Component(key="attr:MonthlyCharges", label="Monthly charges", weight=0)]

    health = health_score({"nps": 60, "attr:MonthlyCharges": 10}, components)

    assert health.based_on == 1
    assert health.score == pytest.approx(60)


def test_component_scores_are_clipped_to_0_100() -> None:
    health = health_score({"nps": 130, "sentiment": -20}, COMPONENTS)

    assert [part.score for part in health.components[:2]] == [100.0, 0.0]


def test_negative_weights_and_repeated_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="weights must be >= 0"):
        health_score({}, [Component(key="nps", label="NPS", weight=-1)])
    with pytest.raises(ValueError, match="once"):
        health_score({}, [COMPONENTS[0], COMPONENTS[0]])


@pytest.mark.parametrize(
    ("score", "band"),
    [(0, "red"), (49.99, "red"), (50, "yellow"), (74.99, "yellow"), (75, "green"), (100, "green"), (None, "unknown")],
)
def test_bands_change_exactly_at_the_thresholds(score: float | None, band: str) -> None:
    assert band_for(score) == band


def test_thresholds_are_configurable_and_passed_through() -> None:
    assert band_for(55, red_below=60, green_from=90) == "red"
    assert health_score({"nps": 85}, COMPONENTS, red_below=60, green_from=90).band == "yellow"
    with pytest.raises(ValueError, match="must not exceed"):
        band_for(50, red_below=80, green_from=70)


def test_linear_score_maps_higher_is_better_attributes() -> None:
    assert linear_score(5, zero_at=0, hundred_at=10) == pytest.approx(50)
    assert linear_score(10, zero_at=0, hundred_at=10) == pytest.approx(100)


def test_linear_score_maps_lower_is_better_attributes() -> None:
    # Days since last contact: a week is healthy, half a year is not.
    assert linear_score(7, zero_at=180, hundred_at=7) == pytest.approx(100)
    assert linear_score(180, zero_at=180, hundred_at=7) == pytest.approx(0)
    assert linear_score(93.5, zero_at=180, hundred_at=7) == pytest.approx(50)


def test_linear_score_clips_beyond_either_end() -> None:
    assert linear_score(400, zero_at=180, hundred_at=7) == 0
    assert linear_score(0, zero_at=180, hundred_at=7) == 100
    assert linear_score(-3, zero_at=0, hundred_at=10) == 0
    assert linear_score(12, zero_at=0, hundred_at=10) == 100


def test_linear_score_refuses_a_line_without_length() -> None:
    with pytest.raises(ValueError, match="must differ"):
        linear_score(3, zero_at=5, hundred_at=5)


@pytest.mark.parametrize(("nps", "score"), [(-100, 0), (0, 50), (40, 70), (100, 100)])
def test_nps_maps_onto_the_health_scale(nps: float, score: float) -> None:
    assert nps_to_score(nps) == pytest.approx(score)


def test_recent_points_count_more_than_old_ones() -> None:
    # A point one half-life old counts half as much as today's.
    assert recency_weighted_mean([(0, 100), (90, 0)]) == pytest.approx(100 / 1.5)
    assert recency_weighted_mean([(0, 100), (30, 0)], half_life_days=30) == pytest.approx(100 / 1.5)


def test_points_of_the_same_age_give_the_plain_mean() -> None:
    assert recency_weighted_mean([(10, 20), (10, 40), (10, 90)]) == pytest.approx(50)


def test_recency_weighting_needs_points_and_a_positive_half_life() -> None:
    assert recency_weighted_mean([]) is None
    assert recency_weighted_mean([(5, math.nan)]) is None
    with pytest.raises(ValueError, match="positive"):
        recency_weighted_mean([(0, 1)], half_life_days=0)


def test_future_points_count_as_today() -> None:
    assert recency_weighted_mean([(-5, 100), (90, 0)]) == pytest.approx(100 / 1.5)


def test_trend_needs_both_scores() -> None:
    assert trend(70, 62.5) == pytest.approx(7.5)
    assert trend(None, 60) is None
    assert trend(60, None) is None


def test_what_moved_lists_the_biggest_changes_first() -> None:
    earlier = health_score({"nps": 80, "sentiment": 70, "silence": 90}, COMPONENTS)
    current = health_score({"nps": 40, "sentiment": 75, "silence": 60}, COMPONENTS)

    moved = what_moved(current, earlier)

    assert [label for label, _ in moved] == ["NPS", "Days since last contact", "Sentiment"]
    assert moved[0][1] == pytest.approx(-20)
    assert sum(delta for _, delta in moved) == pytest.approx(trend(current.score, earlier.score))


def test_what_moved_keeps_the_top_and_leaves_out_what_did_not_change() -> None:
    earlier = health_score({"nps": 80, "sentiment": 70, "silence": 90}, COMPONENTS)
    current = health_score({"nps": 40, "sentiment": 70, "silence": 90}, COMPONENTS)

    assert what_moved(current, earlier, top=1) == [("NPS", pytest.approx(-20))]
    assert [label for label, _ in what_moved(current, earlier)] == ["NPS"]


def test_a_component_that_gained_data_shows_as_moved() -> None:
    earlier = health_score({"nps": 80}, COMPONENTS)
    current = health_score({"nps": 80, "silence": 20}, COMPONENTS)

    moved = dict(what_moved(current, earlier))

    # Silence now carries a third of the weight, and NPS's share of the score shrank accordingly.
    assert moved["Days since last contact"] == pytest.approx(20 / 3)
    assert moved["NPS"] == pytest.approx(80 * 2 / 3 - 80)


def test_nothing_moved_without_an_earlier_score() -> None:
    current: HealthScore = health_score({"nps": 80}, COMPONENTS)

    assert what_moved(current, None) == []
