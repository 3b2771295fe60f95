"""Keep survey-link tokens out of the logs: a token in a log file is a working link to someone's answer."""

from __future__ import annotations

import logging
import re

TOKEN_IN_PATH = re.compile(r"/s/[^/\s?\"']+")


def redact(text: str) -> str:
    return TOKEN_IN_PATH.sub("/s/[token]", text)


class RedactSurveyTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/s/" in message:
            record.msg, record.args = redact(message), ()
        return True
