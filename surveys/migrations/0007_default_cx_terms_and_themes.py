"""Seed the editable customer-experience lexicon and a starting theme taxonomy.

The lexicon comes from surveys.analytics.cx_lexicon.DEFAULT_CX_LEXICON as it stood when this
migration first ran; admins edit the rows afterwards.
"""

from django.db import migrations

DEFAULT_THEMES = [
    ("Support", "Speed and quality of help from the support team.",
     ["support", "ticket", "response time", "agent", "helpdesk", "waiting", "on hold", "chat"]),
    ("Billing", "Invoices, charges, refunds and payment problems.",
     ["invoice", "billing", "charged", "refund", "payment", "overcharged", "credit card"]),
    ("Product quality", "Bugs, errors and things that do not work as they should.",
     ["bug", "error", "broken", "crash", "doesn't work", "not working", "glitch", "fix"]),
    ("Reliability", "Outages, downtime and slowness.",
     ["outage", "down", "downtime", "slow", "latency", "unavailable", "performance"]),
    ("Onboarding", "Getting started, setup, training and implementation.",
     ["onboarding", "setup", "implementation", "training", "getting started", "kickoff"]),
    ("Ease of use", "How easy the product is to learn and use.",
     ["easy", "intuitive", "confusing", "complicated", "user friendly", "interface", "ui"]),
    ("Pricing", "Price, value for money and contract terms.",
     ["price", "pricing", "expensive", "cost", "value for money", "cheaper", "contract"]),
    ("Account management", "The relationship with the account manager.",
     ["account manager", "relationship", "check-in", "responsive", "proactive", "csm"]),
    ("Integrations", "Connections to other systems and the API.",
     ["integration", "api", "sync", "connector", "salesforce", "webhook", "import", "export"]),
    ("Documentation", "Help articles, guides and documentation.",
     ["documentation", "docs", "help article", "guide", "knowledge base", "tutorial"]),
]


def seed(apps, schema_editor):
    from surveys.analytics.cx_lexicon import DEFAULT_CX_LEXICON

    CxTerm = apps.get_model("surveys", "CxTerm")
    Theme = apps.get_model("surveys", "Theme")
    for term, valence in DEFAULT_CX_LEXICON.items():
        CxTerm.objects.get_or_create(term=term[:60], defaults={"valence": max(-4.0, min(4.0, float(valence)))})
    for name, description, keywords in DEFAULT_THEMES:
        Theme.objects.get_or_create(name=name, defaults={"description": description, "keywords": keywords})


class Migration(migrations.Migration):
    dependencies = [("surveys", "0006_comment_search_index")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
