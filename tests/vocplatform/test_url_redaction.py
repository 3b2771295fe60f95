"""Start-up errors name a refused URL without its password, also when the password is what makes the
URL unreadable (a "#" or "/" typed into it without percent-encoding: the usual reason)."""

from __future__ import annotations

import pytest

from tests.vocplatform.test_settings_helpers import start
from vocplatform.env import redacted


@pytest.mark.parametrize("password", ["Xq7#database-secret", "Xq7/database-secret", "Xq7?database-secret"])
def test_a_database_url_unreadable_because_of_its_password_is_named_without_it(password: str) -> None:
    done = start(DATABASE_URL=f"postgres://voc:{password}@db:5432/voc")
    assert done.returncode != 0, done.stdout
    assert "DATABASE_URL" in done.stderr.strip().splitlines()[-1], done.stderr[-600:]
    assert "database-secret" not in done.stderr, done.stderr.strip().splitlines()[-1]


def test_redacted_hides_a_password_with_a_hash_sign() -> None:
    assert "s3cr" not in redacted("smtp://mailer:s3cr#t@smtp.example.com:587")
