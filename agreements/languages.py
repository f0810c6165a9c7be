"""Language tags: the one BCP 47 parser, the agreement's languages, and which offered tag serves which need.

Every part of ouen that takes a language (needs, offers, standing capacity, drill scenarios, `ouen eligible`)
resolves it here: a tag the agreement does not list is refused, naming the known ones. Matching uses
`serves`: a regional or script variant and its base language serve each other (`pt` ↔ `pt-BR`,
`zh` ↔ `zh-Hant`); two variants of one base do not (`zh-Hans` ↛ `zh-Hant`, `pt-BR` ↛ `pt-PT`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

from agreements.errors import InvalidQuestion

if TYPE_CHECKING:
    from agreements.models import Agreement, Language

# RFC 5646 section 2.1 ABNF for "langtag" and "privateuse"; the irregular grandfathered tags
# (e.g. "i-klingon") are deliberately not accepted: nobody needs them for disaster support.
_LANGTAG = re.compile(
    r"""^(?:
        (?P<language>[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})
        (?:-(?P<script>[a-z]{4}))?
        (?:-(?P<region>[a-z]{2}|[0-9]{3}))?
        (?P<variants>(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*)
        (?P<extensions>(?:-[0-9a-wy-z](?:-[a-z0-9]{2,8})+)*)
        (?:-x(?:-[a-z0-9]{1,8})+)?
      |x(?:-[a-z0-9]{1,8})+
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
MAX_TAG_LENGTH = 35  # RFC 5646 4.4.1: implementations should support tags of at least 35 characters


class UnknownLanguage(InvalidQuestion):
    """A language tag the agreement does not list (or not a BCP 47 tag at all); names the known ones."""

    def __init__(self, tag: str, problem: str, problem_ja: str, known: list[dict[str, str]]) -> None:
        super().__init__("language", problem, problem_ja)
        self.tag = tag
        self.known = known


def is_well_formed(tag: str) -> bool:
    """True when `tag` is a syntactically well-formed BCP 47 language tag."""
    if not isinstance(tag, str) or not tag or len(tag) > MAX_TAG_LENGTH:
        return False
    if _LANGTAG.match(tag) is None:
        return False
    singletons = [part.lower() for part in tag.split("-") if len(part) == 1]
    # RFC 5646 2.2.6: an extension singleton may appear only once (private use ends the tag).
    before_private = singletons[: singletons.index("x")] if "x" in singletons else singletons
    return len(before_private) == len(set(before_private))


def normalise(tag: str) -> str:
    """The tag in the RFC 5646 recommended case: language lower, script title, region upper."""
    parts = tag.split("-")
    out: list[str] = []
    private = False
    for index, part in enumerate(parts):
        if private or index == 0 or len(part) == 1:
            out.append(part.lower())
        elif len(part) == 4 and part.isalpha() and len(parts[index - 1]) != 1:
            out.append(part.title())
        elif len(part) == 2 and len(parts[index - 1]) != 1:
            out.append(part.upper())
        else:
            out.append(part.lower())
        private = private or part.lower() == "x"
    return "-".join(out)


def _subtags(tag: str) -> list[str] | None:
    """The tag's subtags in lower case, or None when it carries an extension or private use (those match
    only themselves: `ja-x-easy` is plain Japanese, not Japanese)."""
    parts = tag.lower().split("-")
    return None if any(len(part) == 1 for part in parts) else parts


def serves(offered: str, needed: str) -> bool:
    """Whether people offering language `offered` can serve a need in `needed`: the same tag, or one is the
    other's base (`pt` serves `pt-BR` and `pt-BR` serves `pt`); two variants of one base do not."""
    if offered.lower() == needed.lower():
        return True
    a, b = _subtags(offered), _subtags(needed)
    if a is None or b is None:
        return False
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def serving(offered: Iterable[str], needed: str) -> str | None:
    """Of the offered tags, the one that serves `needed`: the same tag first, else the first variant or base
    in sorted order; None when none does."""
    tags = sorted(offered, key=lambda t: (t.lower() != needed.lower(), t.lower()))
    return next((tag for tag in tags if serves(tag, needed)), None)


def known_languages(agreement: Agreement) -> list[dict[str, str]]:
    """The agreement's languages as {tag, name_ja, name_en}, in file order."""
    return [{"tag": lang.tag, "name_ja": lang.name_ja, "name_en": lang.name_en} for lang in agreement.languages]


def _listed(languages: Collection[Language], tag: str) -> Language | None:
    wanted = tag.lower()
    return next((lang for lang in languages if lang.tag.lower() == wanted), None)


def resolve(agreement: Agreement, tag: str) -> Language:
    """The agreement's language for a BCP 47 tag (compared case-insensitively); UnknownLanguage naming the
    known languages (and the listed base or variant, when there is one) otherwise."""
    found = _listed(agreement.languages, tag) if isinstance(tag, str) else None
    if found is not None:
        return found
    known = known_languages(agreement)
    listing_en = ", ".join(f"{k['tag']} {k['name_en']}" for k in known)
    listing_ja = "、".join(f"{k['name_ja']}（{k['tag']}）" for k in known)
    if not is_well_formed(tag):
        en = f"{tag!r} is not a BCP 47 language tag; choose one of the agreement's languages: {listing_en}"
        ja = f"{tag!r} は言語タグとして正しくありません。協定の言語から選んでください：{listing_ja}"
        raise UnknownLanguage(tag, en, ja, known)
    related = [lang for lang in agreement.languages if serves(lang.tag, tag)]
    hint_en = f" (did you mean {', '.join(lang.tag for lang in related)}?)" if related else ""
    hint_ja = f"（{'、'.join(f'{lang.name_ja}（{lang.tag}）' for lang in related)} のことですか？）" if related else ""
    en = f"the agreement does not list the language {tag!r}{hint_en}; known: {listing_en}"
    ja = f"言語 {tag!r} は協定にありません{hint_ja}。次から選んでください：{listing_ja}"
    raise UnknownLanguage(tag, en, ja, known)


def canonical(agreement: Agreement, tag: str) -> str:
    """The agreement's own spelling of a known tag (`PT-br` → `pt-BR`); UnknownLanguage otherwise."""
    return resolve(agreement, tag).tag
