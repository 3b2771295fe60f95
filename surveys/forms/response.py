"""The public survey form: one field per question, named ``q_<question.pk>``, plus ``consent``.

The form only parses what the browser sent, strictly (a score must be one of the
numbers on its scale, written in ASCII digits; a choice one of the options shown).
The rules of an answer (required, length, the survey still open) belong to
``response_submit``; its errors are attached back to the fields here.

Other code relies on the field contract: score questions are radios whose values
are the numbers, single choice radios, multiple choice checkboxes repeating the
name, open text a textarea, and ``consent=1`` meaning "my name may be shown".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms

from surveys.models import Question, Response, score_band
from surveys.services.responses import AnswerInput

NEEDS_ANSWER = "This question needs an answer."
UNKNOWN_CHOICE = "Choose from the options shown."


def field_name(question: Question) -> str:
    return f"q_{question.pk}"


class AnswerTextField(forms.Field):
    """Free text kept as typed. Unlike CharField it does not refuse NUL characters:
    the service removes control characters, so a pasted comment is saved rather than bounced."""

    widget = forms.Textarea

    def to_python(self, value: Any) -> str:
        return "" if value in self.empty_values else str(value)


def _score_field(question: Question) -> forms.Field:
    low, high = question.scale  # type: ignore[misc]
    return forms.TypedChoiceField(
        choices=[(str(n), str(n)) for n in range(low, high + 1)],
        coerce=int,
        empty_value=None,
        required=question.required,
        widget=forms.RadioSelect,
        error_messages={"required": NEEDS_ANSWER, "invalid_choice": f"Choose a whole number from {low} to {high}."},
    )


def _field_for(question: Question) -> forms.Field:
    messages = {"required": NEEDS_ANSWER, "invalid_choice": UNKNOWN_CHOICE}
    options = [(str(c), str(c)) for c in question.choices]
    if question.is_score:
        return _score_field(question)
    if question.kind == Question.Kind.SINGLE:
        return forms.ChoiceField(
            choices=options, required=question.required, widget=forms.RadioSelect, error_messages=messages
        )
    if question.kind == Question.Kind.MULTIPLE:
        return forms.MultipleChoiceField(
            choices=options, required=question.required, widget=forms.CheckboxSelectMultiple, error_messages=messages
        )
    return AnswerTextField(required=question.required, error_messages=messages)


def initial_from(response: Response | None) -> dict[str, Any]:
    """Form initial values from a stored response (its answers prefetched or not)."""
    if response is None:
        return {}
    initial: dict[str, Any] = {"consent": response.consent_to_attribution}
    for answer in response.answers.all():
        name = f"q_{answer.question_id}"
        if answer.number is not None:
            initial[name] = str(answer.number)
        elif answer.text:
            initial[name] = answer.text
        elif answer.choices:
            initial[name] = list(answer.choices)
    return initial


@dataclass
class Option:
    value: str
    label: str
    id: str
    checked: bool


@dataclass
class QuestionItem:
    """What the template needs to draw one question."""

    question: Question
    name: str
    wording: str
    widget: str  # "scale", "single", "multiple" or "text"
    errors: list[str]
    options: list[Option] = field(default_factory=list)
    text: str = ""
    anchors: tuple[str, str] | None = None

    @property
    def anchor(self) -> str:
        """The element the error summary links to: the textarea, or the group's first option."""
        return self.name if self.widget == "text" else f"{self.name}_0"

    @property
    def described_by(self) -> str:
        parts = [(self.question.help_text, "hint"), (self.anchors, "anchors"), (self.errors, "error")]
        return " ".join(f"{self.name}-{suffix}" for present, suffix in parts if present)


class ResponseForm(forms.Form):
    consent = forms.BooleanField(required=False)

    def __init__(self, *args: Any, questions: Sequence[Question], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        self._flagged: dict[str, list[str]] = {}
        for question in self.questions:
            self.fields[field_name(question)] = _field_for(question)

    # --- from the form to the service ----------------------------------------------
    def answers(self) -> dict[int, AnswerInput]:
        """The cleaned answers as response_submit takes them; unanswered questions are left out."""
        answers: dict[int, AnswerInput] = {}
        for question in self.questions:
            value = self.cleaned_data.get(field_name(question))
            if value in (None, "", []):
                continue
            if question.is_score:
                answers[question.pk] = AnswerInput(number=value)
            elif question.kind == Question.Kind.SINGLE:
                answers[question.pk] = AnswerInput(choices=[value])
            elif question.kind == Question.Kind.MULTIPLE:
                answers[question.pk] = AnswerInput(choices=list(value))
            else:
                answers[question.pk] = AnswerInput(text=value)
        return answers

    def add_service_errors(self, errors: Mapping[int, str]) -> None:
        """Attach the service's errors (keyed by question pk; 0 for the whole survey) to the fields."""
        names = {question.pk: field_name(question) for question in self.questions}
        for question_pk, message in errors.items():
            self.add_error(names.get(question_pk), message)

    def flag(self, question: Question, message: str) -> None:
        """An error about a question that did not come from a submit (a bad score in a link)."""
        self._flagged.setdefault(field_name(question), []).append(message)

    # --- from the form to the page -----------------------------------------------------
    def field_errors(self, name: str) -> list[str]:
        bound = [str(error) for error in self.errors.get(name, [])] if self.is_bound else []
        return bound + self._flagged.get(name, [])

    def band(self) -> str | None:
        """The band of the score now chosen for the first score question, for the open-text wording."""
        first = next((q for q in self.questions if q.is_score), None)
        if first is None:
            return None
        value = self[field_name(first)].value()
        low, high = first.scale  # type: ignore[misc]
        choices = {str(n) for n in range(low, high + 1)}
        return score_band(first.kind, int(value)) if isinstance(value, str) and value in choices else None

    def items(self) -> list[QuestionItem]:
        band = self.band()
        return [self._item(question, band) for question in self.questions]

    def _item(self, question: Question, band: str | None) -> QuestionItem:
        name = field_name(question)
        value = self[name].value()
        item = QuestionItem(
            question=question,
            name=name,
            wording=question.wording_for(band),
            widget="scale" if question.is_score else str(question.kind),
            errors=self.field_errors(name),
        )
        if item.widget == "text":
            item.text = value or ""
            return item
        chosen = {str(v) for v in value} if isinstance(value, list | tuple) else {str(value or "")}
        item.options = [
            Option(value=str(v), label=str(label), id=f"{name}_{i}", checked=str(v) in chosen)
            for i, (v, label) in enumerate(self.fields[name].choices)  # type: ignore[attr-defined]
        ]
        item.anchors = question.anchors
        return item

    def summary(self, items: Sequence[QuestionItem]) -> list[tuple[str, str, str]]:
        """(anchor, question wording, message) for every problem, in page order; anchor "" for the whole form."""
        problems = [("", "", str(message)) for message in self.non_field_errors()] if self.is_bound else []
        for item in items:
            problems += [(item.anchor, item.wording, message) for message in item.errors]
        return problems
