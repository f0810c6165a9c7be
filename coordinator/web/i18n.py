"""The web pages' message catalogue: Japanese first, English second, chosen by a cookie."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from starlette.requests import HTTPConnection

LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"
LANGUAGE_COOKIE = "ouen_lang"
# Shown instead of a message the catalogue lacks, so that tests (and people) can spot it at once.
MISSING_MARK = "⟦{key}⟧"
MESSAGES_DIR = Path(__file__).resolve().parent / "messages"


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(language: str) -> Mapping[str, str]:
    """The messages of one language: messages/<language>.json plus every messages/<area>.<language>.json.

    One file per area (e.g. notifications.ja.json) keeps features apart; a key defined twice is an error.
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    files = [MESSAGES_DIR / f"{language}.json", *sorted(MESSAGES_DIR.glob(f"*.{language}.json"))]
    merged: dict[str, str] = {}
    for path in files:
        for key, text in json.loads(path.read_text(encoding="utf-8")).items():
            if key in merged:
                raise ValueError(f"{path.name}: message key {key!r} is defined twice in the {language} catalogue")
            merged[key] = text
    return merged


def language_of(connection: HTTPConnection) -> str:
    """The visitor's language: the `ouen_lang` cookie when valid, else Japanese."""
    chosen = connection.cookies.get(LANGUAGE_COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


class Translator:
    """Looks up messages of one language; `t("key", name=...)` fills `{name}` placeholders."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.messages = catalogue(language)

    def __call__(self, key: str, **values: object) -> str:
        """The message for `key`, formatted with `values`; the missing mark when there is none."""
        text = self.messages.get(key)
        if text is None:
            return MISSING_MARK.format(key=key)
        return text.format(**values) if values else text

    def pick(self, ja: str | None, en: str | None) -> str:
        """Of a bilingual pair from the data (names of kinds, languages, associations), this language's."""
        if self.language == "en":
            return en or ja or ""
        return ja or en or ""
