"""Events from other systems become invitations through trigger rules. Replaying an event does nothing new.

A batch is all or nothing: every item is checked first, and a bad item is
reported by its position and field with nothing stored. Duplicates (an
external id seen before, in this batch or an earlier one, even one being
stored concurrently) are skipped, never an error.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from surveys.models import Account, Contact, Event, Invitation, Survey, TriggerRule
from surveys.services.tokens import token_for, token_hash, token_nonce_new
from vocplatform.queueing import enqueue_on_commit

MAX_BATCH = 1000


class EventsRefused(Exception):
    def __init__(self, errors: dict[int, dict[str, list[str]]]) -> None:
        super().__init__(f"{len(errors)} event(s) are invalid; nothing was stored.")
        self.errors = errors


@dataclass(frozen=True)
class EventInput:
    external_id: str
    type: str
    contact_external_id: str = ""
    contact_email: str = ""
    account_external_id: str = ""
    properties: dict[str, Any] = field(default_factory=dict)
    occurred_at: dt.datetime | None = None


@dataclass
class IngestResult:
    created: int = 0
    duplicates: int = 0
    invitations: int = 0
    invitation_ids: list[int] = field(default_factory=list)


def _contacts_for(items: Sequence[EventInput]) -> tuple[dict[str, Contact], dict[str, list[Contact]]]:
    external_ids = {item.contact_external_id for item in items if item.contact_external_id}
    emails = {item.contact_email.lower() for item in items if item.contact_email and not item.contact_external_id}
    related = Contact.objects.select_related("account")
    by_external = {c.external_id: c for c in related.filter(external_id__in=external_ids)} if external_ids else {}
    by_email: dict[str, list[Contact]] = {}
    if emails:
        for contact in related.annotate(email_key=Lower("email")).filter(email_key__in=emails):
            by_email.setdefault(contact.email.lower(), []).append(contact)
    return by_external, by_email  # type: ignore[return-value]


def _resolve(item: EventInput, by_external: dict[str, Contact], by_email: dict[str, list[Contact]]) -> Contact | str:
    """The event's contact, or a message saying why it cannot be found."""
    if item.contact_external_id:
        found = by_external.get(item.contact_external_id)
        if found is None:
            return f"no contact with external id {item.contact_external_id!r}"
        if item.account_external_id and found.account.external_id != item.account_external_id:
            return f"contact {item.contact_external_id!r} does not belong to account {item.account_external_id!r}"
        return found
    candidates = by_email.get(item.contact_email.lower(), [])
    if item.account_external_id:
        candidates = [c for c in candidates if c.account.external_id == item.account_external_id]
    if not candidates:
        return f"no contact with email {item.contact_email!r}" + (
            f" in account {item.account_external_id!r}" if item.account_external_id else ""
        )
    if len(candidates) > 1:
        return f"{len(candidates)} contacts share the email {item.contact_email!r}; give account_external_id"
    return candidates[0]


def _matches(rule: TriggerRule, contact: Contact, account: Account, properties: dict[str, Any]) -> bool:
    return (
        (not rule.segments or account.segment in rule.segments)
        and (not rule.regions or account.region in rule.regions)
        and (not rule.contact_roles or contact.role in rule.contact_roles)
        and all(properties.get(key) == value for key, value in rule.properties.items())
    )


def invitation_build(
    *, survey: Survey, contact: Contact, scheduled_for: dt.datetime, expiry_days: int | None = None, **links: Any
) -> Invitation:
    nonce = token_nonce_new()
    return Invitation(
        survey=survey,
        contact=contact,
        account_id=contact.account_id,
        token_nonce=nonce,
        token_hash=token_hash(token_for(nonce)),
        scheduled_for=scheduled_for,
        expires_at=scheduled_for + dt.timedelta(days=expiry_days or survey.expiry_days),
        **links,
    )


@transaction.atomic
def events_ingest(*, items: Sequence[EventInput], source: str = Event.Source.API) -> IngestResult:
    if len(items) > MAX_BATCH:
        raise EventsRefused({MAX_BATCH: {"non_field_errors": [f"A batch holds at most {MAX_BATCH} events."]}})
    by_external, by_email = _contacts_for(items)
    contacts: dict[int, Contact] = {}
    errors: dict[int, dict[str, list[str]]] = {}
    for position, item in enumerate(items):
        resolved = _resolve(item, by_external, by_email)
        if isinstance(resolved, str):
            errors[position] = {"contact": [resolved]}
        else:
            contacts[position] = resolved
    if errors:
        raise EventsRefused(errors)

    now = timezone.now()
    batch = uuid.uuid4()
    fresh = [
        Event(
            external_id=item.external_id,
            type=item.type,
            contact=contacts[position],
            account_id=contacts[position].account_id,
            properties=item.properties,
            occurred_at=item.occurred_at or now,
            source=source,
            ingest_batch=batch,
        )
        for position, item in enumerate(items)
    ]
    # ignore_conflicts makes a concurrent or repeated external id a no-op; the batch
    # token then tells which rows this call inserted, without a query per event. Inserting in
    # external-id order makes concurrent batches wait for each other's keys in one order, so
    # overlapping batches queue up instead of deadlocking.
    fresh.sort(key=lambda event: event.external_id)
    Event.objects.bulk_create(fresh, ignore_conflicts=True, batch_size=500)
    ours = list(Event.objects.filter(ingest_batch=batch).select_related("contact", "account"))
    result = IngestResult(created=len(ours), duplicates=len(items) - len(ours))
    rules = list(
        TriggerRule.objects.filter(active=True, event_type__in={e.type for e in ours}).select_related("survey")
    )
    invitations = [
        invitation_build(
            survey=rule.survey,
            contact=event.contact,
            scheduled_for=max(now, event.occurred_at) + dt.timedelta(minutes=rule.delay_minutes),
            expiry_days=rule.expiry_days,
            event=event,
            trigger_rule=rule,
        )
        for event in ours
        for rule in rules
        if rule.event_type == event.type and _matches(rule, event.contact, event.account, event.properties)
    ]
    created = Invitation.objects.bulk_create(invitations, ignore_conflicts=False, batch_size=500)
    result.invitations = len(created)
    due_now = [inv.pk for inv in created if inv.scheduled_for <= now]
    result.invitation_ids = [inv.pk for inv in created]
    if due_now:
        from surveys.tasks import invitations_dispatch_task

        for start in range(0, len(due_now), 100):
            chunk = due_now[start : start + 100]
            enqueue_on_commit(invitations_dispatch_task, chunk, swept=True)
    return result
