import re

import pytest
from django.core import mail
from django.urls import reverse

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_staff_sign_in_and_out(client, manager):
    response = client.post(reverse("login"), {"username": "max", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_a_wrong_password_is_refused_with_a_message(client, manager):
    response = client.post(reverse("login"), {"username": "max", "password": "nope"})
    assert response.status_code == 200
    assert b"enter a correct username and password" in response.content.lower()


def test_password_reset_sends_a_link_that_sets_a_new_password(client, manager, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.post(reverse("password_reset"), {"email": manager.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-new-long-pass-2026", "new_password2": "a-new-long-pass-2026"},
    )
    assert response.status_code == 302
    assert client.login(username="max", password="a-new-long-pass-2026")


def test_the_embedded_mail_backend_writes_eml_files(settings, tmp_path):
    settings.EMAIL_BACKEND = "vocplatform.mail.EmlFileBackend"
    mail.send_mail("Hello", "Body text", "from@example.com", ["to@example.com"])
    files = list(settings.EML_OUTBOX_DIR.glob("*.eml"))
    assert len(files) == 1
    assert b"Subject: Hello" in files[0].read_bytes()
