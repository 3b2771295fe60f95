from surveys.models.analysis import CxTerm, LabelledComment, ResponseAnalysis, TextModel, Theme
from surveys.models.crm import Account, Contact, SegmentRevenueBand
from surveys.models.imports import ImportJob
from surveys.models.invitations import Invitation, OutboxMessage
from surveys.models.responses import Answer, Response
from surveys.models.rules import Event, FrequencyRule, TriggerRule
from surveys.models.surveys import Band, Question, ScoreKind, Survey, score_band

__all__ = [
    "Account",
    "Answer",
    "Band",
    "Contact",
    "CxTerm",
    "Event",
    "FrequencyRule",
    "ImportJob",
    "Invitation",
    "LabelledComment",
    "OutboxMessage",
    "Question",
    "Response",
    "ResponseAnalysis",
    "ScoreKind",
    "SegmentRevenueBand",
    "Survey",
    "TextModel",
    "Theme",
    "TriggerRule",
    "score_band",
]
