"""Loops tests start from real responses (the root conftest's `answer`), recorded and analysed
the way customers' answers are."""

from __future__ import annotations

import pytest


@pytest.fixture
def loop(answer, contact):  # type: ignore[no-untyped-def]
    """An open loop on max's account Acme Corp, opened by a detractor's answer."""
    from loops.models import Loop

    return Loop.objects.get(response=answer(contact, 2, "Support never called back"))
