"""The one visibility rule on every page of the CRM mirror: manager, teammate, supervisor, outsider, admin."""

import pytest
from django.urls import reverse

from conftest import login
from surveys.models import Account, Contact
from tests.factories import AccountFactory, ContactFactory
from vocplatform.visibility import SYSTEM, visible

pytestmark = pytest.mark.django_db

CAST_CAN_SEE = {"manager": True, "teammate": False, "supervisor": True, "outsider": False, "admin_user": True}


def detail_urls(account: Account, contact: Contact) -> list[str]:
    return [
        reverse("surveys:account_detail", args=[account.pk]),
        reverse("surveys:contact_detail", args=[contact.pk]),
    ]


@pytest.mark.parametrize("who, allowed", CAST_CAN_SEE.items())
def test_detail_pages_are_shown_only_to_those_allowed_and_are_404_to_others(request, account, contact, who, allowed):
    client = login(request.getfixturevalue(who))
    for url in detail_urls(account, contact):
        response = client.get(url)
        assert response.status_code == (200 if allowed else 404), (who, url)


@pytest.mark.parametrize("who, allowed", CAST_CAN_SEE.items())
def test_list_pages_list_only_visible_accounts_and_contacts(request, account, contact, who, allowed):
    client = login(request.getfixturevalue(who))
    accounts = client.get(reverse("surveys:account_list"))
    contacts = client.get(reverse("surveys:contact_list"))
    assert accounts.status_code == contacts.status_code == 200
    assert (b"Acme Corp" in accounts.content) is allowed
    assert (b"jane@acme.com" in contacts.content) is allowed


@pytest.mark.parametrize("who, allowed", CAST_CAN_SEE.items())
def test_the_overview_counts_only_visible_accounts(request, account, contact, who, allowed):
    response = login(request.getfixturevalue(who)).get(reverse("home"))
    assert response.context["accounts"]["total"] == (1 if allowed else 0)
    assert response.context["contacts"] == (1 if allowed else 0)


def test_a_supervisor_does_not_see_another_teams_accounts(supervisor, outsider):
    AccountFactory(owner=outsider, name="Southern Goods")
    assert not visible(Account.objects.all(), supervisor).exists()


def test_a_user_without_a_role_sees_nothing(account, manager):
    manager.role = ""
    manager.save()
    assert not visible(Account.objects.all(), manager).exists()


def test_background_work_sees_everything(account, outsider):
    AccountFactory(owner=outsider)
    assert visible(Account.objects.all(), SYSTEM).count() == 2


def test_anonymous_visitors_are_sent_to_sign_in(client, account):
    for url in [reverse("home"), reverse("surveys:account_list"), reverse("surveys:account_detail", args=[account.pk])]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["manager", "supervisor", "outsider"])
def test_import_pages_are_for_admins_only(request, admin_user, who):
    client = login(request.getfixturevalue(who))
    assert client.get(reverse("surveys:import_list")).status_code == 404
    assert login(admin_user).get(reverse("surveys:import_list")).status_code == 200


def test_account_list_costs_the_same_queries_for_5_or_50_accounts(manager, django_assert_max_num_queries):
    client = login(manager)
    for count in (5, 50):
        for account in AccountFactory.create_batch(count - Account.objects.count(), owner=manager):
            ContactFactory(account=account)
        with django_assert_max_num_queries(8):
            response = client.get(reverse("surveys:account_list"))
        assert len(response.context["page"].object_list) == min(count, 50)


def test_account_list_filters_by_segment_and_search(manager):
    AccountFactory(owner=manager, name="Alpha Foods", segment="Enterprise")
    AccountFactory(owner=manager, name="Beta Foods", segment="SMB")
    client = login(manager)
    names = lambda r: [a.name for a in r.context["page"].object_list]  # noqa: E731
    assert names(client.get(reverse("surveys:account_list"), {"segment": "Enterprise"})) == ["Alpha Foods"]
    assert names(client.get(reverse("surveys:account_list"), {"q": "beta"})) == ["Beta Foods"]
