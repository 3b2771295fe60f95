"""A hundred submits of one survey link at the same moment, through gunicorn: one response, no error.

(tests/surveys/test_response_concurrency.py shows the same in one process with 30 threads; a
hundred database connections at once would exceed PostgreSQL's default limit, so the hundred
go where they would in production: to a web server with a few workers.)
"""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from django.utils import timezone

from surveys.models import Answer, Invitation, Question, Response
from surveys.services.tokens import token_for
from tests.integration.helpers import RedisServer, free_port, make_invitations, start_web, worker_env

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

SUBMITS = 100


@pytest.fixture
def web(tmp_path: Path, redis: RedisServer):  # type: ignore[no-untyped-def]
    # A generous worker timeout: the hundred queue on one row lock, and a loaded CI machine is slow.
    env = worker_env(redis.url, free_port(), str(tmp_path / "var"))
    process, port = start_web(env, tmp_path, workers=4, timeout=300)
    yield port
    process.stop()


def test_a_hundred_simultaneous_submits_of_one_link_make_one_response(web):
    [invitation_id] = make_invitations(1, prefix="RACE")
    Invitation.objects.filter(pk=invitation_id).update(status=Invitation.Status.SENT, sent_at=timezone.now())
    invitation = Invitation.objects.get(pk=invitation_id)
    Question.objects.create(survey=invitation.survey, position=1, kind=Question.Kind.TEXT, text="Why?")
    url = f"http://127.0.0.1:{web}/s/{token_for(invitation.token_nonce)}/"
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(url, timeout=30) as page:
        html = page.read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert csrf
    score_field, text_field = sorted(set(re.findall(r'name="(q_\d+)"', html)), key=lambda name: int(name[2:]))
    start = threading.Barrier(SUBMITS)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def submit(n: int) -> None:
        fields = {"csrfmiddlewaretoken": csrf.group(1), score_field: str(n % 11), text_field: f"Answer {n}"}
        request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), headers={"Origin": "null"})
        start.wait()
        try:
            with opener.open(request, timeout=120) as reply:
                status = reply.status
        except urllib.error.HTTPError as error:
            status = error.code
        with lock:
            statuses[status] += 1

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(SUBMITS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    assert statuses == {200: SUBMITS}, statuses  # each redirect followed to the thanks page
    response = Response.objects.get()
    assert response.invitation_id == invitation_id
    assert response.edits == SUBMITS - 1, "every submit but the first edited the same response"
    assert Answer.objects.filter(response=response).count() == 2
    assert response.comment == Answer.objects.get(response=response, question__kind=Question.Kind.TEXT).text
