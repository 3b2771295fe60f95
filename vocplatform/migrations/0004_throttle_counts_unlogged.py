"""On PostgreSQL, rate-limit counts skip the write-ahead log.

Every survey page and API call counts one hit, an autocommitted upsert; on a logged table each
one waits for its WAL record to reach the disk. The counts are worth nothing after a crash (a
window lasts a minute or so; PostgreSQL empties an unlogged table when it recovers), so they
need not be durable. SQLite has no such tables: nothing changes there.
"""

from django.db import migrations


def unlogged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(apps.get_model("vocplatform", "ThrottleCount")._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} SET UNLOGGED")


def logged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(apps.get_model("vocplatform", "ThrottleCount")._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} SET LOGGED")


class Migration(migrations.Migration):
    dependencies = [("vocplatform", "0003_requeue_claims")]

    operations = [migrations.RunPython(unlogged, logged)]
