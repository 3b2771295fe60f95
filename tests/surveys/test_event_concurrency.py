"""Twenty event batches at the same moment, with overlapping external ids: one event and one
invitation per external id, no error. PostgreSQL only (SQLite serialises writers)."""

import random
from collections import Counter

import pytest
from django.db import connection

from surveys.models import Event, Invitation
from surveys.services.events import EventInput, events_ingest
from tests.factories import AccountFactory, ContactFactory, QuestionFactory, TriggerRuleFactory
from tests.surveys.test_response_concurrency import all_at_once

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers, so it cannot show a race (set DATABASE_URL)",
    ),
]

BATCHES = 20
EVENTS_PER_BATCH = 60
DISTINCT_EVENTS = 200


def test_simultaneous_batches_with_overlapping_ids_make_one_invitation_per_event():
    rule = TriggerRuleFactory(event_type="ticket.closed")
    QuestionFactory(survey=rule.survey, position=0)
    account = AccountFactory()
    contacts = [ContactFactory(account=account, external_id=f"CON-{n}") for n in range(20)]
    rng = random.Random(7)
    batches = [
        [
            EventInput(external_id=f"EV-{n}", type="ticket.closed", contact_external_id=contacts[n % 20].external_id)
            for n in rng.sample(range(DISTINCT_EVENTS), EVENTS_PER_BATCH)  # each batch in its own order
        ]
        for _ in range(BATCHES)
    ]
    sent = {item.external_id for batch in batches for item in batch}

    results, errors = all_at_once(lambda i: events_ingest(items=batches[i]), count=BATCHES)

    assert errors == []
    assert sum(result.created for result in results) == len(sent)  # type: ignore[attr-defined]
    assert set(Event.objects.values_list("external_id", flat=True)) == sent
    per_event = Counter(Invitation.objects.values_list("event__external_id", flat=True))
    assert per_event == dict.fromkeys(sent, 1)
