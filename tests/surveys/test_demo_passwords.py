"""Loading the demo again never undoes a password someone chose for a demo login."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate

from surveys.demo.organisation import demo_load
from vocplatform.models import User

pytestmark = pytest.mark.django_db


def test_a_demo_login_whose_password_was_changed_by_hand_keeps_it_when_the_demo_is_loaded_again(settings):
    # The first `make run` loads the demo with the published default. The admin then secures the
    # demo's admin login (`manage.py changepassword admin`, or the Django admin) and later runs
    # `make run` again, with DEMO_PASSWORD still unset: the login must not fall back to the
    # password printed in the README for everyone to read.
    demo_load(password=settings.DEMO_PASSWORD)
    admin = User.objects.get(username="admin")
    admin.set_password("a-long-private-passphrase")
    admin.save(update_fields=["password"])

    demo_load(password=settings.DEMO_PASSWORD)

    assert authenticate(username="admin", password="a-long-private-passphrase") is not None
    assert authenticate(username="admin", password=settings.DEMO_PASSWORD) is None
