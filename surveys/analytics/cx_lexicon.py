"""The customer-experience lexicon: terms whose weight in feedback plain VADER misses.

VADER was built from social-media text, where "hold", "refund" or "still waiting" say nothing; in a
comment about a company they are the complaint. The lexicon is data (term -> valence on VADER's
-4..+4 scale) that an admin edits; ``DEFAULT_CX_LEXICON`` seeds it. Multi-word terms are phrases.

A word given a valence here stops acting as a negation or booster for VADER (it skips those rules
for words it has a valence for), so entries for "not", "never" or "very" would break them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from surveys.analytics.text import clean_text

# Bump when DEFAULT_CX_LEXICON changes, so stored flags say which lexicon produced them.
CX_LEXICON_VERSION = "cx-3"

DEFAULT_CX_LEXICON: Mapping[str, float] = {
    # Waiting and lost time: the commonest pain in any service.
    "wait": -0.5,
    "waiting": -1.2,
    "waited": -1.2,
    "still waiting": -2.2,
    "on hold": -2.0,
    "hold": -0.8,
    "forever": -1.0,
    "hours": -1.0,
    "hrs": -1.0,
    "hour": -0.6,
    "hr": -0.6,
    "mins": -0.6,
    "minutes": -0.5,
    "delay": -1.5,
    "delays": -1.5,
    "delayed": -1.8,
    "late": -1.2,
    "stuck": -1.8,
    "stranded": -2.2,
    "still no": -1.8,
    "still": -0.6,
    "again": -0.6,
    "sitting": -0.6,
    "days": -0.5,
    "weeks": -0.8,
    "twice": -0.6,
    "yet to": -1.0,
    # Leaving, or asking for money back.
    "cancel": -1.5,
    "cancelled": -1.8,
    "canceled": -1.8,
    "cancellation": -1.5,
    "refund": -1.5,
    "switch": -1.0,
    "switching": -1.5,
    "never again": -3.0,
    "compensation": -1.2,
    "overcharged": -2.5,
    "charged twice": -2.5,
    "fee": -0.6,
    "fees": -0.8,
    "charged": -0.8,
    # Things that went missing or broke.
    "lost": -1.8,
    "missing": -1.5,
    "damaged": -2.0,
    "not working": -2.0,
    "doesn't work": -2.0,
    "didn't work": -2.0,
    "disconnected": -1.8,
    "issue": -0.8,
    "issues": -1.0,
    "fix": -0.8,
    "where is my": -1.2,
    "supposed to": -1.0,
    "waste of time": -2.5,
    # Nobody listening.
    "hung up": -2.2,
    "hang up": -1.8,
    "no answer": -1.8,
    "no response": -2.0,
    "no reply": -1.8,
    "no one": -1.5,
    "nobody": -1.5,
    "told": -0.8,
    "was told": -1.5,
    "call back": -1.5,
    "tried": -0.6,
    "trying to": -0.5,
    "nope": -1.0,
    "unhelpful": -2.0,
    "rude": -2.5,
    "worst": -3.4,
    "nightmare": -2.8,
    "ridiculous": -2.0,
    "complaint": -1.8,
    "excuse": -0.8,
    "excuses": -1.5,
    "joke": -1.5,
    # Denied complaints are praise, though VADER reads "no" and "complaints" as two negatives.
    "no complaints": 1.8,
    "no issues": 1.5,
    "no problems": 1.5,
    "no problem": 1.2,
    # Sarcasm: praise words used to complain.
    "thanks for nothing": -3.0,
    "yeah right": -2.0,
    "just great": -2.0,
    "oh great": -2.0,
    "so much for": -1.5,
    # Requests are not praise: "please help" opens complaints. (Thanks stay positive: in
    # feedback they mostly are.)
    "please": 0.3,
    "help": 0.5,
    # Emoji, through their descriptions (see text.clean_text), where VADER's words miss them.
    "pouting face": -2.5,
    "symbols on mouth": -3.0,
    "steam from nose": -1.5,
    "rolling eyes": -1.8,
    "unamused face": -1.8,
    "facepalming": -1.8,
    "thumbs down": -2.0,
    "thumbs up": 1.8,
    "broken heart": -2.0,
    "pile of poo": -2.0,
    "face vomiting": -2.5,
    "clapping hands": 1.0,
}


@dataclass(frozen=True)
class CompiledLexicon:
    """A CX lexicon ready for VADER: single words, and phrases joined into single tokens."""

    words: Mapping[str, float]
    phrase_pattern: re.Pattern[str] | None

    def join_phrases(self, text: str) -> str:
        """Write each lexicon phrase in ``text`` as one token (``on hold`` -> ``onhold``).

        VADER scores whitespace-separated tokens; a joined phrase keeps its letter case, so
        ALL-CAPS emphasis and the negation of the preceding word still apply to it.
        """
        if self.phrase_pattern is None:
            return text
        return self.phrase_pattern.sub(_join_match, text)


def compile_lexicon(lexicon: Mapping[str, float]) -> CompiledLexicon:
    """Turn admin-edited terms into VADER lexicon entries and a phrase-joining pattern."""
    words: dict[str, float] = {}
    phrases: list[str] = []
    for raw_term, valence in lexicon.items():
        term = clean_text(raw_term).lower()
        if not term:
            continue
        if " " in term:
            phrases.append(term)
        words[token_for(term)] = float(valence)
    return CompiledLexicon(words=words, phrase_pattern=_phrase_pattern(phrases))


def token_for(term: str) -> str:
    """The single VADER token a term is scored as; a phrase keeps only its letters and digits."""
    return _join(term).lower() if " " in term else term.lower()


def _phrase_pattern(phrases: list[str]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    # Longest first, so "thanks for nothing" wins over any shorter phrase inside it.
    alternatives = (
        r"\s+".join(re.escape(part) for part in phrase.split()) for phrase in sorted(phrases, key=len)[::-1]
    )
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


def _join_match(match: re.Match[str]) -> str:
    return _join(match.group(0))


def _join(phrase: str) -> str:
    return "".join(character for character in phrase if character.isalnum())
