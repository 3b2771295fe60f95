"""Defaults an admin can edit: a business calendar, SLA policies, the first escalation level,
a root-cause taxonomy, the follow-up survey and two alert rules (detractors, flagged comments)."""

import datetime as dt

from django.db import migrations

ROOT_CAUSES = [
    ("Product defect", "Something did not work as designed."),
    ("Missing feature", "The product cannot do what the customer needs."),
    ("Billing or invoicing error", "Wrong charge, invoice or refund."),
    ("Slow or unhelpful support", "Waiting times, hand-offs, answers that did not help."),
    ("Onboarding or training gap", "The customer was not shown how to succeed."),
    ("Delivery or implementation delay", "A promised date slipped."),
    ("Communication breakdown", "Expectations were not set or updates not given."),
    ("Pricing or value perception", "The price does not feel worth it."),
    ("Staff conduct", "How a person treated the customer."),
    ("Outside our control", "Third parties, the customer's own changes, force majeure."),
]


def seed(apps, schema_editor):
    WorkCalendar = apps.get_model("loops", "WorkCalendar")
    SlaPolicy = apps.get_model("loops", "SlaPolicy")
    EscalationLevel = apps.get_model("loops", "EscalationLevel")
    RootCause = apps.get_model("loops", "RootCause")
    AlertRule = apps.get_model("loops", "AlertRule")
    Survey = apps.get_model("surveys", "Survey")
    Question = apps.get_model("surveys", "Question")

    calendar, _ = WorkCalendar.objects.get_or_create(
        name="Office hours (Mon–Fri 9–17 UTC)",
        defaults={"time_zone": "UTC", "workdays": [0, 1, 2, 3, 4], "day_start": dt.time(9), "day_end": dt.time(17)},
    )
    standard, _ = SlaPolicy.objects.get_or_create(
        name="Standard", defaults={"first_contact_hours": 24, "resolution_hours": 80, "calendar": calendar}
    )
    SlaPolicy.objects.get_or_create(
        name="Lower priority", defaults={"first_contact_hours": 48, "resolution_hours": 160, "calendar": calendar}
    )
    SlaPolicy.objects.get_or_create(
        name="Urgent (on the clock)",
        defaults={"first_contact_hours": 4, "resolution_hours": 48, "counting": "clock", "warn_hours": 1},
    )
    EscalationLevel.objects.get_or_create(level=1, defaults={"delay_hours": 0, "recipient": "supervisor"})
    for name, description in ROOT_CAUSES:
        RootCause.objects.get_or_create(name=name, defaults={"description": description})

    followup, created = Survey.objects.get_or_create(
        name="Did we resolve your issue?",
        defaults={
            "touchpoint": "loop follow-up",
            "status": "active",
            "intro": "You told us about a problem recently. We would like to know whether we put it right.",
            "thank_you": "Thank you. Your answer goes straight to the person who worked on your case.",
            "email_subject": "Did we resolve your issue?",
            "email_intro": "We recently worked on something you raised with us. Did we put it right?",
            "reminder_count": 0,
            "min_gap_days": 0,
            "respects_contact_gap": False,
        },
    )
    if created:
        Question.objects.create(
            survey=followup, position=0, kind="single", text="Did we resolve your issue?", choices=["Yes", "No"],
            required=True,
        )
        Question.objects.create(
            survey=followup, position=1, kind="csat", text="How satisfied are you with how we handled it?"
        )
        Question.objects.create(survey=followup, position=2, kind="text", text="Anything else we should know?")

    detractors, created = AlertRule.objects.get_or_create(
        name="Detractor score",
        defaults={
            "position": 10,
            "score_bands": ["detractor"],
            "priority": "high",
            "sla_policy": standard,
            "followup_survey": followup,
        },
    )
    AlertRule.objects.get_or_create(
        name="Flagged negative comment",
        defaults={
            "position": 20,
            "negative_flag": True,
            "priority": "normal",
            "sla_policy": standard,
            "followup_survey": followup,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("loops", "0001_initial"), ("surveys", "0008_survey_respects_contact_gap")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
