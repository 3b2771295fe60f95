"""Account health as a weighted mean of 0–100 component scores, as plain functions.

An admin configures the components (NPS, sentiment, silence, open loops, recovery, account
attributes…) and their weights. Each component arrives already mapped to 0–100 (higher is
healthier) by the helpers here (``linear_score``, ``nps_to_score``, ``recency_weighted_mean``);
``health_score`` combines them. A component without data drops out and the remaining weights are
re-normalised, so an account with only an NPS answer gets a score that rests on one component and
says so (``based_on``) instead of being dragged towards zero by what nobody measured.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

RED = "red"
YELLOW = "yellow"
GREEN = "green"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Component:
    """One weighted input of the health score, as an admin configures it."""

    key: str
    label: str
    weight: float


@dataclass(frozen=True)
class ComponentValue:
    """A component as it counted for one account: ``score`` is None when it had no data, and then its
    ``normalised_weight`` and ``contribution`` are 0. Contributions add up to the health score."""

    key: str
    label: str
    weight: float
    score: float | None
    normalised_weight: float
    contribution: float


@dataclass(frozen=True)
class HealthScore:
    score: float | None
    band: str
    components: tuple[ComponentValue, ...]
    based_on: int


def health_score(
    values: Mapping[str, float | None],
    components: Sequence[Component],
    *,
    red_below: float = 50,
    green_from: float = 75,
) -> HealthScore:
    """Combine component scores (0–100, clipped; None or NaN = no data) by their weights.

    Only components with data and a positive weight carry the score; their weights are re-normalised
    to sum to 1. When none does (no data, or all such weights zero) the score is None and the band
    ``"unknown"``.
    """
    _check_components(components)
    scores = {component.key: _present(values.get(component.key)) for component in components}
    total = sum(component.weight for component in components if scores[component.key] is not None)
    parts = tuple(_component_value(component, scores[component.key], total) for component in components)
    based_on = sum(1 for part in parts if part.normalised_weight > 0)
    score = sum(part.contribution for part in parts) if based_on else None
    return HealthScore(
        score=score,
        band=band_for(score, red_below=red_below, green_from=green_from),
        components=parts,
        based_on=based_on,
    )


def _component_value(component: Component, score: float | None, total_weight: float) -> ComponentValue:
    share = component.weight / total_weight if score is not None and total_weight > 0 else 0.0
    return ComponentValue(
        key=component.key,
        label=component.label,
        weight=component.weight,
        score=score,
        normalised_weight=share,
        contribution=score * share if score is not None else 0.0,
    )


def _check_components(components: Sequence[Component]) -> None:
    keys = [component.key for component in components]
    if len(set(keys)) != len(keys):
        raise ValueError(f"each component key may appear once, got {keys}")
    for component in components:
        if not component.weight >= 0:  # also refuses NaN
            raise ValueError(f"component {component.key!r} has weight {component.weight}; weights must be >= 0")


def _present(value: float | None) -> float | None:
    if value is None or math.isnan(value):
        return None
    return _clip(float(value))


def band_for(score: float | None, *, red_below: float = 50, green_from: float = 75) -> str:
    """``"red"`` below ``red_below``, ``"green"`` from ``green_from`` up, ``"yellow"`` between."""
    if red_below > green_from:
        raise ValueError(f"red_below ({red_below}) must not exceed green_from ({green_from})")
    if score is None:
        return UNKNOWN
    if score < red_below:
        return RED
    if score >= green_from:
        return GREEN
    return YELLOW


def linear_score(value: float, *, zero_at: float, hundred_at: float) -> float:
    """Map an attribute onto 0–100 along a straight line, clipped at both ends.

    ``zero_at`` > ``hundred_at`` means lower is better (e.g. days since last contact: 0 at 180 days,
    100 at 7 days).
    """
    if zero_at == hundred_at:
        raise ValueError(f"zero_at and hundred_at must differ, both are {zero_at}")
    if math.isnan(value):
        raise ValueError("cannot score NaN; pass None to health_score for a missing value")
    return _clip(100.0 * (value - zero_at) / (hundred_at - zero_at))


def recency_weighted_mean(points: Sequence[tuple[float, float]], *, half_life_days: float = 90) -> float | None:
    """Mean of ``(age_days, value)`` points where a point ``half_life_days`` old counts half as much as
    one from today. Negative ages (clock skew) count as today; NaN values are skipped. None when
    nothing is left."""
    if not half_life_days > 0:
        raise ValueError(f"half_life_days must be positive, got {half_life_days}")
    weighted = [(0.5 ** (max(age, 0.0) / half_life_days), value) for age, value in points if not math.isnan(value)]
    total = sum(weight for weight, _ in weighted)
    if not weighted or total == 0:
        return None
    return sum(weight * value for weight, value in weighted) / total


def nps_to_score(nps: float) -> float:
    """An NPS (−100…100) on the 0–100 health scale: −100 → 0, 0 → 50, 100 → 100."""
    return linear_score(nps, zero_at=-100, hundred_at=100)


def trend(current: float | None, earlier: float | None) -> float | None:
    """How far the score moved (points, positive = healthier); None unless both are known."""
    if current is None or earlier is None:
        return None
    return current - earlier


def what_moved(current: HealthScore, earlier: HealthScore | None, *, top: int = 3) -> list[tuple[str, float]]:
    """The components whose contribution changed most since ``earlier``, as ``(label, delta)`` with the
    biggest absolute change first. Deltas are in score points, so when both scores are known all the
    deltas together add up to the score's trend; unchanged components are left out."""
    if earlier is None:
        return []
    before = {part.key: part for part in earlier.components}
    now = {part.key: part for part in current.components}
    deltas = []
    for key in dict.fromkeys([*now, *before]):
        label = (now.get(key) or before[key]).label
        delta = (now[key].contribution if key in now else 0.0) - (before[key].contribution if key in before else 0.0)
        if abs(delta) > 1e-9:
            deltas.append((label, delta))
    deltas.sort(key=lambda item: abs(item[1]), reverse=True)
    return deltas[:top]


def _clip(score: float) -> float:
    return min(100.0, max(0.0, score))
