"""Where a page may send the browser after sign-in or a language switch: same-origin paths only.

Browsers remove tabs and line breaks anywhere in a URL, strip leading and trailing control characters
and spaces, and read a backslash as a slash (WHATWG URL standard), so `/\t/evil.example/` becomes
`//evil.example/`, another site (issue 12 item 6). The target is normalised the way a browser will read
it and then must be a path on this origin; anything else goes to "/".
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_REMOVED = re.compile(r"[\t\n\r]")
_EDGES = "".join(chr(c) for c in range(0x21))  # C0 controls and space


def safe_next(target: str | None) -> str:
    """A same-origin path to go to next (as the browser will read it), or "/"."""
    if not target:
        return "/"
    cleaned = _REMOVED.sub("", target).strip(_EDGES).replace("\\", "/")
    if not cleaned.startswith("/") or cleaned.startswith("//"):
        return "/"
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in cleaned):
        return "/"
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc:
        return "/"
    return cleaned
