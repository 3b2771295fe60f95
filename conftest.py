"""The fixed cast every test can use: an admin, a supervisor leading team North,
an account manager and a teammate in that team, and an outsider in team South
with its own supervisor; and `answer`, which records a survey answer the way the survey page does
and runs what follows its commit (analysis, alert rules) as a worker would."""

from __future__ import annotations

import importlib

import pytest
from django.test import Client
from django.utils import timezone

from surveys.models import Question, Response
from surveys.services.events import invitation_build
from surveys.services.responses import AnswerInput, response_submit
from tests.factories import AccountFactory, ContactFactory, QuestionFactory, SurveyFactory, TeamFactory, UserFactory
from vocplatform.models import Team, User

SEEDING_MIGRATIONS = [
    "surveys.migrations.0002_default_revenue_bands",
    "surveys.migrations.0003_default_frequency_rules",
    "surveys.migrations.0007_default_cx_terms_and_themes",
    "loops.migrations.0002_defaults",
    "loops.migrations.0004_default_health",
]
PASSWORD = "correct horse battery staple"  # noqa: S105 - the test cast's password


@pytest.fixture(autouse=True)
def _isolated_outbox(settings, tmp_path):  # type: ignore[no-untyped-def]
    # A fast hasher: PBKDF2 on every fixture user made setup the slowest part of the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EML_OUTBOX_DIR = tmp_path / "outbox"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from vocplatform.queueing import backoff

    backoff.reset()  # a test that failed a publish must not make the next one skip the broker


@pytest.fixture
def seeded_defaults(transactional_db) -> None:  # type: ignore[no-untyped-def]
    """The rows the data migrations seed (alert rules, SLA policies, frequency rules, themes…).
    A transactional test's flush removes them for the transactional tests that follow; this puts
    them back by running the same seeding functions (each adds only what is missing)."""
    from django.apps import apps

    for module in SEEDING_MIGRATIONS:
        for name in ("seed", "create_rules", "create_bands"):
            function = getattr(importlib.import_module(module), name, None)
            if function is not None:
                function(apps, None)


@pytest.fixture
def team(db) -> Team:  # type: ignore[no-untyped-def]
    supervisor = UserFactory(username="sue", role=User.Role.SUPERVISOR)
    return TeamFactory(name="North", supervisor=supervisor)


@pytest.fixture
def supervisor(team: Team) -> User:
    assert team.supervisor is not None
    return team.supervisor


@pytest.fixture
def manager(team: Team) -> User:
    return UserFactory(username="max", role=User.Role.MANAGER, team=team)


@pytest.fixture
def teammate(team: Team) -> User:
    return UserFactory(username="tina", role=User.Role.MANAGER, team=team)


@pytest.fixture
def outsider(db) -> User:  # type: ignore[no-untyped-def]
    other_supervisor = UserFactory(username="otto-boss", role=User.Role.SUPERVISOR)
    other = TeamFactory(name="South", supervisor=other_supervisor)
    return UserFactory(username="otto", role=User.Role.MANAGER, team=other)


@pytest.fixture
def admin_user(db) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(username="ada", role=User.Role.ADMIN)


@pytest.fixture
def account(manager: User):  # type: ignore[no-untyped-def]
    return AccountFactory(owner=manager, name="Acme Corp", domain="acme.com")


@pytest.fixture
def contact(account):  # type: ignore[no-untyped-def]
    return ContactFactory(account=account, email="jane@acme.com", name="Jane Doe")


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def nps_survey(db):  # type: ignore[no-untyped-def]
    survey = SurveyFactory(touchpoint="support ticket")
    QuestionFactory(survey=survey, position=0, kind=Question.Kind.NPS)
    QuestionFactory(survey=survey, position=1, kind=Question.Kind.TEXT, text="Tell us more")
    return survey


@pytest.fixture
def answer(nps_survey, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """answer(contact, score, comment) submits through the survey page's service and runs what follows
    the commit (analysis, alert rules) the way a worker would."""

    def submit(contact, score: int, comment: str = "", *, survey=None) -> Response:  # type: ignore[no-untyped-def]
        survey = survey or nps_survey
        invitation = invitation_build(survey=survey, contact=contact, scheduled_for=timezone.now())
        invitation.save()
        nps, text = survey.questions.order_by("position")[:2]
        with django_capture_on_commit_callbacks(execute=True):
            return response_submit(
                invitation=invitation,
                answers={nps.pk: AnswerInput(number=score), text.pk: AnswerInput(text=comment)},
                consent=False,
            )

    return submit
