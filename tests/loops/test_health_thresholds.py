"""Band thresholds are whole points, so a health figure written in whole points (rounded down) always
falls inside the band it is shown beside."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from loops.models import HealthSettings
from loops.templatetags.health import score_figure

pytestmark = pytest.mark.django_db


def test_a_threshold_between_two_points_is_refused():
    with pytest.raises(ValidationError) as refused:
        HealthSettings(red_below=49.5, green_from=75).full_clean()
    assert set(refused.value.message_dict) == {"red_below"}
    HealthSettings(red_below=40, green_from=80).full_clean()


@pytest.mark.parametrize(("score", "shown"), [(49.999, "49"), (50.0, "50"), (74.9, "74"), (75.0, "75"), (0.2, "0")])
def test_a_figure_is_written_in_whole_points_rounded_down(score, shown):
    assert score_figure(score) == shown
