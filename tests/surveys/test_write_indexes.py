"""The tables every answer writes keep no index that another index already provides: each one is
one more write per answer (an answer updates indexed columns of its invitation, so no update of it
is HOT and every index of the table takes a new entry)."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's catalogue"),
]

ANSWER_WRITES = ("surveys_invitation", "surveys_response", "surveys_answer", "vocplatform_throttlecount")


def btree_indexes(table: str) -> dict[str, tuple[tuple[str, ...], bool, bool]]:
    """name -> (columns in order, has text_pattern/varchar_pattern opclass, is partial)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT index.relname, array_agg(attribute.attname ORDER BY key.position),
                   bool_or(opclass.opcname LIKE '%%pattern_ops'), pg_index.indpred IS NOT NULL
            FROM pg_index
            JOIN pg_class index ON index.oid = pg_index.indexrelid
            JOIN pg_am am ON am.oid = index.relam AND am.amname = 'btree'
            CROSS JOIN LATERAL unnest(pg_index.indkey, pg_index.indclass) WITH ORDINALITY
                AS key(attnum, opclass_oid, position)
            JOIN pg_attribute attribute ON attribute.attrelid = pg_index.indrelid AND attribute.attnum = key.attnum
            JOIN pg_opclass opclass ON opclass.oid = key.opclass_oid
            WHERE pg_index.indrelid = %s::regclass
            GROUP BY index.relname, pg_index.indpred IS NOT NULL
            """,
            [table],
        )
        return {name: (tuple(columns), pattern, partial) for name, columns, pattern, partial in cursor.fetchall()}


@pytest.mark.parametrize("table", ANSWER_WRITES)
def test_no_like_index_on_a_table_an_answer_writes(table):
    assert [name for name, (_, pattern, _) in btree_indexes(table).items() if pattern] == []


def enforces_uniqueness(name: str) -> bool:
    # A unique index says something a longer index does not: only plain ones can be redundant.
    return name.endswith(("_pkey", "_unique", "_key")) or name.startswith("one_")


@pytest.mark.parametrize("table", ANSWER_WRITES)
def test_no_index_is_the_leading_part_of_another(table):
    plain = {name: columns for name, (columns, _, partial) in btree_indexes(table).items() if not partial}
    redundant = [
        (name, other)
        for name, columns in plain.items()
        for other, longer in plain.items()
        if name != other and not enforces_uniqueness(name) and longer[: len(columns)] == columns
    ]
    assert redundant == []


def test_the_link_lookup_and_the_conflict_targets_still_have_their_unique_indexes():
    invitation = btree_indexes("surveys_invitation")
    assert ("token_hash",) in [columns for columns, _, _ in invitation.values()]
    assert ("invitation_id",) in [columns for columns, _, _ in btree_indexes("surveys_response").values()]
    assert ("key",) in [columns for columns, _, _ in btree_indexes("vocplatform_throttlecount").values()]
