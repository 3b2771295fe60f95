"""The tables every answer writes keep no index that another index already provides: each one is
one more write per answer (an answer updates indexed columns of its invitation, so no update of it
is HOT and every index of the table takes a new entry)."""

from __future__ import annotations

import pytest
from django.db import connection

from surveys.models import Answer, Invitation, Response

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's catalogue"),
]

ANSWER_WRITES = ("surveys_invitation", "surveys_response", "surveys_answer", "vocplatform_throttlecount")


def btree_indexes(table: str) -> dict[str, tuple[tuple[str, ...], bool, bool, bool]]:
    """name -> (columns in order, has a *_pattern_ops opclass, is partial, is unique)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT index.relname, array_agg(attribute.attname ORDER BY key.position),
                   bool_or(opclass.opcname LIKE '%%pattern_ops'), pg_index.indpred IS NOT NULL, pg_index.indisunique
            FROM pg_index
            JOIN pg_class index ON index.oid = pg_index.indexrelid
            JOIN pg_am am ON am.oid = index.relam AND am.amname = 'btree'
            CROSS JOIN LATERAL unnest(pg_index.indkey, pg_index.indclass) WITH ORDINALITY
                AS key(attnum, opclass_oid, position)
            JOIN pg_attribute attribute ON attribute.attrelid = pg_index.indrelid AND attribute.attnum = key.attnum
            JOIN pg_opclass opclass ON opclass.oid = key.opclass_oid
            WHERE pg_index.indrelid = %s::regclass
            GROUP BY index.relname, pg_index.indpred IS NOT NULL, pg_index.indisunique
            """,
            [table],
        )
        rows = cursor.fetchall()
    return {name: (tuple(columns), pattern, partial, unique) for name, columns, pattern, partial, unique in rows}


@pytest.mark.parametrize("table", ANSWER_WRITES)
def test_no_like_index_on_a_table_an_answer_writes(table):
    assert [name for name, (_, pattern, _, _) in btree_indexes(table).items() if pattern] == []


@pytest.mark.parametrize("table", ANSWER_WRITES)
def test_no_index_is_the_leading_part_of_another(table):
    # A unique index says something a longer index does not: only plain ones can be redundant.
    indexes = btree_indexes(table)
    plain = {name: columns for name, (columns, _, partial, unique) in indexes.items() if not partial and not unique}
    every = {name: columns for name, (columns, _, partial, _) in indexes.items() if not partial}
    redundant = [
        (name, other)
        for name, columns in plain.items()
        for other, longer in every.items()
        if name != other and longer[: len(columns)] == columns
    ]
    assert redundant == []


@pytest.mark.parametrize("model", [Invitation, Response, Answer])
def test_every_foreign_key_still_leads_an_index(model):
    # Deleting a contact, an account or a response finds the rows that point at it by index.
    leading = {columns[0] for columns, _, _, _ in btree_indexes(model._meta.db_table).values()}
    foreign_keys = {field.column for field in model._meta.concrete_fields if field.is_relation}
    assert foreign_keys - leading == set()


def unique_columns(table: str) -> list[tuple[str, ...]]:
    return [columns for columns, _, _, unique in btree_indexes(table).values() if unique]


def test_the_link_lookup_and_the_conflict_targets_keep_their_unique_indexes():
    assert ("token_hash",) in unique_columns("surveys_invitation")
    assert ("token_nonce",) in unique_columns("surveys_invitation")
    assert ("invitation_id",) in unique_columns("surveys_response")
    assert ("key",) in unique_columns("vocplatform_throttlecount")
