import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from vocplatform.env import email_settings, env_bool, env_choice, env_int, env_list, env_str, env_url


def test_missing_or_blank_variables_take_the_default():
    assert env_str("X", "fallback", environ={}) == "fallback"
    assert env_str("X", "fallback", environ={"X": "   "}) == "fallback"
    assert env_int("X", 7, environ={}) == 7


@pytest.mark.parametrize("raw, expected", [("1", True), ("TRUE", True), ("yes", True), ("off", False), ("0", False)])
def test_booleans_accept_the_usual_spellings(raw, expected):
    assert env_bool("DEBUGGY", not expected, environ={"DEBUGGY": raw}) is expected


@pytest.mark.parametrize("raw", ["maybe", "2", "tru"])
def test_a_boolean_that_is_not_one_refuses_to_start(raw):
    with pytest.raises(ImproperlyConfigured, match="DEBUGGY"):
        env_bool("DEBUGGY", True, environ={"DEBUGGY": raw})


@pytest.mark.parametrize("raw", ["ten", "3.5", "0x10"])
def test_a_whole_number_that_is_not_one_refuses_to_start(raw):
    with pytest.raises(ImproperlyConfigured, match="PORTS"):
        env_int("PORTS", 1, environ={"PORTS": raw})


def test_whole_numbers_outside_their_bounds_are_refused():
    with pytest.raises(ImproperlyConfigured, match="below the minimum"):
        env_int("N", 1, minimum=0, environ={"N": "-1"})
    with pytest.raises(ImproperlyConfigured, match="above the maximum"):
        env_int("N", 1, maximum=10, environ={"N": "11"})


def test_lists_split_on_commas_and_drop_blanks():
    assert env_list("HOSTS", [], environ={"HOSTS": "a.example, b.example,,"}) == ["a.example", "b.example"]


def test_choices_and_urls_name_what_is_allowed():
    with pytest.raises(ImproperlyConfigured, match="one of: a, b"):
        env_choice("MODE", "a", ["a", "b"], environ={"MODE": "c"})
    with pytest.raises(ImproperlyConfigured, match="postgres://"):
        env_url("DATABASE_URL", "sqlite://", schemes=["sqlite", "postgres"], environ={"DATABASE_URL": "mysql://x"})


def test_email_url_becomes_smtp_settings():
    config = email_settings("smtp://mailer:s%40cret@smtp.example.com:587?tls=1")
    assert config["EMAIL_HOST"] == "smtp.example.com"
    assert config["EMAIL_PORT"] == 587
    assert config["EMAIL_HOST_PASSWORD"] == "s@cret"
    assert config["EMAIL_USE_TLS"] is True


def test_an_unknown_email_scheme_is_refused():
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        email_settings("carrier-pigeon://loft")


OWN = ("SITE_URL", "LOG_LEVEL", "EMAIL_URL", "CELERY_BROKER_URL", "DATABASE_URL")


def start(**env: str) -> subprocess.CompletedProcess[str]:
    """Load the settings the way every process does at start-up (django.setup())."""
    variables = {k: v for k, v in os.environ.items() if k not in OWN}
    variables.update({"DJANGO_SETTINGS_MODULE": "vocplatform.settings", **env})
    program = "import django; django.setup(); print('started')"
    return subprocess.run([sys.executable, "-c", program], env=variables, capture_output=True, text=True)


def test_smtps_url_asking_for_starttls_too_is_refused_at_start_up() -> None:
    # smtps:// is implicit TLS; ?tls=1 asks for STARTTLS on top. Django's SMTP backend refuses the
    # pair only when the first email is sent ("mutually exclusive"): every outbox send would fail.
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        email_settings("smtps://user:secret@smtp.example.com:465?tls=1")


def test_email_url_with_an_unreadable_tls_flag_is_refused() -> None:
    # "?tls=true" works; "?tls=required" must not quietly mean no TLS (the password in clear).
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        email_settings("smtp://user:secret@smtp.example.com:587?tls=required")


def test_site_url_without_a_scheme_is_refused_at_start_up() -> None:
    # SITE_URL makes every survey, unsubscribe and notification link in an email. Without the
    # scheme those links ("voc.example.com/s/<token>/") are not links at all.
    done = start(SITE_URL="voc.example.com")
    assert done.returncode != 0, done.stdout
    assert "SITE_URL" in done.stderr


def test_unknown_log_level_is_refused_with_a_message_naming_the_variable() -> None:
    done = start(LOG_LEVEL="verbose")
    assert done.returncode != 0
    assert "LOG_LEVEL" in done.stderr, done.stderr[-600:]


def test_lower_case_log_level_is_understood() -> None:
    # .env.example writes LOG_LEVEL=INFO; "debug" is the obvious way to ask for more and crashes start-up.
    done = start(LOG_LEVEL="debug")
    assert done.returncode == 0, done.stderr[-600:]


def test_beat_keeps_its_schedule_file_under_var_dir() -> None:
    # `make beat` and the production `celery -A vocplatform beat` pass no --schedule (runstack does):
    # the setting must be the one Celery reads, or the file lands in the working directory.
    from django.conf import settings

    from vocplatform.celery import app

    assert app.conf.beat_schedule_filename == settings.CELERY_BEAT_SCHEDULE_FILENAME


@pytest.mark.parametrize("url", ["reddis://localhost:6379/0", "localhost:6379"])
def test_a_broker_url_that_is_not_one_refuses_to_start_naming_the_variable(url: str) -> None:
    # A typo here starts every process happily; each publish then fails and is only logged, the
    # sweepers cannot publish either, and nothing (no email, no analysis, no loop) ever runs.
    done = start(CELERY_BROKER_URL=url)
    assert done.returncode != 0, done.stdout
    assert "CELERY_BROKER_URL" in done.stderr.strip().splitlines()[-1], done.stderr[-600:]


def test_a_database_url_that_cannot_be_parsed_is_refused_naming_the_variable() -> None:
    done = start(DATABASE_URL="postgres://voc:secret@db:five432/voc")
    assert done.returncode != 0, done.stdout
    # The message the operator reads (the exception's line), not the source quoted in the traceback.
    assert "DATABASE_URL" in done.stderr.strip().splitlines()[-1], done.stderr[-600:]


def test_a_site_url_without_a_host_is_refused_naming_the_variable() -> None:
    # SITE_URL=https://$HOST with HOST unset: every survey link in every email is "https:///s/<token>/".
    done = start(SITE_URL="https://")
    assert done.returncode != 0, done.stdout
    assert "SITE_URL" in done.stderr, done.stderr[-600:]
