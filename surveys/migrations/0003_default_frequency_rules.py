"""Default contact-frequency rules: one survey per contact per 30 days, five invitations
per account per 30 days, and email only between 08:00 and 20:00 in the contact's time zone."""

from django.db import migrations

DEFAULTS = [
    {"kind": "contact_gap", "days": 30, "limit": 1, "start_hour": 8, "end_hour": 20},
    {"kind": "account_cap", "days": 30, "limit": 5, "start_hour": 8, "end_hour": 20},
    {"kind": "send_window", "days": 1, "limit": 1, "start_hour": 8, "end_hour": 20},
]


def create_rules(apps, schema_editor):
    FrequencyRule = apps.get_model("surveys", "FrequencyRule")
    for values in DEFAULTS:
        FrequencyRule.objects.get_or_create(kind=values["kind"], defaults=values)


class Migration(migrations.Migration):
    dependencies = [("surveys", "0002_default_revenue_bands")]
    operations = [migrations.RunPython(create_rules, migrations.RunPython.noop)]
