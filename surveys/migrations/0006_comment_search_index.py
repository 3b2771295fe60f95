"""Full-text search over comments: a GIN index on PostgreSQL (English stemming).

SQLite has no such index; the search selector falls back to a plain substring
match there, so this migration does nothing on other databases.
"""

from django.db import migrations

INDEX = "surveys_response_comment_fts"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON surveys_response "
        "USING gin (to_tsvector('english'::regconfig, COALESCE(comment, '')))"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("surveys", "0005_text_analytics")]
    operations = [migrations.RunPython(create_index, drop_index)]
