import logging

import pytest

from surveys.services.events import invitation_build
from surveys.services.tokens import token_for
from tests.factories import QuestionFactory, SurveyFactory
from vocplatform.log_filters import RedactSurveyTokens, redact


def test_survey_tokens_are_cut_out_of_paths():
    assert redact("Not Found: /s/AbC-12_x/thanks/") == "Not Found: /s/[token]/thanks/"
    assert redact('"GET /s/AbC?score=3 HTTP/1.1" 200') == '"GET /s/[token]?score=3 HTTP/1.1" 200'


@pytest.mark.django_db
def test_a_refused_survey_link_is_logged_without_its_token(client, contact, caplog):
    survey = SurveyFactory()
    QuestionFactory(survey=survey)
    invitation = invitation_build(survey=survey, contact=contact, scheduled_for=survey.created_at)
    invitation.save()
    forged = token_for(invitation.token_nonce)[:-2] + "zz"
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(f"/s/{forged}/").status_code == 404
    assert caplog.records, "Django logs the refused request"
    # caplog sees records before handlers filter them: apply the console handler's filters as it would.
    console = logging.getLogger().handlers[0]
    assert any(isinstance(f, RedactSurveyTokens) for f in console.filters)
    for record in caplog.records:
        assert all(f.filter(record) for f in console.filters)
        assert forged not in record.getMessage()
