"""CompiledGet: a lookup compiled once that answers exactly as QuerySet.get would."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Model
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from surveys.models import Invitation, Survey
from tests.factories import InvitationFactory, SurveyFactory
from vocplatform.compiled import CompiledGet

pytestmark = pytest.mark.django_db


def links() -> CompiledGet[Invitation]:
    return CompiledGet(
        lambda: Invitation.objects.select_related("survey").exclude(status=Invitation.Status.SUPPRESSED), "token_hash"
    )


def columns(instance: Model) -> dict[str, object]:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


@pytest.fixture
def invitation() -> Invitation:
    now = timezone.now().replace(microsecond=123456)
    survey = SurveyFactory(closes_at=now + dt.timedelta(days=9), respects_contact_gap=False)
    return InvitationFactory(
        survey=survey, status=Invitation.Status.OPENED, opened_at=now, sent_at=now - dt.timedelta(hours=2)
    )


def test_it_gives_the_instance_and_the_related_object_the_orm_gives(invitation):
    expected = Invitation.objects.select_related("survey").get(pk=invitation.pk)

    found = links().get(invitation.token_hash)

    assert isinstance(found, Invitation) and isinstance(found.survey, Survey)
    assert columns(found) == columns(expected)
    assert columns(found.survey) == columns(expected.survey)
    assert found.opened_at.tzinfo is not None and found.opened_at == invitation.opened_at
    assert not found._state.adding and found._state.db == "default"


def test_the_related_object_comes_with_the_row_not_from_another_query(invitation):
    lookup = links()
    with CaptureQueriesContext(connection) as queries:
        found = lookup.get(invitation.token_hash)
        assert found is not None
        assert found.survey.name == invitation.survey.name
    assert len(queries.captured_queries) == 1


def test_an_unknown_value_or_a_filtered_out_row_gives_none(invitation):
    suppressed = InvitationFactory(status=Invitation.Status.SUPPRESSED, suppressed_by="survey_gap")
    lookup = links()

    assert lookup.get("0" * 64) is None
    assert lookup.get(suppressed.token_hash) is None
    assert lookup.get(invitation.token_hash) is not None


def test_each_call_looks_up_its_own_value_with_sql_compiled_once(invitation, monkeypatch):
    other = InvitationFactory()
    lookup = links()
    compiled = []
    as_sql = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(1) or as_sql(self, *a, **k))

    first, second, again = (lookup.get(h) for h in (invitation.token_hash, other.token_hash, invitation.token_hash))

    assert (first.pk, second.pk, again.pk) == (invitation.pk, other.pk, invitation.pk)
    assert len(compiled) == 1


def test_an_instance_it_gives_saves_as_an_update(invitation):
    found = links().get(invitation.token_hash)
    found.status = Invitation.Status.ANSWERED
    found.save(update_fields=["status"])

    assert Invitation.objects.count() == 1
    assert Invitation.objects.get().status == Invitation.Status.ANSWERED


def test_a_field_that_matches_more_than_one_row_is_an_error():
    InvitationFactory.create_batch(2, status=Invitation.Status.SENT)

    with pytest.raises(Invitation.MultipleObjectsReturned):
        CompiledGet(lambda: Invitation.objects.all(), "status").get(Invitation.Status.SENT)


def test_a_lookup_whose_value_is_rewritten_is_refused():
    # icontains sends '%value%', not the value: there is no parameter to swap.
    with pytest.raises(ValueError, match="one plain parameter"):
        CompiledGet(lambda: Invitation.objects.all(), "token_hash__icontains").get("abc")


@pytest.mark.parametrize(
    "queryset",
    [
        lambda: Invitation.objects.values("pk"),
        lambda: Invitation.objects.prefetch_related("messages"),
        lambda: Invitation.objects.select_for_update(),
    ],
    ids=["values", "prefetch_related", "select_for_update"],
)
def test_what_get_would_do_differently_is_refused(queryset):
    with pytest.raises(ValueError, match="only plain model querysets"):
        CompiledGet(queryset, "token_hash").get("abc")


def test_a_column_whose_value_needs_preparing_is_refused():
    # A UUID or a date is stored differently per database; only text passes through unchanged.
    with pytest.raises(ValueError, match="not a text column"):
        CompiledGet(lambda: Invitation.objects.all(), "expires_at").get("2026-01-01")


def test_the_lookup_neither_sorts_nor_reads_more_than_two_rows(invitation):
    with CaptureQueriesContext(connection) as queries:
        links().get(invitation.token_hash)
    sql = queries.captured_queries[0]["sql"]
    assert "ORDER BY" not in sql and "LIMIT 2" in sql
