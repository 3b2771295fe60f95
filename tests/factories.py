"""All test data factories, in one place."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from surveys.models import Account, Contact, Invitation, Question, Survey, TriggerRule
from surveys.services.tokens import token_for, token_hash, token_nonce_new
from vocplatform.models import Team, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@staff.example")
    first_name = factory.LazyAttribute(lambda o: o.username.title())
    role = User.Role.MANAGER
    password = factory.django.Password("correct horse battery staple")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    external_id = factory.Sequence(lambda n: f"ACC-{n:05d}")
    name = factory.Sequence(lambda n: f"Company {n}")
    domain = factory.Sequence(lambda n: f"company{n}.example")
    segment = "SMB"
    region = "EMEA"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    external_id = factory.Sequence(lambda n: f"CON-{n:05d}")
    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.LazyAttributeSequence(lambda o, n: f"person{n}@{o.account.domain or 'example.com'}")


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Survey

    name = factory.Sequence(lambda n: f"Survey {n}")
    touchpoint = "support ticket"
    status = Survey.Status.ACTIVE


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    survey = factory.SubFactory(SurveyFactory)
    contact = factory.SubFactory(ContactFactory)
    account = factory.LazyAttribute(lambda o: o.contact.account)
    token_nonce = factory.LazyFunction(token_nonce_new)
    token_hash = factory.LazyAttribute(lambda o: token_hash(token_for(o.token_nonce)))
    scheduled_for = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=30))


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    survey = factory.SubFactory(SurveyFactory)
    position = factory.Sequence(lambda n: n)
    kind = Question.Kind.NPS
    text = "How likely are you to recommend us to a colleague?"


class TriggerRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TriggerRule

    name = factory.Sequence(lambda n: f"Rule {n}")
    event_type = "ticket.closed"
    survey = factory.SubFactory(SurveyFactory)
