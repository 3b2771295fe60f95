"""Migrate the peer's database and create the survey bench/peer.py drives; print its ids as JSON.

Run by bench/peer.py with the peer's own Python, from this directory. The survey is the peer's
equivalent of vocplatform's: a required 0-10 rating (a radio question with the choices 0 to 10,
as its admin would make one) and an optional comment, all on one page, answered anonymously.
"""

import json
import os
from datetime import timedelta

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerbench.settings")
    django.setup()
    # Django's models import only once it is set up.
    from django.core.management import call_command
    from django.utils import timezone
    from survey.models import Question, Survey

    call_command("migrate", verbosity=0, interactive=False)
    today = timezone.now().date()
    survey = Survey.objects.create(
        name="After the ticket",
        description="Two questions about your last support ticket.",
        is_published=True,
        need_logged_user=False,  # anonymous answers, as from an emailed link
        editable_answers=True,
        display_method=Survey.ALL_IN_ONE_PAGE,
        publish_date=today - timedelta(days=1),
        expire_date=today + timedelta(days=30),
    )
    rating = Question.objects.create(
        survey=survey,
        order=0,
        required=True,
        type=Question.RADIO,
        text="How likely are you to recommend us to a friend or colleague?",
        choices=",".join(str(n) for n in range(11)),
    )
    comment = Question.objects.create(
        survey=survey, order=1, required=False, type=Question.TEXT, text="What is the main reason for your score?"
    )
    print(json.dumps({"survey": survey.pk, "rating": rating.pk, "comment": comment.pk}))


if __name__ == "__main__":
    main()
