"""A refused connection URL is named in the start-up error without its password: that error goes to
the service manager's journal, the container log, the CI output."""

from __future__ import annotations

import pytest

from tests.vocplatform.test_settings_helpers import start


@pytest.mark.parametrize(
    ("variable", "url"),
    [
        ("DATABASE_URL", "postgres://voc:Xq7-database-password@db:five432/voc"),
        ("CELERY_BROKER_URL", "reddis://:Xq7-broker-password@redis:6379/0"),
    ],
)
def test_a_refused_url_is_named_at_start_up_without_its_password(variable: str, url: str) -> None:
    done = start(**{variable: url})
    assert done.returncode != 0, done.stdout
    assert variable in done.stderr.strip().splitlines()[-1], done.stderr[-600:]
    assert "password@" not in done.stderr, done.stderr.strip().splitlines()[-1]
