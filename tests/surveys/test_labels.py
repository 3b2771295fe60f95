"""Training labels: an imported labelled file, staff corrections in the app, weak labels from scores."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from conftest import login
from surveys.models import LabelledComment, Response, ResponseAnalysis
from surveys.selectors.analysis import training_examples
from surveys.services.labels import labels_import, labels_weak_refresh
from tests.surveys.test_comment_search import respond

pytestmark = pytest.mark.django_db

CSV = (
    "id,text,sentiment,negative_reason\n1,Lost my bag,negative,Lost Luggage\n2,Great crew,positive,\n"
    "3,Hmm,negative,Can't Tell\n4,,negative,\n"
)


def test_a_labelled_file_becomes_training_examples_once(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text(CSV)
    out = io.StringIO()
    call_command(
        "import_labelled_comments", str(path), "--theme-column", "negative_reason", stdout=out, stderr=io.StringIO()
    )
    assert "3 labelled comments added" in out.getvalue() and "1 blank skipped" in out.getvalue()
    rows = {c.text: (c.negative, c.theme) for c in LabelledComment.objects.all()}
    assert rows == {"Lost my bag": (True, "Lost Luggage"), "Great crew": (False, ""), "Hmm": (True, "")}
    assert labels_import(content=CSV, theme_column="negative_reason").added == 0


def test_a_file_without_the_named_columns_is_refused():
    with pytest.raises(ValueError, match="no column"):
        labels_import(content="body,label\nx,y\n")


def analysed(response, negative):
    return ResponseAnalysis.objects.create(response=response, negative=negative, analysed_at=timezone.now())


def test_a_manager_corrects_a_flag_and_it_becomes_a_label(manager, contact):
    response = respond(contact, "Fine I guess, the refund came eventually")
    analysed(response, negative=True)
    client = login(manager)
    client.post(reverse("surveys:response_flag", args=[response.pk]), {"negative": "0"})
    analysis = ResponseAnalysis.objects.get()
    assert analysis.corrected is False and analysis.corrected_by == manager and not analysis.is_negative
    label = LabelledComment.objects.get(source="correction")
    assert (label.text, label.negative) == (response.comment, False)
    client.post(reverse("surveys:response_flag", args=[response.pk]), {"negative": "1"})
    assert LabelledComment.objects.get(source="correction").negative is True


def test_an_outsider_cannot_correct_someone_elses_response(outsider, contact):
    response = respond(contact, "meh")
    analysed(response, negative=True)
    assert (
        login(outsider).post(reverse("surveys:response_flag", args=[response.pk]), {"negative": "0"}).status_code == 404
    )
    assert ResponseAnalysis.objects.get().corrected is None


def test_weak_labels_come_from_clear_scores_and_corrections_win(contact, manager):
    low = respond(contact, "Terrible, still broken")
    Response.objects.filter(pk=low.pk).update(score_kind="nps", score=1)
    high = respond(contact, "Brilliant team")
    Response.objects.filter(pk=high.pk).update(score_kind="nps", score=10)
    middle = respond(contact, "ok")
    Response.objects.filter(pk=middle.pk).update(score_kind="nps", score=7)
    assert labels_weak_refresh() == 2
    assert labels_weak_refresh() == 2, "running it again adds nothing"
    analysed(low, negative=True)
    from surveys.services.labels import response_flag_correct

    response_flag_correct(response_id=low.pk, negative=False, user=manager)
    examples = {(e.text, e.source): e.negative for e in training_examples()}
    assert examples == {("Terrible, still broken", "correction"): False, ("Brilliant team", "weak"): False}


def test_weak_labels_follow_the_customers_edits(contact):
    response = respond(contact, "Terrible, nothing works")
    Response.objects.filter(pk=response.pk).update(score_kind="nps", score=1)
    labels_weak_refresh()
    Response.objects.filter(pk=response.pk).update(score=10, comment="Sorted the next day, brilliant team")
    assert labels_weak_refresh() == 1
    assert {(e.text, e.negative) for e in training_examples()} == {("Sorted the next day, brilliant team", False)}
    Response.objects.filter(pk=response.pk).update(score=7)  # no longer a clear score
    assert labels_weak_refresh() == 0
    Response.objects.filter(pk=response.pk).update(score=0, comment="")  # clear, but nothing said
    assert labels_weak_refresh() == 0


def test_a_correction_stops_applying_once_the_customer_changes_the_words(
    answer, contact, manager, django_capture_on_commit_callbacks
):
    """Staff judged the old words; the new ones get the model's verdict (the old label stays true of the old words)."""
    from surveys.models import Invitation
    from surveys.services.labels import response_flag_correct
    from surveys.services.responses import AnswerInput, response_submit

    response = answer(contact, 8, "It was fine I guess")
    response_flag_correct(response_id=response.pk, negative=True, user=manager)
    invitation = Invitation.objects.select_related("survey").get(pk=response.invitation_id)
    nps, text = invitation.survey.questions.order_by("position")[:2]
    with django_capture_on_commit_callbacks(execute=True):
        response_submit(
            invitation=invitation,
            answers={nps.pk: AnswerInput(number=8), text.pk: AnswerInput(text="Still fine, thanks")},
            consent=False,
        )
    analysis = ResponseAnalysis.objects.get(response=response)
    assert (analysis.corrected, analysis.corrected_by, analysis.negative) == (None, None, False)
    assert not analysis.is_negative
    assert LabelledComment.objects.get(source="correction").text == "It was fine I guess"


def test_a_correction_of_an_answer_without_a_comment_survives_reanalysis(answer, contact, manager):
    from surveys.services.analysis import response_analyse
    from surveys.services.labels import response_flag_correct

    response = answer(contact, 2)
    response_flag_correct(response_id=response.pk, negative=False, user=manager)
    response_analyse(response_id=response.pk, again=True)
    assert ResponseAnalysis.objects.get(response=response).corrected is False


def test_training_with_more_folds_than_either_label_has_comments_is_a_clear_refusal():
    rows = [(f"terrible slow support number {i} never again", True) for i in range(25)]
    rows += [(f"lovely quick helpful team number {i}", False) for i in range(25)]
    for text, negative in rows:
        LabelledComment.objects.create(text=text, negative=negative, source="import")
    with pytest.raises(CommandError, match="26 folds need at least 26 labelled comments of either kind"):
        call_command("train_text_models", "--folds", "26", stdout=io.StringIO(), stderr=io.StringIO())
