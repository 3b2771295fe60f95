"""The admin shows invitations and responses but does not change them: their life goes through the services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from surveys.models import Invitation, Response
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db


def test_an_invitation_is_shown_read_only_to_a_superuser(superuser_client):
    invitation = InvitationFactory(status=Invitation.Status.ANSWERED)
    url = reverse("admin:surveys_invitation_change", args=[invitation.pk])
    page = superuser_client.get(url)
    assert page.status_code == 200
    assert b'name="status"' not in page.content
    assert superuser_client.post(url, {"status": Invitation.Status.OPENED}).status_code == 403
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ANSWERED


def test_invitations_cannot_be_added_in_the_admin(superuser_client):
    assert superuser_client.get(reverse("admin:surveys_invitation_add")).status_code == 403


def test_a_response_cannot_be_deleted_in_the_admin(superuser_client, answer, contact):
    response = answer(contact, 9, "Fine.")
    url = reverse("admin:surveys_response_delete", args=[response.pk])
    assert superuser_client.post(url, {"post": "yes"}).status_code == 403
    assert Response.objects.filter(pk=response.pk).exists()
    listing = superuser_client.post(
        reverse("admin:surveys_response_changelist"), {"action": "delete_selected", "_selected_action": [response.pk]}
    )
    assert listing.status_code == 200 and Response.objects.filter(pk=response.pk).exists()
