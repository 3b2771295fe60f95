"""Default health components and band thresholds; admins edit them."""

from django.db import migrations

COMPONENTS = [
    ("scores", "Recent NPS/CSAT/CES", "scores", 35.0),
    ("open-loops", "Open and overdue loops", "loops", 20.0),
    ("sentiment", "Comment sentiment", "sentiment", 15.0),
    ("silence", "Survey response rate", "silence", 10.0),
    ("recovery", "Recovery after loops", "recovery", 10.0),
]


def seed(apps, schema_editor):
    HealthComponent = apps.get_model("loops", "HealthComponent")
    HealthSettings = apps.get_model("loops", "HealthSettings")
    for key, label, kind, weight in COMPONENTS:
        HealthComponent.objects.get_or_create(key=key, defaults={"label": label, "kind": kind, "weight": weight})
    if not HealthSettings.objects.exists():
        HealthSettings.objects.create(red_below=50, green_from=75)


class Migration(migrations.Migration):
    dependencies = [("loops", "0003_health")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
