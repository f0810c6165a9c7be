"""BCP 47 language tags: syntactic well-formedness (RFC 5646 section 2.1) and case normalisation."""

from __future__ import annotations

import re

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


def is_well_formed(tag: str) -> bool:
    """True when `tag` is a syntactically well-formed BCP 47 language tag."""
    if not tag or len(tag) > 35:
        return False
    match = _LANGTAG.match(tag)
    if match is None:
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
