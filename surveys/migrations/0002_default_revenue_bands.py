"""Default segment revenue bands for the CRM hygiene report; admins edit them afterwards."""

from decimal import Decimal

from django.db import migrations

DEFAULT_BANDS = [
    ("SMB", None, Decimal("10000000")),
    ("Mid-market", Decimal("10000000"), Decimal("500000000")),
    ("Enterprise", Decimal("500000000"), None),
]


def create_bands(apps, schema_editor):
    Band = apps.get_model("surveys", "SegmentRevenueBand")
    for segment, low, high in DEFAULT_BANDS:
        Band.objects.get_or_create(segment=segment, defaults={"min_revenue": low, "max_revenue": high})


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]
    operations = [migrations.RunPython(create_bands, migrations.RunPython.noop)]
