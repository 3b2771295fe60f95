"""Cleaning of raw customer comments before they are scored or vectorised.

The cleaning removes what carries no opinion (handles, links, control characters) and keeps what
VADER reads as opinion: letter case (ALL-CAPS emphasis), punctuation (!!!), negations and emoticons.
Emoji become their English descriptions so that a lexicon can score them.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from importlib import resources

# Beyond this many characters a comment's tone is settled; the cap keeps the worst-case cost of
# one comment bounded (a pasted log file must not stall a worker).
MAX_TEXT_CHARS = 20_000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufeff]")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# The look-behind keeps e-mail addresses ("ann@example.com") from being cut in half.
_MENTION = re.compile(r"(?<![\w@])@\w+")
_HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z])")
_SPACES = re.compile(r"\s+")
_ANY_WORD_CHARACTER = re.compile(r"[^\W_]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*\w)?")


# Lower-case so they never count as ALL-CAPS words for VADER; unlikely to be real words.
URL_TOKEN = "xurl"  # noqa: S105 - a placeholder word, not a secret
MENTION_TOKEN = "xuser"  # noqa: S105 - same
_PLACEHOLDERS = re.compile(rf"\b(?:{URL_TOKEN}|{MENTION_TOKEN})\b")


def clean_text(text: str, *, placeholders: bool = False) -> str:
    """Return ``text`` ready for scoring: bounded, printable, without handles or links.

    Case, punctuation and negations are kept; hashtags lose the ``#`` (``#NeverAgain`` becomes
    ``Never Again``) because VADER ignores tagged words; emoji become their descriptions. With
    ``placeholders`` links and handles become ``xurl`` / ``xuser`` instead of vanishing: a learned
    model may find that a comment carries a photo link, while who was addressed stays out.
    """
    url, mention = (f" {URL_TOKEN} ", f" {MENTION_TOKEN} ") if placeholders else (" ", " ")
    text = _CONTROL.sub(" ", text[:MAX_TEXT_CHARS])
    if "&" in text:
        text = html.unescape(text)
    if "/" in text or "www." in text:
        text = _URL.sub(url, text)
    if "@" in text:
        text = _MENTION.sub(mention, text)
    if "#" in text:
        text = _HASHTAG.sub(_split_hashtag, text)
    if not text.isascii():
        text = text.translate(_emoji_descriptions())
    return _SPACES.sub(" ", text).strip()


def without_placeholders(text: str) -> str:
    """``clean_text(raw, placeholders=True)`` turned into ``clean_text(raw)``, without re-cleaning."""
    if URL_TOKEN not in text and MENTION_TOKEN not in text:
        return text
    return _SPACES.sub(" ", _PLACEHOLDERS.sub(" ", text)).strip()


def has_words(text: str) -> bool:
    """Whether ``text`` holds anything to read (a letter or digit), not only symbols or spaces."""
    return _ANY_WORD_CHARACTER.search(text) is not None


def has_latin_letters(text: str) -> bool:
    """Whether ``text`` has a Latin letter: the least an English lexicon needs to read it."""
    return _LATIN_LETTER.search(text) is not None


def words(text: str) -> list[str]:
    """Lower-case words of ``text`` (letters first, inner apostrophes and hyphens kept)."""
    return [word.replace("’", "'") for word in _WORD.findall(text.lower())]


def _split_hashtag(match: re.Match[str]) -> str:
    return " " + _CAMEL_BOUNDARY.sub(" ", match.group(1)) + " "


@lru_cache(maxsize=1)
def _emoji_descriptions() -> dict[int, str]:
    """Translation table from single-code-point emoji to `` description ``.

    The table comes from the vaderSentiment package (the lexicon VADER's authors ship for
    emoji). Multi-code-point sequences are left out: their first code point carries the meaning
    and is translated on its own.
    """
    source = resources.files("vaderSentiment").joinpath("emoji_utf8_lexicon.txt")
    table: dict[int, str] = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        emoji, _, description = line.partition("\t")
        if len(emoji) == 1 and description:
            table[ord(emoji)] = f" {description.strip()} "
    return table
