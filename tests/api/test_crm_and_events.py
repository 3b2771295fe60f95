"""Accounts and contacts over the API: read what you may see, upsert by external id one at a time or
in bulk (all or nothing, errors by position), through the importer's rules. Events and surveys too."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from surveys.models import Account, Contact
from tests.factories import AccountFactory, ContactFactory, QuestionFactory, TriggerRuleFactory

pytestmark = pytest.mark.django_db


def test_upserting_an_account_creates_it_then_changes_only_the_fields_sent(api, admin_user, manager):
    client = api(admin_user)
    body = {
        "external_id": "CRM-1",
        "name": "Globex",
        "segment": "Enterprise",
        "owner": "max",
        "custom_attributes": {"tier": "gold"},
    }
    created = client.post("/api/v1/accounts/upsert", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json() | {"id": 0, "created_at": "", "updated_at": ""} == {
        "id": 0,
        "external_id": "CRM-1",
        "name": "Globex",
        "domain": "",
        "segment": "Enterprise",
        "region": "",
        "business_unit": "",
        "product_lines": [],
        "owner": "max",
        "annual_revenue": None,
        "customer_since": None,
        "renewal_date": None,
        "churned_at": None,
        "outcome": "unknown",
        "custom_attributes": {"tier": "gold"},
        "created_at": "",
        "updated_at": "",
    }
    again = {"external_id": "CRM-1", "region": "EMEA", "churned_at": "2026-01-31", "custom_attributes": {"nps": 7}}
    updated = client.post("/api/v1/accounts/upsert", again, format="json")
    assert updated.status_code == 200
    account = Account.objects.get(external_id="CRM-1")
    assert (account.name, account.segment, account.region, account.owner) == ("Globex", "Enterprise", "EMEA", manager)
    assert account.custom_attributes == {"tier": "gold", "nps": 7}, "attributes merge, as in the CSV import"
    assert account.outcome == Account.Outcome.CHURNED, "a churn date marks the account churned, as in the import"
    assert Account.objects.count() == 1


def test_a_bad_field_gets_a_field_level_error_and_changes_nothing(api, admin_user):
    response = api(admin_user).post(
        "/api/v1/accounts/upsert", {"external_id": "CRM-1", "owner": "nobody", "annual_revenue": -5}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"]["owner"] == ["'nobody' is not an active staff member."]
    assert error["fields"]["annual_revenue"] == ["Ensure this value is greater than or equal to 0."]
    assert not Account.objects.exists()


def test_a_bulk_upsert_is_all_or_nothing_with_errors_by_position(api, admin_user):
    client = api(admin_user)
    batch = {"accounts": [{"external_id": "A"}, {"external_id": "B", "outcome": "gone"}, {"external_id": "A"}]}
    refused = client.post("/api/v1/accounts/bulk", batch, format="json")
    assert refused.status_code == 400
    assert list(refused.json()["error"]["fields"]["accounts"]) == ["1"]
    assert not Account.objects.exists()
    batch["accounts"][1]["outcome"] = "retained"
    repeated = client.post("/api/v1/accounts/bulk", batch, format="json")
    assert repeated.json()["error"]["fields"] == {"accounts": {"2": {"external_id": ["Repeats an earlier item."]}}}
    batch["accounts"].pop()
    assert client.post("/api/v1/accounts/bulk", batch, format="json").json() == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
    }
    assert client.post("/api/v1/accounts/bulk", batch, format="json").json() == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
    }


def test_contacts_upsert_by_external_id_or_by_email_within_the_account(api, admin_user, account):
    client = api(admin_user)
    first = {"account_external_id": account.external_id, "email": "ann@acme.com", "name": "Ann", "opted_out": True}
    created = client.post("/api/v1/contacts/upsert", first, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["opted_out_at"] is not None, "an opt-out is dated"
    same = client.post("/api/v1/contacts/upsert", {**first, "email": "ANN@acme.com", "role": "CTO"}, format="json")
    assert same.status_code == 200 and same.json()["id"] == created.json()["id"]
    batch = {
        "contacts": [
            {"account_external_id": account.external_id, "email": "bob@acme.com", "external_id": "C-9"},
            {"account_external_id": "NOPE", "email": "eve@acme.com"},
            {"account_external_id": account.external_id, "email": "not-an-email"},
        ]
    }
    refused = client.post("/api/v1/contacts/bulk", batch, format="json")
    assert refused.json()["error"]["fields"]["contacts"] == {"2": {"email": ["Enter a valid email address."]}}
    batch["contacts"].pop()
    refused = client.post("/api/v1/contacts/bulk", batch, format="json")
    assert refused.json()["error"]["fields"]["contacts"] == {
        "1": {"account_external_id": ["No account has this external id."]}
    }
    assert Contact.objects.count() == 1
    batch["contacts"].pop()
    assert client.post("/api/v1/contacts/bulk", batch, format="json").json()["created"] == 1


def test_a_contact_cannot_take_the_email_of_another_contact_of_its_account(api, admin_user, account, contact):
    other = ContactFactory(account=account, external_id="C-2", email="two@acme.com")
    body = {"account_external_id": account.external_id, "external_id": other.external_id, "email": contact.email}
    response = api(admin_user).post("/api/v1/contacts/upsert", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"email": ["Another contact of this account has this email."]}


def test_two_items_of_a_batch_for_one_stored_contact_are_refused_on_the_second(api, admin_user, account, contact):
    """The first item finds the contact by its email, the second names its id: applying both would
    silently keep one of them, so the batch is refused with the second item's field."""
    Contact.objects.filter(pk=contact.pk).update(external_id="C-1")
    batch = {
        "contacts": [
            {"account_external_id": account.external_id, "external_id": "C-NEW", "email": contact.email},
            {"account_external_id": account.external_id, "external_id": "C-1", "email": "renamed@acme.com"},
        ]
    }
    refused = api(admin_user).post("/api/v1/contacts/bulk", batch, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["contacts"] == {
        "1": {"external_id": ["matches the same contact as item 0"]}
    }
    contact.refresh_from_db()
    assert (contact.external_id, contact.email) == ("C-1", "jane@acme.com")


def test_an_upsert_never_takes_an_opt_out_back(api, admin_user, account, contact):
    from surveys.services.invitations import contact_opt_out

    contact_opt_out(contact_id=contact.pk)
    body = {"account_external_id": account.external_id, "email": contact.email, "opted_out": False, "role": "CFO"}
    answer = api(admin_user).post("/api/v1/contacts/upsert", body, format="json")
    assert answer.status_code == 200
    assert (answer.json()["role"], answer.json()["opted_out"]) == ("CFO", True)


def test_only_admins_upsert(api, manager, account):
    refused = api(manager).post(
        "/api/v1/accounts/upsert", {"external_id": account.external_id, "name": "Mine"}, format="json"
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "Only CX admins may do this."
    account.refresh_from_db()
    assert account.name == "Acme Corp"


def test_lists_are_cursor_paginated_and_walk_every_row_once(api, admin_user):
    made = {AccountFactory().external_id for _ in range(7)}
    client, url, seen = api(admin_user), "/api/v1/accounts?page_size=3", []
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 3
        seen += [row["external_id"] for row in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(made)
    assert client.get("/api/v1/accounts?cursor=garbage").status_code == 404


def test_lists_filter_and_refuse_a_bad_filter_value_with_a_field_error(api, admin_user):
    AccountFactory(segment="Enterprise", external_id="E-1")
    AccountFactory(segment="SMB")
    client = api(admin_user)
    found = client.get("/api/v1/accounts", {"segment": "Enterprise"}).json()["results"]
    assert [a["external_id"] for a in found] == ["E-1"]
    bad = client.get("/api/v1/accounts", {"updated_after": "yesterday-ish"})
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {"updated_after": ["Enter a valid date/time."]}


@pytest.mark.parametrize("url", ["/api/v1/accounts", "/api/v1/contacts", "/api/v1/events", "/api/v1/surveys"])
def test_list_endpoints_cost_the_same_queries_for_one_row_or_many(api, admin_user, url):
    client = api(admin_user)

    def rows(n: int) -> None:
        for i in range(n):
            contact = ContactFactory()
            rule = TriggerRuleFactory()
            QuestionFactory(survey=rule.survey, position=0)
            client.post(
                "/api/v1/events",
                {
                    "external_id": f"{url}-{contact.pk}-{i}",
                    "type": "ticket.closed",
                    "contact_external_id": contact.external_id,
                },
                format="json",
            )

    rows(1)
    client.get(url)  # the key's last use is written once a minute: do it before counting
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).json()["results"]) >= 1
    rows(6)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url).json()["results"]) >= 7
    assert len(many.captured_queries) == len(one.captured_queries)


def test_events_are_listed_and_filtered_by_type(api, admin_user, contact):
    client = api(admin_user)
    for external_id, kind in (("E1", "ticket.closed"), ("E2", "order.delivered")):
        body = {"external_id": external_id, "type": kind, "contact_external_id": contact.external_id}
        client.post("/api/v1/events", body, format="json")
    found = client.get("/api/v1/events", {"type": "order.delivered"}).json()["results"]
    assert [(e["external_id"], e["contact_external_id"]) for e in found] == [("E2", contact.external_id)]


def test_surveys_are_read_with_their_questions_in_order(api, manager, nps_survey):
    body = api(manager, "read").get(f"/api/v1/surveys/{nps_survey.pk}").json()
    assert [q["kind"] for q in body["questions"]] == ["nps", "text"]
    assert api(manager).post("/api/v1/surveys", {}, format="json").status_code == 405
