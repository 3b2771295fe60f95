"""Fixtures shared by the surveys tests."""

import pytest


@pytest.fixture
def superuser_client(client, django_user_model):  # type: ignore[no-untyped-def]
    """A client signed in to the Django admin as a superuser."""
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "not-used-here"))
    return client
