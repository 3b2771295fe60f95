"""Term associations: words and collocated phrases that set target comments apart, by lift."""

from __future__ import annotations

from surveys.analytics.associations import term_associations

DETRACTORS = [
    "on hold for hours, customer service never answered",
    "customer service kept me on hold",
    "hold music for an hour, customer service useless",
    "great seat but the food was cold",
]
OTHERS = [
    "great crew and service",
    "seat was comfortable",
    "lovely flight, good food",
    "service was quick",
    "nice crew",
    "food was fine",
]


def test_words_and_phrases_that_stand_out_come_first() -> None:
    found = term_associations(DETRACTORS, OTHERS, min_count=3)
    assert [(item.term, item.kind) for item in found] == [
        ("customer", "word"),
        ("customer service", "phrase"),
        ("hold", "word"),
        ("service", "word"),
    ]
    top = found[0]
    assert (top.target_count, top.other_count) == (3, 0)
    assert top.lift == 2.5  # in 3 of 4 target comments, 3 of 10 overall


def test_results_are_sorted_by_lift_and_respect_the_minimum_count() -> None:
    found = term_associations(DETRACTORS, OTHERS, min_count=1)
    lifts = [item.lift for item in found]
    assert lifts == sorted(lifts, reverse=True)
    assert all(item.target_count >= 1 for item in found)
    assert "the" not in {item.term for item in found}


def test_a_term_as_common_elsewhere_has_lift_below_one() -> None:
    found = {item.term: item for item in term_associations(DETRACTORS, OTHERS, min_count=1, limit=100)}
    assert found["food"].lift < 1


def test_empty_groups_give_no_associations() -> None:
    assert term_associations([], OTHERS) == []
    assert term_associations(["", "\x00"], []) == []
