import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from vocplatform.models import ThrottleCount

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


def sign_in(client, password, *, ip="203.0.113.7", username="max"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_password_guessing_from_one_address_is_refused_until_its_window_passes(client, manager, settings):
    settings.LOGIN_RATE_PER_IP, settings.LOGIN_RATE_PER_USERNAME = "5/min", "100/min"
    assert [sign_in(client, f"guess-{n}").status_code for n in range(5)] == [200] * 5
    refused = sign_in(client, PASSWORD)
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
    assert client.get(reverse("home")).status_code == 302, "the right password was not even tried"
    assert sign_in(client, PASSWORD, ip="198.51.100.1").status_code == 302, "another address is not held up"
    ThrottleCount.objects.all().delete()  # the window has passed
    assert sign_in(Client(), PASSWORD).status_code == 302


def test_guesses_at_one_username_spread_over_many_addresses_are_refused(client, manager, settings):
    settings.LOGIN_RATE_PER_IP, settings.LOGIN_RATE_PER_USERNAME = "100/min", "5/min"
    for n in range(5):
        assert sign_in(client, f"guess-{n}", ip=f"203.0.113.{n}", username="MAX").status_code == 200
    assert sign_in(client, PASSWORD, ip="203.0.113.99").status_code == 429
    assert sign_in(client, "whatever", ip="203.0.113.99", username="sofia").status_code == 200


def test_password_reset_requests_are_throttled_per_address(client, manager, settings):
    settings.LOGIN_RATE_PER_IP = "3/min"
    codes = [
        client.post(reverse("password_reset"), {"email": f"x{n}@example.com"}, REMOTE_ADDR="203.0.113.7").status_code
        for n in range(4)
    ]
    assert codes == [302, 302, 302, 429]


def test_the_admin_sign_in_counts_against_the_same_limits(admin_user, settings):
    settings.LOGIN_RATE_PER_IP, settings.LOGIN_RATE_PER_USERNAME = "5/min", "100/min"
    url = reverse("admin:login")
    client = Client()
    codes = [
        client.post(url, {"username": admin_user.username, "password": f"guess-{n}"}).status_code for n in range(5)
    ]
    assert codes == [200] * 5
    assert client.post(url, {"username": admin_user.username, "password": PASSWORD}).status_code == 429


def test_another_spelling_of_the_same_username_counts_against_it(manager, settings):
    """Django reads "ｍａｘ" (full-width) as "max", so the throttle does too."""
    settings.LOGIN_RATE_PER_IP, settings.LOGIN_RATE_PER_USERNAME = "100/min", "2/min"
    spellings = ["max", "MAX", "ｍａｘ"]
    codes = [
        sign_in(Client(), "guess", ip=f"203.0.113.{n}", username=name).status_code for n, name in enumerate(spellings)
    ]
    assert codes == [200, 200, 429]
