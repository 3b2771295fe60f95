"""VADER's lexicon on NLTK's data path, taken from the vaderSentiment package; nothing is downloaded.

NLTK's ``SentimentIntensityAnalyzer`` loads ``sentiment/vader_lexicon.zip`` from ``nltk.data.path``
and would otherwise ask for ``nltk.download``. The vaderSentiment wheel ships the same lexicon as a
plain text file, so at start-up we pack it into that layout in a private directory.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import zipfile
from importlib import resources
from pathlib import Path

import nltk.data
from nltk.sentiment.vader import SentimentIntensityAnalyzer

VADER_RESOURCE = "sentiment/vader_lexicon.zip/vader_lexicon/vader_lexicon.txt"

_lock = threading.Lock()
_prepared: dict[str, Path] = {}


def ensure_vader_lexicon(data_dir: Path | None = None) -> Path:
    """Make ``SentimentIntensityAnalyzer()`` load vaderSentiment's lexicon; return the data directory.

    ``data_dir`` defaults to a private temporary directory removed at exit; each process prepares
    its own copy, so no worker depends on a file another one wrote. Safe to call often: the work is
    done once per process and directory.
    """
    key = str(data_dir) if data_dir is not None else ""
    with _lock:
        if key not in _prepared:
            directory = data_dir if data_dir is not None else _private_directory()
            _write_lexicon_zip(directory)
            # First on the path, so a stale lexicon in ~/nltk_data cannot shadow this one.
            nltk.data.path.insert(0, str(directory))
            _prepared[key] = directory
        return _prepared[key]


def vader_analyzer() -> SentimentIntensityAnalyzer:
    """A fresh plain VADER analyser (NLTK's rules with vaderSentiment's lexicon)."""
    ensure_vader_lexicon()
    return SentimentIntensityAnalyzer(lexicon_file=VADER_RESOURCE)


def _private_directory() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="vocplatform-nltk-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return directory


def _write_lexicon_zip(directory: Path) -> None:
    target = directory / "sentiment" / "vader_lexicon.zip"
    if target.is_file():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    lexicon = resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_bytes()
    # Written beside the target and renamed: another process sharing the directory never reads a
    # half-written archive.
    fd, partial = tempfile.mkstemp(dir=target.parent, suffix=".partial")
    with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("vader_lexicon/vader_lexicon.txt", lexicon)
    os.replace(partial, target)
